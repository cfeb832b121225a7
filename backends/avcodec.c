/*
 * Encoders from libavcodec behind the mpegflow vtable. libavcodec's own
 * send/receive API already has the vtable's shape; what this file adds is
 * the common setup (size, time base, colour, global header), the frame
 * checks, the pict_type contract and errors that name the encoder.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/log.h>
#include <libavutil/avstring.h>
#include <libavutil/mem.h>

#include "avcodec.h"
#include "backend_util.h"

struct avc_state {
    struct mf_encoder pub;          /* first: the caller only sees this */
    AVCodecContext *ctx;
    AVFrame *frame;                 /* a reference to the caller's frame */
    int flushing;
    const char *(*ffmpeg_error)(void);  /* cfg's: the encoder's own last words */
};

/* What the encoder last logged as an error ("" if nothing or no hook). */
static const char *said(const char *(*ffmpeg_error)(void))
{
    const char *s = ffmpeg_error ? ffmpeg_error() : NULL;
    return s ? s : "";
}

/* "ENCODER: what: its own words (AVERROR text)" into buf. */
static void describe(char *buf, size_t len, const char *(*ffmpeg_error)(void), const char *encoder,
                     const char *what, int ret)
{
    const char *why = said(ffmpeg_error);

    if (why[0])
        snprintf(buf, len, "%s: %s: %s (%s)", encoder, what, why, av_err2str(ret));
    else
        snprintf(buf, len, "%s: %s: %s", encoder, what, av_err2str(ret));
}

/* send/receive have no error buffer: one line to the log, which the
 * caller's capture (cfg->ffmpeg_error) hands on as the reason. */
static void report(const struct avc_state *st, const char *what, int ret)
{
    char line[512];

    describe(line, sizeof(line), st->ffmpeg_error, st->ctx->codec->name, what, ret);
    av_log(NULL, AV_LOG_ERROR, "%s\n", line);
}

int mf_avcodec_append_param(char **list, const char *key, const char *fmt, ...)
{
    char value[128];
    va_list ap;
    char *s;

    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    s = av_asprintf("%s%s%s=%s", *list ? *list : "", *list ? ":" : "", key, value);
    if (!s)
        return AVERROR(ENOMEM);
    av_free(*list);
    *list = s;
    return 0;
}

void mf_avcodec_close(struct mf_encoder **enc)
{
    struct avc_state *st;

    if (!enc || !*enc)
        return;
    st = (struct avc_state *)*enc;
    avcodec_free_context(&st->ctx);
    av_frame_free(&st->frame);
    avcodec_parameters_free(&st->pub.par);
    av_free(st);
    *enc = NULL;
}

void mf_avcodec_set_common(AVCodecContext *c, const struct mf_encoder_config *cfg)
{
    int p = (int)cfg->color_primaries, t = (int)cfg->color_trc, m = (int)cfg->colorspace;

    c->codec_type = AVMEDIA_TYPE_VIDEO;
    c->width = cfg->width;
    c->height = cfg->height;
    c->pix_fmt = cfg->pix_fmt;
    c->time_base = cfg->time_base;
    if (cfg->frame_rate.num > 0 && cfg->frame_rate.den > 0)
        c->framerate = cfg->frame_rate;
    c->sample_aspect_ratio = (AVRational){ 1, 1 };
    /* H.273 codes an encoder may write; 0 (reserved, or the RGB matrix for
     * our YUV) and 3 (reserved) become unspecified, left out of the VUI. */
    c->color_primaries = p == 1 || (p >= 4 && p <= 12) || p == 22 ? cfg->color_primaries
                                                                  : AVCOL_PRI_UNSPECIFIED;
    c->color_trc = t == 1 || (t >= 4 && t <= 18) ? cfg->color_trc : AVCOL_TRC_UNSPECIFIED;
    c->colorspace = m == 1 || (m >= 4 && m <= 14) ? cfg->colorspace : AVCOL_SPC_UNSPECIFIED;
    c->color_range = cfg->color_range;
    if (cfg->global_header)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
}

/* The mapper must have consumed every option it set: anything left is a
 * name this libavcodec does not know, which would otherwise be ignored. */
static int check_unused(const char *encoder, AVDictionary *left, char *err, size_t err_len)
{
    const AVDictionaryEntry *e = av_dict_get(left, "", NULL, AV_DICT_IGNORE_SUFFIX);

    if (!e)
        return 0;
    return mf_backend_errf(AVERROR(ENOSYS), err, err_len, "%s: this libavcodec has no option '%s' "
                           "(value '%s')", encoder, e->key, e->value);
}

