/*
 * One rendition bound for a hardware encoder, run for real on a Vulkan
 * device (Mesa lavapipe) in place of CUDA: the encoder is opened on an NV12
 * frames context of the job's device (borrowed, as the pipeline hands it),
 * the rendition's graph uploads once and hands the encoder device frames,
 * and a mid-stream size change rebuilds the graph while the same encoder
 * goes on. The encoder here is a test backend that checks every frame,
 * downloads it and checks its picture. Skipped (77) without a Vulkan device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/hwcontext.h>

#include "avlog.h"
#include "hwdevice.h"
#include "rendition.h"
#include "unit.h"

#define W 160
#define H 120

struct sink {
    struct mf_encoder pub;
    AVBufferRef *frames;        /* our own reference to cfg->hw_frames */
    int flushed;
};

static struct {
    AVBufferRef *device;
    int frames, bad, last_pts;
} seen = { .last_pts = -1 };

static int sink_probe(char *why, size_t len) { (void)why; (void)len; return 0; }

static int sink_open(struct mf_encoder **enc, const struct mf_encoder_config *cfg)
{
    struct sink *s = av_mallocz(sizeof(*s));
    *enc = NULL;
    if (!s)
        return AVERROR(ENOMEM);
    const AVHWFramesContext *fc = cfg->hw_frames ? (const AVHWFramesContext *)cfg->hw_frames->data : NULL;
    CHECK_INT_EQ(cfg->pix_fmt, AV_PIX_FMT_VULKAN);
    CHECK(fc && fc->sw_format == AV_PIX_FMT_NV12 && fc->width == W && fc->height == H);
    CHECK(fc && fc->device_ref->data == seen.device->data);
    s->frames = cfg->hw_frames ? av_buffer_ref(cfg->hw_frames) : NULL;
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
             fc->device_ref->data == seen.device->data && f->width == W && f->height == H &&
             f->pts > seen.last_pts;
    AVFrame *sw = av_frame_alloc();
    sw->format = AV_PIX_FMT_NV12;
    if (!ok || av_hwframe_transfer_data(sw, f, 0) < 0) {
        ok = 0;
    } else {
        int want = 16 + (int)(f->pts * 7 % 220), got = sw->data[0][0];
        ok = abs(got - want) <= 2;
        if (!ok)
            fprintf(stderr, "    pts %ld: luma %d, want %d\n", (long)f->pts, got, want);
    }
    av_frame_free(&sw);
    seen.bad += !ok;
    seen.frames++;
    seen.last_pts = (int)f->pts;
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
    .name = "hwsink", .probe = sink_probe, .open = sink_open, .send_frame = sink_send,
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

int main(void)
{
    char err[512] = "";
    mf_avlog_capture();
    if (mf_hwdevice_open(&seen.device, AV_HWDEVICE_TYPE_VULKAN, -1, err, sizeof(err)) < 0) {
        fprintf(stderr, "test_rendition_hw: no Vulkan device here (%s): skipped\n", err);
        return 77;
    }
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
    av_buffer_unref(&seen.device);
    return UNIT_DONE();
}
