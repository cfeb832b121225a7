#include "gpu_job.h"

#include <stdio.h>
#include <string.h>

#include "hwdevice.h"
#include "common/util.h"
#include "video_filter.h"

int mf_gpu_job_open(struct mf_gpu_job *g, enum AVHWDeviceType type, int index, struct mf_input *in,
                    const char *path, int64_t max_pixels, char *err, size_t err_len)
{
    int ret;
    memset(g, 0, sizeof(*g));
    ret = type == AV_HWDEVICE_TYPE_CUDA && index < 0 ? mf_hwdevice_open_cuda(&g->device, err, err_len)
                                                     : mf_hwdevice_open(&g->device, type, index, err, err_len);
    if (ret < 0)
        return ret;
    const AVCodec *dec = in->vdec->codec;
    if (!mf_hwdecode_supported(dec)) {
        mf_errf(g->cpu_decode_why, sizeof(g->cpu_decode_why),
                "libavcodec has no NVDEC hwaccel for the %s decoder: decoded on the CPU", dec->name);
        return 0;
    }
    mf_hwdecode_init(&g->hwdec, g->device);
    g->hwdec_on = 1;
    return mf_input_reopen_video(in, path, max_pixels, mf_hwdecode_setup, &g->hwdec, err, err_len);
}

int mf_gpu_job_bind(struct mf_gpu_job *g, struct mf_rendition_setup *s, AVBufferRef **frames,
                    char *err, size_t err_len)
{
    int ret = mf_hwdevice_frames(g->device, MF_VFILTER_HW_SW_FORMAT, s->enc.width, s->enc.height, frames);
    if (ret < 0) {
        mf_errf(err, err_len, "%s: frames context for %dx%d on the GPU: %s", s->name,
                s->enc.width, s->enc.height, av_err2str(ret));
        return ret;
    }
    s->enc.pix_fmt = ((const AVHWFramesContext *)(*frames)->data)->format;
    s->enc.hw_frames = *frames;
    s->filter.hw_out = 1;
    s->filter.hw_device = g->device;
    return 0;
}

void mf_gpu_job_started(struct mf_gpu_job *g, const struct mf_rendition_run *r)
{
    if (r->enc)
        g->sessions++;      /* one encoder context = one NVENC session */
}

void mf_gpu_job_frame(struct mf_gpu_job *g, const AVFrame *f)
{
    g->frames++;
    g->frames_hw += f->hw_frames_ctx != NULL;
}

void mf_gpu_job_report(struct mf_gpu_job *g, struct mf_result *result)
{
    char why[192];
    if (!g->device)
        return;
    result->nvenc_sessions = g->sessions;
    snprintf(result->decode, sizeof(result->decode), "%s",
             g->frames_hw == g->frames ? "nvdec" : g->frames_hw ? "nvdec+cpu" : "cpu");
    if (g->hwdec_on && mf_hwdecode_refusal(&g->hwdec, why, sizeof(why)))
        snprintf(result->decode_note, sizeof(result->decode_note), "%s: decoded on the CPU", why);
    else if (g->frames_hw < g->frames)
        snprintf(result->decode_note, sizeof(result->decode_note), "%s", g->cpu_decode_why);
}

void mf_gpu_job_close(struct mf_gpu_job *g)
{
    av_buffer_unref(&g->device);
    if (g->hwdec_on)
        mf_hwdecode_uninit(&g->hwdec);
    g->hwdec_on = 0;
}
