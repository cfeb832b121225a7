/*
 * Split and stitch (issue 13): cutting a source's timeline into chunks at
 * multiples of gop_seconds, so chunk edges are segment edges and keyframes
 * of the unsplit encode.
 */
#ifndef MF_SPLIT_PLAN_H
#define MF_SPLIT_PLAN_H

#include <stddef.h>

#define MF_SPLIT_MAX_CHUNKS 4096

struct mf_split_chunk {
    double start, end;      /* seconds of the output timeline; the last chunk's end is open */
    int first_segment;      /* start / gop */
};

/** Chunks of seconds rounded to a multiple of gop (at least one gop) over
 *  duration. Returns the count (>= 1), or -1 with err. */
int mf_split_plan(double duration, double gop, double seconds, struct mf_split_chunk *out, int max,
                  char *err, size_t err_len);

/** The source's duration in seconds (container, else video stream). 0 or -1 with err. */
int mf_split_source_duration(const char *input, double *duration, char *err, size_t err_len);

#endif
