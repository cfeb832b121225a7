/*
 * Which backend encodes a job, and whether a config is within what a
 * backend can do: both answered from the capability fields of the vtable
 * (include/mpegflow/encoder.h), so no caller compares backend names and no
 * backend repeats the checks.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/pixdesc.h>

#include "mpegflow/encoder.h"
#include "backend_util.h"

#define N_CODECS 2

static const char *codec_name(int codec)
{
    return codec == MF_CODEC_HEVC ? "hevc" : codec == MF_CODEC_H264 ? "h264" : "an unknown codec";
}

static int encodes(const struct mf_encoder_backend *b, int codec)
{
    return codec >= 0 && codec < N_CODECS && (b->codecs & MF_CODEC_BIT(codec));
}

static int is_auto(const char *name)
{
    return !name || !name[0] || !strcmp(name, "auto");
}

enum mf_video_codec mf_encoder_backend_default_codec(const char *name)
{
    const struct mf_encoder_backend *b = is_auto(name) ? NULL : mf_encoder_backend_find(name);

    for (int c = 0; b && c < N_CODECS; c++)
        if (encodes(b, c))
            return (enum mf_video_codec)c;
    return MF_CODEC_H264;
}

/* "h264", "h264, hevc": the codecs b encodes. */
static void codec_list(const struct mf_encoder_backend *b, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int c = 0; c < N_CODECS && used < len; c++)
        if (encodes(b, c)) {
            int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", codec_name(c));
            used += n > 0 ? (size_t)n : 0;
        }
}

/* Whether b (called name; NULL: not built) can encode codec here. 0 when it
 * can, with *device the probe's answer; 1 when it does not encode the codec
 * (the request's fault); a negative AVERROR when it is unusable here. why
 * gets the reason, without the name. */
static int usable(const struct mf_encoder_backend *b, int codec, int device, int *out_device,
                  char *why, size_t why_len)
{
    struct mf_encoder_probe probe = { .codec = codec, .device = device };
    char list[64];
    int ret;

    if (!b)
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len, "not built into this mpegflow");
    if (!encodes(b, codec)) {
        codec_list(b, list, sizeof(list));
        return mf_backend_errf(1, why, why_len, "encodes %s only, the job asks for %s",
                               list, codec_name(codec));
    }
    why[0] = '\0';
    ret = b->probe(&probe, why, why_len);
    if (ret != 0 && !why[0])
        snprintf(why, why_len, "its probe failed: %s", av_err2str(ret));
    if (ret != 0)
        return ret > 0 ? AVERROR(ENOSYS) : ret;   /* probes return 0 or an AVERROR */
    *out_device = probe.device;
    return 0;
}

/* auto: the first CPU backend that encodes codec and is usable; else the
 * first one's reason (name it so the caller's message reads right). */
static int pick_auto(const struct mf_encoder_request *req, const struct mf_encoder_backend **out,
                     int *device, char *why, size_t why_len)
{
    const struct mf_encoder_backend *first = NULL;
    int first_ret = AVERROR(ENOSYS);

    for (const struct mf_encoder_backend *const *b = mf_encoder_backends(); *b; b++) {
        char reason[256];
        int ret;
        if ((*b)->hw_device != AV_HWDEVICE_TYPE_NONE || !encodes(*b, req->codec))
            continue;
        ret = usable(*b, req->codec, req->device, device, reason, sizeof(reason));
        if (ret == 0) {
            *out = *b;
            return 0;
        }
        if (!first) {
            first = *b;
            first_ret = ret;
            snprintf(why, why_len, "%s", reason);
        }
    }
    *out = first;
    if (!first)
        snprintf(why, why_len, "no built-in CPU backend encodes %s", codec_name(req->codec));
    return first_ret;
}

