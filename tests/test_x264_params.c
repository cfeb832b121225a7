/* Unit test: mf_x264_params() maps a job's settings onto x264_param_t. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "x264_params.h"
#include "unit.h"

static char err[512];

static struct mf_encoder_config base(void)
{
    return (struct mf_encoder_config){
        .codec = MF_CODEC_H264,
        .width = 1280, .height = 720,
        .pix_fmt = AV_PIX_FMT_YUV420P,
        .time_base = { 1, 90000 },
        .frame_rate = { 25, 1 },
        .preset = "veryfast",
        .crf = 23,
        .gop_frames = 50,
        .color_primaries = AVCOL_PRI_UNSPECIFIED,
        .color_trc = AVCOL_TRC_UNSPECIFIED,
        .colorspace = AVCOL_SPC_UNSPECIFIED,
        .color_range = AVCOL_RANGE_UNSPECIFIED,
    };
}

static int map(x264_param_t *p, const struct mf_encoder_config *cfg)
{
    memset(err, 0, sizeof(err));
    return mf_x264_params(p, cfg, err, sizeof(err));
}

/* Fails with -EINVAL and a message containing every string in needles. */
static void check_refused(const struct mf_encoder_config *cfg, const char *n1, const char *n2)
{
    x264_param_t p;

    CHECK(map(&p, cfg) == -EINVAL);
    CHECK(err[0] != '\0');
    if (n1 && !strstr(err, n1)) {
        fprintf(stderr, "  message '%s' lacks '%s'\n", err, n1);
        ++*unit_failures();
    }
    if (n2 && !strstr(err, n2)) {
        fprintf(stderr, "  message '%s' lacks '%s'\n", err, n2);
        ++*unit_failures();
    }
}

static void test_presets(void)
{
    struct mf_encoder_config cfg = base();
    x264_param_t fast, slow;

    CHECK(map(&fast, &cfg) == 0);
    cfg.preset = "slow";
    CHECK(map(&slow, &cfg) == 0);
    CHECK(fast.i_frame_reference < slow.i_frame_reference);
    CHECK(fast.analyse.i_subpel_refine < slow.analyse.i_subpel_refine);
    CHECK(fast.rc.i_lookahead < slow.rc.i_lookahead);
    CHECK(fast.analyse.i_trellis == 0 && slow.analyse.i_trellis == 2);
    CHECK(fast.analyse.i_direct_mv_pred == X264_DIRECT_PRED_SPATIAL);
    CHECK(slow.analyse.i_direct_mv_pred == X264_DIRECT_PRED_AUTO);

    cfg.preset = NULL;      /* x264's default, medium */
    CHECK(map(&slow, &cfg) == 0);
    CHECK(slow.i_frame_reference == 3);

    cfg.preset = "warpspeed";
    check_refused(&cfg, "'warpspeed'", "veryfast");
}

static void test_tune(void)
{
    struct mf_encoder_config cfg = base();
    x264_param_t p;

    cfg.tune = "zerolatency";
    CHECK(map(&p, &cfg) == 0);
    CHECK(p.i_bframe == 0);
    CHECK(p.rc.i_lookahead == 0);
    CHECK(p.b_vfr_input == 1);     /* zerolatency clears it; we need it */

    cfg.tune = "film";
    CHECK(map(&p, &cfg) == 0);
    CHECK(p.i_deblocking_filter_alphac0 == -1);

    cfg.tune = "cartoon";
    check_refused(&cfg, "'cartoon'", "animation");
}

