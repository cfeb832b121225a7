/* Worker configuration: one table of options, each with its environment name and flag. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker_config.h"
#include "mpegflow/queue.h"

#include "common/quantity.h"
#include "queue/redis_url.h"

enum opt_type { T_STR, T_INT, T_SECONDS, T_SIZE, T_PIXELS, T_ENUM };

struct opt {
    const char *env;               /* NULL: flag only */
    const char *flag;              /* NULL: environment only (secrets) */
    enum opt_type type;
    size_t off;                    /* into struct mf_config */
    size_t size;                   /* T_STR: buffer size */
    double lo, hi;                 /* T_INT, T_SECONDS */
    const char *choices;           /* T_ENUM: "a|b|c" */
    int client;                    /* also for submit/status */
    const char *help;
};

#define OFF(f) offsetof(struct mf_config, f), sizeof(((struct mf_config *)0)->f)

static const struct opt opts[] = {
    { "MPEGFLOW_REDIS_URL", "--redis-url", T_STR, OFF(redis_url), 0, 0, NULL, 1,
      "redis[s]://[[user]:password@]host[:port][/db] (default redis://127.0.0.1:6379/0)" },
    { "MPEGFLOW_REDIS_USERNAME", NULL, T_STR, OFF(redis_username), 0, 0, NULL, 1,
      "Redis ACL user (AUTH user password); replaces the URL's (environment only)" },
    { "MPEGFLOW_REDIS_PASSWORD", NULL, T_STR, OFF(redis_password), 0, 0, NULL, 1,
      "Redis password; replaces the URL's (environment only)" },
    { "MPEGFLOW_REDIS_CA", "--redis-ca", T_STR, OFF(redis_ca), 0, 0, NULL, 1,
      "rediss://: CA bundle file or directory (default: the system store)" },
    { "MPEGFLOW_REDIS_CERT", "--redis-cert", T_STR, OFF(redis_cert), 0, 0, NULL, 1,
      "rediss://: client certificate, PEM (mutual TLS; with MPEGFLOW_REDIS_KEY)" },
    { "MPEGFLOW_REDIS_KEY", NULL, T_STR, OFF(redis_key), 0, 0, NULL, 1,
      "rediss://: the client certificate's private key file (environment only)" },
    { "MPEGFLOW_REDIS_SNI", "--redis-sni", T_STR, OFF(redis_sni), 0, 0, NULL, 1,
      "rediss://: server name to send and verify (default: the URL's host)" },
    { "MPEGFLOW_REDIS_TLS_INSECURE", NULL, T_INT, OFF(redis_tls_insecure), 0, 1, NULL, 1,
      "1 = do not verify the Redis server's certificate (test setups only; logged loudly)" },
    { "MPEGFLOW_JOB_TTL", "--job-ttl", T_SECONDS, OFF(job_ttl), 0, 1e9, NULL, 1,
      "seconds a finished job's hash is kept in Redis (default 604800 = 7 days, 0 = forever)" },
    { "MPEGFLOW_EVENTS_MAXLEN", "--events-maxlen", T_INT, OFF(events_maxlen), 1, 1e9, NULL, 1,
      "cap of the <prefix>events stream, MAXLEN ~ (default 100000)" },
    { "MPEGFLOW_DEAD_MAXLEN", "--dead-maxlen", T_INT, OFF(dead_maxlen), 1, 1e9, NULL, 0,
      "cap of the <prefix>dead:<pool> stream, MAXLEN ~ (default 100000)" },
    { "MPEGFLOW_REDIS_PREFIX", "--prefix", T_STR, OFF(prefix), 0, 0, NULL, 1,
      "key prefix (default mpegflow:)" },
    { "MPEGFLOW_POOL", "--pool", T_STR, OFF(pool), 0, 0, NULL, 1,
      "worker pool: stream <prefix>queue:<pool> (default default)" },
    { "MPEGFLOW_STORAGE_URL", "--storage-url", T_STR, OFF(storage_url), 0, 0, NULL, 0,
      "the one assigned storage endpoint, http(s)://host[:port]/base (required)" },
    { "MPEGFLOW_STORAGE_AUTH", "--storage-auth", T_ENUM, OFF(storage_auth), 0, 0, "none|bearer|sigv4", 0,
      "none | bearer (MPEGFLOW_STORAGE_TOKEN) | sigv4 (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION)" },
    { "MPEGFLOW_STORAGE_STALL_TIMEOUT", "--storage-stall-timeout", T_SECONDS, OFF(storage_stall_timeout), 1, 3600,
      NULL, 0, "seconds a transfer may stay below 1 KiB/s before it is cut and retried (default 30)" },
    { "MPEGFLOW_STORAGE_TOKEN", NULL, T_STR, OFF(storage_token), 0, 0, NULL, 0, "bearer token (environment only)" },
    { "AWS_ACCESS_KEY_ID", NULL, T_STR, OFF(aws_access_key), 0, 0, NULL, 0, "SigV4 access key (environment only)" },
    { "AWS_SECRET_ACCESS_KEY", NULL, T_STR, OFF(aws_secret_key), 0, 0, NULL, 0, "SigV4 secret key (environment only)" },
    { "AWS_REGION", "--aws-region", T_STR, OFF(aws_region), 0, 0, NULL, 0, "SigV4 region" },
    { "MPEGFLOW_BACKEND", "--backend", T_STR, OFF(backend), 0, 0, "x264|x265|nvenc|auto", 0,
      "x264 | nvenc | auto (default auto: the first usable)" },
    { "MPEGFLOW_BACKEND_FALLBACK", "--backend-fallback", T_STR, OFF(backend_fallback), 0, 0, "none|x264|nvenc", 0,
      "backend to use when MPEGFLOW_BACKEND is unusable on this host, or none to fail at start (default none)" },
    { "MPEGFLOW_CONCURRENCY", "--concurrency", T_INT, OFF(concurrency), 1, 64, NULL, 0,
      "jobs at once (default 1)" },
    { "MPEGFLOW_SCRATCH_DIR", "--scratch-dir", T_STR, OFF(scratch_dir), 0, 0, NULL, 0,
      "per-job scratch directories go here (default $TMPDIR or /tmp)" },
    { "MPEGFLOW_DRAIN_TIMEOUT", "--drain-timeout", T_SECONDS, OFF(drain_timeout), 0, 86400, NULL, 0,
      "seconds in-flight jobs may finish after SIGTERM before they are handed back (default 300)" },
    { "MPEGFLOW_HTTP_ADDR", "--http-addr", T_STR, OFF(http_addr), 0, 0, NULL, 0,
      "health and metrics listener, host:port or off (default 0.0.0.0:9090)" },
    { "MPEGFLOW_LOG_FORMAT", "--log-format", T_ENUM, OFF(log_json), 0, 0, "text|json", 0,
      "json | text (default json, text when stderr is a terminal)" },
    { "MPEGFLOW_MAX_ATTEMPTS", "--max-attempts", T_INT, OFF(max_attempts), 1, 100, NULL, 0,
      "deliveries before a job is dead-lettered (default 3)" },
    { "MPEGFLOW_CLAIM_TIMEOUT", "--claim-timeout", T_SECONDS, OFF(claim_timeout), 1, 86400, NULL, 0,
      "seconds without heartbeat before another worker takes an entry over (default 60)" },
    { "MPEGFLOW_MAX_INPUT_BYTES", "--max-input-bytes", T_SIZE, OFF(max_input_bytes), 0, 0, NULL, 0,
      "largest input accepted, e.g. 20G (default 0 = no limit)" },
    { "MPEGFLOW_MAX_PIXELS", "--max-pixels", T_PIXELS, OFF(max_pixels), 0, 0, NULL, 0,
      "largest source frame, width*height or WxH (default 8192x4320)" },
    { "MPEGFLOW_MAX_DURATION", "--max-duration", T_SECONDS, OFF(max_duration), 0, 1e7, NULL, 0,
      "longest source in seconds (default 21600, 0 = no limit)" },
    { NULL, "--max-jobs", T_INT, OFF(max_jobs), 0, 1e9, NULL, 0,
      "take this many jobs, finish them and exit 0 (default 0 = until signalled)" },
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static int in_choices(const char *choices, const char *v, int *index)
{
    size_t n = strlen(v);
    int i = 0;
    for (const char *p = choices; *p; i++) {
        size_t len = strcspn(p, "|");
        if (len == n && n && !strncmp(p, v, n)) {
            if (index)
                *index = i;
            return 1;
        }
        p += len;
        if (*p == '|')
            p++;
    }
    return 0;
}

/* Set one option from text; name is what the error line calls it. */
static int set_opt(struct mf_config *c, const struct opt *o, const char *name, const char *v,
                   char *err, size_t err_len)
{
    char *base = (char *)c + o->off;
    char *end;
    switch (o->type) {
    case T_STR:
        if (strlen(v) >= o->size) {
            snprintf(err, err_len, "%s: too long (at most %zu characters)", name, o->size - 1);
            return -EINVAL;
        }
        if (o->choices && !in_choices(o->choices, v, NULL)) {
            snprintf(err, err_len, "%s: must be one of %s (got '%s')", name, o->choices, v);
            return -EINVAL;
        }
        strcpy(base, v);
        return 0;
    case T_ENUM: {
        int idx;
        if (!in_choices(o->choices, v, &idx)) {
            snprintf(err, err_len, "%s: must be one of %s (got '%s')", name, o->choices, v);
            return -EINVAL;
        }
        if (o->off == offsetof(struct mf_config, storage_auth))
            c->storage_auth = (enum mf_storage_auth)idx;
        else
            *(int *)base = idx;
        return 0;
    }
    case T_INT: {
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (end == v || *end || errno || n < o->lo || n > o->hi) {
            snprintf(err, err_len, "%s: must be an integer between %.0f and %.0f (got '%s')",
                     name, o->lo, o->hi, v);
            return -EINVAL;
        }
        *(int *)base = (int)n;
        return 0;
    }
    case T_SECONDS: {
        errno = 0;
        double d = strtod(v, &end);
        if (end != v && *end == 's' && !end[1])
            end++;
        if (end == v || *end || errno || !isfinite(d) || d < o->lo || d > o->hi) {
            snprintf(err, err_len, "%s: must be a number of seconds between %g and %g (got '%s')",
                     name, o->lo, o->hi, v);
            return -EINVAL;
        }
        *(double *)base = d;
        return 0;
    }
    case T_SIZE: {
        int64_t n = mf_parse_quantity(v);
        if (n < 0) {
            snprintf(err, err_len, "%s: must be a size in bytes such as 20G or 512Mi (got '%s')", name, v);
            return -EINVAL;
        }
        *(int64_t *)base = n;
        return 0;
    }
    case T_PIXELS: {
        long long w, h;
        int len = 0;
        if (sscanf(v, "%lldx%lld%n", &w, &h, &len) == 2 && !v[len] && w > 0 && h > 0 && w < 1 << 20
            && h < 1 << 20) {
            *(int64_t *)base = w * h;
            return 0;
        }
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (end == v || *end || errno || n < 0) {
            snprintf(err, err_len, "%s: must be a pixel count or WxH such as 3840x2160 (got '%s')", name, v);
            return -EINVAL;
        }
        *(int64_t *)base = n;
        return 0;
    }
    }
    return -EINVAL;
}

static void defaults(struct mf_config *c)
{
    memset(c, 0, sizeof(*c));
    strcpy(c->redis_url, "redis://127.0.0.1:6379/0");
    strcpy(c->prefix, "mpegflow:");
    strcpy(c->pool, "default");
    c->job_ttl = MF_QUEUE_JOB_TTL;
    c->events_maxlen = MF_QUEUE_EVENTS_MAXLEN;
    c->dead_maxlen = MF_QUEUE_DEAD_MAXLEN;
    strcpy(c->backend, "auto");
    strcpy(c->backend_fallback, "none");
    c->concurrency = 1;
    const char *tmp = getenv("TMPDIR");
    snprintf(c->scratch_dir, sizeof(c->scratch_dir), "%s", tmp && *tmp ? tmp : "/tmp");
    c->drain_timeout = 300;
    c->storage_stall_timeout = 30;
    strcpy(c->http_addr, "0.0.0.0:9090");
    c->log_json = !isatty(2);
    c->max_attempts = 3;
    c->claim_timeout = 60;
    c->max_pixels = 8192LL * 4320;
    c->max_duration = 21600;
}

static int valid_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
            return 0;
    return 1;
}

