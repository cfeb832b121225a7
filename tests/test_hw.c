/*
 * The job's CUDA device (src/hwdevice.c) and the NVDEC decode choice
 * (src/hwdecode.c) on a host without a GPU: device creation fails with one
 * line that names CUDA and FFmpeg's reason; MPEGFLOW_GPU is read strictly;
 * the codecs Debian's libavcodec decodes with NVDEC; get_format takes CUDA
 * when offered and otherwise falls back to the software format, noting why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>

#include "media/avlog.h"
#include "media/hwdecode.h"
#include "media/hwdevice.h"
#include "media/input.h"
#include "unit.h"

static void test_parse_index(void)
{
    int i;
    CHECK(mf_hwdevice_parse_index(NULL, &i) == 0 && i == -1);
    CHECK(mf_hwdevice_parse_index("", &i) == 0 && i == -1);
    CHECK(mf_hwdevice_parse_index("0", &i) == 0 && i == 0);
    CHECK(mf_hwdevice_parse_index("255", &i) == 0 && i == 255);
    CHECK_INT_EQ(mf_hwdevice_parse_index("256", &i), AVERROR(EINVAL));
    CHECK_INT_EQ(mf_hwdevice_parse_index("-1", &i), AVERROR(EINVAL));
    CHECK_INT_EQ(mf_hwdevice_parse_index("1 ", &i), AVERROR(EINVAL));
    CHECK_INT_EQ(mf_hwdevice_parse_index("99999999999999999999", &i), AVERROR(EINVAL));
}

static void test_cuda_device_error(void)
{
    AVBufferRef *dev = NULL;
    char err[512] = "";
    int ret;

    if (access("/dev/nvidiactl", F_OK) == 0) {   /* an NVIDIA node: nothing to refuse */
        fprintf(stderr, "test_hw: /dev/nvidiactl exists, the CUDA device error is not tested\n");
        return;
    }
    unsetenv("MPEGFLOW_GPU");
    ret = mf_hwdevice_open_cuda(&dev, err, sizeof(err));
    CHECK(ret < 0);
    CHECK(dev == NULL);
    CHECK_STR_CONTAINS(err, "CUDA: cannot create device 0 for the hardware pipeline: ");
    CHECK(!strchr(err, '\n'));
    /* FFmpeg's reason follows: on a host without the driver, the library it could not load */
    CHECK(strlen(err) > strlen("CUDA: cannot create device 0 for the hardware pipeline: ") + 5);
    fprintf(stderr, "test_hw: %s\n", err);
    CHECK_STR_EQ(mf_avlog_take(), "");           /* the reason was taken, not left for the next error */

    setenv("MPEGFLOW_GPU", "3", 1);
    CHECK(mf_hwdevice_open_cuda(&dev, err, sizeof(err)) < 0);
    CHECK_STR_CONTAINS(err, "CUDA: cannot create device 3");
    setenv("MPEGFLOW_GPU", "GPU-5d1e", 1);
    CHECK_INT_EQ(mf_hwdevice_open_cuda(&dev, err, sizeof(err)), AVERROR(EINVAL));
    CHECK_STR_EQ(err, "CUDA: MPEGFLOW_GPU='GPU-5d1e' is not a GPU index (0..255)");
    unsetenv("MPEGFLOW_GPU");
    CHECK(dev == NULL);
}

static void test_nvdec_codecs(void)
{
    /* Debian 12's libavcodec is built with NVDEC for these ... */
    static const char *const yes[] = { "h264", "hevc", "vp9", "av1", "mpeg2video", "vp8", "mpeg4", "vc1" };
    /* ... and these never go to the GPU */
    static const char *const no[] = { "prores", "dnxhd", "png", "rawvideo" };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        const AVCodec *d = avcodec_find_decoder_by_name(yes[i]);
        if (!d) {
            UNIT_SKIP("no %s decoder in this libavcodec", yes[i]);
            continue;
        }
        if (!unit_report(mf_hwdecode_supported(d), __FILE__, __LINE__, "NVDEC offered"))
            fprintf(stderr, "    %s\n", yes[i]);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        const AVCodec *d = avcodec_find_decoder_by_name(no[i]);
        if (d && !unit_report(!mf_hwdecode_supported(d), __FILE__, __LINE__, "no NVDEC"))
            fprintf(stderr, "    %s\n", no[i]);
    }
    CHECK(!mf_hwdecode_supported(NULL));
}

