/*
 * One job's life in the worker: parse, fetch to a scratch dir, transcode,
 * upload the outputs then result.json last, and record the end in Redis
 * (worker_fate.c). Every exit path removes the scratch dir and ends in exactly
 * one of succeeded / failed (dead-letter) / retried / handed back / lost /
 * unrecorded (Redis never answered before the drain deadline: recoverable).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <jansson.h>

#include "encode_child.h"
#include "job_message.h"
#include "worker_job.h"
#include "common/log.h"
#include "metrics.h"
#include "mpegflow/job.h"
#include "worker_fate.h"
#include "worker_internal.h"
#include "oom_kill.h"
#include "scratch.h"
#include "worker_upload.h"
#include "worker_result.h"

enum job_error { JOB_OK, JOB_PERMANENT, JOB_RETRY, JOB_CANCELLED };

/* What the worker reads back from the encode's result.json. */
struct job_figures {
    int64_t frames;
    double wall_seconds;
};

struct job_run {
    struct mf_worker *w;
    struct mf_slot *slot;
    struct mf_queue *q;
    struct mf_queue_entry *e;
    struct mf_job job;
    char job_id[128];
    char attempt[24];
    char scratch[MF_PATH_MAX];
    int scratch_lock;              /* the job dir's owner lock (scratch.h); -1: none */
    char err[MF_ERR_MAX + 128];
    int64_t bytes_in, bytes_out;
};

/* The one id rule (README, Redis contract): the job's "id" when valid, else the
 * entry id; a refused id is named in the error. The hash becomes this entry's. */
static void record_id(struct job_run *r)
{
    char why[128];
    if (mf_job_id_of(r->e->job, r->e->job_len, r->e->id, r->job_id, sizeof(r->job_id), why, sizeof(why))) {
        /* "id: ..." when the parse stopped at the id, else "<field>: ...; id: ..." */
        char was[sizeof(r->err)];
        snprintf(was, sizeof(was), "%s", r->err);
        int at_id = !strncmp(was, "id:", 3);
        if (snprintf(r->err, sizeof(r->err), "%s%s%s (recorded under the stream entry id %s)",
                     at_id ? "" : was, at_id ? "" : "; ", at_id ? was : why, r->e->id) >= (int)sizeof(r->err))
            memcpy(r->err + sizeof(r->err) - 4, "...", 4);   /* cut short: say so */
    }
    if (mf_queue_adopt_hash(r->q, r->job_id, r->e->id) < 0)
        mf_log(MF_LOG_WARN, r->job_id, "could not reset the job hash of an earlier submission",
               "error", mf_queue_errstr(r->q), NULL);
}

static void progress_cb(double percent, double fps, void *opaque)
{
    struct mf_slot *slot = opaque;
    pthread_mutex_lock(&slot->w->lock);
    slot->percent = percent;
    slot->fps = fps;
    slot->progress_dirty = 1;
    pthread_mutex_unlock(&slot->w->lock);
}

static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return "application/octet-stream";
    if (!strcmp(dot, ".m3u8"))
        return "application/vnd.apple.mpegurl";
    if (!strcmp(dot, ".mpd"))
        return "application/dash+xml";
    if (!strcmp(dot, ".mp4") || !strcmp(dot, ".m4v"))
        return "video/mp4";
    if (!strcmp(dot, ".m4s"))
        return "video/iso.segment";
    if (!strcmp(dot, ".ts"))
        return "video/mp2t";
    if (!strcmp(dot, ".json"))
        return "application/json";
    if (!strcmp(dot, ".jpg"))
        return "image/jpeg";
    if (!strcmp(dot, ".vtt"))
        return "text/vtt";
    return "application/octet-stream";
}

static enum job_error storage_error(int ret)
{
    switch (ret) {
    case MF_STORAGE_EPERM: return JOB_PERMANENT;
    case MF_STORAGE_ECANCEL: return JOB_CANCELLED;
    default: return JOB_RETRY;     /* ERETRY, ELOCAL (a full scratch disk may be fine elsewhere) */
    }
}

