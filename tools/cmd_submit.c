/* mpegflow submit: enqueue a job (XADD), optionally wait for it and print the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "commands.h"
#include "mpegflow/job.h"
#include "mpegflow/queue.h"
#include "common/clock.h"

#define MAX_JOB_BYTES (1 << 20)

static void usage(FILE *f)
{
    fprintf(f, "usage: mpegflow submit JOB.json|- [--pool P] [--wait] [--timeout SECONDS] [--no-validate]\n\n"
               "Validates the job, adds it to <prefix>queue:<pool> and prints its id.\n"
               "--wait waits for the job to end (events stream): prints the result JSON and exits 0 when it\n"
               "succeeded, prints the error and exits 1 when it failed.\n\n");
    mf_config_usage(MF_CONFIG_CLIENT, f);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f)
        return NULL;
    char *buf = malloc(MAX_JOB_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_JOB_BYTES + 1, f) : 0;
    if (f != stdin)
        fclose(f);
    if (!buf || n > MAX_JOB_BYTES) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static double elapsed(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

/*
 * Wait until the job ends; 0 succeeded, 1 failed or timed out. Event-driven:
 * take the events stream's last id, read the hash (already final? done), then
 * block on <prefix>events for an event of this job. The hash stays the truth:
 * it is read again after every wake-up, and the block is at most WAIT_BLOCK_MS,
 * so the TTY progress line still refreshes (progress updates are not events)
 * and a missed event costs at most that long.
 */
#define WAIT_BLOCK_MS 1000
#define WAIT_EVENTS 64          /* events read per XREAD: a busy stream is skipped in batches */
#define WAIT_POLL_MS 200        /* the events stream unusable (an error reply): poll the hash */

static int wait_job(struct mf_queue *q, const char *id, double timeout)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int tty = isatty(2), warned = 0, poll = 0;
    char last[64];
    int have_last = mf_queue_events_last_id(q, last, sizeof(last)) == 0;
    for (;;) {
        char **pairs = NULL;
        int n = mf_queue_get_job(q, id, &pairs);
        if (n < 0 && !warned++)
            fprintf(stderr, "%smpegflow submit: %s (still waiting)\n", tty ? "\r\033[K" : "", mf_queue_errstr(q));
        const char *state = mf_queue_pairs_get(pairs, "state");
        if (state && !strcmp(state, "succeeded")) {
            const char *res = mf_queue_pairs_get(pairs, "result");
            printf("%s\n", res ? res : "{}");
            fflush(stdout);    /* a caller reading the pipe has it now, not at exit */
            if (tty)
                fprintf(stderr, "\r\033[K");
            mf_queue_free_pairs(pairs);
            return MF_EXIT_OK;
        }
        if (state && !strcmp(state, "failed")) {
            const char *e = mf_queue_pairs_get(pairs, "error");
            if (tty)
                fprintf(stderr, "\r\033[K");
            fprintf(stderr, "mpegflow submit: job %s failed: %s\n", id, e ? e : "unknown error");
            mf_queue_free_pairs(pairs);
            return MF_EXIT_FAIL;
        }
        if (tty && state) {
            const char *p = mf_queue_pairs_get(pairs, "progress");
            const char *fps = mf_queue_pairs_get(pairs, "fps");
            fprintf(stderr, "\r\033[K%s %s%% %s fps", state, p ? p : "0", fps ? fps : "0");
        }
        mf_queue_free_pairs(pairs);
        double left = timeout > 0 ? timeout - elapsed(&t0) : 0;
        if (timeout > 0 && left <= 0) {
            fprintf(stderr, "%smpegflow submit: job %s not finished after %g s\n", tty ? "\n" : "", id, timeout);
            return MF_EXIT_FAIL;
        }
        int block = WAIT_BLOCK_MS;
        if (timeout > 0 && left * 1000 < block)
            block = (int)(left * 1000) + 1;
        if (n < 0) {
            /* Redis unreachable: wait for the next connection attempt (never past the timeout). */
            int ms = mf_queue_retry_in_ms(q) + 200;
            sleep_ms(ms < block ? ms : block);
            continue;
        }
        int r = 0;
        if (!have_last && !poll) {
            /* Not taken before the hash read (Redis was down): an event in between is
             * then only seen by the next hash read, at most a block later. */
            r = mf_queue_events_last_id(q, last, sizeof(last));
            have_last = r == 0;
        }
        if (have_last && !poll)
            r = mf_queue_events_wait(q, id, last, sizeof(last), block, WAIT_EVENTS);
        if (r == MF_QUEUE_EREPLY && !poll) {
            /* e.g. <prefix>events is not a stream: poll the hash instead. */
            fprintf(stderr, "%smpegflow submit: %s (polling the job instead)\n", tty ? "\r\033[K" : "",
                    mf_queue_errstr(q));
            poll = 1;
        }
        /* ECONN: the next hash read reconnects (and backs off); other errors: as polling. */
        if (poll || (r < 0 && r != MF_QUEUE_ECONN))
            sleep_ms(WAIT_POLL_MS < block ? WAIT_POLL_MS : block);
    }
}

