#include "hwdecode.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>

#include "avlog.h"
#include "common/util.h"

int mf_hwdecode_supported(const AVCodec *dec)
{
    const AVCodecHWConfig *cfg;

    for (int i = 0; dec && (cfg = avcodec_get_hw_config(dec, i)); i++)
        if (cfg->device_type == AV_HWDEVICE_TYPE_CUDA &&
            (cfg->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) && cfg->pix_fmt == AV_PIX_FMT_CUDA)
            return 1;
    return 0;
}

void mf_hwdecode_init(struct mf_hwdecode *h, AVBufferRef *device)
{
    memset(h, 0, sizeof(*h));
    h->device = device;
    pthread_mutex_init(&h->lock, NULL);
}

void mf_hwdecode_uninit(struct mf_hwdecode *h)
{
    pthread_mutex_destroy(&h->lock);
}

/* libavcodec offers AV_PIX_FMT_CUDA only for streams the NVDEC hwaccel
 * handles; when its initialisation then fails (the GPU lacks the profile,
 * the size is out of range), it calls us again without CUDA in the list. */
static enum AVPixelFormat get_format(AVCodecContext *c, const enum AVPixelFormat *fmts)
{
    struct mf_hwdecode *h = c->opaque;
    const enum AVPixelFormat *p;
    enum AVPixelFormat sw = AV_PIX_FMT_NONE;

    for (p = fmts; *p != AV_PIX_FMT_NONE; p++) {
        if (*p == AV_PIX_FMT_CUDA)
            return *p;
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(*p);
        if (sw == AV_PIX_FMT_NONE && d && !(d->flags & AV_PIX_FMT_FLAG_HWACCEL))
            sw = *p;
    }
    /* The hwaccel's own words, when its setup just failed on this thread
     * (libavcodec's last line then names the cuda format); not an older,
     * unrelated error of this thread. */
    char said[160];
    snprintf(said, sizeof(said), "%s", mf_avlog_take());
    if (!strstr(said, "cuda") && !strstr(said, "CUDA") && !strstr(said, "hwaccel"))
        said[0] = '\0';
    for (size_t n = strlen(said); n > 0 && (said[n - 1] == '.' || said[n - 1] == ' '); n--)
        said[n - 1] = '\0';
    const char *profile = avcodec_profile_name(c->codec_id, c->profile);
    pthread_mutex_lock(&h->lock);
    if (!h->refused) {
        mf_errf(h->why, sizeof(h->why), "NVDEC cannot decode this %s stream (%s%s%s, %dx%d)%s%s",
                 avcodec_get_name(c->codec_id), profile ? profile : "", profile ? ", " : "",
                 sw != AV_PIX_FMT_NONE ? av_get_pix_fmt_name(sw) : "no software format",
                 c->coded_width, c->coded_height, said[0] ? ": " : "", said);
        h->refused = 1;
    }
    pthread_mutex_unlock(&h->lock);
    return sw;
}

int mf_hwdecode_setup(AVCodecContext *c, void *opaque)
{
    struct mf_hwdecode *h = opaque;

    if (!(c->hw_device_ctx = av_buffer_ref(h->device)))
        return AVERROR(ENOMEM);
    c->opaque = h;
    c->get_format = get_format;
    return 0;
}

int mf_hwdecode_refusal(struct mf_hwdecode *h, char *why, size_t len)
{
    pthread_mutex_lock(&h->lock);
    int refused = h->refused;
    if (refused && why && len)
        snprintf(why, len, "%s", h->why);
    pthread_mutex_unlock(&h->lock);
    return refused;
}
