/*
 * The backend table and what is decided from its capability fields
 * (backends/select.c), with the real backends of this build: every entry
 * complete, names unique; mf_encoder_backend_select for each codec, name
 * and fallback, with the reasons; the codec a backend name implies; and
 * mf_encoder_check / mf_encoder_open refusing what a backend cannot take
 * before the backend runs. nvenc is unusable on CI hosts: its cases check
 * the refusal and the fallback, and are skipped where NVENC works.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>

#include "mpegflow/encoder.h"
#include "unit.h"

static const struct mf_encoder_backend *x264, *x265, *nvenc;

static int select_(enum mf_video_codec codec, const char *name, const char *fallback,
                   struct mf_encoder_selection *sel, char *err, size_t err_len)
{
    struct mf_encoder_request req = { .codec = codec, .name = name, .fallback = fallback, .device = -1 };
    return mf_encoder_backend_select(&req, sel, err, err_len);
}

static void test_table(void)
{
    const struct mf_encoder_backend *const *all = mf_encoder_backends();
    int n = 0;
    for (const struct mf_encoder_backend *const *b = all; *b; b++, n++) {
        CHECK((*b)->name && (*b)->name[0]);
        CHECK((*b)->long_name && (*b)->long_name[0]);
        CHECK((*b)->codecs != 0 && !((*b)->codecs & ~(MF_CODEC_BIT(MF_CODEC_H264) | MF_CODEC_BIT(MF_CODEC_HEVC))));
        CHECK((*b)->pix_fmts && (*b)->pix_fmts[0] != AV_PIX_FMT_NONE);
        CHECK((*b)->probe && (*b)->open && (*b)->send_frame && (*b)->receive_packet && (*b)->close);
        CHECK(mf_encoder_backend_find((*b)->name) == *b);
        CHECK(strcmp((*b)->name, "auto") != 0);       /* "auto" is the request's word */
        for (const struct mf_encoder_backend *const *c = all; c != b; c++)
            CHECK(strcmp((*c)->name, (*b)->name) != 0);
    }
    CHECK(n >= 1);
    CHECK(mf_encoder_backend_find("no-such-backend") == NULL);
    CHECK(mf_encoder_backend_find("X264") == NULL);   /* names are exact */
    if (x264)
        CHECK(x264->codecs == MF_CODEC_BIT(MF_CODEC_H264) && x264->hw_device == AV_HWDEVICE_TYPE_NONE);
    if (x265)
        CHECK(x265->codecs == MF_CODEC_BIT(MF_CODEC_HEVC) && x265->hw_device == AV_HWDEVICE_TYPE_NONE);
    if (nvenc)
        CHECK(nvenc->codecs == (MF_CODEC_BIT(MF_CODEC_H264) | MF_CODEC_BIT(MF_CODEC_HEVC)) &&
              nvenc->hw_device == AV_HWDEVICE_TYPE_CUDA);
}

static void test_default_codec(void)
{
    CHECK_INT_EQ(mf_encoder_backend_default_codec(NULL), MF_CODEC_H264);
    CHECK_INT_EQ(mf_encoder_backend_default_codec(""), MF_CODEC_H264);
    CHECK_INT_EQ(mf_encoder_backend_default_codec("auto"), MF_CODEC_H264);
    CHECK_INT_EQ(mf_encoder_backend_default_codec("no-such"), MF_CODEC_H264);
    if (x264)
        CHECK_INT_EQ(mf_encoder_backend_default_codec("x264"), MF_CODEC_H264);
    if (x265)   /* --backend x265 alone means HEVC */
        CHECK_INT_EQ(mf_encoder_backend_default_codec("x265"), MF_CODEC_HEVC);
    if (nvenc)
        CHECK_INT_EQ(mf_encoder_backend_default_codec("nvenc"), MF_CODEC_H264);
}

