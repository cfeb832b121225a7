/*
 * WebVTT: cues, their text, the whole-track file (the MP4 outputs'
 * sidecar) and the segmenter for HLS: one .vtt per video segment, each
 * holding every cue that overlaps it (a cue longer than a segment is
 * repeated, as RFC 8216 3.5 asks; players drop the duplicates by time and
 * text), with X-TIMESTAMP-MAP so that cue time LOCAL 0 is MPEGTS's time on
 * the video's 90 kHz clock. No FFmpeg here: times are milliseconds.
 */
#ifndef MF_WEBVTT_H
#define MF_WEBVTT_H

#include <stddef.h>
#include <stdint.h>

#define MF_VTT_MAX_CUES 50000      /* per track; later cues are counted, not kept */
#define MF_VTT_MAX_TEXT 2048       /* bytes of one cue's text; longer text is cut */
#define MF_VTT_MAX_SEGMENT_BYTES 65536 /* of cues in one segment file (cues on screen at once) */
#define MF_VTT_OPEN_END INT64_MIN  /* a cue that ends when the next one starts (captions) */

struct mf_vtt_cue {
    int64_t start, end;            /* ms on the output timeline */
    char *text;                    /* WebVTT cue text, lines joined by '\n', never empty */
};

struct mf_vtt_track {
    struct mf_vtt_cue *cues;
    int n, cap;
    int dropped;                   /* cues over MF_VTT_MAX_CUES, or empty, or ending before 0 */
};

/** Format ms as a WebVTT timestamp "HH:MM:SS.mmm" (hours grow past 99). */
void mf_vtt_time(int64_t ms, char out[24]);

/** Turn plain text into cue text: & < > escaped, CR dropped, blank lines and
 * "-->" (which would end the cue or start another) removed. out gets at most
 * len - 1 bytes, cut at a character boundary. */
void mf_vtt_escape(const char *in, char *out, size_t len);

/** The same for text that holds WebVTT's <i> <b> <u> (and their ends), as
 * libavcodec's webvtt encoder writes it: those are kept, every other & < >
 * is escaped (that encoder passes the text between tags through as it is). */
void mf_vtt_escape_markup(const char *in, char *out, size_t len);

/**
 * Add a cue. text is cue text already (see mf_vtt_escape); it is trimmed,
 * blank lines and "-->" are removed. end may be MF_VTT_OPEN_END. A cue that
 * ends at or before 0 is dropped, one that starts before 0 starts at 0.
 * Returns 0 (also when the cue was dropped and counted), or -ENOMEM.
 */
int mf_vtt_add(struct mf_vtt_track *t, int64_t start, int64_t end, const char *text);

/** Sort by start (stable), and end open cues at the next cue's start, or at
 * end_ms (the end of the video). Cues that start at or after end_ms go. */
void mf_vtt_finish(struct mf_vtt_track *t, int64_t end_ms);

/** Write the whole track (the sidecar): 0 or -errno. */
int mf_vtt_write_file(const struct mf_vtt_track *t, const char *path);

/**
 * Write the HLS subtitle rendition into dir: seg_NNNNN.vtt for each of the n
 * video segments (durations in seconds, the video playlist's EXTINF), each
 * with "X-TIMESTAMP-MAP=MPEGTS:mpegts,LOCAL:00:00:00.000", and index.m3u8
 * with the same EXTINFs and target duration. bytes (may be NULL) gets the
 * total size written. 0 or -errno.
 */
int mf_vtt_write_segments(const struct mf_vtt_track *t, const char *dir, const double *durations,
                          int n, int target_duration, int64_t mpegts, int64_t *bytes);

void mf_vtt_free(struct mf_vtt_track *t);

#endif
