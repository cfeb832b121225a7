#include "rendition.h"

#include <stdio.h>
#include <string.h>

#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>

#include "avlog.h"
#include "common/util.h"

/* Frames in flight between the decoder and this rendition. x264 buffers its
 * own lookahead, so a few frames absorb the jitter; each one held is a
 * decoded source picture (3 MB at 1080p) the decoder cannot reuse, and 24
 * of them cost ~60 MB of peak RSS at 1080p with no speed gained. */
#define QUEUE_DEPTH 8

static int write_video(struct mf_rendition_run *r)
{
    AVPacket *pkt = r->pkt;
    int ret;
    while ((ret = r->setup.backend->receive_packet(r->enc, pkt)) >= 0) {
        r->video_bytes += pkt->size;
        if (pkt->pts < r->min_pts)
            r->min_pts = pkt->pts;
        if (pkt->pts > r->max_pts)
            r->max_pts = pkt->pts;
        if (r->mp4.oc && (ret = mf_muxer_write(&r->mp4, pkt, 0, r->err, sizeof(r->err))) < 0)
            break;
        if (r->hls.oc && (ret = mf_muxer_write(&r->hls, pkt, 0, r->err, sizeof(r->err))) < 0)
            break;
        av_packet_unref(pkt);
    }
    av_packet_unref(pkt);
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
        return 0;
    if (!r->err[0]) {
        const char *why = mf_avlog_take();    /* the encoder's own words, if it logged any */
        snprintf(r->err, sizeof(r->err), "%s: %s encoder: %s", r->setup.name,
                 r->setup.backend->name, why[0] ? why : av_err2str(ret));
    }
    return ret;
}

static int encode(struct mf_rendition_run *r, const AVFrame *frame)
{
    for (;;) {
        int ret = r->setup.backend->send_frame(r->enc, frame);
        if (ret != AVERROR(EAGAIN)) {
            if (ret < 0) {
                const char *why = mf_avlog_take();
                snprintf(r->err, sizeof(r->err), "%s: %s encoder refused a frame: %s",
                         r->setup.name, r->setup.backend->name, why[0] ? why : av_err2str(ret));
                return ret;
            }
            return write_video(r);
        }
        if ((ret = write_video(r)) < 0)
            return ret;
    }
}

/* Hand a filtered frame or an audio packet on to the renditions scaled
 * from this one, by reference. AVERROR_EXIT when one of them gave up. */
static int feed(struct mf_rendition_run *r, const AVFrame *frame, const AVPacket *packet)
{
    for (int i = 0; i < r->setup.n_feeds; i++) {
        struct mf_rendition_run *to = r->setup.feeds[i];
        if (packet && !to->mp4.oc)
            continue;
        struct mf_queue_item it = { .frame = frame ? av_frame_clone(frame) : NULL,
                                    .packet = packet ? av_packet_clone(packet) : NULL };
        if (!it.frame && !it.packet)
            return AVERROR(ENOMEM);
        if (mf_frame_queue_push(&to->queue, it) < 0) {
            av_frame_free(&it.frame);
            av_packet_free(&it.packet);
            return AVERROR_EXIT;
        }
    }
    return 0;
}