/* PUT every output, media first, then the playlists and MPD, then result.json. */
static enum job_error upload(struct job_run *r, struct mf_storage *st, const char *outdir,
                             const char *manifest)
{
    enum job_error ret = JOB_OK;
    char local[MF_PATH_MAX * 2], key[MF_KEY_MAX * 2];
    char **files;
    size_t n;
    int walk = mf_upload_list(outdir, &files, &n);
    if (walk) {
        snprintf(r->err, sizeof(r->err), "listing outputs in %s failed: %s", outdir, strerror(-walk));
        return JOB_RETRY;
    }
    for (size_t i = 0; i <= n && ret == JOB_OK; i++) {
        const char *rel = i < n ? files[i] : "result.json";
        snprintf(local, sizeof(local), "%s/%s", outdir, rel);
        if (i == n)
            snprintf(local, sizeof(local), "%s", manifest);
        snprintf(key, sizeof(key), "%s%s", r->job.output_prefix, rel);
        struct stat sb;
        if (!stat(local, &sb))
            r->bytes_out += sb.st_size;
        int s = mf_storage_put(st, local, key, content_type(rel), &r->slot->cancel, r->err, sizeof(r->err));
        if (s)
            ret = storage_error(s);
    }
    mf_upload_list_free(files, n);
    return ret;
}

static void input_ext(const char *key, char *ext, size_t len)
{
    const char *base = strrchr(key, '/');
    base = base ? base + 1 : key;
    size_t blen = strcspn(base, "?#");
    const char *dot = NULL;
    for (const char *p = base; p < base + blen; p++)
        if (*p == '.')
            dot = p;
    ext[0] = 0;
    if (!dot || (size_t)(base + blen - dot - 1) >= len - 1 || dot + 1 == base + blen)
        return;
    size_t i = 0;
    for (const char *p = dot + 1; p < base + blen; p++) {
        if (!isalnum((unsigned char)*p)) {
            ext[0] = 0;
            return;
        }
        ext[i++] = (char)tolower((unsigned char)*p);
    }
    ext[i] = 0;
}

/* The whole file in a string; NULL on error. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long len = -1;
    if (f && !fseek(f, 0, SEEK_END) && (len = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)
        && (buf = malloc((size_t)len + 1)) && fread(buf, 1, (size_t)len, f) == (size_t)len) {
        buf[len] = 0;
    } else {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f))
        ok = 0;
    return ok ? 0 : -1;
}

static enum job_error transcode_in_scratch(struct job_run *r, struct mf_storage *st, char **result_json,
                                           struct job_figures *fig);

/* Fetch, encode, upload; an error names the job's input key and output keys, not scratch paths. */
static enum job_error transcode(struct job_run *r, struct mf_storage *st, char **result_json,
                                struct job_figures *fig)
{
    enum job_error je = transcode_in_scratch(r, st, result_json, fig);
    if (je != JOB_OK) {
        mf_message_unscratch(r->err, sizeof(r->err), r->scratch, r->job.input, r->job.output_prefix);
        struct statvfs vfs;
        mf_message_disk_full(r->err, sizeof(r->err), statvfs(r->w->cfg->scratch_dir, &vfs) ? -1
                             : (long long)((unsigned long long)vfs.f_blocks * vfs.f_frsize >> 20));
    }
    return je;
}

static enum job_error transcode_in_scratch(struct job_run *r, struct mf_storage *st, char **result_json,
                                           struct job_figures *fig)
{
    const struct mf_config *cfg = r->w->cfg;
    char input[MF_PATH_MAX + 64], outdir[MF_PATH_MAX + 64], manifest[MF_PATH_MAX + 80], ext[12];
    char job_file[MF_PATH_MAX + 64], log_file[MF_PATH_MAX + 64];
    r->scratch_lock = mf_scratch_make(cfg->scratch_dir, r->job_id, r->scratch, sizeof(r->scratch),
                                      r->err, sizeof(r->err));
    if (r->scratch_lock < 0)
        return JOB_RETRY;
    input_ext(r->job.input, ext, sizeof(ext));
    snprintf(input, sizeof(input), "%s/input%s%s", r->scratch, ext[0] ? "." : "", ext);
    snprintf(outdir, sizeof(outdir), "%s/out", r->scratch);
    snprintf(job_file, sizeof(job_file), "%s/job.json", r->scratch);
    snprintf(log_file, sizeof(log_file), "%s/encode.log", r->scratch);
    /* The encode writes it; the upload listing leaves it out and PUTs it last. */
    snprintf(manifest, sizeof(manifest), "%s/result.json", outdir);
    if (mkdir(outdir, 0700)) {
        snprintf(r->err, sizeof(r->err), "mkdir %s: %s", outdir, strerror(errno));
        return JOB_RETRY;
    }
    if (write_file(job_file, r->e->job, r->e->job_len)) {
        snprintf(r->err, sizeof(r->err), "writing %s failed: %s", job_file, strerror(errno));
        return JOB_RETRY;
    }

    int s = mf_storage_get(st, r->job.input, input, &r->bytes_in, &r->slot->cancel, r->err, sizeof(r->err));
    if (s)
        return storage_error(s);

