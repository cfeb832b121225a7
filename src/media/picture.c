#include "picture.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "common/util.h"

AVFrame *mf_image_alloc(int w, int h)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        return NULL;
    f->format = AV_PIX_FMT_YUV420P;
    f->width = w;
    f->height = h;
    f->color_range = AVCOL_RANGE_JPEG;
    f->colorspace = AVCOL_SPC_BT470BG;
    if (av_frame_get_buffer(f, 0) < 0) {
        av_frame_free(&f);
        return NULL;
    }
    for (int y = 0; y < h; y++)
        memset(f->data[0] + (ptrdiff_t)y * f->linesize[0], 0, w);
    for (int p = 1; p < 3; p++)
        for (int y = 0; y < h / 2; y++)
            memset(f->data[p] + (ptrdiff_t)y * f->linesize[p], 128, w / 2);
    return f;
}

/* The decoder's matrix (an unset one: BT.709 for HD, BT.601 below), for swscale. */
static int sws_colorspace(const AVFrame *f)
{
    switch (f->colorspace) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_FCC: return SWS_CS_FCC;
    case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL: case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    case AVCOL_SPC_BT470BG: case AVCOL_SPC_SMPTE170M: return SWS_CS_ITU601;
    default: return f->height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601;
    }
}

int mf_image_full_range(const AVFrame *f)
{
    enum AVPixelFormat p = f->format;
    return f->color_range == AVCOL_RANGE_JPEG || p == AV_PIX_FMT_YUVJ420P || p == AV_PIX_FMT_YUVJ422P ||
           p == AV_PIX_FMT_YUVJ444P || p == AV_PIX_FMT_YUVJ440P || p == AV_PIX_FMT_YUVJ411P;
}

static int prepare(struct mf_image_scaler *s, const AVFrame *src, int dw, int dh)
{
    int cs = sws_colorspace(src), range = mf_image_full_range(src);
    if (s->sws && s->src_w == src->width && s->src_h == src->height && s->src_format == src->format &&
        s->src_cs == cs && s->src_range == range && s->dst_w == dw && s->dst_h == dh)
        return 0;
    sws_freeContext(s->sws);
    /* The ranges are options set before init: sws_setColorspaceDetails alone is
     * ignored by the unscaled copy path (a poster as large as the source). */
    s->sws = sws_alloc_context();
    if (!s->sws)
        return AVERROR(ENOMEM);
    av_opt_set_int(s->sws, "srcw", src->width, 0);
    av_opt_set_int(s->sws, "srch", src->height, 0);
    av_opt_set_int(s->sws, "src_format", src->format, 0);
    av_opt_set_int(s->sws, "dstw", dw, 0);
    av_opt_set_int(s->sws, "dsth", dh, 0);
    av_opt_set_int(s->sws, "dst_format", AV_PIX_FMT_YUV420P, 0);
    av_opt_set_int(s->sws, "sws_flags", SWS_BILINEAR | SWS_ACCURATE_RND, 0);
    av_opt_set_int(s->sws, "src_range", range, 0);
    av_opt_set_int(s->sws, "dst_range", 1, 0);
    if (sws_init_context(s->sws, NULL, NULL) < 0) {
        sws_freeContext(s->sws);
        s->sws = NULL;
        return AVERROR(EINVAL);
    }
    /* JPEG (JFIF) is full-range BT.601 whatever the video's matrix was. */
    sws_setColorspaceDetails(s->sws, sws_getCoefficients(cs), range, sws_getCoefficients(SWS_CS_ITU601),
                             1, 0, 1 << 16, 1 << 16);
    *s = (struct mf_image_scaler){ s->sws, src->width, src->height, src->format, cs, range, dw, dh,
                                   s->sideways };
    return 0;
}

/* Turn a w x h plane clockwise by rot into dst (h x w for 90/270). */
static void turn_plane(uint8_t *dst, int dls, const uint8_t *src, int sls, int w, int h, int rot)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t v = src[(ptrdiff_t)y * sls + x];
            if (rot == 90)          /* (x, y) -> (h-1-y, x) */
                dst[(ptrdiff_t)x * dls + (h - 1 - y)] = v;
            else if (rot == 270)    /* (x, y) -> (y, w-1-x) */
                dst[(ptrdiff_t)(w - 1 - x) * dls + y] = v;
            else                    /* 180 */
                dst[(ptrdiff_t)(h - 1 - y) * dls + (w - 1 - x)] = v;
        }
}

