/* Worker metrics (process-wide), rendered in the Prometheus text format. */
#ifndef MF_METRICS_H
#define MF_METRICS_H

#include <stdint.h>

enum mf_outcome {
    MF_OUTCOME_SUCCEEDED,
    MF_OUTCOME_FAILED,             /* permanent failure or attempts exhausted: dead-lettered */
    MF_OUTCOME_RETRIED,            /* retryable failure: back to the queue after a backoff */
    MF_OUTCOME_HANDED_BACK,        /* cancelled by shutdown: back to the queue at once */
    MF_OUTCOME_LOST,               /* another worker took the entry over */
    MF_OUTCOME_UNRECORDED,         /* Redis never took the fate write (drain deadline): recoverable */
    MF_OUTCOME_COUNT,
};

void mf_metrics_init(const char *backend);
void mf_metrics_outcome(enum mf_outcome o);
void mf_metrics_attempt(void);
void mf_metrics_encode(double seconds, int64_t frames);
void mf_metrics_bytes(int64_t in, int64_t out);
void mf_metrics_queue_wait(double seconds);
void mf_metrics_in_flight(int delta);

/** The exposition text; the caller frees it. NULL on OOM. */
char *mf_metrics_render(void);

#endif