static void test_picture(void)
{
    struct mf_encoder_config cfg = base();
    x264_param_t p;

    cfg.frame_rate = (AVRational){ 30000, 1001 };
    CHECK(map(&p, &cfg) == 0);
    CHECK(p.i_width == 1280 && p.i_height == 720);
    CHECK(p.i_csp == X264_CSP_I420 && p.i_bitdepth == 8);
    CHECK(p.i_timebase_num == 1 && p.i_timebase_den == 90000);
    CHECK(p.i_fps_num == 30000 && p.i_fps_den == 1001);
    CHECK(p.b_vfr_input == 1);
    CHECK(p.vui.i_sar_width == 1 && p.vui.i_sar_height == 1);

    cfg.frame_rate = (AVRational){ 0, 1 };
    CHECK(map(&p, &cfg) == 0);
    CHECK(p.i_fps_num == 25 && p.i_fps_den == 1);
    /* codec, size, pixel format and time base: mf_encoder_check, from the
     * capability fields (tests/test_registry.c) */
}

static void test_rate_control(void)
{
    struct mf_encoder_config cfg = base();
    x264_param_t p;

    cfg.crf = 20.5;
    CHECK(map(&p, &cfg) == 0);
    CHECK(p.rc.i_rc_method == X264_RC_CRF);
    CHECK(p.rc.f_rf_constant == 20.5f);
    CHECK(p.rc.i_vbv_max_bitrate == 0 && p.rc.i_vbv_buffer_size == 0);

    /* capped CRF, default buffer = 2 x maxrate */
    cfg.maxrate = 3000000;
    CHECK(map(&p, &cfg) == 0);
    CHECK(p.rc.i_rc_method == X264_RC_CRF);
    CHECK(p.rc.i_vbv_max_bitrate == 3000);
    CHECK(p.rc.i_vbv_buffer_size == 6000);

    cfg = base();
    cfg.crf = -1;
    cfg.bitrate = 2500000;
    cfg.maxrate = 3000000;
    cfg.bufsize = 1500000;
    CHECK(map(&p, &cfg) == 0);
    CHECK(p.rc.i_rc_method == X264_RC_ABR);
    CHECK(p.rc.i_bitrate == 2500);
    CHECK(p.rc.i_vbv_max_bitrate == 3000);
    CHECK(p.rc.i_vbv_buffer_size == 1500);

    cfg.bitrate = INT64_MAX;    /* must not overflow while rounding */
    check_refused(&cfg, "bitrate", NULL);
    cfg.bitrate = 2500000;
    cfg.maxrate = 0;    /* bufsize alone means nothing */
    check_refused(&cfg, "bufsize", NULL);

    cfg = base();
    cfg.bitrate = 1000000;      /* and crf 23: both */
    check_refused(&cfg, "exactly one", NULL);
    cfg.crf = -1;
    cfg.bitrate = 0;            /* neither */
    check_refused(&cfg, "exactly one", NULL);
    cfg = base();
    cfg.crf = 52;
    check_refused(&cfg, "crf", NULL);
}

static void test_gop(void)
{
    struct mf_encoder_config cfg = base();
    x264_param_t p;

    CHECK(map(&p, &cfg) == 0);
    CHECK(p.i_keyint_max == 50);
    CHECK(p.i_keyint_min >= 1 && p.i_keyint_min <= p.i_keyint_max / 2 + 1);
    CHECK(p.i_scenecut_threshold == 0);
    CHECK(p.b_open_gop == 0);
    CHECK(p.i_threads == X264_THREADS_AUTO);
    CHECK(p.b_annexb == 1);
    CHECK(p.b_repeat_headers == 1);

    cfg.global_header = 1;
    cfg.threads = 3;
    CHECK(map(&p, &cfg) == 0);
    CHECK(p.b_repeat_headers == 0);
    CHECK(p.i_threads == 3);

    cfg.gop_frames = 0;
    check_refused(&cfg, "gop_frames", NULL);
}

