/*
 * The Redis connection of a queue handle: open/close, connect (AUTH, SELECT,
 * the consumer group), reconnection backoff, and the command runner the
 * operations share (stream.c for the worker, client_ops.c for submit/status).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "queue_internal.h"
#include "sentinel.h"
#include "common/clock.h"

void mf_queue_set_err(struct mf_queue *q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->errstr, sizeof(q->errstr), fmt, ap);
    va_end(ap);
}

static void mark(struct mf_queue *q, int up)
{
    if (q->reachable)
        atomic_store(q->reachable, up);
}

/* An error reply into errstr; a NOPERM (Redis names the command) says it is the ACL. */
static void set_reply_err(struct mf_queue *q, const char *what, const char *msg)
{
    /* NOPERM outside a script; inside one Redis 7.0 says "can't run this command". */
    if (!strncmp(msg, "NOPERM", 6) || strstr(msg, "can't run this command"))
        mf_queue_set_err(q, "%s: %s (the Redis ACL user '%s' lacks a permission: see the README's "
                         "minimal ACL)", what, msg, q->url.user[0] ? q->url.user : "default");
    else
        mf_queue_set_err(q, "%s: %s", what, msg);
}

static void set_timeout(struct mf_queue *q, int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    redisSetTimeout(q->ctx, tv);
}

static void drop_connection(struct mf_queue *q)
{
    if (q->ctx)
        redisFree(q->ctx);
    q->ctx = NULL;
    mark(q, 0);
}

static void schedule_retry(struct mf_queue *q)
{
    /* Exponential from 100 ms to the cap, "equal jitter": half fixed, half random,
     * so a fleet restarted together does not reconnect in lockstep. */
    int64_t d = 100;
    for (int i = 0; i < q->failures && d < q->backoff_max_ms; i++)
        d *= 2;
    if (d > q->backoff_max_ms)
        d = q->backoff_max_ms;
    d = d / 2 + rand_r(&q->rng) % (d / 2 + 1);
    q->failures++;
    q->next_try_ms = mf_mono_ms() + d;
}

static int create_group(struct mf_queue *q)
{
    /* "0", not "$": after Redis lost its data, entries added since must all be read. */
    const char *argvv[] = { "XGROUP", "CREATE", q->stream, MF_QUEUE_GROUP, "0", "MKSTREAM" };
    redisReply *r = redisCommandArgv(q->ctx, 6, argvv, NULL);
    if (!r) {
        mf_queue_set_err(q, "XGROUP CREATE %s: %s", q->stream, q->ctx->errstr);
        return MF_QUEUE_ECONN;
    }
    int ret = 0;
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9)) {
        char what[300];
        snprintf(what, sizeof(what), "XGROUP CREATE %s", q->stream);
        set_reply_err(q, what, r->str);
        ret = MF_QUEUE_EREPLY;
    }
    freeReplyObject(r);
    return ret;
}

/* The sentinels' answer may be stale mid-failover: the node must say it is the primary. */
static int check_primary(struct mf_queue *q)
{
    redisReply *r = redisCommand(q->ctx, "ROLE");
    int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 && r->element[0]->type == REDIS_REPLY_STRING
             && !strcmp(r->element[0]->str, "master");
    if (!ok)
        mf_queue_set_err(q, "Redis Sentinel: %s:%d (primary of '%s' by the sentinels) answered ROLE with %s",
                         q->url.host, q->url.port, q->url.master,
                         !r ? q->ctx->errstr : r->type == REDIS_REPLY_ERROR ? r->str
                         : r->elements ? r->element[0]->str : "nothing");
    freeReplyObject(r);
    return ok ? 0 : -1;
}

/* A socket to the server (the sentinels' primary), with timeouts and TLS; 0 or -1 (errstr set). */
static int open_socket(struct mf_queue *q)
{
    if (q->url.n_sentinels && mf_sentinel_resolve(q, q->connect_timeout_ms))
        return -1;
    struct timeval ct = { q->connect_timeout_ms / 1000, (q->connect_timeout_ms % 1000) * 1000 };
    redisContext *c = q->url.socket[0] ? redisConnectUnixWithTimeout(q->url.socket, ct)
                                       : redisConnectWithTimeout(q->url.host, q->url.port, ct);
    if (!c || c->err) {
        mf_queue_set_err(q, "connect to Redis %s:%d: %s", q->url.socket[0] ? q->url.socket : q->url.host,
                q->url.socket[0] ? 0 : q->url.port, c ? c->errstr : "out of memory");
        redisFree(c);
        return -1;
    }
    /* Timeouts are per connection: re-applied after every reconnect (the TLS handshake too). */
    q->ctx = c;
    set_timeout(q, q->command_timeout_ms);
    if (!q->url.socket[0])
        redisEnableKeepAlive(c);
    char why[400];
    if (q->tls && mf_tls_connect(q->tls, c, q->url.host, why, sizeof(why))) {
        mf_queue_set_err(q, "TLS to Redis %s:%d: %s", q->url.host, q->url.port, why);
        return -1;
    }
    return 0;
}

