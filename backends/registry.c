/* The table of encoder backends, in order of preference for "auto". */
#include "config.h"

#include <string.h>

#include "mpegflow/encoder.h"
#include "backends.h"

static const struct mf_encoder_backend *const backends[] = {
#if HAVE_X264
    &mf_x264_backend,
#endif
#if HAVE_X265
    &mf_x265_backend,
#endif
#if HAVE_NVENC
    &mf_nvenc_backend,
#endif
    NULL,
};

const struct mf_encoder_backend *const *mf_encoder_backends(void)
{
    return backends;
}

const struct mf_encoder_backend *mf_encoder_backend_find(const char *name)
{
    for (const struct mf_encoder_backend *const *b = backends; *b; b++)
        if (!strcmp((*b)->name, name))
            return *b;
    return NULL;
}
