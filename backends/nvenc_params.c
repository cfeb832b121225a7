/* Job settings -> h264_nvenc / hevc_nvenc options. Pure: the table is in nvenc_params.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/common.h>

#include "backend_util.h"
#include "nvenc_params.h"

struct preset_row {
    const char *x264, *nvenc;
    int bframes, spatial_aq, temporal_aq, lookahead;
};

static const struct preset_row presets[] = {
    { "ultrafast", "p1", 0, 0, 0, 0 },
    { "superfast", "p2", 0, 0, 0, 0 },
    { "veryfast",  "p3", 2, 0, 0, 0 },
    { "faster",    "p3", 2, 1, 0, 0 },
    { "fast",      "p4", 3, 1, 0, 8 },
    { "medium",    "p5", 3, 1, 1, 16 },
    { "slow",      "p6", 3, 1, 1, 24 },
    { "slower",    "p7", 4, 1, 1, 32 },
    { "veryslow",  "p7", 4, 1, 1, 32 },
    { "placebo",   "p7", 4, 1, 1, 32 },
};

static const char *const x264_tunes[] = {
    "film", "animation", "grain", "stillimage", "psnr", "ssim", "fastdecode", "zerolatency", NULL,
};

const char *mf_nvenc_encoder_name(enum mf_video_codec codec)
{
    return codec == MF_CODEC_HEVC ? "hevc_nvenc" : "h264_nvenc";
}

/* Whether the ','-separated x264 tune list asks for zerolatency; unknown
 * names are refused. */
static int zero_latency(const char *list, int *zl, char *err, size_t err_len)
{
    const char *p = list;

    *zl = 0;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *const *t;
        for (t = x264_tunes; *t; t++)
            if (strlen(*t) == n && !strncmp(*t, p, n))
                break;
        if (!*t)
            return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                                   "nvenc: invalid tune '%s' (valid: film, animation, grain, "
                                   "stillimage, psnr, ssim, fastdecode, zerolatency)", list);
        *zl |= !strcmp(*t, "zerolatency");
        p += n + (p[n] == ',');
    }
    return 0;
}

static int set_int(AVDictionary **opts, const char *key, int64_t v)
{
    return av_dict_set_int(opts, key, v, 0);
}

static int set_rate_control(AVCodecContext *c, AVDictionary **opts,
                            const struct mf_encoder_config *cfg, char *err, size_t err_len)
{
    int has_crf = cfg->crf >= 0, has_bitrate = cfg->bitrate > 0;
    int64_t cap;
    int ret;

    if (has_crf == has_bitrate)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "nvenc: set exactly one of crf (%g) and bitrate (%lld)",
                               cfg->crf, (long long)cfg->bitrate);
    if (cfg->maxrate < 0 || cfg->bufsize < 0 || (cfg->bufsize > 0 && cfg->maxrate <= 0 && has_crf))
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "nvenc: bufsize %lld needs a maxrate", (long long)cfg->bufsize);
    if (has_crf) {
        char cq[32];
        /* NVENC's cq 0 means "choose for me", not lossless. */
        if (cfg->crf <= 0 || cfg->crf > 51)
            return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                                   "nvenc: crf %g out of range (constant quality 0 < cq <= 51)",
                                   cfg->crf);
        snprintf(cq, sizeof(cq), "%g", cfg->crf);
        c->bit_rate = 0;        /* libavcodec's default 200k would cap the quality */
        if ((ret = av_dict_set(opts, "rc", "vbr", 0)) < 0 ||
            (ret = av_dict_set(opts, "cq", cq, 0)) < 0)
            return ret;
        cap = cfg->maxrate;
    } else {
        if (cfg->maxrate > 0 && cfg->maxrate < cfg->bitrate)
            return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                                   "nvenc: maxrate %lld below bitrate %lld",
                                   (long long)cfg->maxrate, (long long)cfg->bitrate);
        c->bit_rate = cfg->bitrate;
        ret = av_dict_set(opts, "rc", cfg->maxrate == cfg->bitrate ? "cbr" : "vbr", 0);
        if (ret < 0)
            return ret;
        cap = cfg->maxrate > 0 ? cfg->maxrate : cfg->bitrate;
    }
    if (cap <= 0)
        return 0;
    if (cap > INT64_MAX / 2)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "nvenc: maxrate %lld out of range", (long long)cap);
    c->rc_max_rate = cfg->maxrate;
    /* Two seconds of the peak rate when the job does not say, as for x264. */
    c->rc_buffer_size = (int)FFMIN(cfg->bufsize > 0 ? cfg->bufsize : 2 * cap, INT32_MAX);
    return 0;
}