static void test_level(void)
{
    struct mf_encoder_config cfg = base();
    x264_param_t p;

    CHECK(map(&p, &cfg) == 0);
    CHECK(p.i_level_idc == -1);     /* x264 picks */
    cfg.level = "4.1";
    CHECK(map(&p, &cfg) == 0 && p.i_level_idc == 41);
    cfg.level = "4";
    CHECK(map(&p, &cfg) == 0 && p.i_level_idc == 40);
    cfg.level = "31";
    CHECK(map(&p, &cfg) == 0 && p.i_level_idc == 31);
    cfg.level = "1b";
    CHECK(map(&p, &cfg) == 0 && p.i_level_idc == 9);
    cfg.level = "4.7";
    check_refused(&cfg, "'4.7'", "4.1");
    cfg.level = "high";
    check_refused(&cfg, "'high'", "5.1");
}

static void test_profile(void)
{
    struct mf_encoder_config cfg = base();
    x264_param_t p;

    cfg.preset = "slow";
    cfg.profile = "baseline";
    CHECK(map(&p, &cfg) == 0);
    CHECK(p.i_bframe == 0);
    CHECK(p.b_cabac == 0);
    CHECK(p.analyse.b_transform_8x8 == 0);

    cfg.profile = "main";
    CHECK(map(&p, &cfg) == 0);
    CHECK(p.i_bframe > 0 && p.b_cabac == 1);
    CHECK(p.analyse.b_transform_8x8 == 0);

    cfg.profile = "extreme";
    check_refused(&cfg, "'extreme'", "baseline");

    cfg.profile = "high";
    cfg.crf = 0;                /* lossless: High 4:4:4 only */
    check_refused(&cfg, "'high'", NULL);
}

static void test_colour(void)
{
    struct mf_encoder_config cfg = base();
    x264_param_t def, p;

    CHECK(map(&def, &cfg) == 0);
    /* unspecified keeps x264's defaults: undef, undef, auto (-1) */
    CHECK(def.vui.i_colorprim == 2 && def.vui.i_transfer == 2 && def.vui.i_colmatrix == -1);

    cfg.color_primaries = AVCOL_PRI_BT709;
    cfg.color_trc = AVCOL_TRC_BT709;
    cfg.colorspace = AVCOL_SPC_BT709;
    cfg.color_range = AVCOL_RANGE_JPEG;
    CHECK(map(&p, &cfg) == 0);
    CHECK(p.vui.i_colorprim == 1 && p.vui.i_transfer == 1 && p.vui.i_colmatrix == 1);
    CHECK(p.vui.b_fullrange == 1);

    cfg.color_primaries = AVCOL_PRI_BT2020;
    cfg.color_trc = AVCOL_TRC_SMPTE2084;
    cfg.colorspace = AVCOL_SPC_BT2020_NCL;
    cfg.color_range = AVCOL_RANGE_MPEG;
    CHECK(map(&p, &cfg) == 0);
    CHECK(p.vui.i_colorprim == 9 && p.vui.i_transfer == 16 && p.vui.i_colmatrix == 9);
    CHECK(p.vui.b_fullrange == 0);

    /* x264 has no EBU 3213 primaries; RGB matrix is not for 4:2:0 YUV */
    cfg.color_primaries = AVCOL_PRI_EBU3213;
    cfg.colorspace = AVCOL_SPC_RGB;
    cfg.color_range = AVCOL_RANGE_UNSPECIFIED;
    CHECK(map(&p, &cfg) == 0);
    CHECK(p.vui.i_colorprim == def.vui.i_colorprim);
    CHECK(p.vui.i_colmatrix == def.vui.i_colmatrix);
    CHECK(p.vui.b_fullrange == def.vui.b_fullrange);
}

static void test_no_err_buffer(void)
{
    struct mf_encoder_config cfg = base();
    x264_param_t p;

    cfg.preset = "nope";
    CHECK(mf_x264_params(&p, &cfg, NULL, 0) == -EINVAL);
}

int main(void)
{
    test_presets();
    test_tune();
    test_picture();
    test_rate_control();
    test_gop();
    test_level();
    test_profile();
    test_colour();
    test_no_err_buffer();
    return UNIT_DONE();
}