int mf_avcodec_open(struct mf_encoder **enc, const struct mf_avcodec_spec *spec,
                    const struct mf_encoder_config *cfg, char *err, size_t err_len)
{
    const AVCodec *codec;
    struct avc_state *st;
    struct mf_encoder *pub;
    AVDictionary *opts = NULL;
    int ret;

    if (!enc || !spec || !cfg)
        return AVERROR(EINVAL);
    *enc = NULL;
    if (!(codec = avcodec_find_encoder_by_name(spec->encoder)))
        return mf_backend_errf(AVERROR_ENCODER_NOT_FOUND, err, err_len,
                               "%s: this libavcodec was built without the %s encoder",
                               spec->encoder, spec->encoder);
    if (!(st = av_mallocz(sizeof(*st))))
        return AVERROR(ENOMEM);
    pub = &st->pub;
    pub->backend = spec->backend;
    pub->time_base = cfg->time_base;
    st->ffmpeg_error = cfg->ffmpeg_error;
    if (!(pub->par = avcodec_parameters_alloc()) || !(st->frame = av_frame_alloc()) ||
        !(st->ctx = avcodec_alloc_context3(codec))) {
        ret = AVERROR(ENOMEM);
        goto error;
    }
    mf_avcodec_set_common(st->ctx, cfg);
    if (cfg->hw_frames && !(st->ctx->hw_frames_ctx = av_buffer_ref(cfg->hw_frames))) {
        ret = AVERROR(ENOMEM);
        goto error;
    }
    if ((ret = spec->configure(st->ctx, &opts, cfg, spec->arg, err, err_len)) < 0)
        goto error;
    said(st->ffmpeg_error);     /* only what avcodec_open2 logs belongs to it */
    if ((ret = avcodec_open2(st->ctx, codec, &opts)) < 0) {
        describe(err, err_len, st->ffmpeg_error, spec->encoder, "cannot open the encoder", ret);
        goto error;
    }
    if ((ret = check_unused(spec->encoder, opts, err, err_len)) < 0)
        goto error;
    if ((ret = avcodec_parameters_from_context(pub->par, st->ctx)) < 0)
        goto error;
    if (cfg->global_header && pub->par->extradata_size <= 0) {
        ret = mf_backend_errf(AVERROR_EXTERNAL, err, err_len,
                              "%s: no parameter sets in extradata with a global header", spec->encoder);
        goto error;
    }
    av_dict_free(&opts);
    *enc = pub;
    return 0;

error:
    av_dict_free(&opts);
    mf_avcodec_close(&pub);
    return ret;
}

int mf_avcodec_send_frame(struct mf_encoder *enc, const AVFrame *frame)
{
    struct avc_state *st = (struct avc_state *)enc;
    AVCodecContext *c = st->ctx;
    int ret;

    if (st->flushing)
        return AVERROR_EOF;
    if (!frame) {
        st->flushing = 1;
        ret = avcodec_send_frame(c, NULL);
        if (ret < 0 && ret != AVERROR_EOF)
            report(st, "flush", ret);
        return ret == AVERROR_EOF ? 0 : ret;
    }
    if (frame->width != c->width || frame->height != c->height || frame->format != c->pix_fmt ||
        (c->hw_frames_ctx && !frame->hw_frames_ctx)) {
        av_log(NULL, AV_LOG_ERROR, "%s: frame %dx%d format %d, encoder wants %dx%d format %d\n",
               c->codec->name, frame->width, frame->height, frame->format,
               c->width, c->height, (int)c->pix_fmt);
        return AVERROR(EINVAL);
    }
    if (frame->pts == AV_NOPTS_VALUE) {
        av_log(NULL, AV_LOG_ERROR, "%s: frame without pts\n", c->codec->name);
        return AVERROR(EINVAL);
    }
    /* The contract: I forces an IDR (the mappers set forced-idr), anything
     * else leaves the choice to the encoder, which libavcodec's encoders
     * would otherwise read as an order to code a P or B picture. */
    if ((ret = av_frame_ref(st->frame, frame)) < 0)
        return ret;
    if (st->frame->pict_type != AV_PICTURE_TYPE_I)
        st->frame->pict_type = AV_PICTURE_TYPE_NONE;
    said(st->ffmpeg_error);
    ret = avcodec_send_frame(c, st->frame);
    av_frame_unref(st->frame);
    if (ret < 0 && ret != AVERROR(EAGAIN))
        report(st, "encoding failed", ret);
    return ret;
}

int mf_avcodec_receive_packet(struct mf_encoder *enc, AVPacket *pkt)
{
    struct avc_state *st = (struct avc_state *)enc;
    int ret;

    av_packet_unref(pkt);
    ret = avcodec_receive_packet(st->ctx, pkt);
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
        return ret;
    if (ret < 0) {
        report(st, "encoding failed", ret);
        return ret;
    }
    pkt->time_base = st->pub.time_base;
    return 0;
}

const AVCodecContext *mf_avcodec_context(const struct mf_encoder *enc)
{
    return ((const struct avc_state *)enc)->ctx;
}
