/*
 * The paths that change a job's fate in Redis: succeeded, failed (dead
 * letter), retried after a backoff, handed back on shutdown. All of them go
 * through record(), the one loop that reconnects and retries:
 *  - until Redis answers, however long, while the worker runs;
 *  - once draining, until the fate deadline: the drain deadline (first
 *    signal + MPEGFLOW_DRAIN_TIMEOUT) plus MF_FATE_GRACE_MS, so a hand-back
 *    after the drain timeout or a second signal still gets its tries.
 * Each write carries a "fate" token unique to it. A try whose reply was lost
 * (Redis paused past the command timeout, then ran it) is told apart from
 * "another worker owns the job" by the script: the hash holds our token (2).
 * When the deadline passes, the job is left recoverable and the log says how.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/log.h"
#include "metrics.h"
#include "worker_fate.h"

#define FATE_DEADLINE (-100)       /* record(): the deadline passed before Redis answered */
#define FATE_NAP_MAX_MS 1000       /* a nap between tries; the queue's own backoff is the floor */

enum fate_kind { FATE_FINISH, FATE_RELEASE };

struct fate_write {
    enum fate_kind kind;
    const char *what;              /* "success", "failure", "retry", "hand-back": for the log */
    const char *const *fields, *const *event, *const *dead;
    int64_t delay_ms, claim_ms, deliveries;    /* release */
    const char *job_json;                      /* release: added again when Redis lost the entry */
};

int64_t mf_fate_deadline(const struct mf_worker *w)
{
    int64_t dl = atomic_load(&w->drain_deadline_ms);
    return dl ? dl + MF_FATE_GRACE_MS : INT64_MAX;
}

