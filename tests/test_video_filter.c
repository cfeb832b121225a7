/*
 * The filter graph builder (src/video_filter.c) without a GPU: the exact
 * strings of each path (CPU, CPU + one upload for NVENC, all-CUDA, CUDA
 * with a CPU detour for tone-map/rotation), invariants over every
 * combination (one upload, last; at most one download; yadif_cuda only on
 * CUDA frames; no hwupload_cuda), and that every string parses in this
 * libavfilter (filter and option names exist). Where a Vulkan device
 * works (Mesa lavapipe), the upload path is run for real: frames leave the
 * graph on the device, in NV12, with the CPU path's pixels.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavfilter/avfilter.h>
#include <libavutil/common.h>
#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>

#include "media/avlog.h"
#include "media/hwdevice.h"
#include "unit.h"
#include "media/video_filter.h"

static struct mf_vfilter_params params(enum AVPixelFormat in, enum AVPixelFormat sw, int hw_out)
{
    return (struct mf_vfilter_params){
        .in_width = 1920, .in_height = 1080, .in_format = in, .in_sw_format = sw,
        .in_sar = { 1, 1 }, .time_base = { 1, 90000 }, .out_width = 1280, .out_height = 720,
        .hw_out = hw_out,
    };
}

static const char *describe(const struct mf_vfilter_params *p)
{
    static char buf[1024];
    int ret = mf_vfilter_describe(p, buf, sizeof(buf));
    CHECK_INT_EQ(ret, 0);
    return ret < 0 ? "" : buf;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *s = hay; (s = strstr(s, needle)); s += strlen(needle))
        n++;
    return n;
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && !strcmp(s + a - b, tail);
}

static const char *tonemap_chain = "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,"
                                   "tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv";

static void test_cpu_paths(void)
{
    struct mf_vfilter_params p = params(AV_PIX_FMT_YUV420P, AV_PIX_FMT_NONE, 0);
    /* x264/x265: unchanged by the GPU work */
    CHECK_STR_EQ(describe(&p), "scale=w=1280:h=720:flags=bicubic,format=yuv420p,setsar=1");
    /* NVENC from CPU frames: CPU filters, NV12, one upload, last */
    p.hw_out = 1;
    CHECK_STR_EQ(describe(&p), "scale=w=1280:h=720:flags=bicubic,format=nv12,hwupload,setsar=1");
    p.deinterlace = 1;
    p.tonemap = 1;
    p.rotation = 90;
    p.out_width = 720;
    p.out_height = 1280;
    char want[512];
    snprintf(want, sizeof(want), "bwdif=mode=send_frame:parity=auto:deint=interlaced,"
             "scale=w=1280:h=720:flags=bicubic,%s,transpose=clock,format=nv12,hwupload,setsar=1", tonemap_chain);
    CHECK_STR_EQ(describe(&p), want);
}

