/*
 * What is built from the fMP4 (CMAF) segments once the HLS muxers have
 * written them, without a new media file: the I-frame playlists (trick
 * play, one per video variant, hls_iframes.h) and the DASH MPD over the same
 * segments (dash_mpd.h). Every span comes from the fragments as written
 * (segment_index.h), so the MPD's timeline and the EXTINFs agree.
 *
 * Each rendition directory holds index.m3u8, init.mp4 and seg_NNNNN.m4s; the
 * MPD sits in the directory above them and names them "<dir>/...".
 */
#ifndef MF_CMAF_OUTPUTS_H
#define MF_CMAF_OUTPUTS_H

#include <stddef.h>

#include <libavutil/rational.h>

#include "hls_iframes.h"
#include "segment_index.h"
#include "mpegflow/job.h"

#define MF_CMAF_MAX_AUDIO 16
#define MF_CMAF_MAX_TEXT 32

struct mf_cmaf_video_in {
    const char *dir;               /* the rendition's directory name (Representation@id) */
    const char *playlist;          /* its media playlist, a local path */
    int width, height;
    double fps;                    /* measured: frames / duration */
    AVRational sar;                /* 0/0 or 0/1: square */
    const char *codecs;
    int64_t peak_bps;              /* the video track's own (RFC 8216 peak of its segments) */
};

/* An audio rendition. One per language today's pipeline has one ("audio",
 * no language, default); the audio tracks work passes one per kept track. */
struct mf_cmaf_audio_in {
    const char *dir;               /* its directory name, e.g. "audio" */
    const char *playlist;
    const char *codecs;
    const char *lang;              /* BCP 47 or NULL */
    const char *label;             /* NULL: none */
    int channels, sample_rate;
    int is_default;
    int64_t peak_bps;
};

/* A WebVTT track for the MPD (subtitles work): a whole file beside the MPD. */
struct mf_cmaf_text_in {
    const char *id;
    const char *uri;               /* relative to the MPD */
    const char *lang, *label, *role;
    int is_default;
};

struct mf_cmaf {
    int n_video, n_audio;
    struct mf_segment_index video[MF_MAX_RENDITIONS];
    struct mf_segment_index audio[MF_CMAF_MAX_AUDIO];
    struct mf_hls_iframe_stats iframes[MF_MAX_RENDITIONS];
    char iframes_path[MF_MAX_RENDITIONS][MF_PATH_MAX];
};

/** Read back every rendition's segments. 0 or a negative AVERROR, err says why. */
int mf_cmaf_scan(struct mf_cmaf *c, const struct mf_cmaf_video_in *v, int n_video,
                 const struct mf_cmaf_audio_in *a, int n_audio, char *err, size_t err_len);
/** Write <dir>/iframes.m3u8 beside each video playlist (iframes_path, iframes). */
int mf_cmaf_write_iframes(struct mf_cmaf *c, const struct mf_cmaf_video_in *v, char *err, size_t err_len);
/** Write the MPD at path; trick_mode adds the trick-mode AdaptationSet. */
int mf_cmaf_write_mpd(const struct mf_cmaf *c, const char *path, const struct mf_cmaf_video_in *v,
                      const struct mf_cmaf_audio_in *a, const struct mf_cmaf_text_in *t, int n_text,
                      int trick_mode, char *err, size_t err_len);
/** The presentation's duration: the end of the longest track, seconds. */
double mf_cmaf_duration(const struct mf_cmaf *c);
void mf_cmaf_free(struct mf_cmaf *c);

#endif
