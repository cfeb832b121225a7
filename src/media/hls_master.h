/* HLS: per-playlist bitrate figures and the master playlist. */
#ifndef MF_HLS_MASTER_H
#define MF_HLS_MASTER_H

#include <stddef.h>
#include <stdint.h>

struct mf_hls_stats {
    double duration;        /* sum of EXTINF */
    int64_t bytes;          /* init + segments */
    int64_t avg_bps;        /* segment bytes * 8 / duration */
    int64_t peak_bps;       /* RFC 8216 4.3.4.2 peak segment bit rate */
    int segments;
};

/** RFC 8216 4.3.4.2 peak bit rate of n segments (durations s, bytes). */
int64_t mf_hls_peak_bps(const double *dur, const int64_t *bytes, int n, double target);

/** Read a media playlist and stat its segments (beside it). 0 or -errno. */
int mf_hls_playlist_stats(const char *playlist, struct mf_hls_stats *st);

struct mf_hls_variant {
    const char *uri;        /* relative to the master, e.g. "720p/index.m3u8" */
    int width, height;
    double frame_rate;
    const char *codecs;     /* video codec string */
    struct mf_hls_stats stats;
    const char *iframes_uri;        /* NULL: no EXT-X-I-FRAME-STREAM-INF */
    int64_t iframes_peak_bps, iframes_avg_bps;
};

struct mf_hls_audio {
    const char *uri;
    const char *codecs;
    int channels;
    struct mf_hls_stats stats;
    const char *name;       /* NULL: "default" */
    const char *language;   /* BCP 47; NULL: no LANGUAGE */
    int not_default;        /* DEFAULT=NO (AUTOSELECT stays YES) */
};

/* A WebVTT subtitle rendition: one EXT-X-MEDIA TYPE=SUBTITLES in group "subs". */
struct mf_hls_text {
    const char *uri, *name, *language;
    int is_default, forced, captions;   /* captions: CHARACTERISTICS for the hard of hearing */
};

/** Write the master playlist; audio may be NULL, n_text 0. 0 or -errno. */
int mf_hls_write_master(const char *path, const struct mf_hls_variant *v, int n,
                        const struct mf_hls_audio *audio, const struct mf_hls_text *text, int n_text);
/**
 * The same with n_audio renditions in one group "audio": every variant
 * references it, its BANDWIDTH and AVERAGE-BANDWIDTH add the largest
 * rendition's, its CODECS every audio codec of the group.
 */
int mf_hls_write_master_groups(const char *path, const struct mf_hls_variant *v, int n,
                               const struct mf_hls_audio *audio, int n_audio,
                               const struct mf_hls_text *text, int n_text);

#endif
