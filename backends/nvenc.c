/*
 * H.264 and HEVC on NVIDIA GPUs through libavcodec's h264_nvenc /
 * hevc_nvenc, on the shared avcodec path (backends/avcodec.c). The
 * pipeline feeds CUDA frames (cfg->hw_frames on the job's CUDA device:
 * NVDEC + scale_cuda, or CPU filters + one hwupload); system-memory frames
 * (no hw_frames) still work, libavcodec uploads them.
 * Each open encoder is one NVENC session: a 4-rung ladder opens 4.
 *
 * The option mapping is in nvenc_params.c (table in nvenc_params.h), the
 * driver checks in nvenc_probe.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include <libavcodec/avcodec.h>

#include "mpegflow/encoder.h"
#include "avcodec.h"
#include "backend_util.h"
#include "backends.h"
#include "nvenc_params.h"
#include "nvenc_probe.h"

static int mf_nvenc_probe(struct mf_encoder_probe *probe, char *why, size_t why_len)
{
    struct mf_nvenc_host host;
    int ret;

    if (!avcodec_find_encoder_by_name("h264_nvenc") && !avcodec_find_encoder_by_name("hevc_nvenc"))
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "libavcodec was built without h264_nvenc and hevc_nvenc");
    if ((ret = mf_nvenc_probe_host(probe->device, probe->codec, &host, why, why_len)) < 0)
        return ret;
    /* the device the job's CUDA frames and this encoder must share */
    probe->device = host.gpu;
    return 0;
}

static int configure(AVCodecContext *ctx, AVDictionary **opts, const struct mf_encoder_config *cfg,
                     const void *arg, char *err, size_t err_len)
{
    return mf_nvenc_configure(ctx, opts, cfg, arg, err, err_len);
}

static int mf_nvenc_open(struct mf_encoder **enc, const struct mf_encoder_config *cfg,
                         char *err, size_t err_len)
{
    struct mf_nvenc_host host;
    struct mf_nvenc_setup setup;
    struct mf_avcodec_spec spec = {
        .backend = &mf_nvenc_backend,
        .encoder = mf_nvenc_encoder_name(cfg->codec),
        .configure = configure,
        .arg = &setup,
    };
    char why[256];
    int ret;

    *enc = NULL;
    /* cfg->device is what the probe chose when the backend was selected;
     * with CUDA frames the job's device was created on it too. This probe
     * reads that device's capabilities for the mapping. */
    if ((ret = mf_nvenc_probe_host(cfg->device, (int)cfg->codec, &host, why, sizeof(why))) < 0)
        return mf_backend_errf(ret, err, err_len, "nvenc: %s", why);
    /* The device the probe chose, so that libavcodec opens the same one
     * (with CUDA frames libavcodec uses their device, which is this one). */
    setup = (struct mf_nvenc_setup){ .caps = host.caps[cfg->codec], .gpu = host.gpu };
    return mf_avcodec_open(enc, &spec, cfg, err, err_len);
}

/* System-memory frames too: libavcodec uploads them. */
static const enum AVPixelFormat pix_fmts[] = { AV_PIX_FMT_YUV420P, AV_PIX_FMT_NONE };

const struct mf_encoder_backend mf_nvenc_backend = {
    .name = "nvenc",
    .long_name = "H.264 and HEVC on NVIDIA GPUs (NVENC through libavcodec)",
    .codecs = MF_CODEC_BIT(MF_CODEC_H264) | MF_CODEC_BIT(MF_CODEC_HEVC),
    .pix_fmts = pix_fmts,
    .hw_device = AV_HWDEVICE_TYPE_CUDA,
    .probe = mf_nvenc_probe,
    .open = mf_nvenc_open,
    .send_frame = mf_avcodec_send_frame,
    .receive_packet = mf_avcodec_receive_packet,
    .close = mf_avcodec_close,
};
