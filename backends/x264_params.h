/*
 * Mapping of an mpegflow encoder config onto libx264 parameters. Kept apart
 * from backends/x264.c and free of side effects (no encoder, no logging) so
 * that the unit tests can inspect the resulting x264_param_t directly.
 */
#ifndef MF_X264_PARAMS_H
#define MF_X264_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include <x264.h>

#include "mpegflow/encoder.h"

/**
 * Fill p from cfg, in the order x264.h requires: preset/tune, our settings,
 * then the profile restrictions.
 *
 * Keyframes come only where the caller forces them (pict_type I) or every
 * cfg->gop_frames frames: scenecut is off and GOPs are closed.
 *
 * @param p        written in full; needs no x264_param_cleanup()
 * @param cfg      the job's settings, read only; codec, size, pixel format
 *                 and time base already checked (mf_encoder_check)
 * @param err      receives a human message naming the bad field on failure
 * @param err_len  size of err (may be 0)
 * @return 0, or AVERROR(EINVAL) for a setting x264 cannot encode (unknown
 *         preset, tune, profile or level; not exactly one of crf/bitrate;
 *         bad gop or rates)
 */
int mf_x264_params(x264_param_t *p, const struct mf_encoder_config *cfg,
                   char *err, size_t err_len);

#endif