/* The CPU backends: chosen by name or by auto, and a backend of the other
 * codec refused as the request's fault, fallback or not. */
static void test_select_cpu(void)
{
    struct mf_encoder_selection sel;
    char err[512];

    if (x264) {
        const char *names[] = { NULL, "", "auto", "x264" };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            CHECK_INT_EQ(select_(MF_CODEC_H264, names[i], NULL, &sel, err, sizeof(err)), 0);
            CHECK(sel.backend == x264);
            CHECK(sel.fallback_from == NULL && sel.reason[0] == '\0');
            CHECK_INT_EQ(sel.device, -1);
            CHECK_STR_EQ(err, "");
        }
        /* a working backend ignores the fallback */
        CHECK_INT_EQ(select_(MF_CODEC_H264, "x264", "x265", &sel, err, sizeof(err)), 0);
        CHECK(sel.backend == x264 && sel.fallback_from == NULL);
        CHECK_INT_EQ(select_(MF_CODEC_HEVC, "x264", NULL, &sel, err, sizeof(err)), AVERROR(EINVAL));
        CHECK(sel.backend == NULL);
        CHECK_STR_EQ(err, "the x264 backend encodes h264 only, the job asks for hevc");
        /* the wrong codec is the job's error: no fallback replaces it */
        CHECK_INT_EQ(select_(MF_CODEC_HEVC, "x264", "x265", &sel, err, sizeof(err)), AVERROR(EINVAL));
        CHECK(sel.backend == NULL);
        CHECK_STR_EQ(err, "the x264 backend encodes h264 only, the job asks for hevc");
    }
    if (x265) {
        const char *names[] = { NULL, "auto", "x265" };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            CHECK_INT_EQ(select_(MF_CODEC_HEVC, names[i], NULL, &sel, err, sizeof(err)), 0);
            CHECK(sel.backend == x265 && sel.fallback_from == NULL);
        }
        CHECK_INT_EQ(select_(MF_CODEC_H264, "x265", NULL, &sel, err, sizeof(err)), AVERROR(EINVAL));
        CHECK_STR_EQ(err, "the x265 backend encodes hevc only, the job asks for h264");
    }
    /* auto never lands on a GPU backend, whatever the codec */
    for (int c = MF_CODEC_H264; c <= MF_CODEC_HEVC; c++)
        if (select_((enum mf_video_codec)c, "auto", NULL, &sel, err, sizeof(err)) == 0)
            CHECK(sel.backend->hw_device == AV_HWDEVICE_TYPE_NONE);
}

static void test_select_not_built(void)
{
    struct mf_encoder_selection sel;
    char err[512];

    CHECK_INT_EQ(select_(MF_CODEC_H264, "no-such", NULL, &sel, err, sizeof(err)), AVERROR(ENOSYS));
    CHECK_STR_EQ(err, "no-such: unusable on this host: not built into this mpegflow");
    /* fallback the same name: not tried twice, same message */
    CHECK_INT_EQ(select_(MF_CODEC_H264, "no-such", "no-such", &sel, err, sizeof(err)), AVERROR(ENOSYS));
    CHECK_STR_EQ(err, "no-such: unusable on this host: not built into this mpegflow");
    if (x264) {
        CHECK_INT_EQ(select_(MF_CODEC_H264, "no-such", "x264", &sel, err, sizeof(err)), 0);
        CHECK(sel.backend == x264);
        CHECK_STR_EQ(sel.fallback_from, "no-such");
        CHECK_STR_EQ(sel.reason, "not built into this mpegflow");
        CHECK_INT_EQ(select_(MF_CODEC_H264, "x264", "no-such", &sel, err, sizeof(err)), 0);
        CHECK(sel.backend == x264 && sel.fallback_from == NULL);
    }
    CHECK_INT_EQ(select_(MF_CODEC_H264, "no-such", "other", &sel, err, sizeof(err)), AVERROR(ENOSYS));
    CHECK_STR_EQ(err, "no-such: unusable on this host: not built into this mpegflow; "
                      "fallback other: not built into this mpegflow");
}

