/*
 * The transcode pipeline: one local input, one job, one output directory.
 * It knows nothing of Redis or HTTP; worker, encode and bench all call it.
 */
#ifndef MF_PIPELINE_H
#define MF_PIPELINE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mpegflow/job.h"

#define MF_MAX_OUTPUTS 64

struct mf_progress {
    double percent;        /* 0..100, of the source duration */
    double fps;            /* decoded frames per wall second */
    double speed;          /* media seconds per wall second */
    double eta_seconds;    /* < 0 when unknown */
    int64_t frames;        /* decoded video frames so far */
};

typedef void (*mf_progress_fn)(const struct mf_progress *p, void *opaque);

struct mf_pipeline_opts {
    const char *backend;           /* NULL/"auto": the job's; "auto" there: x264 (h264), x265 (hevc) */
    const char *fallback_backend;  /* NULL: none; else used when the chosen backend is
                                      unusable here (not built, or its probe fails) */
    int threads;                   /* 0 = all cores */
    int no_cascade;                /* 1: scale every rendition from the source */
    int64_t max_pixels;            /* 0 = no limit: width*height of the source */
    double max_duration;           /* seconds, 0 = no limit */
    atomic_int *cancel;            /* may be NULL; nonzero cancels the encode */
    mf_progress_fn progress;       /* may be NULL; called at most ~4 times a second */
    void *opaque;
};

struct mf_output {
    char rendition[MF_NAME_MAX];
    char kind[8];                  /* "mp4", "hls" (media playlist), "master" */
    char path[MF_PATH_MAX];        /* relative to the output directory */
    int width, height;
    int64_t bytes;                 /* for "hls": playlist + init + segments */
    double duration;               /* seconds */
    int64_t bitrate;               /* average bits/s */
    int64_t peak_bitrate;          /* HLS: RFC 8216 peak segment bitrate, bits/s */
    char codecs[96];               /* RFC 6381 CODECS of what it holds ("" when unknown) */
};

#define MF_RESULT_MAX_AUDIO 16     /* audio renditions: 8 tracks and their 5.1 renditions */

/* One audio rendition: result.json's "audio_tracks". */
struct mf_audio_track_out {
    char language[36];             /* BCP 47, "und" when the source has no tag */
    char name[64];                 /* HLS NAME */
    char codec[16];                /* "aac", or the copied codec */
    char codecs[32];               /* RFC 6381 */
    int channels;
    int is_default;                /* DEFAULT=YES; the MP4s' enabled audio track */
    int surround;                  /* the AAC 5.1 rendition of its source track */
    int source_stream;
    char hls[MF_PATH_MAX];         /* its media playlist, relative; "" without HLS */
};

struct mf_skipped {
    char rendition[MF_NAME_MAX];
    char reason[128];
};

/* A text track of the source published as WebVTT (src/media/subtitles.c);
 * result.json's "subtitles". DASH text AdaptationSets can be written from it. */
#define MF_MAX_TEXT_TRACKS 16      /* kept per job; the rest are reported skipped */
#define MF_MAX_TEXT_SKIPPED 32     /* listed; more are only counted */
struct mf_text_track {
    int stream;                    /* source stream index; -1: captions in the video (A53 SEI) */
    char name[MF_NAME_MAX];        /* "sub0-en": the file and directory name */
    char language[16];             /* BCP 47 ("und" when the source has none) */
    char label[64];                /* HLS NAME: the source's title, else the language */
    char kind[12];                 /* "subtitles" or "captions" (CEA-608/708, hearing impaired) */
    char codec[24];                /* the source's: "subrip", "ass", "mov_text", "webvtt", "eia_608" */
    int is_default, forced;        /* the source's disposition */
    int cues, cues_dropped;
    char vtt[MF_PATH_MAX];         /* the sidecar, relative to the output directory ("" without mp4) */
    char playlist[MF_PATH_MAX];    /* its HLS media playlist, relative ("" without hls) */
    int segments;                  /* .vtt segment files beside the playlist */
    int64_t bytes;                 /* sidecar + playlist + segments */
};

struct mf_text_skipped {
    int stream;
    char language[16];
    char codec[24];
    char reason[112];
};

/* What was done to the timeline; result.json's "timeline". */
struct mf_timeline_report {
    int discontinuities;           /* jumps re-based (packets of any stream) */
    int64_t video_frames_dropped;  /* frames that did not move forward (overlaps, repeats) */
    int video_gaps;                /* gaps kept: the frame before is shown for longer */
    double video_gaps_s;
    int audio_overlaps_trimmed;
    double audio_trimmed_s;
    int audio_gaps_filled;         /* with silence (audio "aac") */
    double audio_gaps_filled_s;
    int audio_gaps_kept;           /* audio "copy": packets are not changed */
    double audio_gaps_kept_s;
};

struct mf_result {
    char backend[16];              /* the backend that encoded */
    char fallback_from[16];        /* "" unless the asked-for backend was unusable */
    char fallback_reason[256];     /* why, when fallback_from is set */
    int64_t frames_in;             /* decoded source video frames, each encoded once */
    int64_t frames_dropped;        /* frames with a repeated or backward timestamp */
    struct mf_timeline_report timeline; /* splices: what was re-based, trimmed, filled */
    int source_video_stream;       /* stream index used in the input */
    int source_audio_stream;       /* -1 when none */
    char source_codec[32];         /* the source's video codec, e.g. "h264" */
    char source_audio_codec[32];   /* "" when none */
    int source_width, source_height;
    double source_duration;        /* the container's, seconds (0 when unknown) */
    double duration;               /* seconds of source encoded */
    double wall_seconds;
    int has_audio;
    int n_outputs;
    struct mf_output outputs[MF_MAX_OUTPUTS];
    int n_skipped;
    struct mf_skipped skipped[MF_MAX_RENDITIONS];
    int n_audio_tracks;            /* every audio rendition, in the order of the master playlist */
    struct mf_audio_track_out audio_tracks[MF_RESULT_MAX_AUDIO];
    int n_audio_skipped;           /* audio.tracks: languages not found, tracks past the limit */
    char audio_skipped[MF_RESULT_MAX_AUDIO][96];
    int n_text_tracks;
    struct mf_text_track text_tracks[MF_MAX_TEXT_TRACKS];
    int n_text_skipped;            /* listed in text_skipped (at most MF_MAX_TEXT_SKIPPED) */
    int text_skipped_total;        /* all of them */
    struct mf_text_skipped text_skipped[MF_MAX_TEXT_SKIPPED];
    /* nvenc only (zero/empty otherwise) */
    int nvenc_sessions;            /* NVENC sessions the job held at once: one per rendition */
    char decode[12];               /* "nvdec" (CUDA frames end to end), "cpu" (CPU decode, one
                                      upload per rendition frame) or "nvdec+cpu" (fell back midway) */
    char decode_note[256];         /* why frames were decoded on the CPU, when they were */
};

/**
 * Transcode input into outdir as job says. outdir must exist.
 * Returns 0, or a negative AVERROR with err holding one line that names
 * the file and the cause. AVERROR_EXIT means cancelled; AVERROR(EBUSY)
 * means the backend is busy (NVENC session limit) and a retry may work.
 * On failure every output written so far is removed.
 */
int mf_pipeline_run(const char *input, const struct mf_job *job, const char *outdir,
                    const struct mf_pipeline_opts *opts, struct mf_result *result,
                    char *err, size_t err_len);

#endif
