/* State shared by the worker's threads (worker.c) and the job runner (worker_job.c);
 * worker_state.c sets it up. */
#ifndef MF_WORKER_INTERNAL_H
#define MF_WORKER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "worker_config.h"
#include "mpegflow/queue.h"
#include "mpegflow/storage.h"
#include "common/clock.h"

#define MF_MAX_CONCURRENCY 64

enum mf_cancel_reason {
    MF_CANCEL_NONE = 0,
    MF_CANCEL_SHUTDOWN,            /* drain timeout or second signal: hand the job back */
    MF_CANCEL_LOST,                /* another worker took the entry over: drop it */
};

struct mf_worker;

/* One in-flight job. Fields below the lock line are guarded by worker->lock. */
struct mf_slot {
    struct mf_worker *w;
    int index;
    atomic_int cancel;             /* read by the pipeline and storage */
    atomic_int cancel_reason;
    /* --- guarded by w->lock --- */
    int busy;
    char entry_id[48];
    char job_id[128];
    double percent, fps;
    int progress_dirty;
    int64_t progress_written_ms;
    double written_percent;        /* the last progress written to the job hash */
};

struct mf_worker {
    const struct mf_config *cfg;
    char consumer[160];
    char backend[16];              /* "auto": chosen per job by codec */
    char unusable[512];            /* set: the pool's backend cannot run here */
    pthread_mutex_t lock;
    pthread_cond_t cond;           /* drain, hard stop, threads exiting */
    struct mf_slot slots[MF_MAX_CONCURRENCY];
    int threads_running;
    atomic_int draining;           /* stop taking jobs, /readyz 503 */
    atomic_int hard_stop;          /* cancel in-flight jobs and hand them back */
    atomic_llong drain_deadline_ms;    /* monotonic, set at the first signal (0: not draining) */
    atomic_int redis_up;
    atomic_llong alive_ms;         /* heartbeat thread's last tick (monotonic) */
    atomic_llong ping_sent_ms;     /* the readiness PING in flight since (monotonic, 0: none; readiness.c) */
    struct mf_queue *ping_q;       /* the readiness PING's own connection */
    atomic_int reserved;           /* --max-jobs: jobs taken or being read */
    atomic_int finished;
};

/* worker_state.c */
/** Set up w for cfg: locks, backend, slots (the caller names the consumer). */
void mf_worker_init(struct mf_worker *w, const struct mf_config *cfg, const char *backend,
                    const char *unusable);
/** Sleep up to ms, waking early when the worker starts draining. */
void mf_worker_nap(struct mf_worker *w, int ms);

#endif
