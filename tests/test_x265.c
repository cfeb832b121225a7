/*
 * Unit test: the x265 backend. mf_x265_configure()'s context and options,
 * checked against libavcodec's own libx265 option table, then an encode
 * through the vtable (the shared avcodec path NVENC also uses): forced
 * frames become IDR pictures and nothing else is a keyframe, parameter
 * sets land in extradata, timestamps survive; a refused open says why in
 * the encoder's own words.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/opt.h>

#include "avcodec.h"
#include "mpegflow/encoder.h"
#include "unit.h"
#include "x265_params.h"

static char err[512];

static struct mf_encoder_config base(void)
{
    return (struct mf_encoder_config){
        .codec = MF_CODEC_HEVC, .width = 1280, .height = 720, .pix_fmt = AV_PIX_FMT_YUV420P,
        .time_base = { 1, 90000 }, .frame_rate = { 25, 1 }, .preset = "veryfast", .crf = 28,
        .gop_frames = 50, .global_header = 1,
        .color_primaries = AVCOL_PRI_BT709, .color_trc = AVCOL_TRC_BT709,
        .colorspace = AVCOL_SPC_BT709, .color_range = AVCOL_RANGE_MPEG,
    };
}

/* Map cfg; the context is for libx265 so that the options can be applied
 * to its real AVClass (unknown names or bad values stay in the dict). */
static int map(const struct mf_encoder_config *cfg, AVCodecContext **ctx, AVDictionary **opts)
{
    const AVCodec *c = avcodec_find_encoder_by_name("libx265");
    int ret;

    *opts = NULL;
    *ctx = avcodec_alloc_context3(c);
    if (!*ctx)
        abort();
    memset(err, 0, sizeof(err));
    mf_avcodec_set_common(*ctx, cfg);
    ret = mf_x265_configure(*ctx, opts, cfg, err, sizeof(err));
    if (ret == 0) {
        AVDictionary *copy = NULL;
        av_dict_copy(&copy, *opts, 0);
        CHECK(av_opt_set_dict2(*ctx, &copy, AV_OPT_SEARCH_CHILDREN) == 0);
        CHECK(av_dict_count(copy) == 0);     /* every option is libx265's */
        av_dict_free(&copy);
    }
    return ret;
}

static const char *opt(AVDictionary *d, const char *key)
{
    const AVDictionaryEntry *e = av_dict_get(d, key, NULL, 0);
    return e ? e->value : NULL;
}

static void check_refused(const struct mf_encoder_config *cfg, const char *needle)
{
    AVCodecContext *ctx;
    AVDictionary *opts;

    CHECK(map(cfg, &ctx, &opts) == AVERROR(EINVAL));
    CHECK_STR_CONTAINS(err, needle);
    av_dict_free(&opts);
    avcodec_free_context(&ctx);
}

static void test_mapping(void)
{
    struct mf_encoder_config cfg = base();
    AVCodecContext *ctx;
    AVDictionary *opts;

    CHECK(map(&cfg, &ctx, &opts) == 0);
    CHECK_STR_EQ(opt(opts, "preset"), "veryfast");
    CHECK_STR_EQ(opt(opts, "crf"), "28");
    CHECK_STR_EQ(opt(opts, "forced-idr"), "1");
    CHECK(opt(opts, "tune") == NULL);
    const char *p = opt(opts, "x265-params");
    CHECK_STR_CONTAINS(p, "keyint=50");
    CHECK_STR_CONTAINS(p, "scenecut=0");
    CHECK_STR_CONTAINS(p, "open-gop=0");
    CHECK_STR_CONTAINS(p, "repeat-headers=0");
    CHECK(p && !strstr(p, "vbv-"));
    CHECK(p && !strstr(p, "pools="));
    CHECK_INT_EQ(ctx->gop_size, 50);
    CHECK_INT_EQ(ctx->thread_count, 0);
    CHECK(ctx->flags & AV_CODEC_FLAG_GLOBAL_HEADER);
    CHECK_INT_EQ(ctx->color_primaries, AVCOL_PRI_BT709);
    CHECK_INT_EQ(ctx->sample_aspect_ratio.num, 1);
    av_dict_free(&opts);
    avcodec_free_context(&ctx);

    /* ABR with VBV, explicit threads, tune, profile, level, in-band headers. */
    cfg.crf = -1;
    cfg.bitrate = 1500000;
    cfg.maxrate = 2000000;
    cfg.threads = 3;
    cfg.tune = "film,fastdecode";     /* film has no x265 counterpart */
    cfg.profile = "main";
    cfg.level = "4.1";
    cfg.global_header = 0;
    cfg.colorspace = AVCOL_SPC_RGB;   /* never for 4:2:0 YUV: dropped */
    CHECK(map(&cfg, &ctx, &opts) == 0);
    p = opt(opts, "x265-params");
    CHECK_INT_EQ(ctx->bit_rate, 1500000);
    CHECK(opt(opts, "crf") == NULL);
    CHECK_STR_CONTAINS(p, "vbv-maxrate=2000");
    CHECK_STR_CONTAINS(p, "vbv-bufsize=4000");   /* 2 s of maxrate */
    CHECK_STR_CONTAINS(p, "pools=3");
    CHECK_STR_CONTAINS(p, "level-idc=4.1");
    CHECK_STR_CONTAINS(p, "repeat-headers=1");
    CHECK_STR_EQ(opt(opts, "tune"), "fastdecode");
    CHECK_STR_EQ(opt(opts, "profile"), "main");
    CHECK(!(ctx->flags & AV_CODEC_FLAG_GLOBAL_HEADER));
    CHECK_INT_EQ(ctx->colorspace, AVCOL_SPC_UNSPECIFIED);
    av_dict_free(&opts);
    avcodec_free_context(&ctx);

    /* Every x264 preset name is an x265 preset. */
    static const char *const presets[] = { "ultrafast", "superfast", "veryfast", "faster", "fast",
                                           "medium", "slow", "slower", "veryslow", "placebo" };
    for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
        cfg = base();
        cfg.preset = presets[i];
        CHECK(map(&cfg, &ctx, &opts) == 0);
        CHECK_STR_EQ(opt(opts, "preset"), presets[i]);
        av_dict_free(&opts);
        avcodec_free_context(&ctx);
    }
}