int mf_encoder_backend_select(const struct mf_encoder_request *req, struct mf_encoder_selection *sel,
                              char *err, size_t err_len)
{
    const struct mf_encoder_backend *b, *fb;
    const char *name = req->name, *fallback = req->fallback;
    char why[256], fwhy[256];
    int ret;

    memset(sel, 0, sizeof(*sel));
    sel->device = -1;
    if (err && err_len)
        err[0] = '\0';
    if (is_auto(name)) {
        ret = pick_auto(req, &b, &sel->device, why, sizeof(why));
        name = b ? b->name : "auto";
    } else {
        b = mf_encoder_backend_find(name);
        ret = usable(b, req->codec, req->device, &sel->device, why, sizeof(why));
    }
    if (ret == 0) {
        sel->backend = b;
        return 0;
    }
    if (ret > 0)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len, "the %s backend %s", name, why);
    if (!fallback || !fallback[0] || !strcmp(fallback, name))
        return mf_backend_errf(ret, err, err_len, "%s: unusable on this host: %s", name, why);
    fb = mf_encoder_backend_find(fallback);
    if ((ret = usable(fb, req->codec, req->device, &sel->device, fwhy, sizeof(fwhy))) != 0)
        return mf_backend_errf(ret > 0 ? AVERROR(EINVAL) : ret, err, err_len,
                               "%s: unusable on this host: %s; fallback %s: %s", name, why, fallback, fwhy);
    sel->backend = fb;
    sel->fallback_from = b ? b->name : req->name;
    snprintf(sel->reason, sizeof(sel->reason), "%s", why);
    return 0;
}

static int takes_format(const struct mf_encoder_backend *b, enum AVPixelFormat f)
{
    for (const enum AVPixelFormat *p = b->pix_fmts; p && *p != AV_PIX_FMT_NONE; p++)
        if (*p == f)
            return 1;
    return 0;
}

int mf_encoder_check(const struct mf_encoder_backend *b, const struct mf_encoder_config *cfg,
                     char *err, size_t err_len)
{
    const char *fmt = av_get_pix_fmt_name(cfg->pix_fmt);
    char list[64];

    if (err && err_len)
        err[0] = '\0';
    if (!encodes(b, (int)cfg->codec)) {
        codec_list(b, list, sizeof(list));
        return mf_backend_errf(AVERROR(EINVAL), err, err_len, "%s encodes %s only (codec %d)",
                               b->name, list, (int)cfg->codec);
    }
    if (cfg->width <= 0 || cfg->height <= 0 || cfg->width % 2 || cfg->height % 2)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "%s: size %dx%d must be even and positive",
                               b->name, cfg->width, cfg->height);
    if (cfg->time_base.num <= 0 || cfg->time_base.den <= 0)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len, "%s: invalid time base %d/%d",
                               b->name, cfg->time_base.num, cfg->time_base.den);
    if (cfg->hw_frames) {
        const AVHWFramesContext *f = (const AVHWFramesContext *)cfg->hw_frames->data;
        if (b->hw_device == AV_HWDEVICE_TYPE_NONE || f->device_ctx->type != b->hw_device ||
            cfg->pix_fmt != f->format)
            return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                                   "%s takes no %s frames on a %s device", b->name, fmt ? fmt : "such",
                                   av_hwdevice_get_type_name(f->device_ctx->type));
        return 0;
    }
    if (!takes_format(b, cfg->pix_fmt))
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "%s backend takes %s frames only (pix_fmt %s)",
                               b->name, b->pix_fmts ? av_get_pix_fmt_name(b->pix_fmts[0])
                               : "no system-memory", fmt ? fmt : "none");
    return 0;
}

int mf_encoder_open(const struct mf_encoder_backend *b, struct mf_encoder **enc,
                    const struct mf_encoder_config *cfg, char *err, size_t err_len)
{
    int ret;

    *enc = NULL;
    if ((ret = mf_encoder_check(b, cfg, err, err_len)) < 0)
        return ret;
    if (err && err_len)
        err[0] = '\0';
    ret = b->open(enc, cfg, err, err_len);
    if (ret < 0 && err && err_len && !err[0])
        snprintf(err, err_len, "%s: %s", b->name, av_err2str(ret));
    return ret;
}
