/*
 * The segments of one fMP4 media playlist as written: their URIs (from the
 * playlist) and, read back from the fragments (fmp4_scan.h), each one's
 * presentation span and first sample. The DASH timeline and the I-frame
 * playlists are built from it, by the same rule as EXTINF: a segment lasts
 * from its earliest presentation time to the next one's, the last one to
 * the end of its latest picture.
 */
#ifndef MF_SEGMENT_INDEX_H
#define MF_SEGMENT_INDEX_H

#include <stddef.h>

#include "dash_mpd.h"
#include "fmp4_scan.h"

#define MF_SEG_URI_MAX 64

struct mf_segment_index {
    struct mf_fmp4_track track;
    char init[MF_SEG_URI_MAX];           /* the init segment's URI, relative to the playlist */
    int start_number;                    /* N of the first seg_NNNNN.m4s */
    int numbered;                        /* every URI is seg_%05d.m4s, counting up by one */
    int n;
    char (*uris)[MF_SEG_URI_MAX];
    struct mf_fmp4_segment *segs;
    struct mf_dash_span *spans;          /* timescale units */
};

/** Read playlist and scan the segments beside it. 0 or a negative errno, err says why. */
int  mf_segment_index_read(const char *playlist, struct mf_segment_index *x, char *err, size_t err_len);
/** The sum of the spans, seconds. */
double mf_segment_index_duration(const struct mf_segment_index *x);
void mf_segment_index_free(struct mf_segment_index *x);

#endif
