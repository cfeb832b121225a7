/* Job settings -> libavcodec's libx265 options. Pure: nothing opened or logged. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/mem.h>

#include "avcodec.h"
#include "backend_util.h"
#include "x265_params.h"

/* x265 has x264's preset names. */
static const char *const presets[] = {
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium",
    "slow", "slower", "veryslow", "placebo", NULL,
};
/* x264 tunes, and what x265 calls them (NULL: no x265 counterpart). */
static const struct { const char *x264, *x265; } tunes[] = {
    { "film", NULL }, { "animation", "animation" }, { "grain", "grain" },
    { "stillimage", NULL }, { "psnr", "psnr" }, { "ssim", "ssim" },
    { "fastdecode", "fastdecode" }, { "zerolatency", "zerolatency" },
};

static int is_preset(const char *name)
{
    for (const char *const *p = presets; *p; p++)
        if (!strcmp(*p, name))
            return 1;
    return 0;
}

/* The first x265 tune of a ','-separated x264 tune list; *out NULL when
 * none maps. Unknown names are refused. */
static int map_tune(const char *list, const char **out, char *err, size_t err_len)
{
    const char *p = list;

    *out = NULL;
    while (*p) {
        size_t n = strcspn(p, ",");
        size_t i;
        for (i = 0; i < sizeof(tunes) / sizeof(tunes[0]); i++)
            if (strlen(tunes[i].x264) == n && !strncmp(tunes[i].x264, p, n))
                break;
        if (i == sizeof(tunes) / sizeof(tunes[0]))
            return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                                   "x265: invalid tune '%s' (valid: film, animation, grain, "
                                   "stillimage, psnr, ssim, fastdecode, zerolatency)", list);
        if (!*out)
            *out = tunes[i].x265;
        p += n + (p[n] == ',');
    }
    return 0;
}

static int set_rate_control(AVCodecContext *c, AVDictionary **opts, char **params,
                            const struct mf_encoder_config *cfg, char *err, size_t err_len)
{
    int has_crf = cfg->crf >= 0, has_bitrate = cfg->bitrate > 0;
    int maxrate = 0, bufsize = 0, ret;
    char crf[32];

    if (has_crf == has_bitrate)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "x265: set exactly one of crf (%g) and bitrate (%lld)",
                               cfg->crf, (long long)cfg->bitrate);
    if (has_crf) {
        if (cfg->crf > 51)
            return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                                   "x265: crf %g out of range (0 .. 51)", cfg->crf);
        snprintf(crf, sizeof(crf), "%g", cfg->crf);
        if ((ret = av_dict_set(opts, "crf", crf, 0)) < 0)
            return ret;
    } else {
        int kbit;
        if ((ret = mf_backend_kbit(cfg->bitrate, "x265", "bitrate", &kbit, err, err_len)) < 0)
            return ret;
        c->bit_rate = cfg->bitrate;
    }
    if (cfg->maxrate <= 0) {
        if (cfg->bufsize > 0)
            return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                                   "x265: bufsize %lld needs a maxrate", (long long)cfg->bufsize);
        return 0;
    }
    /* VBV; with CRF this is capped CRF. Two seconds of maxrate when the
     * job does not say, as for x264. */
    if ((ret = mf_backend_kbit(cfg->maxrate, "x265", "maxrate", &maxrate, err, err_len)) < 0 ||
        (ret = mf_backend_kbit(cfg->bufsize > 0 ? cfg->bufsize : 2 * cfg->maxrate, "x265", "bufsize",
                               &bufsize, err, err_len)) < 0)
        return ret;
    c->rc_max_rate = (int64_t)maxrate * 1000;
    c->rc_buffer_size = bufsize * 1000;
    if ((ret = mf_avcodec_append_param(params, "vbv-maxrate", "%d", maxrate)) < 0 ||
        (ret = mf_avcodec_append_param(params, "vbv-bufsize", "%d", bufsize)) < 0)
        return ret;
    return 0;
}

static int set_gop(AVCodecContext *c, AVDictionary **opts, char **params,
                   const struct mf_encoder_config *cfg, char *err, size_t err_len)
{
    int ret;

    if (cfg->gop_frames <= 0)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "x265: gop_frames %d must be > 0", cfg->gop_frames);
    if (cfg->threads < 0)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "x265: threads %d must be >= 0", cfg->threads);
    c->gop_size = cfg->gop_frames;
    /* The segment boundaries are IDRs the pipeline chose (pict_type I; a
     * plain I would be a CRA), and every GOP decodes on its own. */
    if ((ret = av_dict_set(opts, "forced-idr", "1", 0)) < 0 ||
        (ret = mf_avcodec_append_param(params, "keyint", "%d", cfg->gop_frames)) < 0 ||
        (ret = mf_avcodec_append_param(params, "scenecut", "0")) < 0 ||
        (ret = mf_avcodec_append_param(params, "open-gop", "0")) < 0 ||
        (ret = mf_avcodec_append_param(params, "repeat-headers", "%d", !cfg->global_header)) < 0)
        return ret;
    /* libavcodec's default of one frame thread would serialise x265. */
    c->thread_count = 0;
    if (cfg->threads > 0 && (ret = mf_avcodec_append_param(params, "pools", "%d", cfg->threads)) < 0)
        return ret;
    /* x265 prints to stderr itself; keep only its errors there. */
    return mf_avcodec_append_param(params, "log-level", "error");
}

static int set_profile_level(AVDictionary **opts, char **params,
                             const struct mf_encoder_config *cfg, char *err, size_t err_len)
{
    int ret;

    if (cfg->profile) {
        if (strcmp(cfg->profile, "main"))
            return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                                   "x265: profile '%s' not supported (valid: main)", cfg->profile);
        if ((ret = av_dict_set(opts, "profile", cfg->profile, 0)) < 0)
            return ret;
    }
    if (cfg->level) {
        size_t n = strspn(cfg->level, "0123456789.");
        if (!n || cfg->level[n] || strlen(cfg->level) > 4)
            return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                                   "x265: invalid HEVC level '%s'", cfg->level);
        if ((ret = mf_avcodec_append_param(params, "level-idc", "%s", cfg->level)) < 0)
            return ret;
    }
    return 0;
}

int mf_x265_configure(AVCodecContext *ctx, AVDictionary **opts,
                      const struct mf_encoder_config *cfg, char *err, size_t err_len)
{
    const char *preset = cfg->preset ? cfg->preset : "medium", *tune = NULL;
    char *params = NULL;
    int ret;

    if (err && err_len)
        err[0] = '\0';
    if (!is_preset(preset))
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "invalid x265 preset '%s' (valid: ultrafast, superfast, "
                               "veryfast, faster, fast, medium, slow, slower, veryslow, placebo)", preset);
    if (cfg->tune && (ret = map_tune(cfg->tune, &tune, err, err_len)) < 0)
        return ret;
    if ((ret = av_dict_set(opts, "preset", preset, 0)) < 0 ||
        (tune && (ret = av_dict_set(opts, "tune", tune, 0)) < 0))
        return ret;
    if ((ret = set_rate_control(ctx, opts, &params, cfg, err, err_len)) < 0 ||
        (ret = set_gop(ctx, opts, &params, cfg, err, err_len)) < 0 ||
        (ret = set_profile_level(opts, &params, cfg, err, err_len)) < 0) {
        av_free(params);
        return ret;
    }
    return av_dict_set(opts, "x265-params", params, AV_DICT_DONT_STRDUP_VAL);
}
