/*
 * What the written fMP4 (CMAF) segments hold, read back from their boxes
 * (ISO/IEC 14496-12 8.8): the track's timescale and defaults from the init
 * segment (mdhd, trex), and per segment the presentation span (tfdt + trun:
 * decode times, durations, composition offsets) and where its first sample's
 * bytes end (for byte-range I-frame playlists). The DASH timeline and the
 * I-frame playlists are measured from these, the same rule as EXTINF.
 */
#ifndef MF_FMP4_SCAN_H
#define MF_FMP4_SCAN_H

#include <stdint.h>

struct mf_fmp4_track {
    uint32_t track_id;
    uint32_t timescale;            /* mdhd */
    uint32_t default_duration;     /* trex */
    uint32_t default_size;
    uint32_t default_flags;
};

struct mf_fmp4_segment {
    int64_t ept;                   /* earliest presentation time (dts + composition offset), timescale units */
    int64_t end;                   /* latest presentation end (pts + duration) */
    int64_t bytes;                 /* the file's size */
    int64_t moof_offset;           /* where the first moof starts in the file */
    int64_t first_sample_end;      /* byte just past the first sample's data */
    int first_is_sync;             /* the first sample (decode order) is a sync sample */
    int samples;
};

/** Read the first track of an init segment. 0 or -errno (-EINVAL: not fMP4). */
int mf_fmp4_read_init(const char *path, struct mf_fmp4_track *t);

/** Scan every moof of a media segment. 0 or -errno (-EINVAL: no fragment). */
int mf_fmp4_scan_segment(const char *path, const struct mf_fmp4_track *t, struct mf_fmp4_segment *s);

#endif
