/*
 * The images' building blocks on synthetic frames: the poster's measure
 * (black, white, flat and faded frames refused, a detailed one taken, in
 * 8-bit, limited/full range and 10-bit), the choice among candidates, and
 * the thumbnail track: tiles placed in order across sheets, a gap longer
 * than the interval repeating a tile, cues that meet with no gap and end
 * at the video's end, every xywh inside its sheet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>

#include <libavutil/hwcontext.h>

#include "common/fs.h"
#include "media/hwdevice.h"
#include "media/images.h"
#include "media/poster.h"
#include "media/thumbnails.h"
#include "unit.h"

/* A frame whose luma is base + amp * pattern(x, y), pattern in [0, 1]. */
static AVFrame *frame(enum AVPixelFormat fmt, int w, int h, double base, double amp, int range)
{
    AVFrame *f = av_frame_alloc();
    f->format = fmt;
    f->width = w;
    f->height = h;
    f->color_range = range;
    av_frame_get_buffer(f, 0);
    int high = av_pix_fmt_desc_get(fmt)->comp[0].depth > 8;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double p = ((x * 7 + y * 13) % 97) / 96.0;           /* detail: many levels */
            double v = base + amp * p;
            if (high)
                ((uint16_t *)(f->data[0] + (ptrdiff_t)y * f->linesize[0]))[x] = (uint16_t)(v * 4);
            else
                f->data[0][(ptrdiff_t)y * f->linesize[0] + x] = (uint8_t)v;
        }
    if (fmt == AV_PIX_FMT_NV12) {                  /* one plane of U, V pairs */
        for (int y = 0; y < h / 2; y++)
            memset(f->data[1] + (ptrdiff_t)y * f->linesize[1], 128, w);
        return f;
    }
    for (int p = 1; p < 3; p++)
        for (int y = 0; y < h / 2; y++) {
            if (high)
                for (int x = 0; x < w / 2; x++)
                    ((uint16_t *)(f->data[p] + (ptrdiff_t)y * f->linesize[p]))[x] = 512;
            else
                memset(f->data[p] + (ptrdiff_t)y * f->linesize[p], 128, w / 2);
        }
    return f;
}

static void test_measure(void)
{
    struct mf_luma_stats black, white, flat, fade, detail, detail10, full;
    AVFrame *f;
    f = frame(AV_PIX_FMT_YUV420P, 320, 180, 16, 0, AVCOL_RANGE_MPEG);
    CHECK_INT_EQ(mf_luma_measure(f, &black), 0);
    av_frame_free(&f);
    f = frame(AV_PIX_FMT_YUV420P, 320, 180, 235, 0, AVCOL_RANGE_MPEG);
    mf_luma_measure(f, &white);
    av_frame_free(&f);
    f = frame(AV_PIX_FMT_YUV420P, 320, 180, 120, 2, AVCOL_RANGE_MPEG);
    mf_luma_measure(f, &flat);
    av_frame_free(&f);
    f = frame(AV_PIX_FMT_YUV420P, 320, 180, 16, 40, AVCOL_RANGE_MPEG);     /* a fade from black, 20% in */
    mf_luma_measure(f, &fade);
    av_frame_free(&f);
    f = frame(AV_PIX_FMT_YUV420P, 320, 180, 16, 219, AVCOL_RANGE_MPEG);
    mf_luma_measure(f, &detail);
    av_frame_free(&f);
    f = frame(AV_PIX_FMT_YUV420P10LE, 320, 180, 16, 219, AVCOL_RANGE_MPEG);
    mf_luma_measure(f, &detail10);
    av_frame_free(&f);
    f = frame(AV_PIX_FMT_YUV420P, 320, 180, 0, 255, AVCOL_RANGE_JPEG);
    mf_luma_measure(f, &full);
    av_frame_free(&f);
    CHECK(black.mean < 1 && !mf_luma_usable(&black), "black: mean %.1f", black.mean);
    CHECK(white.mean > 254 && !mf_luma_usable(&white), "white: mean %.1f", white.mean);
    CHECK(!mf_luma_usable(&flat), "flat: stddev %.1f", flat.stddev);
    CHECK(!mf_luma_usable(&fade), "fade: mean %.1f", fade.mean);
    CHECK(mf_luma_usable(&detail) && detail.entropy > 5.5, "detail: mean %.1f sd %.1f H %.2f", detail.mean,
          detail.stddev, detail.entropy);
    CHECK(fade.entropy < detail.entropy - 1, "fade H %.2f, detail %.2f", fade.entropy, detail.entropy);
    CHECK(mf_luma_usable(&detail10) && detail10.entropy > 5.5 &&
          detail10.mean > detail.mean - 2 && detail10.mean < detail.mean + 2,
          "10-bit: mean %.1f (8-bit %.1f)", detail10.mean, detail.mean);
    CHECK(full.mean > detail.mean - 2 && full.mean < detail.mean + 2, "full range: mean %.1f", full.mean);
}

