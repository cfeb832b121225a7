/*
 * Split and stitch (issue 13): the HLS output of one encode from the
 * outputs of its chunk encodes (encode --chunk), each a directory with the
 * usual layout. Segments are moved, not copied.
 */
#ifndef MF_STITCH_H
#define MF_STITCH_H

#include <stddef.h>

/**
 * Stitch the chunks' HLS outputs (dirs[0..n), in timeline order; dirs[0]
 * has the audio rendition, if any) into outdir/hls: each rendition's
 * init.mp4 from the first chunk, every chunk's segments, a media playlist
 * with their EXTINFs, and the master playlist of the first chunk with
 * BANDWIDTH and AVERAGE-BANDWIDTH over all the segments. 0 or -1 with err.
 */
int mf_stitch_hls(const char *outdir, const char *const *dirs, int n, char *err, size_t err_len);

#endif
