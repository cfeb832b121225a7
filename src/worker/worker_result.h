/* The worker's reading of an encode's result.json (mpegflow/result.h). */
#ifndef MF_WORKER_RESULT_H
#define MF_WORKER_RESULT_H

#include "mpegflow/result.h"

/**
 * Fill what the worker uses from result.json: frames_in, wall_seconds, the
 * fallback (fallback_from, backend, fallback_reason) and the nvenc figures
 * (nvenc_sessions, decode, decode_note); r is zeroed first. 0, or -1 when json
 * is not a JSON object.
 */
int mf_result_read(const char *json, struct mf_result *r);

#endif