static void test_cuda_paths(void)
{
    struct mf_vfilter_params p = params(AV_PIX_FMT_CUDA, AV_PIX_FMT_NV12, 1);
    char want[512];
    /* all on the GPU */
    CHECK_STR_EQ(describe(&p), "scale_cuda=w=1280:h=720:interp_algo=bicubic:format=nv12,setsar=1");
    p.deinterlace = 1;
    CHECK_STR_EQ(describe(&p), "yadif_cuda=mode=send_frame:parity=auto:deint=interlaced,"
                               "scale_cuda=w=1280:h=720:interp_algo=bicubic:format=nv12,setsar=1");
    /* 10-bit SDR: scale_cuda converts p010 to nv12, nothing leaves the GPU */
    p.deinterlace = 0;
    p.in_sw_format = AV_PIX_FMT_P010LE;
    CHECK_STR_EQ(describe(&p), "scale_cuda=w=1280:h=720:interp_algo=bicubic:format=nv12,setsar=1");
    /* 10-bit HDR: scaled on the GPU in 10 bits, tone-mapped on the CPU, uploaded once */
    p.tonemap = 1;
    snprintf(want, sizeof(want), "scale_cuda=w=1280:h=720:interp_algo=bicubic:format=p010le,"
             "hwdownload,format=p010le,%s,format=nv12,hwupload,setsar=1", tonemap_chain);
    CHECK_STR_EQ(describe(&p), want);
    /* 8-bit source flagged HDR: no point in widening to 10 bits */
    p.in_sw_format = AV_PIX_FMT_NV12;
    snprintf(want, sizeof(want), "scale_cuda=w=1280:h=720:interp_algo=bicubic:format=nv12,"
             "hwdownload,format=nv12,%s,format=nv12,hwupload,setsar=1", tonemap_chain);
    CHECK_STR_EQ(describe(&p), want);
    /* rotation: scaled on the GPU (before the transpose), rotated on the CPU */
    p.tonemap = 0;
    p.rotation = 270;
    p.out_width = 720;
    p.out_height = 1280;
    CHECK_STR_EQ(describe(&p), "scale_cuda=w=1280:h=720:interp_algo=bicubic:format=nv12,"
                               "hwdownload,format=nv12,transpose=cclock,format=nv12,hwupload,setsar=1");
    p.rotation = 180;
    p.out_width = 1280;
    p.out_height = 720;
    CHECK_STR_EQ(describe(&p), "scale_cuda=w=1280:h=720:interp_algo=bicubic:format=nv12,"
                               "hwdownload,format=nv12,hflip,vflip,format=nv12,hwupload,setsar=1");
    /* a format scale_cuda cannot read: download first, then the CPU path */
    p.rotation = 0;
    p.in_sw_format = AV_PIX_FMT_YUV422P;
    p.deinterlace = 1;
    CHECK_STR_EQ(describe(&p), "hwdownload,format=yuv422p,bwdif=mode=send_frame:parity=auto:deint=interlaced,"
                               "scale=w=1280:h=720:flags=bicubic,format=nv12,hwupload,setsar=1");
    /* CUDA frames to a CPU encoder (not a pipeline path, but well defined) */
    p = params(AV_PIX_FMT_CUDA, AV_PIX_FMT_NV12, 0);
    CHECK_STR_EQ(describe(&p), "scale_cuda=w=1280:h=720:interp_algo=bicubic:format=nv12,"
                               "hwdownload,format=nv12,format=yuv420p,setsar=1");
    char small[32];
    CHECK_INT_EQ(mf_vfilter_describe(&p, small, sizeof(small)), AVERROR(ENOSPC));
}

/* The string must name filters and options this libavfilter has. */
static int parses(const char *desc)
{
    AVFilterGraph *g = avfilter_graph_alloc();
    AVFilterInOut *in = NULL, *out = NULL;
    int ret = g ? avfilter_graph_parse2(g, desc, &in, &out) : AVERROR(ENOMEM);
    avfilter_inout_free(&in);
    avfilter_inout_free(&out);
    avfilter_graph_free(&g);
    if (ret < 0)
        fprintf(stderr, "    '%s': %s\n", desc, av_err2str(ret));
    return ret >= 0;
}

static void test_every_combination(void)
{
    static const enum AVPixelFormat ins[][2] = {
        { AV_PIX_FMT_YUV420P, AV_PIX_FMT_NONE }, { AV_PIX_FMT_YUV422P10LE, AV_PIX_FMT_NONE },
        { AV_PIX_FMT_CUDA, AV_PIX_FMT_NV12 }, { AV_PIX_FMT_CUDA, AV_PIX_FMT_P010LE },
        { AV_PIX_FMT_CUDA, AV_PIX_FMT_YUV444P16LE }, { AV_PIX_FMT_CUDA, AV_PIX_FMT_YUV422P },
    };
    static const int rotations[] = { 0, 90, 180, 270 };
    int n = 0, bad = 0;

    for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++)
    for (int hw_out = 0; hw_out <= 1; hw_out++)
    for (int deint = 0; deint <= 1; deint++)
    for (int tm = 0; tm <= 1; tm++)
    for (size_t r = 0; r < 4; r++) {
        struct mf_vfilter_params p = params(ins[i][0], ins[i][1], hw_out);
        p.deinterlace = deint;
        p.tonemap = tm;
        p.rotation = rotations[r];
        const char *d = describe(&p);
        int cuda_in = ins[i][0] == AV_PIX_FMT_CUDA;
        int gpu_scale = cuda_in && mf_vfilter_cuda_can_scale(ins[i][1]);
        /* whether the pictures are in host memory after the CPU filters */
        int host = !gpu_scale || tm || rotations[r] || !hw_out;
        int ok = 1;
        ok &= count(d, "hwupload") == (hw_out && host);          /* once, only for NVENC */
        ok &= !(hw_out && host) || ends_with(d, ",format=nv12,hwupload,setsar=1");  /* last */
        ok &= !(hw_out && !host) || (ends_with(d, ":format=nv12,setsar=1") && !strstr(d, "hw"));
        ok &= hw_out || ends_with(d, ",format=yuv420p,setsar=1");
        ok &= !strstr(d, "hwupload_cuda");                        /* its own CUDA device */
        ok &= count(d, "hwdownload") == (cuda_in && host);       /* at most once */
        ok &= count(d, "scale_cuda") == gpu_scale;
        ok &= count(d, "yadif_cuda") == (gpu_scale && deint);
        ok &= count(d, "bwdif") == (!gpu_scale && deint);
        ok &= cuda_in || !strstr(d, "_cuda");
        ok &= count(d, "tonemap=tonemap") == tm && count(d, "transpose") == (rotations[r] % 180 != 0);
        /* the scale comes before the transpose, the download before any CPU filter */
        ok &= !rotations[r] || strstr(d, "scale") < strstr(d, rotations[r] == 180 ? "hflip" : "transpose");
        ok &= !strstr(d, "hwdownload") || !strstr(strstr(d, "hwdownload"), "_cuda");  /* no way back */
        ok &= parses(d);
        if (!ok) {
            fprintf(stderr, "    in %s/%s hw_out %d deint %d tonemap %d rotation %d: %s\n",
                    av_get_pix_fmt_name(ins[i][0]), ins[i][1] != AV_PIX_FMT_NONE ? av_get_pix_fmt_name(ins[i][1]) : "-",
                    hw_out, deint, tm, rotations[r], d);
            bad++;
        }
        n++;
    }
    CHECK_INT_EQ(bad, 0);
    CHECK_INT_EQ(n, 6 * 2 * 2 * 2 * 4);
}

