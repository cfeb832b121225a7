/*
 * Job spec parsing and strict validation (DESIGN section 4).
 *
 * Schema. Every object rejects fields not listed here ("PATH: unknown field");
 * null is not accepted in place of any value.
 *
 *   id             string, 1..127 chars of [A-Za-z0-9._:-]; default "" (the
 *                  caller assigns the stream entry id)
 *   input          string key, 1..1023 bytes, no control characters, no ".."
 *                  path segment; required when require_io
 *   output_prefix  same rules as input; required when require_io
 *   format         "mp4" | "hls" | "both" | "dash" | "cmaf" (hls + dash) |
 *                  "all" (mp4 + hls + dash); default "hls"
 *   video          object, required:
 *     codec        "h264" | "hevc"; default "h264"
 *     backend      "auto" | "x264" | "nvenc" | "x265"; default "auto"
 *     preset       ultrafast | superfast | veryfast | faster | fast | medium |
 *                  slow | slower | veryslow | placebo; default "veryfast"
 *     tune         film | animation | grain | stillimage | fastdecode |
 *                  zerolatency | psnr | ssim; optional
 *     gop_seconds  number 0.5..20; default 2
 *     upscale      boolean; default false; the default of every rendition's
 *     renditions   array of 1..8 objects, required:
 *       name       string, 1..31 chars of [A-Za-z0-9_-], required; unique
 *                  across the ladder, ignoring case (names become file names)
 *       height     integer 16..4320, required
 *       crf        number 0..51
 *       bitrate    bitrate, 10k..500M
 *       maxrate    bitrate, 10k..500M, >= bitrate when both are set; with
 *                  crf it caps the rate (capped CRF)
 *       bufsize    bitrate, 10k..500M; requires maxrate (the VBV needs
 *                  both); when unset the encoder derives it from maxrate
 *       profile    h264: "baseline" | "main" | "high"; hevc: "main"
 *       level      h264: 1 1b 1.1 1.2 1.3 2 2.1 2.2 3 3.1 3.2 4 4.1 4.2 5
 *                  5.1 5.2 6 6.1 6.2; hevc: 1 2 2.1 3 3.1 4 4.1 5 5.1 5.2 6
 *                  6.1 6.2; a whole level may be written "4.0"; the string
 *                  is kept as written
 *       upscale    boolean; default video.upscale
 *     Exactly one of crf and bitrate; when neither is given, crf is 23.
 *   subtitles      "all" | "none" | array of 1..16 language tags (ISO 639-1/-2
 *                  or BCP 47: "en", "fre", "pt-BR"; a track matches by RFC 4647
 *                  basic filtering); default "all": every text track, at most
 *                  MF_MAX_SUBTITLE_TRACKS of them (src/media/subtitles.h)
 *   audio          object, optional:
 *     mode         "aac" | "copy" | "none"; default "aac"
 *     bitrate      bitrate, 16k..512k; default 128k
 *     channels     integer 1 | 2; default 2
 *     tracks       "best" | "all" | array of 1..8 unique language tags (ISO 639-1,
 *                  ISO 639-2/B or /T, or BCP 47: "en", "fre", "pt-BR"); default
 *                  "best" (one track); "all" keeps up to 8
 *     surround     boolean; default false: also an AAC 5.1 rendition of each
 *                  kept track of 6 or more channels; needs mode "aac"
 *   images         object, optional: poster and thumbnail sprites (job_images.c)
 *
 * A bitrate is a string "800k", "1.5M", "2G", "128000" (see common/quantity.h)
 * or a JSON integer, in bits per second.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "mpegflow/job.h"

#include "job_fields.h"
#include "job_images.h"

#include "common/json_strict.h"
#include "common/quantity.h"

#define VIDEO_RATE_MIN 10000
#define VIDEO_RATE_MAX 500000000
#define DEFAULT_CRF 23.0

static const char *const formats[] = { "mp4", "hls", "both", "dash", "cmaf", "all", NULL };
static const unsigned format_bits[] = { MF_FORMAT_MP4, MF_FORMAT_HLS, MF_FORMAT_BOTH, MF_FORMAT_DASH,
                                        MF_FORMAT_CMAF, MF_FORMAT_ALL };
static const char *const codecs[] = { "h264", "hevc", NULL };
static const char *const backends[] = { "auto", "x264", "nvenc", "x265", NULL };
static const char *const presets[] = {
    "ultrafast", "superfast", "veryfast", "faster", "fast",
    "medium", "slow", "slower", "veryslow", "placebo", NULL,
};
static const char *const tunes[] = {
    "film", "animation", "grain", "stillimage", "fastdecode",
    "zerolatency", "psnr", "ssim", NULL,
};
static const char *const h264_profiles[] = { "baseline", "main", "high", NULL };
static const char *const hevc_profiles[] = { "main", NULL };
static const char *const h264_levels[] = {
    "1", "1b", "1.1", "1.2", "1.3", "2", "2.1", "2.2", "3", "3.1", "3.2",
    "4", "4.1", "4.2", "5", "5.1", "5.2", "6", "6.1", "6.2", NULL,
};
static const char *const hevc_levels[] = {
    "1", "2", "2.1", "3", "3.1", "4", "4.1", "5", "5.1", "5.2", "6", "6.1", "6.2", NULL,
};

static const char *const root_fields[] = {
    "id", "input", "output_prefix", "format", "video", "audio", "subtitles", "images", NULL,
};
static const char *const video_fields[] = {
    "codec", "backend", "preset", "tune", "gop_seconds", "upscale", "renditions", NULL,
};
static const char *const rendition_fields[] = {
    "name", "height", "crf", "bitrate", "maxrate", "bufsize", "profile", "level",
    "upscale", NULL,
};

/* --- per-field checks, shared by the parser and mf_job_validate ----------- */

