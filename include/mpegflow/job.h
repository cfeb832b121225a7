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
    MF_FORMAT_DASH = 1 << 2,       /* MPD over the same fMP4 segments as HLS */
    MF_FORMAT_CMAF = MF_FORMAT_HLS | MF_FORMAT_DASH,
    MF_FORMAT_ALL  = MF_FORMAT_MP4 | MF_FORMAT_HLS | MF_FORMAT_DASH,
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

/* Images from the decoded frames (src/job/job_images.c has the schema). */
struct mf_images_spec {
    int poster;                    /* write images/poster.jpg */
    int poster_width;              /* even, 16..3840; never above the source's display width */
    int thumbnails;                /* write images/sprite-N.jpg and images/thumbnails.vtt */
    double interval;               /* seconds between tiles, 0.5..3600 */
    int width;                     /* tile width, even, 16..1280; height follows the aspect */
    int columns, rows;             /* tiles per sprite sheet, 1..20 each */
    int hls;                       /* list the sprites in the HLS master (EXT-X-IMAGE-STREAM-INF) */
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
    struct mf_images_spec images;  /* off by default */
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

/**
 * The id rule: 1 to 127 characters of A-Z a-z 0-9 . _ : - (so it is safe in a
 * Redis key and a file name). NULL when s (len bytes) is a valid id, else why not.
 */
const char *mf_job_id_problem(const char *s, size_t len);

/**
 * The id a worker records a stream entry under (README, Redis contract): the job
 * JSON's "id" when it is a valid id, else entry_id: when the JSON has no "id", is
 * not JSON, or its "id" breaks the rule (then 1 is returned, with why set to
 * "id: <what is wrong>", even when the job fails for another field first).
 * Returns 0 when the id is the job's own or there is none, 1 when an id was refused.
 */
int mf_job_id_of(const char *json, size_t len, const char *entry_id, char *id, size_t id_len,
                 char *why, size_t why_len);

/** Validate a job built by hand (the CLI); same messages as mf_job_parse. */
int mf_job_validate(const struct mf_job *job, int require_io, char *err, size_t err_len);

#endif
