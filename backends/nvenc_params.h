/*
 * Mapping of an mpegflow encoder config onto libavcodec's h264_nvenc /
 * hevc_nvenc: AVCodecContext fields plus the encoder's private options.
 * Pure (no GPU, no driver, nothing logged), so it is unit-tested anywhere.
 *
 *  x264 preset       NVENC  B-frames  b_ref_mode  spatial AQ  temporal AQ  rc-lookahead
 *  ultrafast         p1     0         -           -           -            0
 *  superfast         p2     0         -           -           -            0
 *  veryfast          p3     2         middle      -           -            0
 *  faster            p3     2         middle      on          -            0
 *  fast              p4     3         middle      on          -            8
 *  medium (default)  p5     3         middle      on          on           16
 *  slow              p6     3         middle      on          on           24
 *  slower, veryslow,
 *  placebo           p7     4         middle      on          on           32
 *
 * B-frames, b_ref_mode, temporal AQ and lookahead only where the GPU
 * reports them (struct mf_nvenc_caps); lookahead is capped below the GOP.
 * tune: hq; x264's zerolatency -> ll + zerolatency=1, no B-frames, no
 * lookahead; other x264 tunes have no NVENC counterpart and keep hq.
 * Rate control: crf N -> rc=vbr, cq=N, b=0 (CRF 0 refused: cq 0 means
 * "automatic"); bitrate -> rc=vbr (cbr when maxrate == bitrate) with
 * b=bitrate, maxrate, bufsize = bufsize or 2 s of maxrate (of bitrate
 * without a maxrate); crf + maxrate -> capped constant quality.
 * GOP: g = gop_frames, forced-idr=1 (pict_type I -> IDR), strict_gop=1,
 * no-scenecut=1: IDRs only where the pipeline forces them.
 * Profile h264 baseline|main|high (baseline: no B-frames), hevc main;
 * level passed by name; gpu = the device the probe chose (cfg->device).
 */
#ifndef MF_NVENC_PARAMS_H
#define MF_NVENC_PARAMS_H

#include <stddef.h>

#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>

#include "mpegflow/encoder.h"

/* What one GPU's NVENC reports for one codec (nvEncGetEncodeCaps). */
struct mf_nvenc_caps {
    int max_bframes;        /* NV_ENC_CAPS_NUM_MAX_BFRAMES */
    int bframe_ref_mode;    /* NV_ENC_CAPS_SUPPORT_BFRAME_REF_MODE: 0 none, 1 each, 2 middle, 3 both */
    int lookahead;          /* NV_ENC_CAPS_SUPPORT_LOOKAHEAD */
    int temporal_aq;        /* NV_ENC_CAPS_SUPPORT_TEMPORAL_AQ */
    int width_max, height_max;  /* 0 = unknown */
};

struct mf_nvenc_setup {
    struct mf_nvenc_caps caps;
    int gpu;                /* CUDA device index, -1 = any */
};

/** "h264_nvenc" or "hevc_nvenc". */
const char *mf_nvenc_encoder_name(enum mf_video_codec codec);

/**
 * Fill ctx and *opts from cfg (table above). cfg's codec, size, pixel
 * format and time base were already checked (mf_encoder_check); the size
 * against this GPU's maximum is checked here. ctx must already carry size,
 * time base and colour (mf_avcodec_set_common). setup may be NULL (no caps
 * known: no B-frames, lookahead or temporal AQ; gpu any).
 * @return 0, or AVERROR(EINVAL) with err naming the setting, AVERROR(ENOMEM).
 */
int mf_nvenc_configure(AVCodecContext *ctx, AVDictionary **opts,
                       const struct mf_encoder_config *cfg, const struct mf_nvenc_setup *setup,
                       char *err, size_t err_len);

#endif