/* One set-up command (AUTH, SELECT): 0, or -1 with errstr naming it. */
static int setup_command(struct mf_queue *q, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int setup_command(struct mf_queue *q, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(q->ctx, fmt, ap);
    va_end(ap);
    int ok = r && r->type != REDIS_REPLY_ERROR;
    if (!ok)
        mf_queue_set_err(q, "%s: %s", what, r ? r->str : q->ctx->errstr);
    freeReplyObject(r);
    return ok ? 0 : -1;
}

/* Log in, pick the database, check the primary, make the group. */
static int session(struct mf_queue *q)
{
    const struct mf_redis_url *u = &q->url;
    char sel[32];
    snprintf(sel, sizeof(sel), "SELECT %d", u->db);
    if (u->password[0] && (u->user[0] ? setup_command(q, "AUTH", "AUTH %s %s", u->user, u->password)
                                      : setup_command(q, "AUTH", "AUTH %s", u->password)))
        return -1;
    if (u->db && setup_command(q, sel, "SELECT %d", u->db))
        return -1;
    if (u->n_sentinels && check_primary(q))
        return -1;
    return create_group(q) ? -1 : 0;
}

int mf_queue_connect(struct mf_queue *q)
{
    if (q->ctx)
        return 0;
    if (mf_mono_ms() < q->next_try_ms)
        return MF_QUEUE_ECONN;
    q->epoch = mf_sentinel_epoch();
    if (open_socket(q) || session(q)) {
        drop_connection(q);
        schedule_retry(q);
        return MF_QUEUE_ECONN;
    }
    q->failures = 0;
    q->next_try_ms = 0;
    mark(q, 1);
    return 0;
}

int mf_queue_ping(struct mf_queue *q)
{
    struct argv a = { 0 };
    int ret = MF_QUEUE_ENOMEM;
    if (arg(&a, "PING") == 0) {
        redisReply *r = mf_queue_command(q, &a, "PING");
        if ((ret = mf_queue_check(&r)) == 0)
            freeReplyObject(r);
    }
    arg_free(&a);
    return ret;
}

int mf_queue_retry_in_ms(const struct mf_queue *q)
{
    int64_t d = q->next_try_ms - mf_mono_ms();
    return d > 0 ? (int)d : 0;
}

const char *mf_queue_errstr(const struct mf_queue *q)
{
    return q->errstr;
}

const char *mf_queue_stream_key(const struct mf_queue *q)
{
    return q->stream;
}

int mf_queue_job_key(const struct mf_queue *q, const char *job_id, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%sjob:%s", q->prefix, job_id);
    return n < 0 || (size_t)n >= len ? MF_QUEUE_EINVAL : 0;
}

/*
 * Run a command, connecting first if needed. A NULL reply (I/O error, timeout,
 * EOF) drops the connection: the next call reconnects at once, then backs off.
 * An error reply naming NOGROUP (Redis lost its data) recreates the group and
 * the command is run once more.
 */
redisReply *mf_queue_command(struct mf_queue *q, const struct argv *a, const char *what)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (q->ctx && q->url.n_sentinels && q->epoch != mf_sentinel_epoch())
            drop_connection(q);        /* +switch-master: the primary moved */
        if (mf_queue_connect(q))
            return NULL;
        redisReply *r = redisCommandArgv(q->ctx, a->n, a->v, a->l);
        if (!r) {
            mf_queue_set_err(q, "%s: %s", what, q->ctx->errstr);
            drop_connection(q);
            return NULL;
        }
        if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "READONLY", 8)) {
            /* A replica now (failover, or an endpoint that moved): reconnect, asking
             * the sentinels again; the caller retries as after a lost connection. */
            mf_queue_set_err(q, "%s: %s (reconnecting to the primary)", what, r->str);
            freeReplyObject(r);
            drop_connection(q);
            return NULL;
        }
        mark(q, 1);
        if (r->type == REDIS_REPLY_ERROR && strstr(r->str, "NOGROUP") && attempt == 0) {
            freeReplyObject(r);
            int e = create_group(q);
            if (e == MF_QUEUE_ECONN) {
                drop_connection(q);
                return NULL;
            }
            continue;
        }
        if (r->type == REDIS_REPLY_ERROR)
            set_reply_err(q, what, r->str);
        return r;
    }
    return NULL;
}

