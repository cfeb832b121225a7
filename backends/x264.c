/*
 * H.264 through libx264's own API (x264.h), not libavcodec, so that segment
 * IDRs, timestamps and headers are under our control.
 *
 * x264 returns at most one access unit per x264_encoder_encode() call; we
 * keep it as one pending packet, and send_frame() refuses new input
 * (EAGAIN) until receive_packet() has taken it.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <x264.h>

#include <libavutil/log.h>
#include <libavutil/mem.h>

#include "mpegflow/encoder.h"
#include "backend_util.h"
#include "backends.h"
#include "x264_params.h"

struct x264_state {
    struct mf_encoder pub;          /* first: the caller only sees this */
    const AVClass *log_class;       /* &log_class is our av_log context */
    char said[256];                 /* x264's last error line, for open()'s err */
    x264_t *h;
    int width, height;
    AVPacket *pending;              /* the access unit x264 gave us last */
    int has_pending;
    uint8_t *sei;                   /* x264's version SEI: kept out of the */
    int sei_size;                   /* extradata, sent with the first packet */
    int flushing;
};

static const AVClass log_class = {
    .class_name = "x264",
    .item_name = av_default_item_name,
    .version = LIBAVUTIL_VERSION_INT,
};

static void log_x264(void *ctx, int level, const char *fmt, va_list args)
{
    struct x264_state *st = (struct x264_state *)((char *)ctx - offsetof(struct x264_state, log_class));
    /* x264's per-encode statistics are INFO; a worker running many jobs
     * keeps them out of the default log level. */
    static const int map[] = {
        [X264_LOG_ERROR] = AV_LOG_ERROR,
        [X264_LOG_WARNING] = AV_LOG_WARNING,
        [X264_LOG_INFO] = AV_LOG_VERBOSE,
        [X264_LOG_DEBUG] = AV_LOG_DEBUG,
    };

    if (level < 0 || level > X264_LOG_DEBUG)
        return;
    if (level == X264_LOG_ERROR) {
        va_list copy;
        va_copy(copy, args);
        vsnprintf(st->said, sizeof(st->said), fmt, copy);
        va_end(copy);
        st->said[strcspn(st->said, "\r\n")] = '\0';
    }
    av_vlog(ctx, map[level], fmt, args);
}

static int mf_x264_probe(struct mf_encoder_probe *probe, char *why, size_t why_len)
{
    x264_param_t p;
    x264_t *h;

    probe->device = -1;
    /* X264_BIT_DEPTH 0 means the depth is chosen at run time (8 or 10). */
    if (X264_BIT_DEPTH != 0 && X264_BIT_DEPTH != 8) {
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "libx264 was built for %d-bit only, mpegflow needs 8-bit", X264_BIT_DEPTH);
    }
    if (x264_chroma_format != 0 && x264_chroma_format != X264_CSP_I420) {
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "libx264 was built without 4:2:0 (only csp %d)", x264_chroma_format);
    }
    /* The headers may not match the library we run with: ask it. */
    x264_param_default_preset(&p, "ultrafast", NULL);
    p.i_width = p.i_height = 16;
    p.i_csp = X264_CSP_I420;
    p.i_bitdepth = 8;
    p.i_threads = 1;
    p.i_log_level = X264_LOG_NONE;
    if (!(h = x264_encoder_open(&p)))
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "libx264 refused an 8-bit 4:2:0 encoder (x264_encoder_open)");
    x264_encoder_close(h);
    return 0;
}

static void mf_x264_close(struct mf_encoder **enc)
{
    struct x264_state *st;

    if (!enc || !*enc)
        return;
    st = (struct x264_state *)*enc;
    if (st->h)
        x264_encoder_close(st->h);
    av_packet_free(&st->pending);
    av_freep(&st->sei);
    avcodec_parameters_free(&st->pub.par);
    av_free(st);
    *enc = NULL;
}

/* Profile and level as written in the SPS, which is what decoders and the
 * HLS CODECS attribute go by. */
static void read_sps(AVCodecParameters *par, const x264_nal_t *nal)
{
    const uint8_t *b = nal->p_payload;
    int i = 0;

    while (i < nal->i_payload && b[i] == 0)
        i++;
    if (i + 5 > nal->i_payload || b[i] != 1)    /* 01, nal header, 3 bytes */
        return;
    par->profile = b[i + 2];
    if (par->profile == FF_PROFILE_H264_BASELINE && (b[i + 3] & 0x40))
        par->profile |= FF_PROFILE_H264_CONSTRAINED;
    par->level = b[i + 4];
}

