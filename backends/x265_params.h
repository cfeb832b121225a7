/*
 * Mapping of an mpegflow encoder config onto libavcodec's libx265 wrapper:
 * AVCodecContext fields plus its private options (preset, tune, crf,
 * forced-idr, profile, x265-params). Pure: nothing is opened or logged, so
 * the unit tests inspect the context and dictionary it produces.
 */
#ifndef MF_X265_PARAMS_H
#define MF_X265_PARAMS_H

#include <stddef.h>

#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>

#include "mpegflow/encoder.h"

/**
 * Fill ctx and *opts from cfg for the "libx265" encoder.
 *
 * - preset: x264's names, which x265 shares (default medium);
 * - tune: x264 names; those x265 has (psnr, ssim, grain, fastdecode,
 *   zerolatency, animation) pass through, film and stillimage have no x265
 *   counterpart and are dropped; the first x265 tune of a ','-list wins;
 * - crf (0..51) or ABR bitrate; maxrate/bufsize as VBV (bufsize defaults to
 *   2 s of maxrate);
 * - keyint = gop_frames, scenecut=0, open-gop=0, forced-idr: IDRs only
 *   where the caller forces them (pict_type I) or every gop_frames;
 * - repeat-headers=0 with a global header (parameter sets in extradata);
 * - threads 0 = x265's automatic pools, N = one pool of N threads.
 *
 * cfg's codec, size, pixel format and time base were already checked
 * (mf_encoder_check); ctx must already carry size, time base and colour
 * (mf_avcodec_open does).
 * @return 0, or AVERROR(EINVAL) with err naming the bad setting,
 *         AVERROR(ENOMEM).
 */
int mf_x265_configure(AVCodecContext *ctx, AVDictionary **opts,
                      const struct mf_encoder_config *cfg, char *err, size_t err_len);

#endif