/* Cross-field checks, after every source was applied. */
static int validate(const struct mf_config *c, enum mf_config_mode mode, char *err, size_t err_len)
{
    struct mf_redis_url u;
    char why[256];
    if (mf_redis_url_parse(c->redis_url, &u, why, sizeof(why))) {
        snprintf(err, err_len, "MPEGFLOW_REDIS_URL: %s", why);
        return -EINVAL;
    }
    const char *tls_var = c->redis_ca[0] ? "MPEGFLOW_REDIS_CA" : c->redis_cert[0] ? "MPEGFLOW_REDIS_CERT"
                        : c->redis_key[0] ? "MPEGFLOW_REDIS_KEY" : c->redis_sni[0] ? "MPEGFLOW_REDIS_SNI"
                        : c->redis_tls_insecure ? "MPEGFLOW_REDIS_TLS_INSECURE" : NULL;
    if (tls_var && !u.tls) {
        snprintf(err, err_len, "%s: set, but MPEGFLOW_REDIS_URL is not rediss:// (TLS)", tls_var);
        return -EINVAL;
    }
    /* Opening a queue loads the TLS files and checks the user/password pair; it connects to nothing. */
    struct mf_queue_config qc;
    struct mf_queue *q = NULL;
    mf_config_queue(c, &qc);
    if (mf_queue_open(&q, &qc, why, sizeof(why))) {
        snprintf(err, err_len, "%s%s", strncmp(why, "MPEGFLOW_", 9) ? "MPEGFLOW_REDIS_URL: " : "", why);
        return -EINVAL;
    }
    mf_queue_close(&q);
    if (!valid_name(c->pool)) {
        snprintf(err, err_len, "MPEGFLOW_POOL: letters, digits, '_', '.', '-' only (got '%s')", c->pool);
        return -EINVAL;
    }
    for (const char *p = c->prefix; *p; p++)
        if (!isgraph((unsigned char)*p)) {
            snprintf(err, err_len, "MPEGFLOW_REDIS_PREFIX: no spaces or control characters");
            return -EINVAL;
        }
    if (mode == MF_CONFIG_CLIENT)
        return 0;
    if (!c->storage_url[0]) {
        snprintf(err, err_len, "MPEGFLOW_STORAGE_URL: required (the assigned storage endpoint)");
        return -EINVAL;
    }
    if (strncmp(c->storage_url, "http://", 7) && strncmp(c->storage_url, "https://", 8)) {
        snprintf(err, err_len, "MPEGFLOW_STORAGE_URL: must be an http:// or https:// URL");
        return -EINVAL;
    }
    if (c->storage_auth == MF_AUTH_BEARER && !c->storage_token[0]) {
        snprintf(err, err_len, "MPEGFLOW_STORAGE_TOKEN: required with MPEGFLOW_STORAGE_AUTH=bearer");
        return -EINVAL;
    }
    if (c->storage_auth == MF_AUTH_SIGV4) {
        const char *missing = !c->aws_access_key[0] ? "AWS_ACCESS_KEY_ID"
                            : !c->aws_secret_key[0] ? "AWS_SECRET_ACCESS_KEY"
                            : !c->aws_region[0] ? "AWS_REGION" : NULL;
        if (missing) {
            snprintf(err, err_len, "%s: required with MPEGFLOW_STORAGE_AUTH=sigv4", missing);
            return -EINVAL;
        }
    }
    if (strcmp(c->http_addr, "off")) {
        const char *colon = strrchr(c->http_addr, ':');
        char *end;
        long port = colon ? strtol(colon + 1, &end, 10) : -1;
        if (!colon || colon[1] == 0 || *end || port < 0 || port > 65535) {
            snprintf(err, err_len, "MPEGFLOW_HTTP_ADDR: must be host:port or off (got '%s')", c->http_addr);
            return -EINVAL;
        }
    }
    if (access(c->scratch_dir, W_OK | X_OK)) {
        snprintf(err, err_len, "MPEGFLOW_SCRATCH_DIR: %s: %s", c->scratch_dir, strerror(errno));
        return -EINVAL;
    }
    if (!strcmp(c->backend, c->backend_fallback)) {
        snprintf(err, err_len, "MPEGFLOW_BACKEND_FALLBACK: must differ from MPEGFLOW_BACKEND");
        return -EINVAL;
    }
    return 0;
}