    struct mf_encode_child ec = {
        .input = input, .outdir = outdir, .job_file = job_file, .log_file = log_file,
        /* the job's own backend, else the one this worker probed usable at start */
        .backend = !strcmp(r->job.backend, "auto") || !r->job.backend[0] ? r->w->backend : NULL,
        .fallback = strcmp(cfg->backend_fallback, "none") ? cfg->backend_fallback : NULL,
        .max_pixels = cfg->max_pixels,
        .max_duration = cfg->max_duration,
        .cancel = &r->slot->cancel,
        .progress = progress_cb,
        .opaque = r->slot,
    };
    if (cfg->concurrency > 1) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        ec.threads = cores > cfg->concurrency ? (int)(cores / cfg->concurrency) : 1;
    }
    int64_t t0 = mf_mono_ms(), oom_kills = mf_oom_kills();
    enum mf_child_outcome o = mf_encode_child_run(&ec, r->err, sizeof(r->err));
    double seconds = (double)(mf_mono_ms() - t0) / 1000.0;
    if (o == MF_CHILD_OK) {
        *result_json = slurp(manifest);
        for (size_t n = *result_json ? strlen(*result_json) : 0; n && (*result_json)[n - 1] == '\n'; n--)
            (*result_json)[n - 1] = 0;
        struct mf_result *res = *result_json ? calloc(1, sizeof(*res)) : NULL;
        if (res && !mf_result_read(*result_json, res)) {
            fig->frames = res->frames_in;
            fig->wall_seconds = res->wall_seconds;
            if (res->fallback_from[0])
                mf_log(MF_LOG_WARN, r->job_id, "backend unusable; encoded with the fallback",
                       "from", res->fallback_from, "to", res->backend, "reason", res->fallback_reason, NULL);
            if (res->decode[0]) {   /* NVENC sessions held and where the frames were decoded */
                char sessions[16];
                snprintf(sessions, sizeof(sessions), "%d", res->nvenc_sessions);
                mf_log(MF_LOG_INFO, r->job_id, "encoded with nvenc", "sessions", sessions,
                       "decode", res->decode, res->decode_note[0] ? "decode_note" : NULL,
                       res->decode_note, NULL);
            }
        }
        free(res);
        if (!*result_json) {
            snprintf(r->err, sizeof(r->err), "the encoder left no readable %s", manifest);
            return JOB_RETRY;
        }
    }
    mf_metrics_encode(seconds, o == MF_CHILD_OK ? fig->frames : 0);
    switch (o) {
    case MF_CHILD_OK: break;
    case MF_CHILD_CANCELLED: return JOB_CANCELLED;
    case MF_CHILD_RETRY: return JOB_RETRY;
    case MF_CHILD_KILLED: {        /* the second kill in a row fails the job (oom_kill.h) */
        char last[sizeof(r->err)];
        memcpy(last, r->err, sizeof(last));
        return mf_oom_judge(r->q, r->job_id, (long long)r->e->deliveries,
                            oom_kills >= 0 && mf_oom_kills() > oom_kills, last, r->err, sizeof(r->err))
               ? JOB_PERMANENT : JOB_RETRY;
    }
    default: return JOB_PERMANENT;
    }
    unlink(input);                 /* scratch space for the uploads' sake */
    return upload(r, st, outdir, manifest);
}

/* The job as the fate paths (worker_fate.c) see it. */
static struct mf_fate_job fate_of(const struct job_run *r)
{
    struct mf_fate_job j = { r->w, r->q, r->e, r->job_id, r->attempt };
    return j;
}

static void finish_failed(struct job_run *r, const char *reason)
{
    struct mf_fate_job j = fate_of(r);
    mf_fate_fail(&j, reason);
}

static void release(struct job_run *r, int handback)
{
    struct mf_fate_job j = fate_of(r);
    mf_fate_release(&j, handback, r->err);
}

static void succeed(struct job_run *r, const char *result_json, const struct job_figures *fig)
{
    char fps[32];
    snprintf(fps, sizeof(fps), "%.1f", fig->wall_seconds > 0 ? (double)fig->frames / fig->wall_seconds : 0);
    struct mf_fate_job j = fate_of(r);
    mf_fate_succeed(&j, result_json, fps, r->bytes_in, r->bytes_out);
}