static void nap_ms(int64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

/* A token no other write has: this worker (host-pid), the entry, the attempt, a counter. */
static void fate_token(const struct mf_fate_job *j, const char *state, char *buf, size_t len)
{
    static atomic_llong counter;
    snprintf(buf, len, "%s %s %s %s #%lld", state, j->w->consumer, j->e->id, j->attempt,
             (long long)atomic_fetch_add(&counter, 1));
}

/* The job JSON as it goes back to the stream: with its id fixed (malloc'd, or NULL). */
static char *job_json_with_id(const struct mf_fate_job *j)
{
    json_t *root = j->e->job ? json_loadb(j->e->job, j->e->job_len, 0, NULL) : NULL;
    char *json = NULL;
    if (root && json_is_object(root) && !json_object_get(root, "id"))
        json_object_set_new(root, "id", json_string(j->job_id));
    if (root)
        json = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    return json;
}

/* The one reconnect-and-retry loop: the script's answer (1, 0, 2), an error reply, or FATE_DEADLINE. */
static int record(const struct mf_fate_job *j, const struct fate_write *f)
{
    char msg[160];
    for (int tries = 1;; tries++) {
        int ret = f->kind == FATE_FINISH
                      ? mf_queue_finish(j->q, j->e->id, j->job_id, f->fields, f->event, f->dead)
                      : mf_queue_release(j->q, j->e->id, j->job_id, f->delay_ms, f->claim_ms,
                                         f->deliveries, f->job_json, f->fields, f->event);
        if (ret != MF_QUEUE_ECONN) {
            if (tries > 1) {
                char n[16];
                snprintf(n, sizeof(n), "%d", tries);
                snprintf(msg, sizeof(msg), "Redis answered; the job's %s is recorded", f->what);
                mf_log(MF_LOG_INFO, j->job_id, msg, "tries", n, NULL);
            }
            return ret;
        }
        int64_t now = mf_mono_ms(), deadline = mf_fate_deadline(j->w);
        if (now >= deadline)
            return FATE_DEADLINE;
        if (tries == 1) {
            snprintf(msg, sizeof(msg), "Redis unreachable; recording the job's %s is retried until "
                     "Redis answers or the drain deadline passes", f->what);
            mf_log(MF_LOG_WARN, j->job_id, msg, "error", mf_queue_errstr(j->q), NULL);
        }
        int64_t nap = mf_queue_retry_in_ms(j->q) + 50;
        if (nap > FATE_NAP_MAX_MS)
            nap = FATE_NAP_MAX_MS;
        nap_ms(nap < deadline - now ? nap : deadline - now);
    }
}

/* Redis never took the write: say how the job is recovered, with its JSON to resubmit. */
static void unrecorded(const struct mf_fate_job *j, const char *what, int ret)
{
    char msg[200];
    char *json = job_json_with_id(j);
    mf_metrics_outcome(MF_OUTCOME_UNRECORDED);
    snprintf(msg, sizeof(msg), ret == FATE_DEADLINE
             ? "the job's %s was not recorded: Redis did not answer before the drain deadline"
             : "the job's %s was not recorded: Redis refused it", what);
    mf_log(MF_LOG_ERROR, j->job_id, msg, "error", mf_queue_errstr(j->q), "entry", j->e->id,
           "recover", "the entry stays pending under this worker, so another worker takes the job over "
           "after the claim timeout and runs it again (outputs are idempotent); if Redis lost the entry "
           "(XPENDING shows no such id), resubmit job_json with mpegflow submit",
           "job_json", json ? json : (j->e->job ? j->e->job : ""), NULL);
    free(json);
}

void mf_fate_succeed(const struct mf_fate_job *j, const char *result_json, const char *fps,
                     int64_t bytes_in, int64_t bytes_out)
{
    char now[40], token[320], in[24], out[24];
    mf_now_iso(now, sizeof(now));
    fate_token(j, "succeeded", token, sizeof(token));
    const char *fields[] = { "state", "succeeded", "progress", "100", "fps", fps, "result", result_json,
                             "finished_at", now, "attempt", j->attempt, "worker", j->w->consumer,
                             "fate", token, NULL };
    const char *event[] = { "worker", j->w->consumer, "attempt", j->attempt, NULL };
    struct fate_write f = { .kind = FATE_FINISH, .what = "success", .fields = fields, .event = event };
    int ret = record(j, &f);
    snprintf(in, sizeof(in), "%lld", (long long)bytes_in);
    snprintf(out, sizeof(out), "%lld", (long long)bytes_out);
    if (ret == 1 || ret == 2) {
        mf_metrics_outcome(MF_OUTCOME_SUCCEEDED);
        mf_log(MF_LOG_INFO, j->job_id, "job succeeded", "attempt", j->attempt, "bytes_in", in,
               "bytes_out", out, "fps", fps,
               ret == 2 ? "recorded" : NULL, "by an earlier try whose reply Redis sent late", NULL);
    } else if (ret == 0) {
        mf_metrics_outcome(MF_OUTCOME_LOST);
        mf_log(MF_LOG_WARN, j->job_id, "job finished but another worker owns it now; not recorded", NULL);
    } else {
        unrecorded(j, "success", ret);
    }
}

void mf_fate_fail(const struct mf_fate_job *j, const char *reason)
{
    char now[40], token[320];
    mf_now_iso(now, sizeof(now));
    fate_token(j, "failed", token, sizeof(token));
    const char *fields[] = { "state", "failed", "error", reason, "finished_at", now,
                             "attempt", j->attempt, "worker", j->w->consumer, "fate", token, NULL };
    const char *event[] = { "worker", j->w->consumer, "attempt", j->attempt, "error", reason, NULL };
    const char *dead[] = { "job", j->e->job ? j->e->job : "", "id", j->job_id, "entry", j->e->id,
                           "reason", reason, "attempts", j->attempt, "worker", j->w->consumer,
                           "failed_at", now, NULL };
    struct fate_write f = { .kind = FATE_FINISH, .what = "failure", .fields = fields, .event = event,
                            .dead = dead };
    int ret = record(j, &f);
    if (ret == 1 || ret == 2) {
        mf_metrics_outcome(MF_OUTCOME_FAILED);
        mf_log(MF_LOG_ERROR, j->job_id, "job failed", "error", reason, "attempt", j->attempt,
               "dead_letter", "1", ret == 2 ? "recorded" : NULL, "by an earlier try whose reply Redis sent late",
               NULL);
    } else if (ret == 0) {
        mf_metrics_outcome(MF_OUTCOME_LOST);
        mf_log(MF_LOG_WARN, j->job_id, "job no longer ours; failure not recorded", "error", reason, NULL);
    } else {
        unrecorded(j, "failure", ret);
    }
}

void mf_fate_release(const struct mf_fate_job *j, int handback, const char *err)
{
    const struct mf_config *cfg = j->w->cfg;
    int64_t delay = 0, deliveries = j->e->deliveries;
    if (handback) {
        deliveries--;              /* a hand-back is not an attempt */
    } else {
        delay = 2000;
        for (int64_t i = 1; i < j->e->deliveries && delay < 300000; i++)
            delay *= 2;
        delay = delay / 2 + rand() % (delay / 2 + 1);
    }
    /* Redis may have lost the entry: the job JSON goes back with its id fixed. */
    char *json = job_json_with_id(j);
    char token[320];
    fate_token(j, "queued", token, sizeof(token));
    const char *why = handback ? "handed back: worker shutting down" : err;
    const char *fields[] = { "state", "queued", "progress", "0", "error", err, "fate", token, NULL };
    const char *back[] = { "state", "queued", "progress", "0", "fate", token, NULL };
    const char *event[] = { "worker", j->w->consumer, "attempt", j->attempt, "reason", why, NULL };
    struct fate_write f = { .kind = FATE_RELEASE, .what = handback ? "hand-back" : "retry",
                            .fields = handback ? back : fields, .event = event, .delay_ms = delay,
                            .claim_ms = (int64_t)(cfg->claim_timeout * 1000), .deliveries = deliveries,
                            .job_json = json ? json : j->e->job };
    int ret = record(j, &f);
    free(json);
    char delay_s[24];
    snprintf(delay_s, sizeof(delay_s), "%.1f", (double)delay / 1000.0);
    if (ret == 1 || ret == 2) {
        mf_metrics_outcome(handback ? MF_OUTCOME_HANDED_BACK : MF_OUTCOME_RETRIED);
        mf_log(MF_LOG_WARN, j->job_id, handback ? "job handed back" : "job will be retried",
               "reason", why, "attempt", j->attempt, "retry_in_s", delay_s,
               ret == 2 ? "recorded" : NULL, "by an earlier try whose reply Redis sent late", NULL);
    } else if (ret == 0) {
        mf_metrics_outcome(MF_OUTCOME_LOST);
        mf_log(MF_LOG_WARN, j->job_id, "job no longer ours; not released", NULL);
    } else {
        unrecorded(j, handback ? "hand-back" : "retry", ret);
    }
}
