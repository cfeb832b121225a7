/*
 * mpegflow job spec (DESIGN section 4): parsing and strict validation.
 */
#ifndef MPEGFLOW_JOB_H
#define MPEGFLOW_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "mpegflow/codec.h"

#define MF_MAX_RENDITIONS 8
#define MF_NAME_MAX 32
#define MF_KEY_MAX 1024
#define MF_ERR_MAX 512
#define MF_PATH_MAX 512            /* local files: scratch, outputs */
#define MF_MAX_AUDIO_TRACKS 8      /* source audio tracks a job keeps (audio.tracks) */
#define MF_AUDIO_LANG_MAX 16       /* a language of audio.tracks, with its NUL */

enum mf_format {
    MF_FORMAT_MP4  = 1 << 0,
    MF_FORMAT_HLS  = 1 << 1,
    MF_FORMAT_BOTH = MF_FORMAT_MP4 | MF_FORMAT_HLS,
};

/* audio.tracks: which of the source's audio tracks are kept. */
enum mf_audio_tracks {
    MF_AUDIO_TRACKS_BEST = 0,      /* the one libavformat ranks best (the default) */
    MF_AUDIO_TRACKS_ALL,           /* every audio track, up to MF_MAX_AUDIO_TRACKS */
    MF_AUDIO_TRACKS_LANGUAGES,     /* one track per listed language, in the list's order */
};

enum mf_audio_mode {
    MF_AUDIO_AAC = 0,
    MF_AUDIO_COPY,
    MF_AUDIO_NONE,
};

/* subtitles: which text tracks of the source become WebVTT. */
enum mf_subtitles_mode {
    MF_SUBTITLES_ALL = 0,          /* every text track (up to MF_MAX_SUBTITLE_TRACKS) */
    MF_SUBTITLES_NONE,
    MF_SUBTITLES_LANGS,            /* the tracks in subtitle_langs */
};
#define MF_MAX_SUBTITLE_LANGS 16
#define MF_LANG_MAX 16             /* a BCP 47 / ISO 639 tag and its NUL */

struct mf_rendition {
    char name[MF_NAME_MAX];        /* [A-Za-z0-9_-], used in output file names */
    int height;                    /* 16..4320 */
    double crf;                    /* < 0 when unset */
    int64_t bitrate;               /* bits/s, 0 when unset */
    int64_t maxrate;               /* bits/s, 0 when unset */
    int64_t bufsize;               /* bits, 0 when unset */
    char profile[16];              /* "" = default */
    char level[8];                 /* "" = automatic */
    int upscale;                   /* encode even when taller than the source */
};

struct mf_job {
    char id[128];                  /* "" = assigned by the caller (stream entry id) */
    char input[MF_KEY_MAX];
    char output_prefix[MF_KEY_MAX];
    unsigned format;               /* enum mf_format bits */
    enum mf_video_codec codec;
    int codec_given;               /* video.codec was set; else the media side takes the
                                      backend's (mf_encoder_backend_default_codec: x265 -> hevc) */
    char backend[16];              /* "auto" or a backend name */
    char preset[16];
    char tune[16];                 /* "" = none */
    double gop_seconds;            /* 0.5..20 */
    int n_renditions;
    struct mf_rendition renditions[MF_MAX_RENDITIONS];
    enum mf_audio_mode audio_mode;
    int64_t audio_bitrate;         /* bits/s */
    int audio_channels;            /* 1 or 2 */
    enum mf_audio_tracks audio_tracks;
    int n_audio_languages;         /* MF_AUDIO_TRACKS_LANGUAGES: 1..MF_MAX_AUDIO_TRACKS */
    char audio_languages[MF_MAX_AUDIO_TRACKS][MF_AUDIO_LANG_MAX]; /* ISO 639 or BCP 47 */
    int audio_surround;            /* also an AAC 5.1 rendition of each 5.1 (or more) track */
    enum mf_subtitles_mode subtitles;
    int n_subtitle_langs;          /* MF_SUBTITLES_LANGS: 1..MF_MAX_SUBTITLE_LANGS */
    char subtitle_langs[MF_MAX_SUBTITLE_LANGS][MF_LANG_MAX]; /* as written: "en", "fre", "pt-BR" */
};

/** Fill job with the defaults every parsed job starts from. */
void mf_job_defaults(struct mf_job *job);

/**
 * Parse and validate a job from JSON text.
 * require_io: 1 when "input" and "output_prefix" are required (worker),
 * 0 for a local encode where the command line names them.
 * Returns 0, or -EINVAL with err naming the field, e.g.
 * "video.renditions[1].height: must be between 16 and 4320".
 */
int mf_job_parse(struct mf_job *job, const char *json, size_t len,
                 int require_io, char *err, size_t err_len);

/** Validate a job built by hand (the CLI); same messages as mf_job_parse. */
int mf_job_validate(const struct mf_job *job, int require_io, char *err, size_t err_len);

#endif