static void test_open_refuses_missing_hw(void)
{
    struct mf_vfilter vf;
    char err[512] = "";
    struct mf_vfilter_params p = params(AV_PIX_FMT_YUV420P, AV_PIX_FMT_NONE, 1);
    CHECK_INT_EQ(mf_vfilter_open(&vf, &p, err, sizeof(err)), AVERROR(EINVAL));
    CHECK_STR_CONTAINS(err, "no device given");
    p = params(AV_PIX_FMT_CUDA, AV_PIX_FMT_NV12, 0);
    CHECK_INT_EQ(mf_vfilter_open(&vf, &p, err, sizeof(err)), AVERROR(EINVAL));
    CHECK_STR_CONTAINS(err, "no frames context for the CUDA frames");
    CHECK(!vf.graph);
}

/* A moving test picture, so that a wrong plane or offset cannot pass. */
static AVFrame *test_frame(int w, int h, int64_t pts)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        return NULL;
    f->format = AV_PIX_FMT_YUV420P;
    f->width = w;
    f->height = h;
    f->pts = pts;
    f->sample_aspect_ratio = (AVRational){ 1, 1 };
    if (av_frame_get_buffer(f, 0) < 0) {
        av_frame_free(&f);
        return NULL;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            f->data[0][y * f->linesize[0] + x] = (uint8_t)(16 + (x * 3 + y * 5 + pts * 7) % 220);
    for (int y = 0; y < h / 2; y++)
        for (int x = 0; x < w / 2; x++) {
            f->data[1][y * f->linesize[1] + x] = (uint8_t)(64 + (x + pts) % 128);
            f->data[2][y * f->linesize[2] + x] = (uint8_t)(64 + (y * 2 + pts) % 128);
        }
    return f;
}

/* Frames out of the graph for 3 test pictures; *out[i] owned by the caller.
 * Hardware frames are checked and downloaded as they leave the graph, as
 * an encoder consumes them (FFmpeg 5.1's Vulkan upload is asynchronous and
 * reads the host picture late: frames held back unread could show a later
 * picture on lavapipe; CUDA's upload has finished reading when it returns). */
static int run_graph(const struct mf_vfilter_params *p, AVFrame **out, int n_out)
{
    struct mf_vfilter vf;
    char err[512] = "";
    int got = 0, ret = mf_vfilter_open(&vf, p, err, sizeof(err));
    if (ret < 0) {
        fprintf(stderr, "    open: %s\n", err);
        return ret;
    }
    for (int i = 0; i <= 3 && ret >= 0; i++) {
        AVFrame *in = i < 3 ? test_frame(p->in_width, p->in_height, i) : NULL;
        ret = mf_vfilter_push(&vf, in);
        av_frame_free(&in);
        while (ret >= 0 && got < n_out) {
            AVFrame *f = av_frame_alloc();
            if (mf_vfilter_pull(&vf, f) < 0) {
                av_frame_free(&f);
                break;
            }
            if (f->hw_frames_ctx) {
                const AVHWFramesContext *fc = (const AVHWFramesContext *)f->hw_frames_ctx->data;
                CHECK_INT_EQ(f->format, AV_PIX_FMT_VULKAN);
                CHECK_INT_EQ(fc->sw_format, AV_PIX_FMT_NV12);
                CHECK(fc->device_ref->data == p->hw_device->data);   /* the job's device, no new one */
                CHECK(f->sample_aspect_ratio.num == 1 && f->sample_aspect_ratio.den == 1);
                AVFrame *sw = av_frame_alloc();
                sw->format = AV_PIX_FMT_NV12;
                CHECK_INT_EQ(av_hwframe_transfer_data(sw, f, 0), 0);
                CHECK_INT_EQ(av_frame_copy_props(sw, f), 0);
                av_frame_free(&f);
                f = sw;
            } else {
                CHECK(!p->hw_out);
            }
            out[got++] = f;
        }
    }
    mf_vfilter_close(&vf);
    return ret < 0 ? ret : got;
}