struct submit_flags {
    int wait, validate;
    double timeout;
};

/* Take submit's own flags out of argv; the rest (the client's) go to args. Returns their count. */
static int split_flags(int argc, char **argv, struct submit_flags *f, char **args)
{
    int n = 0;
    *f = (struct submit_flags){ .validate = 1 };
    args[n++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--wait"))
            f->wait = 1;
        else if (!strcmp(argv[i], "--no-validate"))
            f->validate = 0;
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            f->timeout = atof(argv[++i]);
        else if (!strncmp(argv[i], "--timeout=", 10))
            f->timeout = atof(argv[i] + 10);
        else
            args[n++] = argv[i];
    }
    return n;
}

/* Read the job file and, unless told not to, validate it as the worker will. job->id is
 * the id the worker will use. The JSON text in *json (the caller frees it), or NULL. */
static char *load_job(const char *path, int validate, struct mf_job *job, size_t *len)
{
    char err[MF_ERR_MAX];
    char *json = read_all(path, len);
    if (!json) {
        fprintf(stderr, "mpegflow submit: %s: cannot read (missing, or over 1 MiB)\n", path);
        return NULL;
    }
    if (validate && mf_job_parse(job, json, *len, 1, err, sizeof(err))) {
        fprintf(stderr, "mpegflow submit: %s: %s\n", path, err);
        free(json);
        return NULL;
    }
    if (!validate) {
        /* The worker names an unvalidated job the same way: its "id" when it has one. */
        json_t *root = json_loadb(json, *len, 0, NULL);
        const char *s = json_string_value(json_object_get(root, "id"));
        snprintf(job->id, sizeof(job->id), "%s",
                 s && strlen(s) < sizeof(job->id) && strcspn(s, " \t\r\n") == strlen(s) ? s : "");
        json_decref(root);
    }
    return json;
}

int mf_cmd_submit(int argc, char **argv)
{
    struct submit_flags f;
    char **args = calloc((size_t)argc + 1, sizeof(*args));
    int ret = MF_EXIT_USAGE;
    if (!args)
        return MF_EXIT_FAIL;
    int n = split_flags(argc, argv, &f, args);
    struct mf_client c;
    char *json = NULL, *pos[4];
    int npos = 0;
    int r = mf_client_open(&c, "submit", n, args, pos, &npos, 4);
    if (r == 1) {
        usage(stdout);
        ret = MF_EXIT_OK;
        goto out;
    }
    if (r)
        goto out;
    if (npos != 1) {
        fprintf(stderr, "mpegflow submit: expected one job file (try --help)\n");
        goto out_close;
    }
    size_t len = 0;
    static struct mf_job job;
    ret = MF_EXIT_FAIL;
    if (!(json = load_job(pos[0], f.validate, &job, &len)))
        goto out_close;
    char now[40], entry[64], id[256];
    mf_now_iso(now, sizeof(now));
    if (mf_queue_submit(c.q, json, len, job.id, now, entry, sizeof(entry), id, sizeof(id))) {
        fprintf(stderr, "mpegflow submit: %s\n", mf_queue_errstr(c.q));
        goto out_close;
    }
    if (!f.wait) {
        printf("%s\n", id);
        ret = MF_EXIT_OK;
    } else {
        fprintf(stderr, "mpegflow submit: job %s queued (entry %s)\n", id, entry);
        ret = wait_job(c.q, id, f.timeout);
    }
out_close:
    mf_client_close(&c);
out:
    free(json);
    free(args);
    return ret;
}
