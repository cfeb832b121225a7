#include "oom_kill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char MARK[] = "the encode was killed for memory";

/* The "oom_kill N" line of path; -1 when there is none. */
static int64_t oom_kill_line(const char *path)
{
    char line[256];
    long long n = -1;
    FILE *f = path[0] ? fopen(path, "r") : NULL;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "oom_kill %lld", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

int64_t mf_oom_kills(void)
{
    char line[4096], v2[4200] = "", v1[4200] = "";
    FILE *f = fopen("/proc/self/cgroup", "r");
    while (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "0::", 3))                      /* cgroup v2 */
            snprintf(v2, sizeof(v2), "/sys/fs/cgroup%s/memory.events", line + 3);
        const char *mem = strstr(line, ":memory:");          /* cgroup v1 */
        if (mem)
            snprintf(v1, sizeof(v1), "/sys/fs/cgroup/memory%s/memory.oom_control", mem + 8);
    }
    if (f)
        fclose(f);
    int64_t n = oom_kill_line(v1);
    return n >= 0 ? n : oom_kill_line(v2);
}

/* 1 when prev is this message for attempt `attempt`. */
static int killed_on(const char *prev, long long attempt)
{
    char on[48];
    snprintf(on, sizeof(on), " on attempt %lld", attempt);
    const char *p = prev ? strstr(prev, MARK) : NULL;
    if (!p)
        return 0;
    p = strstr(p, on);
    return p && (p[strlen(on)] == ';' || p[strlen(on)] == ',' || !p[strlen(on)]);
}

int mf_oom_judge(struct mf_queue *q, const char *job_id, long long attempt, int confirmed, const char *last,
                 char *err, size_t len)
{
    char **pairs = NULL;
    int again = attempt > 1 && mf_queue_get_job(q, job_id, &pairs) > 0
                && killed_on(mf_queue_pairs_get(pairs, "error"), attempt - 1);
    mf_queue_free_pairs(pairs);
    const char *why = confirmed ? "out of memory at the pod's limit: the cgroup's oom_kill count rose"
                                : "SIGKILL not sent by this worker: most likely out of memory at the pod's limit";
    if (again)
        snprintf(err, len, "%s (%s) on attempt %lld, as on attempt %lld: not retried; this input needs more "
                 "memory than the worker has (raise its memory limit or lower MPEGFLOW_MAX_PIXELS)%s%s",
                 MARK, why, attempt, attempt - 1, last && *last ? "; its last message: " : "",
                 last ? last : "");
    else
        snprintf(err, len, "%s (%s) on attempt %lld; retried once more%s%s", MARK, why, attempt,
                 last && *last ? "; its last message: " : "", last ? last : "");
    return again;
}
