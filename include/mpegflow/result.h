/*
 * The result manifest: result.json beside the outputs and the job hash's `result`
 * field (README, "Output layout"). Written by the media side (src/media/result.c),
 * read back by the worker (src/worker/worker_result.c): the struct and every key
 * are defined here once, and this header includes no FFmpeg.
 */
#ifndef MPEGFLOW_RESULT_H
#define MPEGFLOW_RESULT_H

#include <stdint.h>

#include "mpegflow/job.h"

#define MF_MAX_OUTPUTS 64

/* The keys of result.json. */
#define MF_RK_ID "id"
#define MF_RK_BACKEND "backend"
#define MF_RK_SOURCE "source"                  /* object: */
#define MF_RK_SOURCE_VIDEO_STREAM "video_stream"
#define MF_RK_SOURCE_AUDIO_STREAM "audio_stream"
#define MF_RK_SOURCE_CODEC "codec"
#define MF_RK_SOURCE_WIDTH "width"
#define MF_RK_SOURCE_HEIGHT "height"
#define MF_RK_SOURCE_DURATION "duration"
#define MF_RK_SOURCE_AUDIO_CODEC "audio_codec"
#define MF_RK_INPUT_FRAMES "input_frames"
#define MF_RK_FRAMES_DROPPED "frames_dropped"
#define MF_RK_DURATION "duration"
#define MF_RK_WALL_SECONDS "wall_seconds"
#define MF_RK_HAS_AUDIO "has_audio"
#define MF_RK_OUTPUTS "outputs"                /* array of objects: */
#define MF_RK_OUT_RENDITION "rendition"
#define MF_RK_OUT_KIND "kind"
#define MF_RK_OUT_PATH "path"
#define MF_RK_OUT_BYTES "bytes"
#define MF_RK_OUT_DURATION "duration"
#define MF_RK_OUT_BITRATE "bitrate"
#define MF_RK_OUT_WIDTH "width"
#define MF_RK_OUT_HEIGHT "height"
#define MF_RK_OUT_PEAK_BITRATE "peak_bitrate"
#define MF_RK_OUT_CODECS "codecs"
#define MF_RK_SKIPPED "skipped"                /* array of objects: */
#define MF_RK_SKIPPED_RENDITION "rendition"
#define MF_RK_SKIPPED_REASON "reason"
#define MF_RK_VERSION "version"
#define MF_RK_FALLBACK "fallback"              /* object, only when it happened: */
#define MF_RK_FALLBACK_FROM "from"
#define MF_RK_FALLBACK_TO "to"
#define MF_RK_FALLBACK_REASON "reason"
#define MF_RK_NVENC "nvenc"                    /* object, nvenc only: */
#define MF_RK_NVENC_SESSIONS "sessions"
#define MF_RK_NVENC_DECODE "decode"
#define MF_RK_NVENC_DECODE_NOTE "decode_note"
#define MF_RK_TIMELINE "timeline"              /* object: */
#define MF_RK_TL_DISCONTINUITIES "discontinuities"
#define MF_RK_TL_VIDEO_FRAMES_DROPPED "video_frames_dropped"
#define MF_RK_TL_VIDEO_GAPS "video_gaps_held"
#define MF_RK_TL_VIDEO_GAPS_S "video_gaps_held_s"
#define MF_RK_TL_AUDIO_OVERLAPS "audio_overlaps_trimmed"
#define MF_RK_TL_AUDIO_TRIMMED_S "audio_trimmed_s"
#define MF_RK_TL_AUDIO_GAPS_FILLED "audio_gaps_filled"
#define MF_RK_TL_AUDIO_GAPS_FILLED_S "audio_gaps_filled_s"
#define MF_RK_TL_AUDIO_GAPS_KEPT "audio_gaps_kept"
#define MF_RK_TL_AUDIO_GAPS_KEPT_S "audio_gaps_kept_s"
#define MF_RK_SUBTITLES "subtitles"            /* array of text tracks (README, "Subtitles and captions") */
#define MF_RK_SUBTITLES_SKIPPED "subtitles_skipped"
#define MF_RK_SUBTITLES_SKIPPED_MORE "subtitles_skipped_more"
#define MF_RK_AUDIO_TRACKS "audio_tracks"      /* array of audio renditions (README, "Audio tracks and languages"): */
#define MF_RK_AT_LANGUAGE "language"
#define MF_RK_AT_NAME "name"
#define MF_RK_AT_CHANNELS "channels"
#define MF_RK_AT_CODEC "codec"
#define MF_RK_AT_CODECS "codecs"
#define MF_RK_AT_DEFAULT "default"
#define MF_RK_AT_SURROUND "surround"
#define MF_RK_AT_SOURCE_STREAM "source_stream"
#define MF_RK_AT_FILES "files"
#define MF_RK_AUDIO_SKIPPED "audio_skipped"    /* array of strings: languages not found, tracks past the limit */
#define MF_RK_IMAGES "images"                  /* object, when the job asked (README, "Images") */

struct mf_output {
    char rendition[MF_NAME_MAX];
    char kind[8];                  /* "mp4", "hls" (media playlist), "master", "mpd" (DASH),
                                      "iframes" (I-frame playlist), "dash" (a rendition folder, dash alone) */
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

/* What the images step wrote: result.json's "images" (src/media/images.c). */
struct mf_images_report {
    int poster;                        /* images/poster.jpg was written */
    int poster_width, poster_height;
    int64_t poster_bytes;
    double poster_time;                /* seconds into the video of the frame chosen */
    double poster_entropy;             /* its luma histogram's entropy, bits (at most 6) */
    double poster_stddev;              /* its luma's standard deviation, 0..255 */
    int poster_candidates;             /* frames measured */
    int poster_fallback;               /* none passed the black/white/flat tests: the best of them */
    int thumbnails;                    /* sprites and images/thumbnails.vtt were written */
    double interval;
    int tile_width, tile_height, columns, rows;
    int64_t tiles;
    int sheets;                        /* images/sprite-0.jpg .. sprite-<sheets-1>.jpg */
    int sheet_width, sheet_height;     /* every sheet but the last */
    int last_width, last_height;       /* the last one: only the rows (columns) it fills */
    int64_t sprite_bytes, vtt_bytes;
    int hls;                           /* images/thumbnails.m3u8 written, listed in hls/master.m3u8 */
    double cpu_seconds;                /* spent on images (the decode thread's, measured) */
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
    int n_text_tracks;
    struct mf_text_track text_tracks[MF_MAX_TEXT_TRACKS];
    int n_text_skipped;            /* listed in text_skipped (at most MF_MAX_TEXT_SKIPPED) */
    int text_skipped_total;        /* all of them */
    struct mf_text_skipped text_skipped[MF_MAX_TEXT_SKIPPED];
    int n_audio_tracks;            /* every audio rendition, in the order of the master playlist */
    struct mf_audio_track_out audio_tracks[MF_RESULT_MAX_AUDIO];
    int n_audio_skipped;           /* audio.tracks: languages not found, tracks past the limit */
    char audio_skipped[MF_RESULT_MAX_AUDIO][96];
    /* nvenc only (zero/empty otherwise) */
    int nvenc_sessions;            /* NVENC sessions the job held at once: one per rendition */
    char decode[12];               /* "nvdec" (CUDA frames end to end), "cpu" (CPU decode, one
                                      upload per rendition frame) or "nvdec+cpu" (fell back midway) */
    char decode_note[256];         /* why frames were decoded on the CPU, when they were */
    struct mf_images_report images; /* the poster and sprites written, when the job asked */
};

#endif
