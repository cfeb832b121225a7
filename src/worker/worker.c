/*
 * The worker's threads:
 *  - N job threads, each with its own Redis connection and storage handle:
 *    take over an idle entry (XAUTOCLAIM) or read a new one (XREADGROUP BLOCK),
 *    run it (worker_job.c), repeat until draining;
 *  - a heartbeat thread with its own connection: re-claims in-flight entries
 *    every claim_timeout/3 (an encode hogging the CPU cannot hold it up: it
 *    never waits on a job thread) and writes progress at most once a second;
 *  - a signal thread: sigwait() for SIGTERM/SIGINT (works as PID 1, where
 *    signals without a handler are ignored): first = drain, second = cancel;
 *  - libmicrohttpd's thread for /healthz, /readyz, /metrics.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "scratch.h"
#include "common/log.h"
#include "metrics.h"
#include "readiness.h"
#include "worker.h"
#include "worker_internal.h"
#include "worker_job.h"
#include "common/clock.h"

#define READ_BLOCK_MS 1000         /* how often an idle job thread looks up: drain, takeover */
#define TICK_MS 250

/* timeout_ms: connect and command timeout, backoff_ms: the reconnection backoff cap
 * (0: the queue's defaults). */
static struct mf_queue *open_queue(struct mf_worker *w, int timeout_ms, int backoff_ms)
{
    const struct mf_config *cfg = w->cfg;
    static atomic_int warned;
    struct mf_queue_config qc;
    mf_config_queue(cfg, &qc);
    if (qc.tls.insecure && !atomic_exchange(&warned, 1))
        mf_log(MF_LOG_WARN, NULL, "MPEGFLOW_REDIS_TLS_INSECURE=1: the Redis server's certificate and "
               "host name are NOT verified; anyone on the path can read and change the queue", NULL);
    qc.consumer = w->consumer;
    qc.reachable = &w->redis_up;
    qc.connect_timeout_ms = qc.command_timeout_ms = timeout_ms;
    qc.backoff_max_ms = backoff_ms;
    struct mf_queue *q;
    char err[256];
    if (mf_queue_open(&q, &qc, err, sizeof(err))) {
        mf_log(MF_LOG_ERROR, NULL, "Redis configuration", "error", err, NULL);
        return NULL;
    }
    return q;
}

static struct mf_storage *open_storage(const struct mf_config *cfg, char *err, size_t err_len)
{
    struct mf_storage_config sc = {
        .url = cfg->storage_url,
        .auth = cfg->storage_auth,
        .token = cfg->storage_token,
        .access_key = cfg->aws_access_key,
        .secret_key = cfg->aws_secret_key,
        .region = cfg->aws_region,
        .max_input_bytes = cfg->max_input_bytes,
        .low_speed_time_s = (long)cfg->storage_stall_timeout,
    };
    return mf_storage_open(&sc, err, err_len);
}

/* --max-jobs: reserve one job; 0 = none left to take (or to wait for). */
static int reserve(struct mf_worker *w)
{
    int max = w->cfg->max_jobs;
    if (!max)
        return 1;
    if (atomic_fetch_add(&w->reserved, 1) < max)
        return 1;
    atomic_fetch_sub(&w->reserved, 1);
    return 0;
}

static void unreserve(struct mf_worker *w)
{
    if (w->cfg->max_jobs)
        atomic_fetch_sub(&w->reserved, 1);
}

struct job_thread {
    struct mf_worker *w;
    struct mf_slot *slot;
    struct mf_storage *st;
    pthread_t tid;
};

