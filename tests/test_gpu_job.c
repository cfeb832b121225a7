/*
 * The GPU side of a job (src/gpu_job.c) and renditions bound for a hardware
 * encoder, run for real on a Vulkan device (Mesa lavapipe) in place of CUDA.
 * The encoder is a test backend that checks every frame it is handed (on
 * the job's device, NV12, its size), downloads it and, for test pictures,
 * checks that it is the right picture.
 *  1. one rendition on hand-made frames: the encoder opens on an NV12 frames
 *     context of the job's device (borrowed, as the pipeline hands it), the
 *     graph uploads once, and a mid-stream size change rebuilds the graph
 *     while the same encoder goes on;
 *  2. a real file through mf_gpu_job: the decoder is reopened for NVDEC,
 *     whose setup fails on this (non-CUDA) device, so it falls back to the
 *     CPU; two renditions are bound to the device: 2 sessions, "cpu" decode
 *     with libavcodec's reason, every frame through both.
 * Skipped (77) without a Vulkan device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>

#include <libavutil/hwcontext.h>

#include "media/avlog.h"
#include "media/gpu_job.h"
#include "media/hwdevice.h"
#include "media/rendition.h"
#include "unit.h"

#define W 160
#define H 120

struct sink {
    struct mf_encoder pub;
    AVBufferRef *frames;        /* our own reference to cfg->hw_frames */
    int width, height;
    int flushed;
    int frames_seen, bad;
    int64_t last_pts;
};

static struct {
    AVBufferRef *device;
    int check_picture;          /* frames are test_frame()'s */
    atomic_int frames, bad;     /* over every encoder: rendition threads add concurrently */
} seen;

static int sink_probe(struct mf_encoder_probe *p, char *why, size_t len)
{
    (void)why;
    (void)len;
    p->device = -1;
    return 0;
}

static int sink_open(struct mf_encoder **enc, const struct mf_encoder_config *cfg, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    struct sink *s = av_mallocz(sizeof(*s));
    *enc = NULL;
    if (!s)
        return AVERROR(ENOMEM);
    const AVHWFramesContext *fc = cfg->hw_frames ? (const AVHWFramesContext *)cfg->hw_frames->data : NULL;
    CHECK_INT_EQ(cfg->pix_fmt, AV_PIX_FMT_VULKAN);
    CHECK(fc && fc->sw_format == AV_PIX_FMT_NV12 && fc->width == cfg->width && fc->height == cfg->height);
    CHECK(fc && fc->device_ref->data == seen.device->data);
    s->frames = cfg->hw_frames ? av_buffer_ref(cfg->hw_frames) : NULL;
    s->width = cfg->width;
    s->height = cfg->height;
    s->last_pts = -1;
    s->pub.time_base = cfg->time_base;
    *enc = &s->pub;
    return 0;
}

/* test_frame's luma at (0,0) is 16 + 7 * pts: the picture must be this frame's. */
static int sink_send(struct mf_encoder *enc, const AVFrame *f)
{
    struct sink *s = (struct sink *)enc;
    if (!f) {
        s->flushed = 1;
        return 0;
    }
    const AVHWFramesContext *fc = f->hw_frames_ctx ? (const AVHWFramesContext *)f->hw_frames_ctx->data : NULL;
    int ok = f->format == AV_PIX_FMT_VULKAN && fc && fc->sw_format == AV_PIX_FMT_NV12 &&
             fc->device_ref->data == seen.device->data && f->width == s->width &&
             f->height == s->height && f->pts > s->last_pts;
    AVFrame *sw = av_frame_alloc();
    sw->format = AV_PIX_FMT_NV12;
    if (!ok || av_hwframe_transfer_data(sw, f, 0) < 0) {
        ok = 0;
    } else if (seen.check_picture) {
        int want = 16 + (int)(f->pts * 7 % 220), got = sw->data[0][0];
        ok = abs(got - want) <= 2;
        if (!ok)
            fprintf(stderr, "    pts %ld: luma %d, want %d\n", (long)f->pts, got, want);
    }
    av_frame_free(&sw);
    atomic_fetch_add(&seen.bad, !ok);
    atomic_fetch_add(&seen.frames, 1);
    s->bad += !ok;
    s->frames_seen++;
    s->last_pts = f->pts;
    return 0;
}

static int sink_receive(struct mf_encoder *enc, AVPacket *pkt)
{
    (void)pkt;
    return ((struct sink *)enc)->flushed ? AVERROR_EOF : AVERROR(EAGAIN);
}

static void sink_close(struct mf_encoder **enc)
{
    struct sink *s = (struct sink *)*enc;
    if (!s)
        return;
    av_buffer_unref(&s->frames);
    av_free(s);
    *enc = NULL;
}

