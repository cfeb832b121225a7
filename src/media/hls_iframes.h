/*
 * HLS trick play: an I-frame playlist (RFC 8216 4.3.3.6 EXT-X-I-FRAMES-ONLY)
 * per video variant, as byte ranges into the segments already written: each
 * entry is one segment's moof and its first sample (a sync sample, which
 * every segment starts with), EXTINF the segment's span. No new media files.
 */
#ifndef MF_HLS_IFRAMES_H
#define MF_HLS_IFRAMES_H

#include <stdint.h>

#include "segment_index.h"

struct mf_hls_iframe_stats {
    int entries;
    int64_t bytes;          /* sum of the byte ranges */
    int64_t avg_bps;        /* bytes * 8 / duration */
    int64_t peak_bps;       /* RFC 8216 4.3.4.2 over the entries */
};

/** Write the I-frame playlist of x at path (beside x's playlist). 0 or
 *  -errno; -EINVAL when a segment does not start with a sync sample. */
int mf_hls_write_iframes(const char *path, const struct mf_segment_index *x, struct mf_hls_iframe_stats *st);

#endif
