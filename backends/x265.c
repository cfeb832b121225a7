/*
 * HEVC on the CPU through libavcodec's libx265 wrapper, on the shared
 * avcodec path (backends/avcodec.c) that the nvenc backend also uses.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include <libavcodec/avcodec.h>

#include "mpegflow/encoder.h"
#include "avcodec.h"
#include "backend_util.h"
#include "backends.h"
#include "x265_params.h"

static int mf_x265_probe(struct mf_encoder_probe *probe, char *why, size_t why_len)
{
    const AVCodec *c = avcodec_find_encoder_by_name("libx265");
    int yuv420p = 0;

    probe->device = -1;
    if (!c)
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "libavcodec was built without libx265 (no 'libx265' encoder)");
    for (const enum AVPixelFormat *f = c->pix_fmts; f && *f != AV_PIX_FMT_NONE; f++)
        yuv420p |= *f == AV_PIX_FMT_YUV420P;
    if (!yuv420p)
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "libavcodec's libx265 cannot take 8-bit 4:2:0 (yuv420p) frames");
    return 0;
}

static int configure(AVCodecContext *ctx, AVDictionary **opts,
                     const struct mf_encoder_config *cfg, const void *arg,
                     char *err, size_t err_len)
{
    (void)arg;
    return mf_x265_configure(ctx, opts, cfg, err, err_len);
}

static int mf_x265_open(struct mf_encoder **enc, const struct mf_encoder_config *cfg,
                        char *err, size_t err_len)
{
    static const struct mf_avcodec_spec spec = {
        .backend = &mf_x265_backend,
        .encoder = "libx265",
        .configure = configure,
    };
    return mf_avcodec_open(enc, &spec, cfg, err, err_len);
}

static const enum AVPixelFormat pix_fmts[] = { AV_PIX_FMT_YUV420P, AV_PIX_FMT_NONE };

const struct mf_encoder_backend mf_x265_backend = {
    .name = "x265",
    .long_name = "HEVC on the CPU (libx265 through libavcodec)",
    .codecs = MF_CODEC_BIT(MF_CODEC_HEVC),
    .pix_fmts = pix_fmts,
    .hw_device = AV_HWDEVICE_TYPE_NONE,
    .probe = mf_x265_probe,
    .open = mf_x265_open,
    .send_frame = mf_avcodec_send_frame,
    .receive_packet = mf_avcodec_receive_packet,
    .close = mf_avcodec_close,
};