/* NULL reply → ECONN, error reply → EREPLY (reply freed), else 0. */
int mf_queue_check(redisReply **r)
{
    if (!*r)
        return MF_QUEUE_ECONN;
    if ((*r)->type == REDIS_REPLY_ERROR) {
        freeReplyObject(*r);
        *r = NULL;
        return MF_QUEUE_EREPLY;
    }
    return 0;
}

/* The configured user and password replace the URL's; a user needs a password. */
static int set_credentials(struct mf_queue *q, const struct mf_queue_config *cfg, char *err, size_t err_len)
{
    if (cfg->password && *cfg->password
        && snprintf(q->url.password, sizeof(q->url.password), "%s", cfg->password) >= (int)sizeof(q->url.password)) {
        snprintf(err, err_len, "Redis password too long");
        return -1;
    }
    if (cfg->username && *cfg->username
        && snprintf(q->url.user, sizeof(q->url.user), "%s", cfg->username) >= (int)sizeof(q->url.user)) {
        snprintf(err, err_len, "Redis user name too long");
        return -1;
    }
    if (q->url.user[0] && !q->url.password[0]) {
        snprintf(err, err_len, "Redis user '%s' without a password (AUTH needs both; "
                 "MPEGFLOW_REDIS_PASSWORD or redis://user:password@...)", q->url.user);
        return -1;
    }
    return 0;
}

/* Prefix, pool, consumer and the keys made of them. */
static int set_names(struct mf_queue *q, const struct mf_queue_config *cfg, char *err, size_t err_len)
{
    const char *prefix = cfg->prefix ? cfg->prefix : "mpegflow:";
    const char *pool = cfg->pool ? cfg->pool : "default";
    const char *consumer = cfg->consumer ? cfg->consumer : "mpegflow";
    if (strlen(prefix) >= sizeof(q->prefix) || strlen(pool) >= sizeof(q->pool) || !*pool
        || strlen(consumer) >= sizeof(q->consumer)) {
        snprintf(err, err_len, "Redis key prefix, pool or consumer name too long");
        return -1;
    }
    strcpy(q->prefix, prefix);
    strcpy(q->pool, pool);
    strcpy(q->consumer, consumer);
    snprintf(q->stream, sizeof(q->stream), "%squeue:%s", prefix, pool);
    snprintf(q->events, sizeof(q->events), "%sevents", prefix);
    snprintf(q->dead, sizeof(q->dead), "%sdead:%s", prefix, pool);
    return 0;
}

int mf_queue_open(struct mf_queue **qp, const struct mf_queue_config *cfg, char *err, size_t err_len)
{
    *qp = NULL;
    struct mf_queue *q = calloc(1, sizeof(*q));
    if (!q) {
        snprintf(err, err_len, "out of memory");
        return MF_QUEUE_ENOMEM;
    }
    if (mf_redis_url_parse(cfg->url, &q->url, err, err_len) || set_credentials(q, cfg, err, err_len)
        || set_names(q, cfg, err, err_len) || (q->url.tls && mf_tls_open(&q->tls, &cfg->tls, err, err_len))) {
        free(q);
        return MF_QUEUE_EINVAL;
    }
    q->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 3000;
    q->command_timeout_ms = cfg->command_timeout_ms > 0 ? cfg->command_timeout_ms : 10000;
    q->backoff_max_ms = cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms : 5000;
    q->reachable = cfg->reachable;
    q->job_ttl_s = cfg->job_ttl_s > 0 ? cfg->job_ttl_s : 0;
    q->events_maxlen = cfg->events_maxlen > 0 ? cfg->events_maxlen : MF_QUEUE_EVENTS_MAXLEN;
    q->dead_maxlen = cfg->dead_maxlen > 0 ? cfg->dead_maxlen : MF_QUEUE_DEAD_MAXLEN;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    q->rng = (unsigned)ts.tv_nsec ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)q;
    *qp = q;
    return 0;
}

void mf_queue_close(struct mf_queue **qp)
{
    if (!*qp)
        return;
    if ((*qp)->ctx)
        redisFree((*qp)->ctx);
    mf_tls_close(&(*qp)->tls);
    mf_sentinel_unwatch(*qp);
    free(*qp);
    *qp = NULL;
}


/*
 * A command that blocks in Redis for up to block_ms (XREAD[GROUP] BLOCK): the
 * socket's read timeout must outlast the block, so it is raised by block_ms for
 * this command only. Connects first, so that a fresh connection gets it too.
 */
redisReply *mf_queue_blocking_command(struct mf_queue *q, const struct argv *a, const char *what,
                                    int block_ms)
{
    if (mf_queue_connect(q))
        return NULL;
    set_timeout(q, q->command_timeout_ms + block_ms);
    redisReply *r = mf_queue_command(q, a, what);
    if (q->ctx)
        set_timeout(q, q->command_timeout_ms);
    return r;
}