static int set_structure(AVCodecContext *c, AVDictionary **opts, const struct mf_encoder_config *cfg,
                         const struct preset_row *row, const struct mf_nvenc_caps *caps,
                         int zl, char *err, size_t err_len)
{
    int baseline = cfg->profile && !strcmp(cfg->profile, "baseline");
    int bframes = zl || baseline ? 0 : FFMIN(row->bframes, caps ? caps->max_bframes : 0);
    int lookahead = zl || !caps || !caps->lookahead ? 0 : FFMIN(row->lookahead, cfg->gop_frames - 1);
    int ret;

    if (cfg->gop_frames <= 0)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "nvenc: gop_frames %d must be > 0", cfg->gop_frames);
    c->gop_size = cfg->gop_frames;
    c->max_b_frames = bframes;
    if ((ret = av_dict_set(opts, "preset", row->nvenc, 0)) < 0 ||
        (ret = av_dict_set(opts, "tune", zl ? "ll" : "hq", 0)) < 0 ||
        (ret = set_int(opts, "forced-idr", 1)) < 0 ||
        (ret = set_int(opts, "strict_gop", 1)) < 0 ||
        (ret = set_int(opts, "no-scenecut", 1)) < 0 ||
        (ret = set_int(opts, "rc-lookahead", lookahead)) < 0 ||
        (ret = set_int(opts, "spatial-aq", row->spatial_aq)) < 0 ||
        (ret = set_int(opts, "temporal-aq", row->temporal_aq && lookahead && caps->temporal_aq)) < 0)
        return ret;
    if (zl && (ret = set_int(opts, "zerolatency", 1)) < 0)
        return ret;
    /* "middle" only: fewer GPUs can use every B-frame as a reference. */
    if (bframes > 1 && caps && caps->bframe_ref_mode &&
        (ret = av_dict_set(opts, "b_ref_mode", "middle", 0)) < 0)
        return ret;
    return 0;
}

static int set_profile_level(AVDictionary **opts, const struct mf_encoder_config *cfg,
                             char *err, size_t err_len)
{
    static const char *const h264[] = { "baseline", "main", "high", NULL };
    static const char *const hevc[] = { "main", NULL };
    const char *const *valid = cfg->codec == MF_CODEC_HEVC ? hevc : h264;
    int ret;

    if (cfg->profile) {
        const char *const *p = valid;
        while (*p && strcmp(*p, cfg->profile))
            p++;
        if (!*p)
            return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                                   "nvenc: profile '%s' not supported for %s (valid: %s)",
                                   cfg->profile, cfg->codec == MF_CODEC_HEVC ? "HEVC" : "H.264",
                                   cfg->codec == MF_CODEC_HEVC ? "main" : "baseline, main, high");
        if ((ret = av_dict_set(opts, "profile", cfg->profile, 0)) < 0)
            return ret;
    }
    if (cfg->level) {
        size_t n = strspn(cfg->level, "0123456789.b");
        if (!n || cfg->level[n] || strlen(cfg->level) > 4)
            return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                                   "nvenc: invalid level '%s'", cfg->level);
        if ((ret = av_dict_set(opts, "level", cfg->level, 0)) < 0)
            return ret;
    }
    return 0;
}

int mf_nvenc_configure(AVCodecContext *ctx, AVDictionary **opts,
                       const struct mf_encoder_config *cfg, const struct mf_nvenc_setup *setup,
                       char *err, size_t err_len)
{
    const char *preset = cfg->preset ? cfg->preset : "medium";
    const struct mf_nvenc_caps *caps = setup ? &setup->caps : NULL;
    const struct preset_row *row = NULL;
    int zl = 0, ret;

    if (err && err_len)
        err[0] = '\0';
    if (caps && caps->width_max > 0 && (cfg->width > caps->width_max || cfg->height > caps->height_max))
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "nvenc: %dx%d exceeds this GPU's %s maximum of %dx%d",
                               cfg->width, cfg->height, cfg->codec == MF_CODEC_HEVC ? "HEVC" : "H.264",
                               caps->width_max, caps->height_max);
    for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
        if (!strcmp(presets[i].x264, preset))
            row = &presets[i];
    if (!row)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len,
                               "invalid preset '%s' for nvenc (x264 names: ultrafast, superfast, "
                               "veryfast, faster, fast, medium, slow, slower, veryslow, placebo)", preset);
    if (cfg->tune && (ret = zero_latency(cfg->tune, &zl, err, err_len)) < 0)
        return ret;
    if ((ret = set_rate_control(ctx, opts, cfg, err, err_len)) < 0 ||
        (ret = set_structure(ctx, opts, cfg, row, caps, zl, err, err_len)) < 0 ||
        (ret = set_profile_level(opts, cfg, err, err_len)) < 0)
        return ret;
    if (setup && setup->gpu >= 0 && (ret = set_int(opts, "gpu", setup->gpu)) < 0)
        return ret;
    return 0;
}
