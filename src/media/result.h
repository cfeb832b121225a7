/* The result manifest (result.json and the job hash's `result` field). */
#ifndef MF_RESULT_H
#define MF_RESULT_H

#include "input.h"
#include "pipeline.h"

/** Fill the result's source fields (codec, size, duration) from the opened input. */
void mf_result_set_source(struct mf_result *result, const struct mf_input *in);

/** The result as compact JSON; the caller frees it with free(). NULL on OOM. */
char *mf_result_to_json(const struct mf_job *job, const struct mf_result *result);

#endif