int mf_config_load(struct mf_config *c, enum mf_config_mode mode, int argc, char **argv,
                   char **rest, int *n_rest, char *err, size_t err_len)
{
    int ret;
    defaults(c);
    *n_rest = 0;
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opts[i];
        const char *v = o->env ? getenv(o->env) : NULL;
        if (!v || (mode == MF_CONFIG_CLIENT && !o->client))
            continue;
        if ((ret = set_opt(c, o, o->env, v, err, err_len)))
            return ret;
    }
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h"))
            return 1;
        if (strncmp(arg, "--", 2) || !strcmp(arg, "--")) {
            if (!strcmp(arg, "--") && a + 1 < argc)
                arg = argv[++a];
            rest[(*n_rest)++] = (char *)arg;
            continue;
        }
        size_t nlen = strcspn(arg, "=");
        const struct opt *o = NULL;
        for (size_t i = 0; i < N_OPTS; i++)
            if (opts[i].flag && strlen(opts[i].flag) == nlen && !strncmp(opts[i].flag, arg, nlen)
                && (mode == MF_CONFIG_WORKER || opts[i].client))
                o = &opts[i];
        if (!o) {
            snprintf(err, err_len, "%.*s: unknown option (try --help)", (int)nlen, arg);
            return -EINVAL;
        }
        const char *v = arg[nlen] == '=' ? arg + nlen + 1 : a + 1 < argc ? argv[++a] : NULL;
        if (!v) {
            snprintf(err, err_len, "%s: needs a value", o->flag);
            return -EINVAL;
        }
        if ((ret = set_opt(c, o, o->flag, v, err, err_len)))
            return ret;
    }
    return validate(c, mode, err, err_len);
}

