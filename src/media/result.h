/* The result manifest (result.json and the job hash's `result` field). */
#ifndef MF_RESULT_H
#define MF_RESULT_H

#include "pipeline.h"

/** The result as compact JSON; the caller frees it with free(). NULL on OOM. */
char *mf_result_to_json(const struct mf_job *job, const struct mf_result *result);

#endif