static void test_vulkan_upload(void)
{
    AVBufferRef *dev = NULL;
    char err[512];
    if (mf_hwdevice_open(&dev, AV_HWDEVICE_TYPE_VULKAN, -1, err, sizeof(err)) < 0) {
        UNIT_SKIP("no Vulkan device here, the upload run cannot run (%s)", err);
        return;
    }
    struct mf_vfilter_params p = {
        .in_width = 320, .in_height = 240, .in_format = AV_PIX_FMT_YUV420P, .in_sw_format = AV_PIX_FMT_NONE,
        .in_sar = { 1, 1 }, .time_base = { 1, 25 }, .out_width = 160, .out_height = 120, .threads = 1,
    };
    AVFrame *cpu[3] = { 0 }, *hw[3] = { 0 };
    CHECK_INT_EQ(run_graph(&p, cpu, 3), 3);
    p.hw_out = 1;
    p.hw_device = dev;
    CHECK_INT_EQ(run_graph(&p, hw, 3), 3);
    for (int i = 0; i < 3 && cpu[i] && hw[i]; i++) {
        const AVFrame *c = cpu[i], *h = hw[i];
        CHECK_INT_EQ(h->format, AV_PIX_FMT_NV12);
        CHECK_INT_EQ(h->width, 160);
        CHECK_INT_EQ(h->height, 120);
        CHECK_INT_EQ(h->pts, c->pts);
        /* The same picture: swscale's NV12 and yuv420p outputs differ by
         * rounding only, a neighbouring picture differs by 7 (test_frame). */
        int worst = 0;
        for (int y = 0; y < 120; y++)
            for (int x = 0; x < 160; x++)
                worst = FFMAX(worst, abs(h->data[0][y * h->linesize[0] + x] - c->data[0][y * c->linesize[0] + x]));
        for (int y = 0; y < 60; y++)
            for (int x = 0; x < 80; x++) {
                worst = FFMAX(worst, abs(h->data[1][y * h->linesize[1] + 2 * x] - c->data[1][y * c->linesize[1] + x]));
                worst = FFMAX(worst, abs(h->data[1][y * h->linesize[1] + 2 * x + 1] - c->data[2][y * c->linesize[2] + x]));
            }
        if (!unit_report(worst <= 2, __FILE__, __LINE__, "uploaded picture == CPU picture (+-2)"))
            fprintf(stderr, "    frame %d: largest difference %d\n", i, worst);
    }
    /* the encoder's frames context on the same device */
    AVBufferRef *frames = NULL;
    CHECK_INT_EQ(mf_hwdevice_frames(dev, AV_PIX_FMT_NV12, 160, 120, &frames), 0);
    CHECK(frames && ((AVHWFramesContext *)frames->data)->format == AV_PIX_FMT_VULKAN);
    av_buffer_unref(&frames);
    for (int i = 0; i < 3; i++) {
        av_frame_free(&cpu[i]);
        av_frame_free(&hw[i]);
    }
    av_buffer_unref(&dev);
    fprintf(stderr, "test_video_filter: Vulkan upload run done\n");
}

/* No argument: the graph builder, which runs anywhere. "upload": the real upload
 * on a Vulkan device, its own meson test so that a host without one counts a skip. */
int main(int argc, char **argv)
{
    mf_avlog_capture();     /* as the binary does: FFmpeg's reasons go into our messages */
    if (argc > 1 && !strcmp(argv[1], "upload")) {
        test_vulkan_upload();
        return UNIT_DONE();
    }
    test_cpu_paths();
    test_cuda_paths();
    test_every_combination();
    test_open_refuses_missing_hw();
    return UNIT_DONE();
}