void mf_config_usage(enum mf_config_mode mode, FILE *f)
{
    fprintf(f, "configuration (environment variable, and the flag that overrides it):\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opts[i];
        if (mode == MF_CONFIG_CLIENT && !o->client)
            continue;
        fprintf(f, "  %-26s %-20s %s\n", o->env ? o->env : "", o->flag ? o->flag : "", o->help);
    }
}

void mf_config_queue(const struct mf_config *c, struct mf_queue_config *qc)
{
    memset(qc, 0, sizeof(*qc));
    qc->url = c->redis_url;
    qc->username = c->redis_username;
    qc->password = c->redis_password;
    qc->prefix = c->prefix;
    qc->pool = c->pool;
    qc->job_ttl_s = (int64_t)c->job_ttl;
    qc->events_maxlen = c->events_maxlen;
    qc->dead_maxlen = c->dead_maxlen;
    qc->tls.ca = c->redis_ca[0] ? c->redis_ca : NULL;
    qc->tls.cert = c->redis_cert[0] ? c->redis_cert : NULL;
    qc->tls.key = c->redis_key[0] ? c->redis_key : NULL;
    qc->tls.sni = c->redis_sni[0] ? c->redis_sni : NULL;
    qc->tls.insecure = c->redis_tls_insecure;
}