/* nvenc where it cannot run (every CI host): the probe's reason, verbatim,
 * and the fallback taken only when it encodes the job's codec. */
static void test_select_nvenc_unusable(void)
{
    struct mf_encoder_probe probe = { .codec = -1, .device = -1 };
    struct mf_encoder_selection sel;
    char why[256] = "", err[768], want[768];

    if (!nvenc) {
        fprintf(stderr, "test_registry: nvenc not built, its selection is not tested\n");
        return;
    }
    if (nvenc->probe(&probe, why, sizeof(why)) == 0) {
        fprintf(stderr, "test_registry: NVENC is usable here, its refusal is not tested\n");
        CHECK_INT_EQ(select_(MF_CODEC_HEVC, "nvenc", NULL, &sel, err, sizeof(err)), 0);
        CHECK(sel.backend == nvenc && sel.device >= 0);
        return;
    }
    CHECK(strlen(why) > 10);
    for (int c = MF_CODEC_H264; c <= MF_CODEC_HEVC; c++) {
        CHECK(select_((enum mf_video_codec)c, "nvenc", NULL, &sel, err, sizeof(err)) < 0);
        CHECK(sel.backend == NULL);
        snprintf(want, sizeof(want), "nvenc: unusable on this host: %s", why);
        CHECK_STR_EQ(err, want);
    }
    if (x264) {
        CHECK_INT_EQ(select_(MF_CODEC_H264, "nvenc", "x264", &sel, err, sizeof(err)), 0);
        CHECK(sel.backend == x264);
        CHECK_STR_EQ(sel.fallback_from, "nvenc");
        CHECK_STR_EQ(sel.reason, why);
        CHECK_INT_EQ(select_(MF_CODEC_HEVC, "nvenc", "x264", &sel, err, sizeof(err)), AVERROR(EINVAL));
        CHECK(sel.backend == NULL);
        snprintf(want, sizeof(want), "nvenc: unusable on this host: %s; fallback x264: encodes h264 only, "
                 "the job asks for hevc", why);
        CHECK_STR_EQ(err, want);
    }
    if (x265) {
        CHECK_INT_EQ(select_(MF_CODEC_HEVC, "nvenc", "x265", &sel, err, sizeof(err)), 0);
        CHECK(sel.backend == x265);
        CHECK_STR_EQ(sel.fallback_from, "nvenc");
    }
    CHECK(select_(MF_CODEC_H264, "nvenc", "nvenc", &sel, err, sizeof(err)) < 0);
    CHECK_STR_CONTAINS(err, "nvenc: unusable on this host: ");
    CHECK(!strstr(err, "fallback"));
    CHECK_INT_EQ(select_(MF_CODEC_H264, "nvenc", "no-such", &sel, err, sizeof(err)), AVERROR(ENOSYS));
    CHECK_STR_CONTAINS(err, "; fallback no-such: not built into this mpegflow");
}

static struct mf_encoder_config config_for(const struct mf_encoder_backend *b)
{
    return (struct mf_encoder_config){
        .codec = b->codecs & MF_CODEC_BIT(MF_CODEC_H264) ? MF_CODEC_H264 : MF_CODEC_HEVC,
        .width = 320, .height = 240, .pix_fmt = AV_PIX_FMT_YUV420P,
        .time_base = { 1, 90000 }, .frame_rate = { 25, 1 }, .preset = "ultrafast",
        .crf = 23, .gop_frames = 50, .threads = 1, .device = -1,
    };
}

