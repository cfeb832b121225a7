/* Every backend's one exported symbol; registry.c lists them. */
#ifndef MF_BACKENDS_H
#define MF_BACKENDS_H

#include "mpegflow/encoder.h"

extern const struct mf_encoder_backend mf_x264_backend;

#endif