static int drain_filter(struct mf_rendition_run *r)
{
    int ret;
    while ((ret = mf_vfilter_pull(&r->vf, r->filtered)) >= 0) {
        r->frames_out++;
        ret = feed(r, r->filtered, NULL);
        if (ret >= 0)
            ret = encode(r, r->filtered);
        av_frame_unref(r->filtered);
        if (ret < 0)
            return ret;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

/* Whether frame still fits the graph: same size, format and, for CUDA
 * frames, the same frames context (a new one when NVDEC reinitialises,
 * e.g. 8-bit to 10-bit). */
static int graph_fits(const struct mf_rendition_run *r, const AVFrame *frame)
{
    const struct mf_vfilter_params *p = &r->setup.filter;
    const void *frames = frame->hw_frames_ctx ? frame->hw_frames_ctx->data : NULL;
    return frame->width == p->in_width && frame->height == p->in_height &&
           frame->format == p->in_format && frames == (r->vf.in_frames ? r->vf.in_frames->data : NULL);
}

/* The graph is built for the first frame and rebuilt when the decoder
 * changes picture size or format mid-stream (or falls back from NVDEC to
 * the CPU: CUDA frames, then software frames). */
static int filter_frame(struct mf_rendition_run *r, AVFrame *frame)
{
    struct mf_vfilter_params *p = &r->setup.filter;
    int ret;
    if (r->vf.graph && !graph_fits(r, frame)) {
        if ((ret = mf_vfilter_push(&r->vf, NULL)) < 0 || (ret = drain_filter(r)) < 0)
            return ret;
        mf_vfilter_close(&r->vf);
    }
    if (!r->vf.graph) {
        p->in_width = frame->width;
        p->in_height = frame->height;
        p->in_format = frame->format;
        p->in_frames = frame->hw_frames_ctx;     /* borrowed for the open */
        p->in_sw_format = frame->hw_frames_ctx
            ? ((const AVHWFramesContext *)frame->hw_frames_ctx->data)->sw_format : AV_PIX_FMT_NONE;
        if (frame->sample_aspect_ratio.num > 0)
            p->in_sar = frame->sample_aspect_ratio;
        ret = mf_vfilter_open(&r->vf, p, r->err, sizeof(r->err));
        p->in_frames = NULL;
        if (ret < 0)
            return ret;
    }
    if ((ret = mf_vfilter_push(&r->vf, frame)) < 0) {
        snprintf(r->err, sizeof(r->err), "%s: video filter: %s", r->setup.name, av_err2str(ret));
        return ret;
    }
    return drain_filter(r);
}

static int finish(struct mf_rendition_run *r)
{
    int ret = 0;
    if (r->vf.graph && ((ret = mf_vfilter_push(&r->vf, NULL)) < 0 || (ret = drain_filter(r)) < 0))
        return ret;
    for (int i = 0; i < r->setup.n_feeds; i++)
        mf_frame_queue_finish(&r->setup.feeds[i]->queue);
    if ((ret = encode(r, NULL)) < 0)
        return ret;
    if (r->mp4.oc && (ret = mf_muxer_finish(&r->mp4, r->err, sizeof(r->err))) < 0)
        return ret;
    if (r->hls.oc && (ret = mf_muxer_finish(&r->hls, r->err, sizeof(r->err))) < 0)
        return ret;
    return 0;
}

static void *rendition_thread(void *arg)
{
    struct mf_rendition_run *r = arg;
    struct mf_queue_item it;
    int ret;
    while ((ret = mf_frame_queue_pop(&r->queue, &it)) == 0) {
        if (it.frame)
            ret = filter_frame(r, it.frame);
        else if (r->mp4.oc &&
                 (ret = mf_muxer_write(&r->mp4, it.packet, 1 + it.packet->stream_index, r->err, sizeof(r->err))) >= 0)
            ret = feed(r, NULL, it.packet);
        av_frame_free(&it.frame);
        av_packet_free(&it.packet);
        if (ret < 0)
            break;
    }
    if (ret == AVERROR_EOF)
        ret = finish(r);
    if (ret < 0) {
        r->ret = ret;
        /* Unblock the decoder (or the rendition feeding us): it stops
         * feeding and reports our error. Those we feed stop too. */
        mf_frame_queue_abort(&r->queue);
        for (int i = 0; i < r->setup.n_feeds; i++)
            mf_frame_queue_abort(&r->setup.feeds[i]->queue);
    }
    return NULL;
}

int mf_rendition_start(struct mf_rendition_run *r, const struct mf_rendition_setup *s,
                       char *err, size_t err_len)
{
    *r = (struct mf_rendition_run){ .setup = *s, .min_pts = INT64_MAX, .max_pts = INT64_MIN };
    int ret = mf_frame_queue_init(&r->queue, QUEUE_DEPTH);
    if (ret < 0)
        return ret;
    r->filtered = av_frame_alloc();
    r->pkt = av_packet_alloc();
    if (!r->filtered || !r->pkt)
        return AVERROR(ENOMEM);
    char why[MF_ERR_MAX];
    mf_avlog_take();
    ret = mf_encoder_open(s->backend, &r->enc, &s->enc, why, sizeof(why));
    r->setup.enc.hw_frames = NULL;          /* borrowed for the open only */
    if (ret < 0) {
        mf_errf(err, err_len, "%s: cannot open the %s encoder for %dx%d: %s", s->name,
                s->backend->name, s->enc.width, s->enc.height, why);
        return ret;
    }
    struct mf_mux_stream video = { .par = r->enc->par, .time_base = r->enc->time_base, .frame_rate = s->enc.frame_rate };
    if (s->mp4_path &&
        (ret = mf_muxer_open_tracks(&r->mp4, MF_MUX_MP4, s->mp4_path, &video, s->audio, s->n_audio, 0,
                                    err, err_len)) < 0)
        return ret;
    if (s->hls_path &&
        (ret = mf_muxer_open_hls_from(&r->hls, s->hls_path, &video, s->hls_time,
                                      s->hls_chunk ? s->hls_first_segment : -1, err, err_len)) < 0)
        return ret;
    ret = pthread_create(&r->thread, NULL, rendition_thread, r);
    if (ret) {
        mf_errf(err, err_len, "%s: cannot start a thread: %s", s->name, strerror(ret));
        return AVERROR(ret);
    }
    r->started = 1;
    return 0;
}

int mf_rendition_join(struct mf_rendition_run *r)
{
    if (r->started) {
        pthread_join(r->thread, NULL);
        r->started = 0;
    }
    return r->ret;
}

void mf_rendition_free(struct mf_rendition_run *r)
{
    if (r->started) {
        mf_frame_queue_abort(&r->queue);
        mf_rendition_join(r);
    }
    mf_frame_queue_uninit(&r->queue);
    mf_vfilter_close(&r->vf);
    if (r->enc)
        r->setup.backend->close(&r->enc);
    mf_muxer_close(&r->mp4);
    mf_muxer_close(&r->hls);
    av_frame_free(&r->filtered);
    av_packet_free(&r->pkt);
}

double mf_rendition_duration(const struct mf_rendition_run *r)
{
    if (r->frames_out <= 0 || r->max_pts < r->min_pts)
        return 0;
    double span = (r->max_pts - r->min_pts) * av_q2d(r->enc->time_base);
    /* plus one average frame, as ffprobe counts the last frame's duration */
    return r->frames_out > 1 ? span * r->frames_out / (r->frames_out - 1) : span;
}
