/* encode --chunk and --split (issue 13, local split and stitch). */
#ifndef MF_CMD_ENCODE_SPLIT_H
#define MF_CMD_ENCODE_SPLIT_H

#include <stddef.h>

#include "mpegflow/job.h"

struct mf_encode_chunk {
    double start, end;      /* seconds; end 0: not a chunk */
    int first_segment;
};

/** Parse --chunk START,END[,FIRST_SEGMENT] and make job a chunk's: HLS only,
 *  no subtitles or images, no audio unless START is 0. 0 or -1 with err. */
int mf_encode_chunk_parse(const char *arg, struct mf_job *job, struct mf_encode_chunk *c,
                          char *err, size_t err_len);

/** --split S --workers N: plan, run the chunk encodes as children of this
 *  binary (argv is encode's, passed on), stitch into outdir. An exit status. */
int mf_encode_split(int argc, char **argv, const char *input, const char *outdir, const struct mf_job *job,
                    double seconds, int workers, int pin, int overwrite);

#endif
