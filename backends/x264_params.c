/* Job settings -> x264_param_t. Pure: no encoder is opened, nothing logged. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/pixfmt.h>

#include "backend_util.h"
#include "x264_params.h"

/* H.273 "unspecified": x264's own default, so we leave the field alone. */
#define H273_UNSPECIFIED 2

/* "a, b, c" from a NULL-terminated x264 name table, for error messages. */
static void join_names(char *buf, size_t len, const char *const *names)
{
    size_t used = 0;

    buf[0] = '\0';
    for (; *names && used < len; names++) {
        int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", *names);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static int set_preset(x264_param_t *p, const struct mf_encoder_config *cfg,
                      char *err, size_t err_len)
{
    const char *preset = cfg->preset ? cfg->preset : "medium";
    char valid[256];

    /* x264 reports only "bad preset or tune": try the preset alone first so
     * the message can name the field that is wrong. */
    if (x264_param_default_preset(p, preset, NULL) < 0) {
        join_names(valid, sizeof(valid), x264_preset_names);
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "invalid x264 preset '%s' (valid: %s)", preset, valid);
    }
    if (cfg->tune && x264_param_default_preset(p, preset, cfg->tune) < 0) {
        join_names(valid, sizeof(valid), x264_tune_names);
        return mf_backend_errf(AVERROR(EINVAL), err, err_len, "invalid x264 tune '%s' (valid: %s; "
                               "at most one psy tune, combined with ',')", cfg->tune, valid);
    }
    return 0;
}

/* Codec, size, pixel format and time base were checked against the
 * backend's capabilities (mf_encoder_check) before we are called. */
static void set_picture(x264_param_t *p, const struct mf_encoder_config *cfg)
{
    p->i_width = cfg->width;
    p->i_height = cfg->height;
    p->i_csp = X264_CSP_I420;
    p->i_bitdepth = 8;
    p->i_timebase_num = (uint32_t)cfg->time_base.num;
    p->i_timebase_den = (uint32_t)cfg->time_base.den;
    /* The nominal rate still sizes the lookahead and the VUI timing; an
     * unknown rate must not make x264 refuse the job. */
    if (cfg->frame_rate.num > 0 && cfg->frame_rate.den > 0) {
        p->i_fps_num = (uint32_t)cfg->frame_rate.num;
        p->i_fps_den = (uint32_t)cfg->frame_rate.den;
    } else {
        p->i_fps_num = 25;
        p->i_fps_den = 1;
    }
    /* Sources may be VFR (phones, screen captures): let the timestamps, not
     * the nominal rate, drive rate control. Set after the preset because
     * tune=zerolatency clears it. */
    p->b_vfr_input = 1;
    p->vui.i_sar_width = 1;
    p->vui.i_sar_height = 1;
}

static int set_rate_control(x264_param_t *p, const struct mf_encoder_config *cfg,
                            char *err, size_t err_len)
{
    int has_crf = cfg->crf >= 0, has_bitrate = cfg->bitrate > 0;
    int ret;

    if (has_crf == has_bitrate)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "x264: set exactly one of crf (%g) and bitrate (%lld)",
                               cfg->crf, (long long)cfg->bitrate);
    if (has_crf) {
        if (cfg->crf > 51)
            return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                                   "x264: crf %g out of range (0 .. 51)", cfg->crf);
        p->rc.i_rc_method = X264_RC_CRF;
        p->rc.f_rf_constant = (float)cfg->crf;
    } else {
        p->rc.i_rc_method = X264_RC_ABR;
        if ((ret = mf_backend_kbit(cfg->bitrate, "x264", "bitrate", &p->rc.i_bitrate, err, err_len)) < 0)
            return ret;
    }

    if (cfg->maxrate <= 0) {
        if (cfg->bufsize > 0)
            return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                                   "x264: bufsize %lld needs a maxrate",
                                   (long long)cfg->bufsize);
        return 0;
    }
    /* VBV; with CRF this is "capped CRF". Two seconds of maxrate is the
     * usual streaming buffer when the job does not say. */
    if ((ret = mf_backend_kbit(cfg->maxrate, "x264", "maxrate", &p->rc.i_vbv_max_bitrate,
                               err, err_len)) < 0)
        return ret;
    return mf_backend_kbit(cfg->bufsize > 0 ? cfg->bufsize : 2 * cfg->maxrate, "x264", "bufsize",
                           &p->rc.i_vbv_buffer_size, err, err_len);
}

static int set_gop(x264_param_t *p, const struct mf_encoder_config *cfg,
                   char *err, size_t err_len)
{
    if (cfg->gop_frames <= 0)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "x264: gop_frames %d must be > 0", cfg->gop_frames);
    if (cfg->threads < 0)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "x264: threads %d must be >= 0", cfg->threads);

    p->i_keyint_max = cfg->gop_frames;
    /* Only scenecut decisions read keyint_min and scenecut is off; use the
     * largest value x264 accepts so the struct says what x264 will use. */
    p->i_keyint_min = cfg->gop_frames / 2 + 1;
    /* Segment boundaries must be IDRs the pipeline chose, and every GOP must
     * decode on its own (HLS/DASH segments). */
    p->i_scenecut_threshold = 0;
    p->b_open_gop = 0;
    p->i_threads = cfg->threads ? cfg->threads : X264_THREADS_AUTO;
    p->b_annexb = 1;
    p->b_repeat_headers = !cfg->global_header;
    return 0;
}