/* 2 s of black, a fade, then detail: the poster is a detailed frame, not frame 0. */
static void test_poster_choice(void)
{
    struct mf_poster p;
    mf_poster_init(&p, 320, 180, 10);
    CHECK_DBL_EQ(p.window, 5);
    for (int i = 0; i < 250; i++) {
        double t = i * 0.02;
        if (!mf_poster_wants(&p, t))
            continue;
        double amp = t < 2 ? 0 : t < 3 ? 219 * (t - 2) : 219;      /* black, fade-in, picture */
        AVFrame *f = frame(AV_PIX_FMT_YUV420P, 320, 180, 16, amp, AVCOL_RANGE_MPEG);
        CHECK_INT_EQ(mf_poster_candidate(&p, f, t), 0);
        av_frame_free(&f);
    }
    CHECK(p.candidates == 20, "%d candidates", p.candidates);
    CHECK(p.best_ok && p.best_t >= 3 - 1e-9, "chose %.2f s (usable %d)", p.best_t, p.best_ok);
    CHECK(mf_poster_due(&p, 5.0) && !mf_poster_due(&p, 4.9));
    mf_poster_free(&p);
}

static int read_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    return f ? 0 : -1;
}

static void test_thumbnails(void)
{
    char dir[] = "/tmp/mf-test-images-XXXXXX", path[256], vtt[4096];
    if (!CHECK(mkdtemp(dir)))
        return;
    struct mf_images_spec spec = { .thumbnails = 1, .interval = 1, .width = 32, .columns = 3, .rows = 2 };
    struct mf_thumbnails t;
    struct mf_images_report rep = { 0 };
    char err[256] = "";
    mf_thumbnails_init(&t, &spec, 18, dir);
    /* frames at 0, 0.5, 1, 1.5, then a gap to 4.2 (tiles 2, 3, 4 from one frame), then to 7.9 */
    const double times[] = { 0, 0.5, 1, 1.5, 4.2, 4.7, 5.2, 5.7, 6.2, 6.7, 7.2, 7.9 };
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        if (!mf_thumbnails_wants(&t, times[i]))
            continue;
        AVFrame *f = frame(AV_PIX_FMT_YUV420P, 160, 90, 16 + 10 * i, 20, AVCOL_RANGE_MPEG);
        CHECK_INT_EQ(mf_thumbnails_frame(&t, f, 0, times[i], err, sizeof(err)), 0);
        av_frame_free(&f);
    }
    CHECK_INT_EQ(t.tiles, 8);              /* 0..7 */
    CHECK_INT_EQ(mf_thumbnails_finish(&t, 8.0, &rep, err, sizeof(err)), 0);
    CHECK_INT_EQ(rep.sheets, 2);           /* 6 + 2 */
    CHECK_INT_EQ(rep.sheet_width, 96);
    CHECK_INT_EQ(rep.sheet_height, 36);
    CHECK_INT_EQ(rep.last_width, 64);      /* 2 tiles: one row, two columns */
    CHECK_INT_EQ(rep.last_height, 18);
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/sprite-%d.jpg", dir, i);
        CHECK(access(path, F_OK) == 0, "%s missing", path);
    }
    snprintf(path, sizeof(path), "%s/thumbnails.vtt", dir);
    CHECK_INT_EQ(read_file(path, vtt, sizeof(vtt)), 0);
    CHECK(!strncmp(vtt, "WEBVTT\n\n", 8));
    CHECK_STR_CONTAINS(vtt, "00:00:00.000 --> 00:00:01.000\nsprite-0.jpg#xywh=0,0,32,18\n");
    CHECK_STR_CONTAINS(vtt, "00:00:04.000 --> 00:00:05.000\nsprite-0.jpg#xywh=32,18,32,18\n");
    CHECK_STR_CONTAINS(vtt, "00:00:05.000 --> 00:00:06.000\nsprite-0.jpg#xywh=64,18,32,18\n");
    CHECK_STR_CONTAINS(vtt, "00:00:06.000 --> 00:00:07.000\nsprite-1.jpg#xywh=0,0,32,18\n");
    CHECK_STR_CONTAINS(vtt, "00:00:07.000 --> 00:00:08.000\nsprite-1.jpg#xywh=32,0,32,18\n");
    /* every cue starts where the one before ended */
    int cues = 0;
    long long prev_end = 0;
    for (const char *s = vtt; (s = strstr(s, " --> ")); s += 5) {
        unsigned h1, m1, s1, ms1, h2, m2, s2, ms2;
        CHECK_INT_EQ(sscanf(s - 12, "%u:%u:%u.%u --> %u:%u:%u.%u", &h1, &m1, &s1, &ms1, &h2, &m2, &s2, &ms2), 8);
        long long a = ((h1 * 60LL + m1) * 60 + s1) * 1000 + ms1, b = ((h2 * 60LL + m2) * 60 + s2) * 1000 + ms2;
        CHECK(a == prev_end && b > a, "cue %d: %lld --> %lld after %lld", cues, a, b, prev_end);
        prev_end = b;
        cues++;
    }
    CHECK_INT_EQ(cues, 8);
    CHECK_INT_EQ(prev_end, 8000);
    mf_thumbnails_free(&t);
    mf_remove_tree(dir);
}

