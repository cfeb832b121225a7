/* Every backend's one exported symbol; registry.c lists them. */
#ifndef MF_BACKENDS_H
#define MF_BACKENDS_H

#include "mpegflow/encoder.h"

extern const struct mf_encoder_backend mf_x264_backend;
extern const struct mf_encoder_backend mf_x265_backend;
extern const struct mf_encoder_backend mf_nvenc_backend;

#endif