const char *mf_job_id_problem(const char *s, size_t len)
{
    if (len == 0 || len > sizeof(((struct mf_job *)0)->id) - 1)
        return "must be 1 to 127 characters long";
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return "may only contain letters, digits and . _ : -";
    }
    return NULL;
}

static int check_id(struct mf_errbuf *e, const char *s, size_t len)
{
    const char *why = mf_job_id_problem(s, len);
    return why ? mf_fail(e, NULL, "id", why) : 0;
}

static int check_name(struct mf_errbuf *e, const char *obj, const char *s, size_t len)
{
    if (len == 0 || len > MF_NAME_MAX - 1)
        return mf_fail(e, obj, "name", "must be 1 to %d characters long", MF_NAME_MAX - 1);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return mf_fail(e, obj, "name", "may only contain letters, digits, _ and -");
    }
    return 0;
}

/* A storage key: not empty, short, printable, and no ".." segment that could
 * climb out of the assigned endpoint once the URL is normalised. */
static int check_key(struct mf_errbuf *e, const char *key, const char *s, size_t len)
{
    if (len == 0)
        return mf_fail(e, NULL, key, "must not be empty");
    if (len > MF_KEY_MAX - 1)
        return mf_fail(e, NULL, key, "must be shorter than %d bytes", MF_KEY_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return mf_fail(e, NULL, key, "must not contain NUL or control characters");
    for (size_t i = 0; i < len; i++) {
        int starts = i == 0 || s[i - 1] == '/';
        int ends = i + 2 == len || (i + 2 < len && s[i + 2] == '/');
        if (starts && s[i] == '.' && i + 1 < len && s[i + 1] == '.' && ends)
            return mf_fail(e, NULL, key, "must not contain \"..\" segments");
    }
    return 0;
}

static int check_height(struct mf_errbuf *e, const char *obj, long long h)
{
    if (h < 16 || h > 4320)
        return mf_fail(e, obj, "height", "must be between 16 and 4320");
    return 0;
}

static int check_crf(struct mf_errbuf *e, const char *obj, double crf)
{
    if (!(crf >= 0 && crf <= 51))
        return mf_fail(e, obj, "crf", "must be between 0 and 51");
    return 0;
}

static int check_video_rate(struct mf_errbuf *e, const char *obj, const char *key, int64_t v)
{
    if (v < VIDEO_RATE_MIN || v > VIDEO_RATE_MAX)
        return mf_fail(e, obj, key, "must be between 10k and 500M");
    return 0;
}

static int check_gop(struct mf_errbuf *e, double v)
{
    if (!(v >= 0.5 && v <= 20))
        return mf_fail(e, "video", "gop_seconds", "must be between 0.5 and 20");
    return 0;
}

static const char *const *profiles_for(enum mf_video_codec codec)
{
    return codec == MF_CODEC_HEVC ? hevc_profiles : h264_profiles;
}

static int check_profile(struct mf_errbuf *e, const char *obj, enum mf_video_codec codec,
                         const char *s)
{
    if (mf_list_index(profiles_for(codec), s) >= 0)
        return 0;
    return mf_fail_choice(e, obj, "profile", profiles_for(codec));
}

/* "4.0" is level 4; anything else must be spelled as in the table. */
static int check_level(struct mf_errbuf *e, const char *obj, enum mf_video_codec codec,
                       const char *s)
{
    const char *const *levels = codec == MF_CODEC_HEVC ? hevc_levels : h264_levels;
    char whole[4];
    size_t len = strlen(s);

    if (mf_list_index(levels, s) >= 0)
        return 0;
    if (len == 3 && s[1] == '.' && s[2] == '0') {
        snprintf(whole, sizeof(whole), "%c", s[0]);
        if (mf_list_index(levels, whole) >= 0)
            return 0;
    }
    return mf_fail(e, obj, "level", "must be an %s level such as \"3.1\", \"4.0\" or \"5.1\"",
                codec == MF_CODEC_HEVC ? "HEVC" : "H.264");
}

/* --- the parser ------------------------------------------------------------ */

static int parse_key(struct mf_errbuf *e, json_t *root, const char *key, char *out)
{
    const char *s = NULL;
    size_t len = 0;
    int ret = mf_json_string(e, root, "", key, &s, &len);

    if (ret <= 0)
        return ret;
    if ((ret = check_key(e, key, s, len)) < 0)
        return ret;
    memcpy(out, s, len + 1);
    return 1;
}

static int parse_rate_fields(struct mf_errbuf *e, json_t *r, const char *path,
                             struct mf_rendition *rd)
{
    static const char *const keys[] = { "bitrate", "maxrate", "bufsize" };
    int64_t *dst[] = { &rd->bitrate, &rd->maxrate, &rd->bufsize };
    int ret;

    for (int i = 0; i < 3; i++) {
        int64_t v = 0;
        if ((ret = mf_job_get_bitrate(e, r, path, keys[i], &v)) <= 0) {
            if (ret < 0)
                return ret;
            continue;
        }
        /* Checked here: 0 would read as "unset" afterwards. */
        if ((ret = check_video_rate(e, path, keys[i], v)) < 0)
            return ret;
        *dst[i] = v;
    }
    return 0;
}

static int parse_rendition(struct mf_errbuf *e, json_t *r, int index, const struct mf_job *job,
                           int upscale, struct mf_rendition *rd)
{
    char path[32];
    const char *s = NULL;
    size_t len = 0;
    long long height = 0;
    int ret, has_crf;

    snprintf(path, sizeof(path), "video.renditions[%d]", index);
    if (!json_is_object(r))
        return mf_fail(e, path, NULL, "must be an object");
    if ((ret = mf_json_reject_unknown(e, r, path, rendition_fields)) < 0)
        return ret;

    if ((ret = mf_json_string(e, r, path, "name", &s, &len)) < 0)
        return ret;
    if (!ret)
        return mf_fail(e, path, "name", "required");
    if ((ret = check_name(e, path, s, len)) < 0)
        return ret;
    memcpy(rd->name, s, len + 1);

    if ((ret = mf_json_integer(e, r, path, "height", &height)) < 0)
        return ret;
    if (!ret)
        return mf_fail(e, path, "height", "required");
    if ((ret = check_height(e, path, height)) < 0)
        return ret;
    rd->height = (int)height;

    if ((has_crf = mf_json_number(e, r, path, "crf", &rd->crf)) < 0)
        return has_crf;
    if (has_crf && (ret = check_crf(e, path, rd->crf)) < 0)
        return ret;
    if ((ret = parse_rate_fields(e, r, path, rd)) < 0)
        return ret;
    if (!has_crf && !rd->bitrate)
        rd->crf = DEFAULT_CRF;

    if ((ret = mf_json_string(e, r, path, "profile", &s, &len)) < 0)
        return ret;
    if (ret) {
        if ((ret = check_profile(e, path, job->codec, s)) < 0)
            return ret;
        memcpy(rd->profile, s, len + 1);
    }
    if ((ret = mf_json_string(e, r, path, "level", &s, &len)) < 0)
        return ret;
    if (ret) {
        if ((ret = check_level(e, path, job->codec, s)) < 0)
            return ret;
        memcpy(rd->level, s, len + 1);
    }

    rd->upscale = upscale;
    ret = mf_json_bool(e, r, path, "upscale", &rd->upscale);
    return ret < 0 ? ret : 0;
}

static int parse_renditions(struct mf_errbuf *e, json_t *video, struct mf_job *job, int upscale)
{
    json_t *list = json_object_get(video, "renditions");
    size_t n;
    int ret;

    if (!list)
        return mf_fail(e, "video", "renditions", "required");
    if (!json_is_array(list))
        return mf_fail(e, "video", "renditions", "must be an array");
    n = json_array_size(list);
    if (n < 1 || n > MF_MAX_RENDITIONS)
        return mf_fail(e, "video", "renditions", "must have between 1 and %d entries",
                    MF_MAX_RENDITIONS);
    for (size_t i = 0; i < n; i++) {
        struct mf_rendition *rd = &job->renditions[i];
        if ((ret = parse_rendition(e, json_array_get(list, i), (int)i, job, upscale, rd)) < 0)
            return ret;
    }
    job->n_renditions = (int)n;
    return 0;
}

static int parse_video(struct mf_errbuf *e, json_t *root, struct mf_job *job)
{
    json_t *video = json_object_get(root, "video");
    int ret, codec = 0, upscale = 0;

    if (!video)
        return mf_fail(e, NULL, "video", "required");
    if (!json_is_object(video))
        return mf_fail(e, NULL, "video", "must be an object");
    if ((ret = mf_json_reject_unknown(e, video, "video", video_fields)) < 0)
        return ret;
    /* codec first: profile and level of the renditions depend on it. */
    if ((ret = mf_json_choice(e, video, "video", "codec", codecs, &codec)) < 0)
        return ret;
    if (ret) {
        job->codec = codec == 1 ? MF_CODEC_HEVC : MF_CODEC_H264;
        job->codec_given = 1;
    }
    if ((ret = mf_json_choice_copy(e, video, "video", "backend", backends, job->backend,
                               sizeof(job->backend))) < 0 ||
        (ret = mf_json_choice_copy(e, video, "video", "preset", presets, job->preset,
                               sizeof(job->preset))) < 0 ||
        (ret = mf_json_choice_copy(e, video, "video", "tune", tunes, job->tune,
                               sizeof(job->tune))) < 0)
        return ret;
    if ((ret = mf_json_number(e, video, "video", "gop_seconds", &job->gop_seconds)) < 0)
        return ret;
    if (ret && (ret = check_gop(e, job->gop_seconds)) < 0)
        return ret;
    if ((ret = mf_json_bool(e, video, "video", "upscale", &upscale)) < 0)
        return ret;
    return parse_renditions(e, video, job, upscale);
}

static int parse_root(struct mf_errbuf *e, json_t *root, struct mf_job *job)
{
    const char *s = NULL;
    size_t len = 0;
    int ret, format = 0;

    if (!json_is_object(root))
        return mf_fail(e, NULL, "job", "must be a JSON object");
    if ((ret = mf_json_reject_unknown(e, root, "", root_fields)) < 0)
        return ret;
    if ((ret = mf_json_string(e, root, "", "id", &s, &len)) < 0)
        return ret;
    if (ret) {
        if ((ret = check_id(e, s, len)) < 0)
            return ret;
        memcpy(job->id, s, len + 1);
    }
    if ((ret = parse_key(e, root, "input", job->input)) < 0 ||
        (ret = parse_key(e, root, "output_prefix", job->output_prefix)) < 0)
        return ret;
    if ((ret = mf_json_choice(e, root, "", "format", formats, &format)) < 0)
        return ret;
    if (ret)
        job->format = format_bits[format];
    if ((ret = parse_video(e, root, job)) < 0)
        return ret;
    if ((ret = mf_job_subtitles_parse(e, root, job)) < 0)
        return ret;
    if ((ret = mf_job_audio_parse(e, root, job)) < 0)
        return ret;
    return mf_job_images_parse(e, root, &job->images);
}

void mf_job_defaults(struct mf_job *job)
{
    memset(job, 0, sizeof(*job));
    job->format = MF_FORMAT_HLS;
    job->codec = MF_CODEC_H264;
    snprintf(job->backend, sizeof(job->backend), "auto");
    snprintf(job->preset, sizeof(job->preset), "veryfast");
    job->gop_seconds = 2.0;
    for (int i = 0; i < MF_MAX_RENDITIONS; i++)
        job->renditions[i].crf = -1;
    job->audio_mode = MF_AUDIO_AAC;
    job->audio_bitrate = 128000;
    job->audio_channels = 2;
    mf_job_images_defaults(&job->images);
}

int mf_job_parse(struct mf_job *job, const char *json, size_t len, int require_io,
                 char *err, size_t err_len)
{
    struct mf_errbuf e = { err, err_len };
    json_error_t jerr;
    json_t *root;
    int ret;

    if (err && err_len)
        err[0] = '\0';
    mf_job_defaults(job);
    if (!json)
        return mf_fail(&e, NULL, "job", "no JSON text");
    /* DECODE_ANY so that a scalar gets "must be a JSON object", ALLOW_NUL so
     * that "\u0000" in a string is reported against its field. */
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL,
                      &jerr);
    if (!root)
        return mf_fail(&e, NULL, "job", "invalid JSON at line %d, column %d: %s",
                    jerr.line, jerr.column, jerr.text);
    ret = parse_root(&e, root, job);
    json_decref(root);
    if (ret < 0)
        return ret;
    return mf_job_validate(job, require_io, err, err_len);
}

