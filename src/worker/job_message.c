#include "job_message.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Append s to out (at *n, cap len), truncating. */
static void put(char *out, size_t len, size_t *n, const char *s, size_t slen)
{
    if (*n + 1 >= len)
        return;
    if (slen > len - 1 - *n)
        slen = len - 1 - *n;
    memcpy(out + *n, s, slen);
    *n += slen;
    out[*n] = 0;
}

void mf_message_unscratch(char *msg, size_t len, const char *scratch, const char *input_key,
                          const char *output_prefix)
{
    size_t sl = scratch ? strlen(scratch) : 0;
    if (!sl || !len || !strstr(msg, scratch))
        return;
    char out[2048];
    size_t n = 0;
    out[0] = 0;
    const char *p = msg, *hit;
    while ((hit = strstr(p, scratch))) {
        put(out, sizeof(out), &n, p, (size_t)(hit - p));
        const char *rest = hit + sl;
        if (!strncmp(rest, "/input", 6)) {
            const char *end = rest + 6;
            if (*end == '.')
                for (end++; (*end >= 'a' && *end <= 'z') || (*end >= '0' && *end <= '9'); end++)
                    ;
            put(out, sizeof(out), &n, "input ", 6);
            put(out, sizeof(out), &n, input_key, strlen(input_key));
            p = end;
        } else if (!strncmp(rest, "/out/", 5)) {
            put(out, sizeof(out), &n, output_prefix, strlen(output_prefix));
            p = rest + 5;
        } else {
            put(out, sizeof(out), &n, "(scratch)", 9);
            p = rest;
        }
    }
    put(out, sizeof(out), &n, p, strlen(p));
    snprintf(msg, len, "%s", out);
}

void mf_message_gave_up(char *out, size_t len, int64_t attempts, int max_attempts, const char *state,
                        const char *error, const char *worker, const char *attempt)
{
    int n = snprintf(out, len, "gave up after %lld attempt%s (MPEGFLOW_MAX_ATTEMPTS=%d): ",
                     (long long)attempts, attempts == 1 ? "" : "s", max_attempts);
    if (n < 0 || (size_t)n >= len)
        return;
    char *at = out + n;
    size_t left = len - (size_t)n;
    int has_error = error && *error;
    if (state && !strcmp(state, "running")) {
        n = snprintf(at, left, "attempt %s on worker %s ended without an outcome: the worker was killed "
                     "(out of memory, kill -9, node lost) or cut off from Redis mid-job%s%s",
                     attempt && *attempt ? attempt : "?", worker && *worker ? worker : "?",
                     has_error ? "; an earlier attempt's error: " : "", has_error ? error : "");
    } else if (has_error) {
        n = snprintf(at, left, "%s", error);
    } else {
        n = snprintf(at, left, "no attempt recorded a cause");
    }
    (void)n;
}

void mf_message_disk_full(char *msg, size_t len, long long disk_mb)
{
    static const char head[] = "the worker's scratch disk";
    if (!len || !strstr(msg, strerror(ENOSPC)) || !strncmp(msg, head, sizeof(head) - 1))
        return;
    char out[2048], size[48] = "";
    if (disk_mb >= 0)
        snprintf(size, sizeof(size), ", %lld MB", disk_mb);
    snprintf(out, sizeof(out), "%s (MPEGFLOW_SCRATCH_DIR%s) is full: %s", head, size, msg);
    snprintf(msg, len, "%s", out);
}
