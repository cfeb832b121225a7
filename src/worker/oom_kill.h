/*
 * An encode child killed by SIGKILL that the worker did not send: most likely the
 * kernel's OOM killer at the pod's memory limit (issue 16 item 3). The first such
 * kill of a job is retried (the memory may have been short because of other jobs);
 * a second on the very next attempt fails the job with the reason, rather than
 * retrying blindly up to MPEGFLOW_MAX_ATTEMPTS.
 */
#ifndef MF_OOM_KILL_H
#define MF_OOM_KILL_H

#include <stddef.h>
#include <stdint.h>

#include "mpegflow/queue.h"

/** The oom_kill count of this process's memory cgroup (v1 memory.oom_control, v2
 * memory.events); -1 when unreadable. */
int64_t mf_oom_kills(void);

/**
 * The error of a job whose encode was killed on attempt `attempt`: err gets the
 * reason. confirmed: the cgroup's oom_kill count rose during the encode. Reads the
 * job hash's error (the previous attempt's): 1 when that attempt's encode was
 * killed too (fail the job now), else 0 (retry).
 */
int mf_oom_judge(struct mf_queue *q, const char *job_id, long long attempt, int confirmed, const char *last,
                 char *err, size_t len);

#endif