/* What the capability fields say, checked once for every backend. */
static void test_check(void)
{
    for (const struct mf_encoder_backend *const *bp = mf_encoder_backends(); *bp; bp++) {
        const struct mf_encoder_backend *b = *bp;
        struct mf_encoder_config cfg = config_for(b);
        char err[256];

        CHECK_INT_EQ(mf_encoder_check(b, &cfg, err, sizeof(err)), 0);
        CHECK_STR_EQ(err, "");
        for (int c = MF_CODEC_H264; c <= MF_CODEC_HEVC; c++) {
            cfg = config_for(b);
            cfg.codec = (enum mf_video_codec)c;
            int ret = mf_encoder_check(b, &cfg, err, sizeof(err));
            if (b->codecs & MF_CODEC_BIT(c)) {
                CHECK_INT_EQ(ret, 0);
            } else {
                CHECK_INT_EQ(ret, AVERROR(EINVAL));
                CHECK_STR_CONTAINS(err, " only (codec ");
            }
        }
        cfg = config_for(b);
        cfg.width = 321;
        CHECK_INT_EQ(mf_encoder_check(b, &cfg, err, sizeof(err)), AVERROR(EINVAL));
        CHECK_STR_CONTAINS(err, "size 321x240 must be even and positive");
        cfg = config_for(b);
        cfg.height = 0;
        CHECK_INT_EQ(mf_encoder_check(b, &cfg, err, sizeof(err)), AVERROR(EINVAL));
        cfg = config_for(b);
        cfg.time_base = (AVRational){ 0, 1 };
        CHECK_INT_EQ(mf_encoder_check(b, &cfg, err, sizeof(err)), AVERROR(EINVAL));
        CHECK_STR_CONTAINS(err, "invalid time base 0/1");
        cfg = config_for(b);
        cfg.pix_fmt = AV_PIX_FMT_NV12;
        CHECK_INT_EQ(mf_encoder_check(b, &cfg, err, sizeof(err)), AVERROR(EINVAL));
        CHECK_STR_CONTAINS(err, "takes yuv420p frames only (pix_fmt nv12)");
        /* device frames need their frames context (hw_frames) */
        cfg = config_for(b);
        cfg.pix_fmt = AV_PIX_FMT_CUDA;
        CHECK_INT_EQ(mf_encoder_check(b, &cfg, err, sizeof(err)), AVERROR(EINVAL));
    }
}

/* mf_encoder_open: the check runs first (the backend is not reached), the
 * backend's own refusal comes back in err. */
static void test_open(void)
{
    struct mf_encoder *enc = (struct mf_encoder *)&enc;   /* must be reset */
    struct mf_encoder_config cfg;
    char err[512];

    if (!x264)
        return;
    cfg = config_for(x264);
    cfg.codec = MF_CODEC_HEVC;
    CHECK_INT_EQ(mf_encoder_open(x264, &enc, &cfg, err, sizeof(err)), AVERROR(EINVAL));
    CHECK(enc == NULL);
    CHECK_STR_EQ(err, "x264 encodes h264 only (codec 1)");
    cfg = config_for(x264);
    cfg.preset = "warpspeed";
    CHECK_INT_EQ(mf_encoder_open(x264, &enc, &cfg, err, sizeof(err)), AVERROR(EINVAL));
    CHECK(enc == NULL);
    CHECK_STR_CONTAINS(err, "invalid x264 preset 'warpspeed' (valid: ultrafast, ");
    cfg = config_for(x264);
    CHECK_INT_EQ(mf_encoder_open(x264, &enc, &cfg, err, sizeof(err)), 0);
    CHECK(enc && enc->backend == x264 && enc->par && enc->par->extradata_size == 0);
    x264->close(&enc);
    CHECK(enc == NULL);
}

int main(void)
{
    x264 = mf_encoder_backend_find("x264");
    x265 = mf_encoder_backend_find("x265");
    nvenc = mf_encoder_backend_find("nvenc");
    test_table();
    test_default_codec();
    test_select_cpu();
    test_select_not_built();
    test_select_nvenc_unusable();
    test_check();
    test_open();
    UNIT_DONE();
}