static void *job_thread(void *arg)
{
    struct job_thread *jt = arg;
    struct mf_worker *w = jt->w;
    const struct mf_config *cfg = w->cfg;
    struct mf_queue *q = open_queue(w, 0, 0);
    int down_logged = 0;
    while (q && !atomic_load(&w->draining)) {
        if (!reserve(w)) {
            if (atomic_load(&w->finished) >= cfg->max_jobs)
                break;
            mf_worker_nap(w, 200);
            continue;
        }
        struct mf_queue_entry e = { 0 };
        int r = mf_queue_takeover(q, (int64_t)(cfg->claim_timeout * 1000), &e);
        if (r == 0)
            r = mf_queue_read(q, READ_BLOCK_MS, &e);
        if (r <= 0) {
            unreserve(w);
            if (r < 0) {
                if (!down_logged++)
                    mf_log(MF_LOG_WARN, NULL, r == MF_QUEUE_EREPLY ? "Redis refused the command; retrying"
                                                                   : "Redis unreachable; backing off",
                           "error", mf_queue_errstr(q), NULL);
                /* No busy loop: the queue refuses to reconnect before its backoff. */
                mf_worker_nap(w, mf_queue_retry_in_ms(q) + 100);
            }
            continue;
        }
        if (down_logged) {
            mf_log(MF_LOG_INFO, NULL, "Redis reachable again", NULL);
            down_logged = 0;
        }
        mf_worker_run_job(w, jt->slot, q, jt->st, &e);
        mf_queue_entry_clear(&e);
        malloc_trim(0);            /* an idle worker gives its encode buffers back */
        atomic_fetch_add(&w->finished, 1);
    }
    mf_queue_close(&q);
    pthread_mutex_lock(&w->lock);
    w->threads_running--;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void *heartbeat_thread(void *arg)
{
    struct mf_worker *w = arg;
    struct mf_queue *q = open_queue(w, 0, 0);
    int64_t interval = (int64_t)(w->cfg->claim_timeout * 1000 / 3);
    int64_t last_beat = 0, last_cmd = 0;
    int beat_logged = 0;
    const char *ids[MF_MAX_CONCURRENCY];
    char idbuf[MF_MAX_CONCURRENCY][48];
    int status[MF_MAX_CONCURRENCY], which[MF_MAX_CONCURRENCY];
    while (q) {
        int64_t now = mf_mono_ms();
        atomic_store(&w->alive_ms, now);
        pthread_mutex_lock(&w->lock);
        int stop = w->threads_running == 0;
        int n = 0;
        for (int i = 0; i < w->cfg->concurrency; i++) {
            struct mf_slot *s = &w->slots[i];
            if (!s->busy)
                continue;
            snprintf(idbuf[n], sizeof(idbuf[n]), "%s", s->entry_id);
            ids[n] = idbuf[n];
            which[n++] = i;
        }
        pthread_mutex_unlock(&w->lock);
        if (stop)
            break;
        if (n && now - last_beat >= interval) {
            int hb = mf_queue_heartbeat(q, ids, n, status);
            if (hb == MF_QUEUE_EREPLY && !beat_logged++)
                mf_log(MF_LOG_ERROR, NULL, "heartbeat refused by Redis", "error", mf_queue_errstr(q), NULL);
            if (hb == 0) {
                last_beat = now;
                for (int i = 0; i < n; i++) {
                    struct mf_slot *s = &w->slots[which[i]];
                    if (status[i] != 0)
                        continue;
                    mf_log(MF_LOG_WARN, s->job_id, "entry taken over by another worker; cancelling",
                           "entry", ids[i], NULL);
                    atomic_store(&s->cancel_reason, MF_CANCEL_LOST);
                    atomic_store(&s->cancel, 1);
                }
            }
            last_cmd = now;
        }
        /* Progress: at most once a second per job, when it changed. */
        for (int i = 0; i < w->cfg->concurrency; i++) {
            struct mf_slot *s = &w->slots[i];
            char job[128], pct[16], fps[16];
            pthread_mutex_lock(&w->lock);
            /* The first move off 0% goes out at once: a job that has started
             * encoding shows it, even when the 0% report was just written. */
            int due = s->busy && s->progress_dirty
                      && (now - s->progress_written_ms >= 1000 || (s->written_percent == 0 && s->percent > 0));
            if (due) {
                s->written_percent = s->percent;
                snprintf(job, sizeof(job), "%s", s->job_id);
                snprintf(pct, sizeof(pct), "%.1f", s->percent);
                snprintf(fps, sizeof(fps), "%.1f", s->fps);
                s->progress_dirty = 0;
                s->progress_written_ms = now;
            }
            pthread_mutex_unlock(&w->lock);
            if (due) {
                const char *fields[] = { "progress", pct, "fps", fps, NULL };
                mf_queue_update(q, job, fields, NULL, NULL);
                last_cmd = now;
            }
        }
        /* redis-sentinel://: a +switch-master makes every connection move to the new primary. */
        char notice[256];
        if (mf_queue_sentinel_watch(q, notice, sizeof(notice)) == 1)
            mf_log(MF_LOG_WARN, NULL, "Redis Sentinel: the primary moved; reconnecting", "notice", notice, NULL);
        /* Keeps /readyz honest while every job thread is busy encoding. */
        if (now - last_cmd >= 2000) {
            mf_queue_ping(q);
            last_cmd = now;
        }
        struct timespec ts;
        mf_mono_deadline(&ts, TICK_MS);
        pthread_mutex_lock(&w->lock);
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
        pthread_mutex_unlock(&w->lock);
    }
    mf_queue_close(&q);
    return NULL;
}

struct signal_ctx {
    struct mf_worker *w;
    sigset_t set;
};

static void cancel_all(struct mf_worker *w)
{
    pthread_mutex_lock(&w->lock);
    atomic_store(&w->hard_stop, 1);
    for (int i = 0; i < w->cfg->concurrency; i++) {
        struct mf_slot *s = &w->slots[i];
        if (s->busy && atomic_load(&s->cancel_reason) == MF_CANCEL_NONE)
            atomic_store(&s->cancel_reason, MF_CANCEL_SHUTDOWN);
        atomic_store(&s->cancel, 1);
    }
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static void *signal_thread(void *arg)
{
    struct signal_ctx *sc = arg;
    struct mf_worker *w = sc->w;
    for (int n = 0;; n++) {
        int sig;
        if (sigwait(&sc->set, &sig))
            continue;
        if (n == 0) {
            char t[24];
            snprintf(t, sizeof(t), "%g", w->cfg->drain_timeout);
            mf_log(MF_LOG_INFO, NULL, "draining: no new jobs, waiting for in-flight jobs",
                   "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", "drain_timeout_s", t, NULL);
            pthread_mutex_lock(&w->lock);
            atomic_store(&w->drain_deadline_ms, mf_mono_ms() + (int64_t)(w->cfg->drain_timeout * 1000));
            atomic_store(&w->draining, 1);
            pthread_cond_broadcast(&w->cond);
            pthread_mutex_unlock(&w->lock);
        } else {
            mf_log(MF_LOG_WARN, NULL, "second signal: cancelling in-flight jobs and handing them back", NULL);
            cancel_all(w);
        }
    }
    return NULL;
}

/* Signals are blocked in every thread and taken by sigwait() alone. */
static void block_signals(struct signal_ctx *sc, struct mf_worker *w)
{
    sc->w = w;
    sigemptyset(&sc->set);
    sigaddset(&sc->set, SIGTERM);
    sigaddset(&sc->set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sc->set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Each job thread's slot and storage handle. -1 with err set when storage cannot be set up. */
static int prepare_job_threads(struct mf_worker *w, struct job_thread *jt, char *err, size_t err_len)
{
    for (int i = 0; i < w->cfg->concurrency; i++) {
        jt[i].w = w;
        jt[i].slot = &w->slots[i];
        if (!(jt[i].st = open_storage(w->cfg, err, err_len)))
            return -1;
    }
    return 0;
}

static void log_started(const struct mf_worker *w)
{
    const struct mf_config *cfg = w->cfg;
    char conc[16], claim[24];
    snprintf(conc, sizeof(conc), "%d", cfg->concurrency);
    snprintf(claim, sizeof(claim), "%g", cfg->claim_timeout);
    mf_log(MF_LOG_INFO, NULL, "worker started", "consumer", w->consumer, "pool", cfg->pool,
           "backend", w->backend, "concurrency", conc, "claim_timeout_s", claim,
           "http", cfg->http_addr, NULL);
}

/* Until every job thread has exited; once draining, cancel what runs after the drain timeout. */
static void wait_job_threads(struct mf_worker *w)
{
    pthread_mutex_lock(&w->lock);
    struct timespec deadline;
    int have_deadline = 0;
    while (w->threads_running > 0) {
        if (atomic_load(&w->draining) && !have_deadline) {
            mf_mono_deadline(&deadline, (int64_t)(w->cfg->drain_timeout * 1000));
            have_deadline = 1;
        }
        if (have_deadline && !atomic_load(&w->hard_stop)) {
            if (pthread_cond_timedwait(&w->cond, &w->lock, &deadline) == ETIMEDOUT) {
                pthread_mutex_unlock(&w->lock);
                mf_log(MF_LOG_WARN, NULL, "drain timeout: cancelling in-flight jobs and handing them back", NULL);
                cancel_all(w);
                pthread_mutex_lock(&w->lock);
            }
        } else {
            pthread_cond_wait(&w->cond, &w->lock);
        }
    }
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static int probe_healthy(void *opaque)
{
    struct mf_worker *w = opaque;
    /* Generous: one Redis command may legitimately block for its full timeout. */
    return mf_mono_ms() - atomic_load(&w->alive_ms) < 30000;
}

static int probe_ready(void *opaque, const char **why)
{
    struct mf_worker *w = opaque;
    if (w->unusable[0]) {
        *why = w->unusable;
        return 0;
    }
    if (atomic_load(&w->draining)) {
        *why = "draining";
        return 0;
    }
    if (!atomic_load(&w->redis_up)) {
        *why = "Redis unreachable";
        return 0;
    }
    if (mf_readiness_stalled(w)) {
        *why = "Redis has not answered a PING for 3 s";
        return 0;
    }
    return 1;
}

/* What workers killed on this scratch dir left (kill -9, OOM): their job dirs. */
static void sweep_scratch(const struct mf_config *cfg)
{
    char err[512], n_s[16], mb[32];
    int n = 0;
    int64_t bytes = 0;
    if (mf_scratch_sweep(cfg->scratch_dir, &n, &bytes, err, sizeof(err))) {
        mf_log(MF_LOG_WARN, NULL, "could not clean the scratch dir", "error", err, NULL);
        return;
    }
    if (!n)
        return;
    snprintf(n_s, sizeof(n_s), "%d", n);
    snprintf(mb, sizeof(mb), "%.1f", (double)bytes / 1e6);
    mf_log(MF_LOG_INFO, NULL, "removed the scratch dirs of dead workers", "dirs", n_s, "mb", mb,
           "scratch_dir", cfg->scratch_dir, NULL);
}

/* The pool's backend cannot run here: stay up, never ready, take no job,
 * so the reason shows in /readyz and the log rather than in a crash loop. */
static void wait_unusable(struct mf_worker *w)
{
    mf_log(MF_LOG_ERROR, NULL, "not ready: the pool's encoder backend is unusable on this host",
           "error", w->unusable, NULL);
    pthread_mutex_lock(&w->lock);
    while (!atomic_load(&w->draining) && !atomic_load(&w->hard_stop))
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

int mf_worker_run(const struct mf_config *cfg, const char *backend, const char *unusable)
{
    static struct mf_worker wk;    /* the signal thread outlives every stack frame */
    struct mf_worker *w = &wk;
    struct job_thread jt[MF_MAX_CONCURRENCY] = { 0 };
    static struct signal_ctx sc;
    struct mf_http *http = NULL;
    pthread_t hb, sig, rd;
    char err[512], host[64] = "mpegflow";
    int ret = 0;

    mf_worker_init(w, cfg, backend, unusable);
    gethostname(host, sizeof(host) - 1);
    snprintf(w->consumer, sizeof(w->consumer), "%s-%d", host, (int)getpid());
    mf_metrics_init(backend);
    block_signals(&sc, w);
    sweep_scratch(cfg);
    if (prepare_job_threads(w, jt, err, sizeof(err))) {
        fprintf(stderr, "mpegflow worker: %s\n", err);
        ret = 2;
        goto out;
    }
    if (strcmp(cfg->http_addr, "off")) {
        struct mf_http_probes p = { probe_healthy, probe_ready, w };
        if (!(http = mf_http_start(cfg->http_addr, &p, err, sizeof(err)))) {
            fprintf(stderr, "mpegflow worker: %s\n", err);
            ret = 2;
            goto out;
        }
    }
    pthread_create(&sig, NULL, signal_thread, &sc);
    pthread_detach(sig);
    log_started(w);
    if (w->unusable[0]) {
        wait_unusable(w);
        goto out;
    }
    w->threads_running = cfg->concurrency;
    for (int i = 0; i < cfg->concurrency; i++)
        pthread_create(&jt[i].tid, NULL, job_thread, &jt[i]);
    pthread_create(&hb, NULL, heartbeat_thread, w);
    int pinging = http && (w->ping_q = open_queue(w, READY_PING_TIMEOUT_MS, READY_BACKOFF_MAX_MS))
                  && !pthread_create(&rd, NULL, mf_readiness_thread, w);

    /* Wait for the job threads; once draining, for at most the drain timeout. */
    wait_job_threads(w);
    for (int i = 0; i < cfg->concurrency; i++)
        pthread_join(jt[i].tid, NULL);
    pthread_join(hb, NULL);
    if (pinging)
        pthread_join(rd, NULL);
    mf_log(MF_LOG_INFO, NULL, "worker stopped", NULL);
out:
    mf_http_stop(&http);
    for (int i = 0; i < cfg->concurrency; i++)
        mf_storage_close(&jt[i].st);
    return ret;
}