static void test_get_format(void)
{
    const AVCodec *h264 = avcodec_find_decoder(AV_CODEC_ID_H264);
    AVCodecContext *c = avcodec_alloc_context3(h264);
    AVBufferRef *dev = av_buffer_alloc(1);       /* stands in for the device: only referenced */
    struct mf_hwdecode h;
    char why[256] = "";

    mf_hwdecode_init(&h, dev);
    CHECK_INT_EQ(mf_hwdecode_setup(c, &h), 0);
    CHECK(c->hw_device_ctx && c->hw_device_ctx->data == dev->data);
    CHECK(c->get_format != NULL && c->opaque == &h);

    /* the hwaccel is offered: CUDA frames */
    const enum AVPixelFormat offered[] = { AV_PIX_FMT_VAAPI, AV_PIX_FMT_CUDA, AV_PIX_FMT_YUV420P, AV_PIX_FMT_NONE };
    CHECK_INT_EQ(c->get_format(c, offered), AV_PIX_FMT_CUDA);
    CHECK_INT_EQ(mf_hwdecode_refusal(&h, why, sizeof(why)), 0);

    /* not offered (4:2:2), or removed after its setup failed: the software
     * format, never another hwaccel, and the reason is kept */
    c->profile = FF_PROFILE_H264_HIGH_422;
    c->coded_width = 1920;
    c->coded_height = 1088;
    av_log(NULL, AV_LOG_ERROR, "Failed setup for format cuda: hwaccel initialisation returned error.\n");
    const enum AVPixelFormat refused[] = { AV_PIX_FMT_VAAPI, AV_PIX_FMT_YUV422P10LE, AV_PIX_FMT_NONE };
    CHECK_INT_EQ(c->get_format(c, refused), AV_PIX_FMT_YUV422P10LE);
    CHECK_INT_EQ(mf_hwdecode_refusal(&h, why, sizeof(why)), 1);
    CHECK_STR_EQ(why, "NVDEC cannot decode this h264 stream (High 4:2:2, yuv422p10le, 1920x1088): "
                      "Failed setup for format cuda: hwaccel initialisation returned error");
    /* an older error of the decoding thread is not quoted as the reason */
    struct mf_hwdecode h2;
    mf_hwdecode_init(&h2, dev);
    c->opaque = &h2;
    av_log(NULL, AV_LOG_ERROR, "error while decoding MB 3 7\n");
    CHECK_INT_EQ(c->get_format(c, refused), AV_PIX_FMT_YUV422P10LE);
    CHECK_INT_EQ(mf_hwdecode_refusal(&h2, why, sizeof(why)), 1);
    CHECK_STR_EQ(why, "NVDEC cannot decode this h264 stream (High 4:2:2, yuv422p10le, 1920x1088)");
    mf_hwdecode_uninit(&h2);
    c->opaque = &h;
    /* the first refusal is the one reported */
    const enum AVPixelFormat later[] = { AV_PIX_FMT_YUV444P, AV_PIX_FMT_NONE };
    CHECK_INT_EQ(c->get_format(c, later), AV_PIX_FMT_YUV444P);
    CHECK_INT_EQ(mf_hwdecode_refusal(&h, why, sizeof(why)), 1);
    CHECK_STR_CONTAINS(why, "yuv422p10le");

    avcodec_free_context(&c);
    av_buffer_unref(&dev);
    mf_hwdecode_uninit(&h);
}

/* Decode every frame of path; with a device, through mf_hwdecode. Frames
 * decoded, or a negative AVERROR. */
static int decode_all(const char *path, AVBufferRef *device, struct mf_hwdecode *h, int *hw_frames)
{
    struct mf_input in;
    struct mf_input_limits lim = { 0, 0, NULL };
    char err[512] = "";
    int ret = mf_input_open(&in, path, &lim, 0, err, sizeof(err)), n = 0;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();

    *hw_frames = 0;
    if (ret >= 0 && device) {
        mf_hwdecode_init(h, device);
        ret = mf_input_reopen_video(&in, path, 0, mf_hwdecode_setup, h, err, sizeof(err));
    }
    while (ret >= 0) {
        ret = av_read_frame(in.fmt, pkt);
        if (ret >= 0 && pkt->stream_index != in.video_index) {
            av_packet_unref(pkt);
            continue;
        }
        ret = avcodec_send_packet(in.vdec, ret >= 0 ? pkt : NULL);
        av_packet_unref(pkt);
        while (ret >= 0 && (ret = avcodec_receive_frame(in.vdec, f)) >= 0) {
            n++;
            *hw_frames += f->format == AV_PIX_FMT_CUDA;
            av_frame_unref(f);
        }
        if (ret == AVERROR(EAGAIN))
            ret = 0;
    }
    if (err[0])
        fprintf(stderr, "    %s\n", err);
    av_packet_free(&pkt);
    av_frame_free(&f);
    mf_input_close(&in);
    return ret == AVERROR_EOF ? n : ret;
}

/* Through real libavcodec: NVDEC is offered for H.264 and MPEG-2, its setup
 * fails (the device is not a CUDA one, as a GPU without the codec would
 * refuse), get_format is asked again and the stream decodes on the CPU,
 * every frame, with the hwaccel's reason noted. */
static void test_fallback_in_libavcodec(void)
{
    static const char *const files[] = { "h264_jvt_sva_ba1_176x144.264", "mkv_mpeg2_480i_tff_ac3.mkv" };
    const char *dir = getenv("MEDIA_DIR");
    char path[1024], why[256];

    if (!dir) {
        fprintf(stderr, "test_hw: MEDIA_DIR unset, decode fallback not tested\n");
        return;
    }
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        /* A device context of another type, never initialised: nothing to open. */
        AVBufferRef *other = av_hwdevice_ctx_alloc(AV_HWDEVICE_TYPE_DRM);
        struct mf_hwdecode h;
        int hw = -1, hw_sw = -1;
        CHECK(other != NULL);
        if (!other)
            return;
        int sw = decode_all(path, NULL, NULL, &hw_sw);
        int got = decode_all(path, other, &h, &hw);
        CHECK(sw > 0);
        CHECK_INT_EQ(got, sw);                       /* nothing lost in the fallback */
        CHECK_INT_EQ(hw, 0);
        CHECK_INT_EQ(mf_hwdecode_refusal(&h, why, sizeof(why)), 1);
        CHECK_STR_CONTAINS(why, "NVDEC cannot decode this ");
        CHECK_STR_CONTAINS(why, "): Invalid setup for format cuda");   /* libavcodec's own words */
        fprintf(stderr, "test_hw: %s: %d frames on the CPU after: %s\n", files[i], got, why);
        mf_hwdecode_uninit(&h);
        av_buffer_unref(&other);
    }
}

int main(void)
{
    mf_avlog_capture();
    test_parse_index();
    test_cuda_device_error();
    test_nvdec_codecs();
    test_get_format();
    test_fallback_in_libavcodec();
    return UNIT_DONE();
}
