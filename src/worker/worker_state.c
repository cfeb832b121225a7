/* The state the worker's threads share (worker_internal.h): set up, and napping on it. */
#include <errno.h>
#include <stdio.h>

#include "worker_internal.h"
#include "common/clock.h"

void mf_worker_init(struct mf_worker *w, const struct mf_config *cfg, const char *backend,
                    const char *unusable)
{
    w->cfg = cfg;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
    snprintf(w->backend, sizeof(w->backend), "%s", backend);
    snprintf(w->unusable, sizeof(w->unusable), "%s", unusable ? unusable : "");
    atomic_store(&w->alive_ms, mf_mono_ms());
    for (int i = 0; i < MF_MAX_CONCURRENCY; i++) {
        w->slots[i].w = w;
        w->slots[i].index = i;
    }
}

void mf_worker_nap(struct mf_worker *w, int ms)
{
    struct timespec ts;
    mf_mono_deadline(&ts, ms);
    pthread_mutex_lock(&w->lock);
    while (!atomic_load(&w->draining) && !atomic_load(&w->hard_stop)
           && pthread_cond_timedwait(&w->cond, &w->lock, &ts) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&w->lock);
}
