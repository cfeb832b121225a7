/* What a failed job's error says (issue 16 item 11): the job's names, the last cause. */
#ifndef MF_JOB_MESSAGE_H
#define MF_JOB_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

/**
 * Rewrite, in msg, the worker's local paths as the job's names: the scratch
 * input file (<scratch>/input.EXT) becomes "input <input_key>", <scratch>/out/REL
 * becomes <output_prefix>REL, and any other path under scratch "(scratch)/...".
 */
void mf_message_unscratch(char *msg, size_t len, const char *scratch, const char *input_key,
                          const char *output_prefix);

/**
 * The error of a job that used up its attempts before this delivery, from the job
 * hash as the last attempt left it (NULL for a missing field): "gave up after N
 * attempts (MPEGFLOW_MAX_ATTEMPTS=M): <the last cause>". A hash still "running"
 * means the last attempt's worker died mid-job (kill -9, out of memory, node lost).
 */
void mf_message_gave_up(char *out, size_t len, int64_t attempts, int max_attempts, const char *state,
                        const char *error, const char *worker, const char *attempt);

/**
 * An error with "No space left on device" in it (ENOSPC while the job wrote its
 * input or outputs in scratch) says what ran out: "the worker's scratch disk
 * (MPEGFLOW_SCRATCH_DIR, N MB) is full: <msg>". disk_mb < 0: the size unknown.
 */
void mf_message_disk_full(char *msg, size_t len, long long disk_mb);

#endif
