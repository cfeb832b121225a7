/* One delivered entry's run (worker_job.c), called by the job threads (worker.c). */
#ifndef MF_WORKER_JOB_H
#define MF_WORKER_JOB_H

#include "worker_internal.h"

/** Run one delivered entry to its end (succeeded, failed, retried, handed back, lost). */
void mf_worker_run_job(struct mf_worker *w, struct mf_slot *slot, struct mf_queue *q,
                       struct mf_storage *st, struct mf_queue_entry *e);

#endif
