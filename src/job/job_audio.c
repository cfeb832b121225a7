/* The job's "audio" object: mode, bitrate, channels, tracks, surround (schema in job.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "job_fields.h"

#define AUDIO_RATE_MIN 16000
#define AUDIO_RATE_MAX 512000

static const char *const audio_modes[] = { "aac", "copy", "none", NULL };
static const char *const audio_fields[] = { "mode", "bitrate", "channels", "tracks", "surround", NULL };
static const char *const audio_track_choices[] = { "best", "all", NULL };

static int check_audio_rate(struct mf_errbuf *e, int64_t v)
{
    if (v < AUDIO_RATE_MIN || v > AUDIO_RATE_MAX)
        return mf_fail(e, "audio", "bitrate", "must be between 16k and 512k");
    return 0;
}

static int check_channels(struct mf_errbuf *e, long long v)
{
    if (v != 1 && v != 2)
        return mf_fail(e, "audio", "channels", "must be 1 or 2");
    return 0;
}

/* A language of audio.tracks: 2-3 letters, then "-" subtags of 1-8 letters
 * or digits (BCP 47's shape; the source's tags are compared in BCP 47). */
static int check_language(struct mf_errbuf *e, const char *path, const char *s, size_t len)
{
    size_t n = 0, sub = 0;

    while (n < len && ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z')))
        n++;
    int ok = n >= 2 && n <= 3 && len < MF_AUDIO_LANG_MAX;
    for (size_t i = n; ok && i < len; i++) {
        char c = s[i];
        if (c == '-') {
            ok = i + 1 < len && (i == n || sub > 0);
            sub = 0;
        } else {
            ok = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) &&
                 i > n && ++sub <= 8;
        }
    }
    if (!ok)
        return mf_fail(e, path, NULL, "must be a language tag such as \"en\", \"fra\" or \"pt-BR\" "
                       "(2-3 letters, then optional -subtags; at most %d characters)", MF_AUDIO_LANG_MAX - 1);
    return 0;
}

static int check_audio_languages(struct mf_errbuf *e, const struct mf_job *job)
{
    char path[32];
    int ret;

    if (job->n_audio_languages < 1 || job->n_audio_languages > MF_MAX_AUDIO_TRACKS)
        return mf_fail(e, "audio", "tracks", "must list between 1 and %d languages", MF_MAX_AUDIO_TRACKS);
    for (int i = 0; i < job->n_audio_languages; i++) {
        const char *l = job->audio_languages[i];
        snprintf(path, sizeof(path), "audio.tracks[%d]", i);
        if ((ret = check_language(e, path, l, mf_job_bounded_len(l, MF_AUDIO_LANG_MAX))) < 0)
            return ret;
        for (int j = 0; j < i; j++)
            if (mf_job_same_name(job->audio_languages[j], l))
                return mf_fail(e, path, NULL, "\"%s\" is already listed as audio.tracks[%d]", l, j);
    }
    return 0;
}

/* "best", "all", or an array of languages. */
static int parse_audio_tracks(struct mf_errbuf *e, json_t *audio, struct mf_job *job)
{
    json_t *v = json_object_get(audio, "tracks"), *item;
    size_t i;
    int ret, choice = 0;

    if (!v)
        return 0;
    if (json_is_string(v)) {
        if ((ret = mf_json_choice(e, audio, "audio", "tracks", audio_track_choices, &choice)) < 0)
            return ret;
        job->audio_tracks = choice ? MF_AUDIO_TRACKS_ALL : MF_AUDIO_TRACKS_BEST;
        return 0;
    }
    if (!json_is_array(v))
        return mf_fail(e, "audio", "tracks", "must be \"best\", \"all\" or an array of languages");
    if (json_array_size(v) < 1 || json_array_size(v) > MF_MAX_AUDIO_TRACKS)
        return mf_fail(e, "audio", "tracks", "must list between 1 and %d languages", MF_MAX_AUDIO_TRACKS);
    json_array_foreach(v, i, item) {
        char path[48];
        snprintf(path, sizeof(path), "audio.tracks[%zu]", i);
        if (!json_is_string(item))
            return mf_fail(e, path, NULL, "must be a string (a language tag)");
        const char *s = json_string_value(item);
        size_t len = json_string_length(item);
        if ((ret = check_language(e, path, s, len)) < 0)
            return ret;
        memcpy(job->audio_languages[i], s, len + 1);
    }
    job->n_audio_languages = (int)json_array_size(v);
    job->audio_tracks = MF_AUDIO_TRACKS_LANGUAGES;
    return check_audio_languages(e, job);
}

int mf_job_audio_parse(struct mf_errbuf *e, json_t *root, struct mf_job *job)
{
    json_t *audio = json_object_get(root, "audio");
    long long channels = 0;
    int ret, mode = 0;

    if (!audio)
        return 0;
    if (!json_is_object(audio))
        return mf_fail(e, NULL, "audio", "must be an object");
    if ((ret = mf_json_reject_unknown(e, audio, "audio", audio_fields)) < 0)
        return ret;
    if ((ret = mf_json_choice(e, audio, "audio", "mode", audio_modes, &mode)) < 0)
        return ret;
    if (ret)
        job->audio_mode = (enum mf_audio_mode)mode;
    if ((ret = mf_job_get_bitrate(e, audio, "audio", "bitrate", &job->audio_bitrate)) < 0)
        return ret;
    if (ret && (ret = check_audio_rate(e, job->audio_bitrate)) < 0)
        return ret;
    if ((ret = parse_audio_tracks(e, audio, job)) < 0)
        return ret;
    if ((ret = mf_json_bool(e, audio, "audio", "surround", &job->audio_surround)) < 0)
        return ret;
    if ((ret = mf_json_integer(e, audio, "audio", "channels", &channels)) <= 0)
        return ret;
    /* Checked before narrowing to int. */
    if ((ret = check_channels(e, channels)) < 0)
        return ret;
    job->audio_channels = (int)channels;
    return 0;
}

int mf_job_audio_validate(struct mf_errbuf *e, const struct mf_job *job)
{
    int ret;

    if (job->audio_mode != MF_AUDIO_AAC && job->audio_mode != MF_AUDIO_COPY &&
        job->audio_mode != MF_AUDIO_NONE)
        return mf_fail_choice(e, "audio", "mode", audio_modes);
    if ((ret = check_audio_rate(e, job->audio_bitrate)) < 0)
        return ret;
    if ((ret = check_channels(e, job->audio_channels)) < 0)
        return ret;
    if (job->audio_tracks != MF_AUDIO_TRACKS_BEST && job->audio_tracks != MF_AUDIO_TRACKS_ALL &&
        job->audio_tracks != MF_AUDIO_TRACKS_LANGUAGES)
        return mf_fail(e, "audio", "tracks", "must be \"best\", \"all\" or an array of languages");
    if (job->audio_tracks == MF_AUDIO_TRACKS_LANGUAGES && (ret = check_audio_languages(e, job)) < 0)
        return ret;
    if (job->audio_surround && job->audio_mode != MF_AUDIO_AAC)
        return mf_fail(e, "audio", "surround", "needs audio.mode \"aac\" (the 5.1 rendition is encoded)");
    return 0;
}
