/* The readiness PING (readiness.h): one cheap command a second, its own connection. */
#include <errno.h>
#include <time.h>

#include "readiness.h"

int mf_readiness_stalled(const struct mf_worker *w)
{
    int64_t since = atomic_load(&w->ping_sent_ms);
    return since && mf_mono_ms() - since >= READY_STALL_MS;
}

void *mf_readiness_thread(void *arg)
{
    struct mf_worker *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        int stop = w->threads_running == 0;
        pthread_mutex_unlock(&w->lock);
        if (stop)
            break;
        int64_t t0 = mf_mono_ms();
        atomic_store(&w->ping_sent_ms, t0);
        mf_queue_ping(w->ping_q);      /* marks w->redis_up either way */
        atomic_store(&w->ping_sent_ms, 0);
        int64_t left = READY_PING_EVERY_MS - (mf_mono_ms() - t0);
        if (left <= 0)
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (long)(left % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_mutex_lock(&w->lock);
        if (w->threads_running > 0)
            pthread_cond_timedwait(&w->cond, &w->lock, &ts);
        pthread_mutex_unlock(&w->lock);
    }
    mf_queue_close(&w->ping_q);
    return NULL;
}
