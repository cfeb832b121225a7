/* RFC 6381 codec strings for the HLS master playlist's CODECS attribute. */
#ifndef MF_CODEC_STRING_H
#define MF_CODEC_STRING_H

#include <stddef.h>

#include <libavcodec/codec_par.h>

/** Write e.g. "avc1.64001f", "hvc1.1.6.L93.B0", "mp4a.40.2". 0, or -1 when unknown. */
int mf_codec_string(const AVCodecParameters *par, char *buf, size_t len);

#endif