static void test_refusals(void)
{
    struct mf_encoder_config cfg = base();

    /* codec, size and pixel format: mf_encoder_check (tests/test_registry.c) */
    cfg.preset = "turbo";
    check_refused(&cfg, "invalid x265 preset 'turbo'");
    cfg = base(); cfg.tune = "film,loud";
    check_refused(&cfg, "invalid tune");
    cfg = base(); cfg.crf = -1;
    check_refused(&cfg, "exactly one of crf");
    cfg = base(); cfg.bitrate = 1000000;
    check_refused(&cfg, "exactly one of crf");
    cfg = base(); cfg.crf = 52;
    check_refused(&cfg, "crf 52 out of range");
    cfg = base(); cfg.bufsize = 1000000;
    check_refused(&cfg, "needs a maxrate");
    cfg = base(); cfg.profile = "main10";
    check_refused(&cfg, "profile 'main10'");
    cfg = base(); cfg.level = "4.1x";
    check_refused(&cfg, "invalid HEVC level");
    cfg = base(); cfg.gop_frames = 0;
    check_refused(&cfg, "gop_frames");
}

/* The first VCL NAL unit type of an Annex B access unit, or -1. */
static int first_vcl_type(const uint8_t *p, int size)
{
    for (int i = 0; i + 3 < size; i++) {
        if (p[i] || p[i + 1] || p[i + 2] != 1)
            continue;
        int t = (p[i + 3] >> 1) & 0x3f;
        if (t < 32)
            return t;
    }
    return -1;
}