static const struct mf_encoder_backend sink_backend = {
    .name = "hwsink", .codecs = MF_CODEC_BIT(MF_CODEC_H264), .hw_device = AV_HWDEVICE_TYPE_VULKAN,
    .probe = sink_probe, .open = sink_open, .send_frame = sink_send,
    .receive_packet = sink_receive, .close = sink_close,
};

static AVFrame *test_frame(int w, int h, int64_t pts)
{
    AVFrame *f = av_frame_alloc();
    f->format = AV_PIX_FMT_YUV420P;
    f->width = w;
    f->height = h;
    f->pts = pts;
    if (av_frame_get_buffer(f, 0) < 0) {
        av_frame_free(&f);
        return NULL;
    }
    /* flat pictures: the scaled value is the value */
    for (int y = 0; y < h; y++)
        memset(f->data[0] + y * f->linesize[0], 16 + (int)(pts * 7 % 220), w);
    for (int p = 1; p < 3; p++)
        for (int y = 0; y < h / 2; y++)
            memset(f->data[p] + y * f->linesize[p], 128, w / 2);
    return f;
}

static void test_one_rendition(void)
{
    char err[512] = "";
    AVBufferRef *frames = NULL;
    CHECK_INT_EQ(mf_hwdevice_frames(seen.device, AV_PIX_FMT_NV12, W, H, &frames), 0);
    struct mf_rendition_setup s = {
        .name = "160p", .backend = &sink_backend,
        .enc = { .width = W, .height = H, .pix_fmt = AV_PIX_FMT_VULKAN, .hw_frames = frames,
                 .time_base = { 1, 25 }, .frame_rate = { 25, 1 }, .crf = 23 },
        .filter = { .in_sar = { 1, 1 }, .time_base = { 1, 25 }, .out_width = W, .out_height = H,
                    .threads = 1, .hw_out = 1, .hw_device = seen.device },
    };
    static struct mf_rendition_run r;
    seen.check_picture = 1;
    atomic_store(&seen.frames, 0);
    atomic_store(&seen.bad, 0);
    int ret = mf_rendition_start(&r, &s, err, sizeof(err));
    CHECK_INT_EQ(ret, 0);
    av_buffer_unref(&frames);           /* borrowed for the open, as the pipeline does */
    CHECK(r.setup.enc.hw_frames == NULL);
    /* 6 frames at 320x240, then the source changes size: the graph is rebuilt */
    for (int i = 0; ret == 0 && i < 10; i++) {
        struct mf_queue_item it = { .frame = test_frame(i < 6 ? 320 : 640, i < 6 ? 240 : 360, i) };
        CHECK(it.frame != NULL);
        if ((ret = mf_frame_queue_push(&r.queue, it)) < 0)
            av_frame_free(&it.frame);
    }
    mf_frame_queue_finish(&r.queue);
    ret = mf_rendition_join(&r);
    if (ret < 0)
        fprintf(stderr, "    rendition: %s\n", r.err);
    CHECK_INT_EQ(ret, 0);
    CHECK_INT_EQ(r.frames_out, 10);
    CHECK_INT_EQ(seen.frames, 10);
    CHECK_INT_EQ(seen.bad, 0);
    mf_rendition_free(&r);
}

/* Decode path and feed every frame to the renditions, as the pipeline does. */
static int feed(struct mf_gpu_job *g, struct mf_input *in, struct mf_rendition_run *runs, int n)
{
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    int ret = 0;
    while (ret >= 0) {
        ret = av_read_frame(in->fmt, pkt);
        if (ret >= 0 && pkt->stream_index != in->video_index) {
            av_packet_unref(pkt);
            continue;
        }
        ret = avcodec_send_packet(in->vdec, ret >= 0 ? pkt : NULL);
        av_packet_unref(pkt);
        while (ret >= 0 && (ret = avcodec_receive_frame(in->vdec, f)) >= 0) {
            f->pts = f->best_effort_timestamp;
            f->pict_type = AV_PICTURE_TYPE_NONE;
            mf_gpu_job_frame(g, f);
            for (int i = 0; i < n && ret >= 0; i++) {
                struct mf_queue_item it = { .frame = av_frame_clone(f) };
                if ((ret = mf_frame_queue_push(&runs[i].queue, it)) < 0)
                    av_frame_free(&it.frame);
            }
            av_frame_unref(f);
        }
        if (ret == AVERROR(EAGAIN))
            ret = 0;
    }
    av_packet_free(&pkt);
    av_frame_free(&f);
    return ret == AVERROR_EOF ? 0 : ret;
}