/* --- validation of a whole job (parsed or built by hand) ------------------ */

static int validate_rates(struct mf_errbuf *e, const char *path, const struct mf_rendition *rd)
{
    int ret;

    if (rd->crf >= 0 && rd->bitrate)
        return mf_fail(e, path, "bitrate", "cannot be combined with crf (set one of them)");
    if (rd->crf < 0 && !rd->bitrate)
        return mf_fail(e, path, "crf", "required when bitrate is not set");
    if (rd->crf >= 0 && (ret = check_crf(e, path, rd->crf)) < 0)
        return ret;
    if (rd->bitrate && (ret = check_video_rate(e, path, "bitrate", rd->bitrate)) < 0)
        return ret;
    if (rd->maxrate && (ret = check_video_rate(e, path, "maxrate", rd->maxrate)) < 0)
        return ret;
    if (rd->bufsize && (ret = check_video_rate(e, path, "bufsize", rd->bufsize)) < 0)
        return ret;
    if (rd->maxrate && rd->bitrate && rd->maxrate < rd->bitrate)
        return mf_fail(e, path, "maxrate", "must be at least the bitrate");
    if (rd->bufsize && !rd->maxrate)
        return mf_fail(e, path, "bufsize", "requires maxrate");
    return 0;
}

static int validate_rendition(struct mf_errbuf *e, const struct mf_job *job, int i)
{
    const struct mf_rendition *rd = &job->renditions[i];
    char path[32];
    int ret;

    snprintf(path, sizeof(path), "video.renditions[%d]", i);
    if ((ret = check_name(e, path, rd->name, mf_job_bounded_len(rd->name, sizeof(rd->name)))) < 0)
        return ret;
    for (int j = 0; j < i; j++)
        if (mf_job_same_name(job->renditions[j].name, rd->name))
            return mf_fail(e, path, "name", "\"%s\" is already used by video.renditions[%d]",
                        rd->name, j);
    if ((ret = check_height(e, path, rd->height)) < 0)
        return ret;
    if ((ret = validate_rates(e, path, rd)) < 0)
        return ret;
    if (mf_job_bounded_len(rd->profile, sizeof(rd->profile)) == sizeof(rd->profile))
        return mf_fail_choice(e, path, "profile", profiles_for(job->codec));
    if (rd->profile[0] && (ret = check_profile(e, path, job->codec, rd->profile)) < 0)
        return ret;
    if (mf_job_bounded_len(rd->level, sizeof(rd->level)) == sizeof(rd->level))
        return check_level(e, path, job->codec, "?");
    if (rd->level[0] && (ret = check_level(e, path, job->codec, rd->level)) < 0)
        return ret;
    return 0;
}

