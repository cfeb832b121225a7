#include "codec_string.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>

/* The first NAL of the given type in Annex B data, with emulation
 * prevention bytes removed into out; returns its length or -1. */
static int find_nal(const uint8_t *p, int size, int hevc, int type, uint8_t *out, int out_len)
{
    for (int i = 0; i + 3 < size; i++) {
        if (p[i] || p[i + 1] || p[i + 2] != 1)
            continue;
        const uint8_t *nal = p + i + 3;
        int t = hevc ? (nal[0] >> 1) & 0x3f : nal[0] & 0x1f;
        if (t != type)
            continue;
        int n = 0, zeros = 0;
        for (const uint8_t *q = nal; q < p + size && n < out_len; q++) {
            if (zeros >= 2 && *q == 3) {
                zeros = 0;
                continue;
            }
            if (zeros >= 2 && *q <= 1 && q > nal)   /* next start code */
                break;
            zeros = *q ? 0 : zeros + 1;
            out[n++] = *q;
        }
        return n;
    }
    return -1;
}

static int h264_string(const AVCodecParameters *par, char *buf, size_t len)
{
    const uint8_t *x = par->extradata;
    uint8_t sps[64];
    if (par->extradata_size >= 4 && x[0] == 1)               /* avcC */
        return snprintf(buf, len, "avc1.%02x%02x%02x", x[1], x[2], x[3]) < (int)len ? 0 : -1;
    if (find_nal(x, par->extradata_size, 0, 7, sps, sizeof(sps)) >= 4)
        return snprintf(buf, len, "avc1.%02x%02x%02x", sps[1], sps[2], sps[3]) < (int)len ? 0 : -1;
    return -1;
}

/* ISO/IEC 14496-15 annex E: hvc1.<space><profile>.<compat, bit-reversed>.<tier><level>.<constraints> */
static int hevc_string(const AVCodecParameters *par, char *buf, size_t len)
{
    const uint8_t *x = par->extradata;
    uint8_t sps[128];
    const uint8_t *ptl;                /* profile_tier_level: 1 + 4 + 6 + 1 bytes */
    if (par->extradata_size >= 13 && x[0] == 1) {
        ptl = x + 1;
    } else if (find_nal(x, par->extradata_size, 1, 33, sps, sizeof(sps)) >= 15) {
        ptl = sps + 3;                 /* NAL header (2) + vps id / sub layers (1) */
    } else {
        return -1;
    }
    static const char *const space[] = { "", "A", "B", "C" };
    uint32_t compat = (uint32_t)ptl[1] << 24 | ptl[2] << 16 | ptl[3] << 8 | ptl[4], rev = 0;
    for (int i = 0; i < 32; i++)
        rev |= ((compat >> i) & 1u) << (31 - i);
    int n = snprintf(buf, len, "hvc1.%s%d.%X.%c%d", space[ptl[0] >> 6], ptl[0] & 0x1f, rev,
                     ptl[0] & 0x20 ? 'H' : 'L', ptl[11]);
    int last = 10;                     /* trailing zero constraint bytes are omitted */
    while (last > 5 && !ptl[last])
        last--;
    for (int i = 5; i <= last && n > 0 && (size_t)n < len; i++)
        n += snprintf(buf + n, len - n, ".%X", ptl[i]);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int mf_codec_string(const AVCodecParameters *par, char *buf, size_t len)
{
    switch (par->codec_id) {
    case AV_CODEC_ID_H264: return h264_string(par, buf, len);
    case AV_CODEC_ID_HEVC: return hevc_string(par, buf, len);
    case AV_CODEC_ID_AAC:
        return snprintf(buf, len, "mp4a.40.%d", par->profile == FF_PROFILE_AAC_HE ? 5 :
                        par->profile == FF_PROFILE_AAC_HE_V2 ? 29 : 2) < (int)len ? 0 : -1;
    case AV_CODEC_ID_MP3:  return snprintf(buf, len, "mp4a.40.34") < (int)len ? 0 : -1;
    case AV_CODEC_ID_AC3:  return snprintf(buf, len, "ac-3") < (int)len ? 0 : -1;
    case AV_CODEC_ID_EAC3: return snprintf(buf, len, "ec-3") < (int)len ? 0 : -1;
    case AV_CODEC_ID_OPUS: return snprintf(buf, len, "Opus") < (int)len ? 0 : -1;
    case AV_CODEC_ID_FLAC: return snprintf(buf, len, "fLaC") < (int)len ? 0 : -1;
    default: return -1;
    }
}