/* The last frame's span may reach past the last multiple of the interval: the last cue goes on to the end. */
static void test_last_cue(void)
{
    struct mf_images_spec spec = { .thumbnails = 1, .interval = 10, .width = 16, .columns = 5, .rows = 5 };
    struct mf_thumbnails t;
    mf_thumbnails_init(&t, &spec, 10, "/nonexistent");
    t.tiles = 2;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_INT_EQ(mf_thumbnails_write_vtt(&t, 20.033, f), 0);
    fclose(f);
    CHECK_STR_CONTAINS(buf, "00:00:10.000 --> 00:00:20.033\nsprite-0.jpg#xywh=16,0,16,10\n");
    free(buf);
}

/* A frame on a GPU (NVDEC's case; here Mesa's Vulkan stands in for CUDA): the
 * images step downloads it at sample times, measures and tiles the download. */
static AVBufferRef *dev;   /* kept to the end: Mesa's driver stays loaded, so LeakSanitizer
                            * sees the loader under its one-time allocation (lsan-vulkan.supp) */

static void test_hw_frames(void)
{
    AVBufferRef *frames = NULL;
    char err[512] = "", dir[] = "/tmp/mf-test-images-hw-XXXXXX";
    if (mf_hwdevice_open(&dev, AV_HWDEVICE_TYPE_VULKAN, -1, err, sizeof(err)) < 0) {
        UNIT_SKIP("no Vulkan device here, the download run cannot run (%s)", err);
        return;
    }
    CHECK_INT_EQ(mf_hwdevice_frames(dev, AV_PIX_FMT_NV12, 320, 180, &frames), 0);
    AVFrame *cpu = frame(AV_PIX_FMT_NV12, 320, 180, 16, 219, AVCOL_RANGE_MPEG), *hw = av_frame_alloc();
    CHECK_INT_EQ(av_hwframe_get_buffer(frames, hw, 0), 0);
    CHECK_INT_EQ(av_hwframe_transfer_data(hw, cpu, 0), 0);
    CHECK(hw->hw_frames_ctx != NULL);
    CHECK(mkdtemp(dir) != NULL);
    struct mf_images im = { .on = 1, .poster_on = 1, .thumbs_on = 1 };
    snprintf(im.dir, sizeof(im.dir), "%s", dir);
    struct mf_images_spec spec = { .thumbnails = 1, .interval = 1, .width = 32, .columns = 2, .rows = 1 };
    mf_poster_init(&im.poster, 64, 36, 4);
    mf_thumbnails_init(&im.thumbs, &spec, 18, im.dir);
    for (int i = 0; i < 3; i++)
        if (!CHECK(mf_images_frame(&im, hw, i * 0.5, err, sizeof(err)) == 0))
            fprintf(stderr, "    %s\n", err);
    struct mf_images_report rep = { 0 };
    CHECK_INT_EQ(mf_images_finish(&im, 1.5, NULL, &rep, err, sizeof(err)), 0);
    CHECK(rep.poster && !rep.poster_fallback && rep.poster_candidates == 3, "poster %d, fallback %d, %d candidates",
          rep.poster, rep.poster_fallback, rep.poster_candidates);
    CHECK(rep.thumbnails && rep.tiles == 2 && rep.sheets == 1, "%lld tiles, %d sheets", (long long)rep.tiles, rep.sheets);
    /* the downloaded tile is the picture: as the CPU frame scaled alike (+-1) */
    struct mf_image_scaler sc = { 0 };
    AVFrame *want = mf_image_alloc(32, 18);
    CHECK_INT_EQ(mf_image_scale(&sc, cpu, 0, want), 0);
    int worst = 0;
    for (int y = 0; y < 18; y++)
        for (int x = 0; x < 32; x++) {
            int d = abs(want->data[0][y * want->linesize[0] + x] - im.thumbs.tile->data[0][y * im.thumbs.tile->linesize[0] + x]);
            worst = d > worst ? d : worst;
        }
    CHECK(worst <= 1, "tile from the GPU frame differs from the CPU frame's by up to %d", worst);
    mf_image_scaler_free(&sc);
    av_frame_free(&want);
    mf_images_close(&im);
    mf_remove_tree(dir);
    av_frame_free(&cpu);
    av_frame_free(&hw);
    av_buffer_unref(&frames);
    fprintf(stderr, "test_images: download run on a Vulkan device done\n");
}

/* No argument: everything that runs anywhere. "hw": frames on a Vulkan device,
 * its own meson test so that a host without one counts a skip. */
int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "hw")) {
        test_hw_frames();
        return UNIT_DONE();
    }
    test_measure();
    test_poster_choice();
    test_thumbnails();
    test_last_cue();
    return UNIT_DONE();
}
