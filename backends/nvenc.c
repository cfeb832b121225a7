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
#include <stdlib.h>

#include <libavcodec/avcodec.h>
#include <libavutil/log.h>

#include "mpegflow/encoder.h"
#include "avcodec.h"
#include "backends.h"
#include "nvenc_params.h"
#include "nvenc_probe.h"

static int gpu_from_env(int *gpu, char *why, size_t why_len)
{
    const char *s = getenv("MPEGFLOW_GPU");

    if (mf_nvenc_parse_gpu(s, gpu) < 0) {
        snprintf(why, why_len, "MPEGFLOW_GPU='%s' is not a GPU index (0..255)", s);
        return AVERROR(EINVAL);
    }
    return 0;
}

static int mf_nvenc_probe(char *why, size_t why_len)
{
    struct mf_nvenc_host host;
    int gpu, ret;

    if ((ret = gpu_from_env(&gpu, why, why_len)) < 0)
        return ret;
    if (!avcodec_find_encoder_by_name("h264_nvenc") && !avcodec_find_encoder_by_name("hevc_nvenc")) {
        snprintf(why, why_len, "libavcodec was built without h264_nvenc and hevc_nvenc");
        return AVERROR(ENOSYS);
    }
    return mf_nvenc_probe_host(gpu, -1, &host, why, why_len);
}

static int configure(AVCodecContext *ctx, AVDictionary **opts, const struct mf_encoder_config *cfg,
                     const void *arg, char *err, size_t err_len)
{
    return mf_nvenc_configure(ctx, opts, cfg, arg, err, err_len);
}

static int mf_nvenc_open(struct mf_encoder **enc, const struct mf_encoder_config *cfg)
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
    int gpu, ret;

    *enc = NULL;
    if ((ret = gpu_from_env(&gpu, why, sizeof(why))) < 0)
        goto refused;
    /* With CUDA frames the device is the job's (src/hwdevice.c): MPEGFLOW_GPU's,
     * else the first with NVENC, which is also what the probe picks here. */
    if ((ret = mf_nvenc_probe_host(gpu, (int)cfg->codec, &host, why, sizeof(why))) < 0)
        goto refused;
    /* The device the probe chose, so that libavcodec opens the same one
     * (with CUDA frames libavcodec uses their device, which is this one). */
    setup = (struct mf_nvenc_setup){ .caps = host.caps[cfg->codec], .gpu = host.gpu };
    return mf_avcodec_open(enc, &spec, cfg);

refused:
    av_log(NULL, AV_LOG_ERROR, "nvenc: %s\n", why);
    return ret;
}

const struct mf_encoder_backend mf_nvenc_backend = {
    .name = "nvenc",
    .probe = mf_nvenc_probe,
    .open = mf_nvenc_open,
    .send_frame = mf_avcodec_send_frame,
    .receive_packet = mf_avcodec_receive_packet,
    .close = mf_avcodec_close,
};