/* SPS+PPS (Annex B) into extradata; the SEI goes with the first packet so
 * the extradata holds parameter sets only, as avcC conversion expects. */
static int keep_headers(struct x264_state *st, const x264_nal_t *nal, int n_nal, int global)
{
    AVCodecParameters *par = st->pub.par;
    int size = 0;

    for (int i = 0; i < n_nal; i++) {
        if (nal[i].i_type == NAL_SPS)
            read_sps(par, &nal[i]);
        if (nal[i].i_type != NAL_SEI)
            size += nal[i].i_payload;
    }
    if (!global)
        return 0;    /* x264 repeats SPS/PPS and writes the SEI in-band */

    if (!(par->extradata = av_mallocz((size_t)size + AV_INPUT_BUFFER_PADDING_SIZE)))
        return AVERROR(ENOMEM);
    for (int i = 0; i < n_nal; i++) {
        if (nal[i].i_type == NAL_SEI) {
            av_freep(&st->sei);
            if (!(st->sei = av_memdup(nal[i].p_payload, (size_t)nal[i].i_payload)))
                return AVERROR(ENOMEM);
            st->sei_size = nal[i].i_payload;
        } else {
            memcpy(par->extradata + par->extradata_size, nal[i].p_payload,
                   (size_t)nal[i].i_payload);
            par->extradata_size += nal[i].i_payload;
        }
    }
    return 0;
}

static int fill_par(struct x264_state *st, const struct mf_encoder_config *cfg,
                    char *err, size_t err_len)
{
    AVCodecParameters *par = st->pub.par;
    x264_param_t q;
    x264_nal_t *nal;
    int n_nal;

    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = AV_CODEC_ID_H264;
    par->width = cfg->width;
    par->height = cfg->height;
    par->format = AV_PIX_FMT_YUV420P;
    par->bits_per_raw_sample = 8;
    par->sample_aspect_ratio = (AVRational){ 1, 1 };
    par->field_order = AV_FIELD_PROGRESSIVE;
    par->bit_rate = cfg->bitrate;

    /* What x264 settled on, after presets, profile and its own checks. */
    x264_encoder_parameters(st->h, &q);
    par->color_primaries = (enum AVColorPrimaries)q.vui.i_colorprim;
    par->color_trc = (enum AVColorTransferCharacteristic)q.vui.i_transfer;
    par->color_space = (enum AVColorSpace)q.vui.i_colmatrix;
    par->color_range = q.vui.b_fullrange == 1 ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    par->video_delay = q.i_bframe ? (q.i_bframe_pyramid ? 2 : 1) : 0;

    if (x264_encoder_headers(st->h, &nal, &n_nal) < 0)
        return mf_backend_errf(AVERROR_EXTERNAL, err, err_len, "x264: x264_encoder_headers failed");
    return keep_headers(st, nal, n_nal, cfg->global_header);
}

static int mf_x264_open(struct mf_encoder **enc, const struct mf_encoder_config *cfg,
                        char *err, size_t err_len)
{
    struct x264_state *st;
    struct mf_encoder *pub;
    x264_param_t p;
    int ret;

    if (!enc || !cfg)
        return AVERROR(EINVAL);
    *enc = NULL;
    if (!(st = av_mallocz(sizeof(*st))))
        return AVERROR(ENOMEM);
    pub = &st->pub;
    pub->backend = &mf_x264_backend;
    pub->time_base = cfg->time_base;
    st->log_class = &log_class;
    st->width = cfg->width;
    st->height = cfg->height;
    if (!(pub->par = avcodec_parameters_alloc()) || !(st->pending = av_packet_alloc())) {
        ret = AVERROR(ENOMEM);
        goto error;
    }

    if ((ret = mf_x264_params(&p, cfg, err, err_len)) < 0)
        goto error;
    p.pf_log = log_x264;
    p.p_log_private = &st->log_class;
    p.i_log_level = X264_LOG_INFO;
    if (!(st->h = x264_encoder_open(&p))) {
        ret = mf_backend_errf(AVERROR_EXTERNAL, err, err_len,
                              "x264_encoder_open failed for %dx%d preset %s: %s", cfg->width, cfg->height,
                              cfg->preset ? cfg->preset : "medium",
                              st->said[0] ? st->said : "x264 gave no reason");
        goto error;
    }
    if ((ret = fill_par(st, cfg, err, err_len)) < 0)
        goto error;
    *enc = pub;
    return 0;

error:
    mf_x264_close(&pub);
    return ret;
}

/* Copy x264's access unit (valid only until its next call) into the pending
 * packet, with the version SEI in front of the first one. */