static void test_gpu_job(void)
{
    const char *dir = getenv("MEDIA_DIR");
    char path[1024], err[512] = "";
    struct mf_input in;
    struct mf_input_limits lim = { 0, 0, NULL };
    static struct mf_gpu_job g;
    static struct mf_rendition_run runs[2];
    static struct mf_result result;
    static const int heights[2] = { 120, 60 };
    int n = 0, ret;

    if (!dir) {
        UNIT_SKIP("MEDIA_DIR unset: the gpu_job run needs the sample media");
        return;
    }
    snprintf(path, sizeof(path), "%s/mkv_mpeg2_480i_tff_ac3.mkv", dir);
    seen.check_picture = 0;
    atomic_store(&seen.frames, 0);
    atomic_store(&seen.bad, 0);
    if ((ret = mf_input_open(&in, path, &lim, 0, err, sizeof(err))) < 0) {
        fprintf(stderr, "    %s\n", err);
        CHECK_INT_EQ(ret, 0);
        return;
    }
    /* the device is the one the test made; mf_gpu_job_open makes its own of the same type */
    ret = mf_gpu_job_open(&g, AV_HWDEVICE_TYPE_VULKAN, -1, &in, path, 0, err, sizeof(err));
    CHECK_INT_EQ(ret, 0);
    CHECK(g.hwdec_on);                  /* MPEG-2 has an NVDEC hwaccel in libavcodec */
    AVBufferRef *mine = seen.device;
    seen.device = g.device;             /* what the sink checks frames against */
    for (int i = 0; ret == 0 && i < 2; i++) {
        AVBufferRef *frames = NULL;
        struct mf_rendition_setup s = {
            .name = i ? "60p" : "120p", .backend = &sink_backend,
            .enc = { .width = heights[i] * 4 / 3, .height = heights[i], .pix_fmt = AV_PIX_FMT_YUV420P,
                     .time_base = in.fmt->streams[in.video_index]->time_base, .frame_rate = { 25, 1 },
                     .crf = 23 },
            .filter = { .in_sar = { 1, 1 }, .time_base = in.fmt->streams[in.video_index]->time_base,
                        .out_width = heights[i] * 4 / 3, .out_height = heights[i], .deinterlace = 1,
                        .threads = 1 },
        };
        if ((ret = mf_gpu_job_bind(&g, &s, &frames, err, sizeof(err))) == 0) {
            CHECK_INT_EQ(s.enc.pix_fmt, AV_PIX_FMT_VULKAN);
            CHECK(s.filter.hw_out && s.filter.hw_device == g.device);
            ret = mf_rendition_start(&runs[i], &s, err, sizeof(err));
            n = i + 1;
            mf_gpu_job_started(&g, &runs[i]);
        }
        av_buffer_unref(&frames);
        CHECK_INT_EQ(ret, 0);
    }
    if (ret == 0)
        CHECK_INT_EQ(feed(&g, &in, runs, n), 0);
    for (int i = 0; i < n; i++) {
        mf_frame_queue_finish(&runs[i].queue);
        if (mf_rendition_join(&runs[i]) < 0)
            fprintf(stderr, "    %s\n", runs[i].err);
        CHECK_INT_EQ(runs[i].ret, 0);
        CHECK_INT_EQ(runs[i].frames_out, g.frames);
    }
    mf_gpu_job_report(&g, &result);
    CHECK_INT_EQ(result.nvenc_sessions, 2);
    CHECK_STR_EQ(result.decode, "cpu");
    CHECK_STR_CONTAINS(result.decode_note, "NVDEC cannot decode this mpeg2video stream");
    CHECK_STR_CONTAINS(result.decode_note, "Invalid setup for format cuda");
    CHECK(g.frames > 100);
    CHECK_INT_EQ(seen.frames, 2 * g.frames);
    CHECK_INT_EQ(seen.bad, 0);
    fprintf(stderr, "test_gpu_job: %lld frames, %d sessions, decode %s (%s)\n", (long long)g.frames,
            result.nvenc_sessions, result.decode, result.decode_note);
    /* the pipeline's order: renditions, then the decoder, then the device */
    for (int i = 0; i < n; i++)
        mf_rendition_free(&runs[i]);
    mf_input_close(&in);
    mf_gpu_job_close(&g);
    CHECK(g.device == NULL);
    seen.device = mine;
}

int main(void)
{
    char err[512] = "";
    mf_avlog_capture();
    if (mf_hwdevice_open(&seen.device, AV_HWDEVICE_TYPE_VULKAN, -1, err, sizeof(err)) < 0) {
        UNIT_SKIP("no Vulkan device here (%s)", err);
        return UNIT_DONE();
    }
    test_one_rendition();
    test_gpu_job();
    av_buffer_unref(&seen.device);
    return UNIT_DONE();
}