void mf_worker_run_job(struct mf_worker *w, struct mf_slot *slot, struct mf_queue *q,
                       struct mf_storage *st, struct mf_queue_entry *e)
{
    const struct mf_config *cfg = w->cfg;
    struct job_run *r = calloc(1, sizeof(*r));
    struct job_figures fig = { 0, 0 };
    char *result_json = NULL;
    if (!r) {
        mf_log(MF_LOG_ERROR, NULL, "out of memory; entry left pending", "entry", e->id, NULL);
        return;
    }
    r->w = w;
    r->slot = slot;
    r->q = q;
    r->e = e;
    r->scratch_lock = -1;
    snprintf(r->attempt, sizeof(r->attempt), "%lld", (long long)e->deliveries);

    int parsed = e->job ? mf_job_parse(&r->job, e->job, e->job_len, 1, r->err, sizeof(r->err))
                        : (snprintf(r->err, sizeof(r->err), "entry has no 'job' field"), -EINVAL);
    record_id(r);

    pthread_mutex_lock(&w->lock);
    slot->busy = 1;
    snprintf(slot->entry_id, sizeof(slot->entry_id), "%s", e->id);
    snprintf(slot->job_id, sizeof(slot->job_id), "%s", r->job_id);
    slot->percent = slot->fps = 0;
    slot->progress_dirty = 0;
    slot->progress_written_ms = 0;         /* the first progress report goes out at once */
    slot->written_percent = 0;
    atomic_store(&slot->cancel, 0);
    atomic_store(&slot->cancel_reason, MF_CANCEL_NONE);
    pthread_mutex_unlock(&w->lock);
    mf_metrics_in_flight(1);
    mf_metrics_attempt();
    if (e->deliveries == 1) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t added = strtoll(e->id, NULL, 10);
        mf_metrics_queue_wait((double)((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - added) / 1000.0);
    }
    mf_log(MF_LOG_INFO, r->job_id, "job received", "entry", e->id, "attempt", r->attempt, NULL);

    if (parsed) {
        finish_failed(r, r->err);
        goto done;
    }
    if (e->deliveries > cfg->max_attempts) {
        char **pairs = NULL;
        char reason[MF_ERR_MAX + 160];
        if (mf_queue_get_job(q, r->job_id, &pairs) < 0)
            mf_log(MF_LOG_WARN, r->job_id, "could not read the job's last error", "error",
                   mf_queue_errstr(q), NULL);
        mf_message_gave_up(reason, sizeof(reason), e->deliveries - 1, cfg->max_attempts,
                           mf_queue_pairs_get(pairs, "state"), mf_queue_pairs_get(pairs, "error"),
                           mf_queue_pairs_get(pairs, "worker"), mf_queue_pairs_get(pairs, "attempt"));
        mf_queue_free_pairs(pairs);
        finish_failed(r, reason);
        goto done;
    }

    if (atomic_load(&w->draining)) {
        /* Read just as the drain began: not started, so back at once. */
        release(r, 1);
        goto done;
    }

    char now[40];
    mf_now_iso(now, sizeof(now));
    const char *running[] = { "state", "running", "progress", "0", "fps", "0", "attempt", r->attempt,
                              "worker", w->consumer, "started_at", now, NULL };
    const char *event[] = { "worker", w->consumer, "attempt", r->attempt, NULL };
    if (mf_queue_update(q, r->job_id, running, "running", event))
        mf_log(MF_LOG_WARN, r->job_id, "could not record the running state; continuing",
               "error", mf_queue_errstr(q), NULL);

    enum job_error je = transcode(r, st, &result_json, &fig);
    char in[24];
    snprintf(in, sizeof(in), "%lld", (long long)r->bytes_in);
    mf_metrics_bytes(r->bytes_in, je == JOB_OK ? r->bytes_out : 0);
    if (je == JOB_CANCELLED || (je != JOB_OK && atomic_load(&slot->cancel))) {
        if (atomic_load(&slot->cancel_reason) == MF_CANCEL_LOST) {
            mf_metrics_outcome(MF_OUTCOME_LOST);
            mf_log(MF_LOG_WARN, r->job_id, "job taken over by another worker; dropped", NULL);
        } else {
            release(r, 1);
        }
    } else if (je == JOB_OK) {
        succeed(r, result_json, &fig);
    } else if (je == JOB_PERMANENT) {
        finish_failed(r, r->err);
    } else if (e->deliveries >= cfg->max_attempts) {
        char reason[sizeof(r->err) + 64];
        snprintf(reason, sizeof(reason), "gave up after %lld attempts: %s", (long long)e->deliveries, r->err);
        finish_failed(r, reason);
    } else {
        release(r, 0);
    }

done:
    mf_scratch_remove(r->scratch, r->scratch_lock);
    pthread_mutex_lock(&w->lock);
    slot->busy = 0;
    pthread_mutex_unlock(&w->lock);
    mf_metrics_in_flight(-1);
    free(result_json);
    free(r);
}