static int keep_packet(struct x264_state *st, const x264_nal_t *nal, int n_nal, int size,
                       const x264_picture_t *out)
{
    AVPacket *pkt = st->pending;
    uint8_t *dst;
    int ret;

    if ((ret = av_new_packet(pkt, size + st->sei_size)) < 0)
        return ret;
    dst = pkt->data;
    if (st->sei) {
        memcpy(dst, st->sei, (size_t)st->sei_size);
        dst += st->sei_size;
        av_freep(&st->sei);
        st->sei_size = 0;
    }
    for (int i = 0; i < n_nal; i++) {
        memcpy(dst, nal[i].p_payload, (size_t)nal[i].i_payload);
        dst += nal[i].i_payload;
    }
    pkt->pts = out->i_pts;
    pkt->dts = out->i_dts;      /* negative for the first frames with B-frames */
    pkt->time_base = st->pub.time_base;
    if (out->b_keyframe)
        pkt->flags |= AV_PKT_FLAG_KEY;
    st->has_pending = 1;
    return 0;
}

static int encode(struct x264_state *st, x264_picture_t *in)
{
    x264_picture_t out;
    x264_nal_t *nal;
    int n_nal, size;

    size = x264_encoder_encode(st->h, &nal, &n_nal, in, &out);
    if (size < 0) {
        av_log(&st->log_class, AV_LOG_ERROR, "x264_encoder_encode failed (%d)\n", size);
        return AVERROR_EXTERNAL;
    }
    if (size == 0)
        return 0;   /* still in the lookahead */
    return keep_packet(st, nal, n_nal, size, &out);
}

static int mf_x264_send_frame(struct mf_encoder *enc, const AVFrame *frame)
{
    struct x264_state *st = (struct x264_state *)enc;
    x264_picture_t in;

    if (st->flushing)
        return AVERROR_EOF;
    if (!frame) {
        st->flushing = 1;   /* delayed frames come out of receive_packet */
        return 0;
    }
    if (st->has_pending)
        return AVERROR(EAGAIN);
    /* the frames must be what open() was told (mf_encoder_check), which
     * only the caller's bug could break */
    if (frame->width != st->width || frame->height != st->height ||
        frame->format != AV_PIX_FMT_YUV420P) {
        av_log(&st->log_class, AV_LOG_ERROR, "frame %dx%d format %d, encoder wants %dx%d yuv420p\n",
               frame->width, frame->height, frame->format, st->width, st->height);
        return AVERROR(EINVAL);
    }
    if (frame->pts == AV_NOPTS_VALUE) {
        av_log(&st->log_class, AV_LOG_ERROR, "frame without pts (rate control needs them)\n");
        return AVERROR(EINVAL);
    }

    /* x264 copies the picture during the call, so point at the frame's
     * planes instead of copying them. */
    x264_picture_init(&in);
    in.img.i_csp = X264_CSP_I420;
    in.img.i_plane = 3;
    for (int i = 0; i < 3; i++) {
        in.img.plane[i] = frame->data[i];
        in.img.i_stride[i] = frame->linesize[i];
    }
    in.i_pts = frame->pts;
    in.i_type = frame->pict_type == AV_PICTURE_TYPE_I ? X264_TYPE_IDR : X264_TYPE_AUTO;
    return encode(st, &in);
}

static int mf_x264_receive_packet(struct mf_encoder *enc, AVPacket *pkt)
{
    struct x264_state *st = (struct x264_state *)enc;
    int ret;

    av_packet_unref(pkt);
    /* Draining: one delayed frame per call; x264 may need several calls
     * (frame threads) before one comes out. */
    while (st->flushing && !st->has_pending && x264_encoder_delayed_frames(st->h) > 0)
        if ((ret = encode(st, NULL)) < 0)
            return ret;
    if (!st->has_pending)
        return st->flushing ? AVERROR_EOF : AVERROR(EAGAIN);
    av_packet_move_ref(pkt, st->pending);
    st->has_pending = 0;
    return 0;
}

static const enum AVPixelFormat pix_fmts[] = { AV_PIX_FMT_YUV420P, AV_PIX_FMT_NONE };

const struct mf_encoder_backend mf_x264_backend = {
    .name = "x264",
    .long_name = "H.264 on the CPU (libx264)",
    .codecs = MF_CODEC_BIT(MF_CODEC_H264),
    .pix_fmts = pix_fmts,
    .hw_device = AV_HWDEVICE_TYPE_NONE,
    .probe = mf_x264_probe,
    .open = mf_x264_open,
    .send_frame = mf_x264_send_frame,
    .receive_packet = mf_x264_receive_packet,
    .close = mf_x264_close,
};