static void test_encode(void)
{
    const struct mf_encoder_backend *b = mf_encoder_backend_find("x265");
    struct mf_encoder_config cfg = base();
    struct mf_encoder *enc = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    char why[256] = "";
    int n_in = 60, n_out = 0, keys = 0, idr_ok = 1, ret;
    int64_t pts_sum = 0;

    CHECK(b != NULL);
    if (!b || b->probe(&(struct mf_encoder_probe){ .codec = -1, .device = -1 }, why, sizeof(why)) != 0) {
        fprintf(stderr, "x265 unusable here: %s\n", why);
        CHECK(0);
        return;
    }
    cfg.width = 160;
    cfg.height = 96;
    cfg.time_base = (AVRational){ 1, 25 };
    cfg.preset = "ultrafast";
    cfg.gop_frames = 250;
    cfg.threads = 1;
    CHECK(mf_encoder_open(b, &enc, &cfg, NULL, 0) == 0);
    if (!enc)
        return;
    CHECK(enc->backend == b);
    CHECK_INT_EQ(enc->par->codec_id, AV_CODEC_ID_HEVC);
    CHECK(enc->par->extradata_size > 20);
    CHECK(enc->par->extradata && first_vcl_type(enc->par->extradata, enc->par->extradata_size) == -1);
    CHECK_INT_EQ(enc->time_base.den, 25);

    f->width = 160;
    f->height = 96;
    f->format = AV_PIX_FMT_YUV420P;
    CHECK(av_frame_get_buffer(f, 0) == 0);
    for (int i = 0; i <= n_in; i++) {
        if (i < n_in) {
            CHECK(av_frame_make_writable(f) == 0);
            for (int y = 0; y < 96; y++)
                for (int x = 0; x < 160; x++)
                    f->data[0][y * f->linesize[0] + x] = (uint8_t)(x * 2 + y + i * 5);
            memset(f->data[1], 128, (size_t)f->linesize[1] * 48);
            memset(f->data[2], 128, (size_t)f->linesize[2] * 48);
            f->pts = i;
            /* forced at 0, 20 and 45; P and B requests must not be obeyed */
            f->pict_type = i == 0 || i == 20 || i == 45 ? AV_PICTURE_TYPE_I
                         : i % 2 ? AV_PICTURE_TYPE_B : AV_PICTURE_TYPE_P;
        }
        ret = b->send_frame(enc, i < n_in ? f : NULL);
        CHECK(ret == 0);
        while ((ret = b->receive_packet(enc, pkt)) == 0) {
            int key = !!(pkt->flags & AV_PKT_FLAG_KEY);
            int t = first_vcl_type(pkt->data, pkt->size);
            int forced = pkt->pts == 0 || pkt->pts == 20 || pkt->pts == 45;
            keys += key;
            if (key != forced || (forced && t != 19 && t != 20)) {
                fprintf(stderr, "  pts %lld: key %d, NAL type %d\n", (long long)pkt->pts, key, t);
                idr_ok = 0;
            }
            CHECK(pkt->time_base.den == 25);
            pts_sum += pkt->pts;
            n_out++;
        }
        CHECK(ret == AVERROR(EAGAIN) || ret == AVERROR_EOF);
    }
    CHECK(ret == AVERROR_EOF);
    CHECK_INT_EQ(n_out, n_in);
    CHECK_INT_EQ(pts_sum, (int64_t)n_in * (n_in - 1) / 2);
    CHECK_INT_EQ(keys, 3);
    CHECK(idr_ok);
    CHECK(b->send_frame(enc, f) == AVERROR_EOF);

    /* A frame of the wrong size is refused, not encoded. */
    b->close(&enc);
    CHECK(enc == NULL);
    CHECK(mf_encoder_open(b, &enc, &cfg, NULL, 0) == 0);
    f->width = 80;
    CHECK(b->send_frame(enc, f) == AVERROR(EINVAL));
    f->width = 160;
    b->close(&enc);
    b->close(&enc);     /* harmless twice */

    /* A refused setting fails open cleanly. */
    cfg.preset = "turbo";
    CHECK(mf_encoder_open(b, &enc, &cfg, NULL, 0) == AVERROR(EINVAL));
    CHECK(enc == NULL);
    av_frame_free(&f);
    av_packet_free(&pkt);
}

/* The encoder's own words reach open()'s err through cfg->ffmpeg_error:
 * here a callback that keeps libavcodec's last error line, as the
 * executables' capture does (src/media/avlog.c). */
static char logged[256];

static void keep_error(void *avcl, int level, const char *fmt, va_list vl)
{
    (void)avcl;
    if (level > AV_LOG_ERROR)
        return;
    vsnprintf(logged, sizeof(logged), fmt, vl);
    logged[strcspn(logged, "\r\n")] = '\0';
}

static const char *take_logged(void)
{
    static char taken[sizeof(logged)];
    memcpy(taken, logged, sizeof(taken));
    logged[0] = '\0';
    return taken;
}

static void test_open_error(void)
{
    const struct mf_encoder_backend *b = mf_encoder_backend_find("x265");
    struct mf_encoder_config cfg = base();
    struct mf_encoder *enc = NULL;
    char why[512] = "";
    int ret;

    if (!b)
        return;
    cfg.width = 8;
    cfg.height = 8;
    cfg.ffmpeg_error = take_logged;
    av_log_set_callback(keep_error);
    ret = mf_encoder_open(b, &enc, &cfg, why, sizeof(why));
    CHECK_INT_EQ(ret, AVERROR(EINVAL));
    CHECK(enc == NULL);
    /* libavcodec's libx265 wrapper says "Image size is too small (8x8)." */
    CHECK_STR_CONTAINS(why, "libx265: cannot open the encoder: ");
    CHECK_STR_CONTAINS(why, "8x8");
    CHECK_STR_CONTAINS(why, "(Invalid argument)");
    CHECK(!strchr(why, '\n'));
    /* without the hook: the AVERROR text alone, still one line naming the encoder */
    cfg.ffmpeg_error = NULL;
    ret = mf_encoder_open(b, &enc, &cfg, why, sizeof(why));
    av_log_set_callback(av_log_default_callback);
    CHECK_INT_EQ(ret, AVERROR(EINVAL));
    CHECK_STR_EQ(why, "libx265: cannot open the encoder: Invalid argument");
    b->close(&enc);
}

int main(void)
{
    test_mapping();
    test_refusals();
    test_encode();
    test_open_error();
    return UNIT_DONE();
}