static int validate_io(struct mf_errbuf *e, const struct mf_job *job, int require_io)
{
    static const char *const keys[] = { "input", "output_prefix" };
    const char *values[] = { job->input, job->output_prefix };
    int ret;

    for (int i = 0; i < 2; i++) {
        size_t len = mf_job_bounded_len(values[i], MF_KEY_MAX);
        if (!len && require_io)
            return mf_fail(e, NULL, keys[i], "required");
        if (len && (ret = check_key(e, keys[i], values[i], len)) < 0)
            return ret;
    }
    return 0;
}

/* The short string fields must be terminated inside their buffers. */
#define TERMINATED(field) (mf_job_bounded_len(field, sizeof(field)) < sizeof(field))

static int validate_video(struct mf_errbuf *e, const struct mf_job *job)
{
    int ret;

    if (job->codec != MF_CODEC_H264 && job->codec != MF_CODEC_HEVC)
        return mf_fail_choice(e, "video", "codec", codecs);
    if (!TERMINATED(job->backend) || mf_list_index(backends, job->backend) < 0)
        return mf_fail_choice(e, "video", "backend", backends);
    if (!TERMINATED(job->preset) || mf_list_index(presets, job->preset) < 0)
        return mf_fail_choice(e, "video", "preset", presets);
    if (!TERMINATED(job->tune) || (job->tune[0] && mf_list_index(tunes, job->tune) < 0))
        return mf_fail_choice(e, "video", "tune", tunes);
    if ((ret = check_gop(e, job->gop_seconds)) < 0)
        return ret;
    if (job->n_renditions < 1 || job->n_renditions > MF_MAX_RENDITIONS)
        return mf_fail(e, "video", "renditions", "must have between 1 and %d entries",
                    MF_MAX_RENDITIONS);
    for (int i = 0; i < job->n_renditions; i++)
        if ((ret = validate_rendition(e, job, i)) < 0)
            return ret;
    return 0;
}

int mf_job_validate(const struct mf_job *job, int require_io, char *err, size_t err_len)
{
    struct mf_errbuf e = { err, err_len };
    size_t id_len = mf_job_bounded_len(job->id, sizeof(job->id));
    int ret;

    if (err && err_len)
        err[0] = '\0';
    if (id_len && (ret = check_id(&e, job->id, id_len)) < 0)
        return ret;
    if ((ret = validate_io(&e, job, require_io)) < 0)
        return ret;
    if (job->format != MF_FORMAT_MP4 && job->format != MF_FORMAT_HLS &&
        job->format != MF_FORMAT_BOTH && job->format != MF_FORMAT_DASH &&
        job->format != MF_FORMAT_CMAF && job->format != MF_FORMAT_ALL)
        return mf_fail_choice(&e, NULL, "format", formats);
    if ((ret = validate_video(&e, job)) < 0)
        return ret;
    if ((ret = mf_job_subtitles_validate(&e, job)) < 0)
        return ret;
    if ((ret = mf_job_audio_validate(&e, job)) < 0)
        return ret;
    return mf_job_images_validate(&e, &job->images);
}
