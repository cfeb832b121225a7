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

#include <libavcodec/avcodec.h>

#include "avlog.h"
#include "hwdecode.h"
#include "hwdevice.h"
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

    if (getenv("MPEGFLOW_TEST_HAVE_CUDA")) {   /* a GPU node: nothing to refuse */
        fprintf(stderr, "test_hw: MPEGFLOW_TEST_HAVE_CUDA set, device error not tested\n");
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
            fprintf(stderr, "test_hw: no %s decoder here, skipped\n", yes[i]);
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
    av_log(NULL, AV_LOG_ERROR, "Hardware is lacking required capabilities\n");
    const enum AVPixelFormat refused[] = { AV_PIX_FMT_VAAPI, AV_PIX_FMT_YUV422P10LE, AV_PIX_FMT_NONE };
    CHECK_INT_EQ(c->get_format(c, refused), AV_PIX_FMT_YUV422P10LE);
    CHECK_INT_EQ(mf_hwdecode_refusal(&h, why, sizeof(why)), 1);
    CHECK_STR_EQ(why, "NVDEC cannot decode this h264 stream (High 4:2:2, yuv422p10le, 1920x1088): "
                      "Hardware is lacking required capabilities");
    /* the first refusal is the one reported */
    const enum AVPixelFormat later[] = { AV_PIX_FMT_YUV444P, AV_PIX_FMT_NONE };
    CHECK_INT_EQ(c->get_format(c, later), AV_PIX_FMT_YUV444P);
    CHECK_INT_EQ(mf_hwdecode_refusal(&h, why, sizeof(why)), 1);
    CHECK_STR_CONTAINS(why, "yuv422p10le");

    avcodec_free_context(&c);
    av_buffer_unref(&dev);
    mf_hwdecode_uninit(&h);
}

int main(void)
{
    mf_avlog_capture();
    test_parse_index();
    test_cuda_device_error();
    test_nvdec_codecs();
    test_get_format();
    return UNIT_DONE();
}
