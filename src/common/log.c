/* JSON-lines or text logging to stderr; one write per line so threads never interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "clock.h"

static int log_json = 1;
static const char *log_component = "mpegflow";
static const char *const level_names[] = { "debug", "info", "warn", "error" };

void mf_log_init(int json, const char *component)
{
    log_json = json;
    if (component)
        log_component = component;
}

/* A plain decimal number (not "007", not "1e5"): written unquoted in JSON. */
static int numeric(const char *s)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (!*p || (p[0] == '0' && p[1] && p[1] != '.'))
        return 0;
    int dot = 0, digits = 0;
    for (; *p; p++) {
        if (*p == '.' && !dot)
            dot = 1;
        else if (*p >= '0' && *p <= '9')
            digits++;
        else
            return 0;
    }
    return digits > 0 && p[-1] != '.' && strlen(s) < 18;
}

static void emit(const char *line, size_t len)
{
    /* stderr may be a pipe whose reader went away: losing a log line is fine. */
    while (len) {
        ssize_t w = write(2, line, len);
        if (w <= 0)
            return;
        line += w;
        len -= (size_t)w;
    }
}

void mf_log(enum mf_log_level level, const char *job, const char *msg, ...)
{
    char ts[40];
    va_list ap;
    mf_now_iso(ts, sizeof(ts));
    va_start(ap, msg);
    if (log_json) {
        json_t *o = json_object();
        if (!o) {
            va_end(ap);
            return;
        }
        json_object_set_new(o, "ts", json_string(ts));
        json_object_set_new(o, "level", json_string(level_names[level]));
        json_object_set_new(o, "msg", json_string(msg));
        json_object_set_new(o, "component", json_string(log_component));
        if (job)
            json_object_set_new(o, "job", json_string(job));
        const char *k;
        while ((k = va_arg(ap, const char *))) {
            const char *v = va_arg(ap, const char *);
            if (!v)
                continue;
            json_object_set_new(o, k, numeric(v) ? json_real(strtod(v, NULL)) : json_string(v));
            if (numeric(v) && !strchr(v, '.'))
                json_object_set_new(o, k, json_integer(strtoll(v, NULL, 10)));
        }
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
        json_decref(o);
        if (s) {
            size_t n = strlen(s);
            char *line = realloc(s, n + 2);
            if (line) {
                line[n] = '\n';
                line[n + 1] = 0;
                emit(line, n + 1);
                s = line;
            }
            free(s);
        }
    } else {
        char line[4096];
        int n = snprintf(line, sizeof(line), "%s %-5s %s%s%s%s", ts, level_names[level],
                         job ? "[" : "", job ? job : "", job ? "] " : "", msg);
        const char *k;
        while ((k = va_arg(ap, const char *)) && n > 0 && (size_t)n < sizeof(line)) {
            const char *v = va_arg(ap, const char *);
            if (v)
                n += snprintf(line + n, sizeof(line) - (size_t)n, " %s=%s", k, v);
        }
        if (n < 0)
            n = 0;
        if ((size_t)n >= sizeof(line) - 1)
            n = (int)sizeof(line) - 2;
        line[n++] = '\n';
        emit(line, (size_t)n);
    }
    va_end(ap);
}
