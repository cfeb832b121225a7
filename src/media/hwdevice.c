#include "hwdevice.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "avlog.h"
#include "common/util.h"

int mf_hwdevice_parse_index(const char *s, int *index)
{
    char *end;
    long v;

    *index = -1;
    if (!s || !*s)
        return 0;
    errno = 0;
    v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < 0 || v > 255)
        return AVERROR(EINVAL);
    *index = (int)v;
    return 0;
}

int mf_hwdevice_open(AVBufferRef **dev, enum AVHWDeviceType type, int index,
                     char *err, size_t err_len)
{
    const char *name = av_hwdevice_get_type_name(type);
    char upper[16] = "", idx[16];
    int ret;

    *dev = NULL;
    for (size_t i = 0; name && name[i] && i + 1 < sizeof(upper); i++)
        upper[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 'a' + 'A' : name[i]);
    snprintf(idx, sizeof(idx), "%d", index < 0 ? 0 : index);
    mf_avlog_take();
    ret = av_hwdevice_ctx_create(dev, type, index < 0 ? NULL : idx, NULL, 0);
    if (ret < 0) {
        /* FFmpeg logs why (the missing library, the driver's error) before
         * it returns a generic code: quote it. */
        const char *why = mf_avlog_take();
        mf_errf(err, err_len, "%s: cannot create device %s for the hardware pipeline: %s%s%s%s",
                upper[0] ? upper : "hw", idx, why[0] ? why : av_err2str(ret),
                why[0] ? " (" : "", why[0] ? av_err2str(ret) : "", why[0] ? ")" : "");
        av_buffer_unref(dev);
        return ret;
    }
    return 0;
}

int mf_hwdevice_open_cuda(AVBufferRef **dev, char *err, size_t err_len)
{
    const char *s = getenv("MPEGFLOW_GPU");
    int index;

    *dev = NULL;
    if (mf_hwdevice_parse_index(s, &index) < 0) {
        mf_errf(err, err_len, "CUDA: MPEGFLOW_GPU='%s' is not a GPU index (0..255)", s);
        return AVERROR(EINVAL);
    }
    return mf_hwdevice_open(dev, AV_HWDEVICE_TYPE_CUDA, index, err, err_len);
}

static enum AVPixelFormat hw_format(enum AVHWDeviceType type)
{
    switch (type) {
    case AV_HWDEVICE_TYPE_CUDA: return AV_PIX_FMT_CUDA;
    case AV_HWDEVICE_TYPE_VULKAN: return AV_PIX_FMT_VULKAN;
    default: return AV_PIX_FMT_NONE;
    }
}

int mf_hwdevice_frames(AVBufferRef *dev, enum AVPixelFormat sw_format, int width, int height,
                       AVBufferRef **frames)
{
    const AVHWDeviceContext *d = (const AVHWDeviceContext *)dev->data;
    AVHWFramesContext *f;
    int ret;

    *frames = NULL;
    if (hw_format(d->type) == AV_PIX_FMT_NONE)
        return AVERROR(ENOSYS);
    *frames = av_hwframe_ctx_alloc(dev);
    if (!*frames)
        return AVERROR(ENOMEM);
    f = (AVHWFramesContext *)(*frames)->data;
    f->format = hw_format(d->type);
    f->sw_format = sw_format;
    f->width = width;
    f->height = height;
    if ((ret = av_hwframe_ctx_init(*frames)) < 0)
        av_buffer_unref(frames);
    return ret;
}