static void level_name(char *buf, size_t len, int idc)
{
    if (idc == 9)       /* x264's code for level 1b */
        snprintf(buf, len, "1b");
    else if (idc % 10 == 0)
        snprintf(buf, len, "%d", idc / 10);
    else
        snprintf(buf, len, "%d.%d", idc / 10, idc % 10);
}

/* "4.1", "4" or "41" -> 41; "1b" -> 9; -1 when not of that form. */
static int parse_level(const char *s)
{
    int d0 = s[0] >= '0' && s[0] <= '9';

    if (!strcmp(s, "1b"))
        return 9;
    if (d0 && s[1] == '\0')
        return (s[0] - '0') * 10;
    if (d0 && s[1] >= '0' && s[1] <= '9' && s[2] == '\0')
        return (s[0] - '0') * 10 + (s[1] - '0');
    if (d0 && s[1] == '.' && s[2] >= '0' && s[2] <= '9' && s[3] == '\0')
        return (s[0] - '0') * 10 + (s[2] - '0');
    return -1;
}

static int set_level(x264_param_t *p, const struct mf_encoder_config *cfg,
                     char *err, size_t err_len)
{
    char valid[256], name[8];
    size_t used = 0;
    int idc;

    if (!cfg->level)
        return 0;
    idc = parse_level(cfg->level);
    for (const x264_level_t *l = x264_levels; l->level_idc; l++) {
        if (l->level_idc == idc) {
            p->i_level_idc = idc;
            return 0;
        }
    }
    valid[0] = '\0';
    for (const x264_level_t *l = x264_levels; l->level_idc && used < sizeof(valid); l++) {
        level_name(name, sizeof(name), l->level_idc);
        int n = snprintf(valid + used, sizeof(valid) - used, "%s%s", used ? ", " : "", name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                           "invalid H.264 level '%s' (valid: %s)", cfg->level, valid);
}

/* AVColor* values are the H.273 codes for everything x264 knows; anything
 * x264 has no name for, and "unspecified", keep x264's default. */
static int h273_code(int v, const char *const *names)
{
    int n = 0;

    while (names[n])
        n++;
    if (v <= 0 || v >= n || v == H273_UNSPECIFIED || !names[v][0])
        return -1;
    return v;
}

static void set_colour(x264_param_t *p, const struct mf_encoder_config *cfg)
{
    int v;

    if ((v = h273_code((int)cfg->color_primaries, x264_colorprim_names)) >= 0)
        p->vui.i_colorprim = v;
    if ((v = h273_code((int)cfg->color_trc, x264_transfer_names)) >= 0)
        p->vui.i_transfer = v;
    /* Matrix 0 (GBR) is for RGB coding, never for our 4:2:0 YUV; h273_code
     * refuses 0. */
    if ((v = h273_code((int)cfg->colorspace, x264_colmatrix_names)) >= 0)
        p->vui.i_colmatrix = v;
    if (cfg->color_range == AVCOL_RANGE_JPEG)
        p->vui.b_fullrange = 1;
    else if (cfg->color_range == AVCOL_RANGE_MPEG)
        p->vui.b_fullrange = 0;
}

static int set_profile(x264_param_t *p, const struct mf_encoder_config *cfg,
                       char *err, size_t err_len)
{
    char valid[256];
    int known = 0;

    if (!cfg->profile)
        return 0;
    for (const char *const *n = x264_profile_names; *n; n++)
        known |= !strcmp(*n, cfg->profile);
    if (!known) {
        join_names(valid, sizeof(valid), x264_profile_names);
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "invalid H.264 profile '%s' (valid: %s)", cfg->profile, valid);
    }
    /* Known name, so a failure means the other settings conflict with it,
     * e.g. lossless (crf 0) below High 4:4:4. */
    if (x264_param_apply_profile(p, cfg->profile) < 0)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "x264 cannot apply profile '%s' to these settings "
                               "(e.g. lossless needs high444)", cfg->profile);
    return 0;
}

int mf_x264_params(x264_param_t *p, const struct mf_encoder_config *cfg,
                   char *err, size_t err_len)
{
    int ret;

    if (err && err_len)
        err[0] = '\0';
    if ((ret = set_preset(p, cfg, err, err_len)) < 0)
        return ret;
    set_picture(p, cfg);
    if ((ret = set_rate_control(p, cfg, err, err_len)) < 0 ||
        (ret = set_gop(p, cfg, err, err_len)) < 0 ||
        (ret = set_level(p, cfg, err, err_len)) < 0)
        return ret;
    set_colour(p, cfg);
    /* Last, as x264.h requires: it only lowers what the steps above set. */
    return set_profile(p, cfg, err, err_len);
}
