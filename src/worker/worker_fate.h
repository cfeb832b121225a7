/*
 * A job's fate in Redis: succeeded, failed (dead letter), retried later, or
 * handed back. Each is one script (src/queue/scripts.c) that worker_fate.c
 * retries, reconnecting, until Redis answers or the fate deadline passes.
 */
#ifndef MF_WORKER_FATE_H
#define MF_WORKER_FATE_H

#include <stdint.h>

#include "worker_internal.h"

/* How long a fate write keeps trying after the drain deadline (a hand-back after
 * the drain timeout needs its own time): well inside the chart's
 * terminationGraceMarginSeconds (30). */
#define MF_FATE_GRACE_MS 10000

/* The job a fate write is about. */
struct mf_fate_job {
    struct mf_worker *w;
    struct mf_queue *q;            /* the job thread's connection */
    const struct mf_queue_entry *e;
    const char *job_id;
    const char *attempt;           /* the delivery count, as text */
};

/** Until when (monotonic ms) fate writes may retry: INT64_MAX while not draining. */
int64_t mf_fate_deadline(const struct mf_worker *w);

/** Record success (result manifest JSON, frames per second of the encode). */
void mf_fate_succeed(const struct mf_fate_job *j, const char *result_json, const char *fps,
                     int64_t bytes_in, int64_t bytes_out);

/** Record a permanent failure and dead-letter the job. */
void mf_fate_fail(const struct mf_fate_job *j, const char *reason);

/** Back to the queue: at once (handback, not an attempt) or after a backoff (err: why). */
void mf_fate_release(const struct mf_fate_job *j, int handback, const char *err);

#endif