int mf_image_scale(struct mf_image_scaler *s, const AVFrame *src, int rotation, AVFrame *dst)
{
    int sideways = rotation == 90 || rotation == 270;
    int w = sideways ? dst->height : dst->width, h = sideways ? dst->width : dst->height;
    int ret = prepare(s, src, w, h);
    if (ret < 0)
        return ret;
    AVFrame *out = dst;
    if (rotation) {
        if (s->sideways && (s->sideways->width != w || s->sideways->height != h))
            av_frame_free(&s->sideways);
        if (!s->sideways && !(s->sideways = mf_image_alloc(w, h)))
            return AVERROR(ENOMEM);
        out = s->sideways;
    }
    ret = sws_scale(s->sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height,
                    out->data, out->linesize);
    if (ret < 0)
        return ret;
    for (int p = 0; rotation && p < 3; p++)
        turn_plane(dst->data[p], dst->linesize[p], out->data[p], out->linesize[p],
                   p ? w / 2 : w, p ? h / 2 : h, rotation);
    return 0;
}

void mf_image_scaler_free(struct mf_image_scaler *s)
{
    sws_freeContext(s->sws);
    av_frame_free(&s->sideways);
    memset(s, 0, sizeof(*s));
}

void mf_image_blit(AVFrame *dst, int x, int y, const AVFrame *src)
{
    for (int p = 0; p < 3; p++) {
        int sub = p ? 1 : 0;
        for (int r = 0; r < src->height >> sub; r++)
            memcpy(dst->data[p] + (ptrdiff_t)((y >> sub) + r) * dst->linesize[p] + (x >> sub),
                   src->data[p] + (ptrdiff_t)r * src->linesize[p], src->width >> sub);
    }
}

static double display_aspect(const struct mf_image_source *src)
{
    double sar = src->sar.num > 0 && src->sar.den > 0 ? av_q2d(src->sar) : 1;
    double dar = (double)src->width * sar / src->height;
    return src->rotation == 90 || src->rotation == 270 ? 1 / dar : dar;
}

int mf_image_height(const struct mf_image_source *src, int w)
{
    int h = 2 * (int)lround(w / display_aspect(src) / 2);
    return h < 2 ? 2 : h;
}

int mf_image_display_width(const struct mf_image_source *src)
{
    int sideways = src->rotation == 90 || src->rotation == 270;
    double w = sideways ? src->height : src->width * (src->sar.num > 0 && src->sar.den > 0 ? av_q2d(src->sar) : 1);
    int even = 2 * (int)lround(w / 2);
    return even < 2 ? 2 : even;
}

static int encode(AVCodecContext *c, const AVFrame *pic, int w, int h, AVPacket *pkt)
{
    AVFrame *view = av_frame_alloc();
    if (!view)
        return AVERROR(ENOMEM);
    /* The top-left w x h, by reference: the last sheet leaves its empty rows out. */
    int ret = av_frame_ref(view, pic);
    if (ret >= 0) {
        view->width = w;
        view->height = h;
        view->pts = 0;
        view->quality = c->global_quality;
        ret = avcodec_send_frame(c, view);
    }
    if (ret >= 0)
        ret = avcodec_send_frame(c, NULL);
    if (ret >= 0)
        ret = avcodec_receive_packet(c, pkt);
    av_frame_free(&view);
    return ret;
}

int mf_image_write_jpeg(const AVFrame *pic, int w, int h, int q, const char *path, int64_t *bytes,
                        char *err, size_t err_len)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    AVCodecContext *c = codec ? avcodec_alloc_context3(codec) : NULL;
    AVPacket *pkt = av_packet_alloc();
    int ret = c && pkt ? 0 : AVERROR(ENOMEM);
    if (!codec) {
        mf_errf(err, err_len, "%s: this FFmpeg has no mjpeg encoder", path);
        ret = AVERROR_ENCODER_NOT_FOUND;
    }
    if (ret >= 0) {
        c->width = w;
        c->height = h;
        c->pix_fmt = AV_PIX_FMT_YUV420P;
        c->color_range = AVCOL_RANGE_JPEG;
        c->colorspace = AVCOL_SPC_BT470BG;
        c->time_base = (AVRational){ 1, 25 };
        c->flags |= AV_CODEC_FLAG_QSCALE;
        c->global_quality = FF_QP2LAMBDA * q;
        c->thread_count = 1;
        ret = avcodec_open2(c, codec, NULL);
        if (ret < 0)
            mf_errf(err, err_len, "%s: cannot open the mjpeg encoder: %s", path, av_err2str(ret));
    }
    if (ret >= 0 && (ret = encode(c, pic, w, h, pkt)) < 0)
        mf_errf(err, err_len, "%s: JPEG encoding failed: %s", path, av_err2str(ret));
    if (ret >= 0) {
        FILE *f = fopen(path, "wb");
        int ok = f && fwrite(pkt->data, 1, pkt->size, f) == (size_t)pkt->size;
        if (f && fclose(f) != 0)
            ok = 0;
        if (!ok) {
            ret = AVERROR(errno ? errno : EIO);
            mf_errf(err, err_len, "%s: cannot write: %s", path, strerror(errno ? errno : EIO));
        } else if (bytes) {
            *bytes = pkt->size;
        }
    }
    av_packet_free(&pkt);
    avcodec_free_context(&c);
    return ret;
}
