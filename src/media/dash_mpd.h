/*
 * DASH: a static MPD over the same fMP4 (CMAF) segments the HLS playlists
 * list, so one set of files serves both.
 *
 * Profile: urn:mpeg:dash:profile:isoff-live:2011 (ISO/IEC 23009-1 8.4),
 * SegmentTemplate with $Number$ and a SegmentTimeline per Representation.
 * Not the CMAF profile (urn:mpeg:dash:profile:cmaf:2019): FFmpeg 5.1's
 * fragments carry no cmfc brand, and we do not claim what we do not check.
 *
 * The writer knows nothing of FFmpeg or of files on disk: the caller fills
 * these structs (output_files.c does, from the fragments as written, see
 * fmp4_scan.h) and every URI is relative to the MPD.
 *
 *   <MPD type="static" profiles=isoff-live mediaPresentationDuration=...>
 *     <Period>
 *       AdaptationSet video: one Representation per struct mf_dash_video
 *       AdaptationSet audio: one per struct mf_dash_audio (a language), its
 *                            Representations from reps[]
 *       AdaptationSet text:  one per struct mf_dash_text (WebVTT)
 *       AdaptationSet video trick mode (if trick_mode and every video has
 *                            iframes): EssentialProperty
 *                            http://dashif.org/guidelines/trickmode, one
 *                            Representation per video, a SegmentList of the
 *                            byte ranges moof..first I-frame of each segment
 */
#ifndef MF_DASH_MPD_H
#define MF_DASH_MPD_H

#include <stdint.h>

/* One segment: its earliest presentation time and its span, in the
 * timeline's timescale (S@t and S@d). */
struct mf_dash_span {
    int64_t start;
    int64_t duration;
};

/* A byte range [first, last] (inclusive, as in @mediaRange). */
struct mf_dash_range {
    int64_t first, last;
};

/* One Representation's segments: SegmentTemplate + SegmentTimeline. */
struct mf_dash_track {
    const char *id;                /* Representation@id, unique in the MPD ([A-Za-z0-9_-]) */
    const char *init;              /* SegmentTemplate@initialization, e.g. "720p/init.mp4" */
    const char *media;             /* SegmentTemplate@media, e.g. "720p/seg_$Number%05d$.m4s" */
    int start_number;              /* the number of the first segment (FFmpeg's HLS muxer: 0) */
    const char *codecs;            /* RFC 6381, e.g. "avc1.64001f", "mp4a.40.2" */
    int64_t bandwidth;             /* bits/s: the peak (as HLS BANDWIDTH, this track alone) */
    uint32_t timescale;            /* of the spans: the track's mdhd timescale */
    int n_spans;
    const struct mf_dash_span *spans;  /* in presentation order, the segments' real spans */
};

/* A video rendition: a Representation of the video AdaptationSet. */
struct mf_dash_video {
    struct mf_dash_track t;
    int width, height;
    int fps_num, fps_den;          /* @frameRate (measured: frames / duration, as a fraction) */
    int sar_num, sar_den;          /* @sar; 0 = 1:1 */
    /* Trick play: the byte range of each segment's first (sync) sample,
     * moof through the end of that sample's data; n_spans entries, with the
     * segments' URIs (relative to the MPD) in iframe_uris. NULL: none. */
    const struct mf_dash_range *iframes;
    const char *const *iframe_uris;
    int64_t iframe_bandwidth;      /* bits/s of the I-frame ranges over the duration */
};

/* An audio language: one AdaptationSet (a struct mf_dash_audio per
 * language; the audio tracks helper adds more). */
struct mf_dash_audio {
    const char *lang;              /* BCP 47 ("en", "pt-BR"); NULL or "" writes no @lang */
    const char *label;             /* <Label>, e.g. "English"; NULL: none */
    int channels;                  /* AudioChannelConfiguration (23003-3 scheme): the count */
    int sample_rate;               /* @audioSamplingRate; 0: not written */
    int is_default;                /* Role urn:mpeg:dash:role:2011 "main" (else "alternate") */
    int n_reps;
    const struct mf_dash_track *reps;  /* one Representation per bit rate */
};

/* A WebVTT text track: one AdaptationSet with one Representation. */
struct mf_dash_text {
    const char *id;                /* Representation@id */
    const char *lang;              /* BCP 47; NULL/"" none */
    const char *label;             /* NULL: none */
    const char *role;              /* "subtitle" (default when NULL), "caption", "forced-subtitle" */
    int is_default;                /* adds Role "main" */
    int64_t bandwidth;             /* bits/s; 0 writes 256 (players require the attribute) */
    /* Either a whole .vtt file (BaseURL, the form Shaka and dash.js read
     * best), or segmented WebVTT (track.media, track.spans; mimeType
     * text/vtt; track.init may be NULL). */
    const char *uri;
    const struct mf_dash_track *segmented;
};

struct mf_dash_mpd {
    double duration;               /* mediaPresentationDuration, seconds: the longest track */
    double max_segment_duration;   /* seconds (@maxSegmentDuration); 0: from the spans */
    double min_buffer_time;        /* seconds; 0: 2 */
    int n_video;
    const struct mf_dash_video *video;   /* in ladder order */
    int n_audio;
    const struct mf_dash_audio *audio;
    int n_text;
    const struct mf_dash_text *text;
    int trick_mode;                /* write the trick-mode AdaptationSet (videos with iframes) */
};

/** Write the MPD to path. 0 or -errno (-EINVAL: a track without segments). */
int mf_dash_write_mpd(const char *path, const struct mf_dash_mpd *mpd);

#endif
