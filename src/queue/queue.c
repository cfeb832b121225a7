/*
 * The Redis contract (include/mpegflow/queue.h) over hiredis 0.14.
 *
 * Every check-then-write (is the entry still ours? is the job already done?)
 * runs as one Lua script, so two workers can never both complete a job:
 * Redis executes a script atomically.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "mpegflow/queue.h"
#include "redis_url.h"
#include "common/clock.h"

struct mf_queue {
    struct mf_redis_url url;
    char prefix[64];
    char pool[64];
    char consumer[128];
    char stream[256];              /* <prefix>queue:<pool> */
    char events[256];              /* <prefix>events */
    char dead[256];                /* <prefix>dead:<pool> */
    int connect_timeout_ms, command_timeout_ms, backoff_max_ms;
    atomic_int *reachable;
    redisContext *ctx;
    int failures;                  /* consecutive failed connection attempts */
    int64_t next_try_ms;           /* monotonic: no attempt before this */
    unsigned rng;
    char errstr[256];
};

/* A growable argv for redisCommandArgv. */
struct argv {
    int n, cap;
    const char **v;
    size_t *l;
    char nums[16][24];             /* storage for formatted numbers */
    int n_nums;
};

static void set_err(struct mf_queue *q, const char *fmt, ...)
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

static int arg_add(struct argv *a, const char *s, size_t len)
{
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 32;
        const char **v = realloc(a->v, (size_t)cap * sizeof(*v));
        if (!v)
            return -1;
        a->v = v;
        size_t *l = realloc(a->l, (size_t)cap * sizeof(*l));
        if (!l)
            return -1;
        a->l = l;
        a->cap = cap;
    }
    a->v[a->n] = s;
    a->l[a->n] = len;
    a->n++;
    return 0;
}

static int arg(struct argv *a, const char *s)
{
    return arg_add(a, s, strlen(s));
}

static int arg_num(struct argv *a, int64_t v)
{
    if (a->n_nums == 16)
        return -1;
    char *s = a->nums[a->n_nums++];
    snprintf(s, 24, "%lld", (long long)v);
    return arg(a, s);
}

/* Append a count then the NULL-terminated pairs; -1 on OOM or an odd list. */
static int arg_pairs(struct argv *a, const char *const *pairs)
{
    int n = 0;
    while (pairs && pairs[n])
        n++;
    if (n % 2 || arg_num(a, n))
        return -1;
    for (int i = 0; i < n; i++)
        if (arg(a, pairs[i]))
            return -1;
    return 0;
}

static void arg_free(struct argv *a)
{
    free(a->v);
    free(a->l);
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

static redisReply *command(struct mf_queue *q, const struct argv *a, const char *what);
static int check(struct mf_queue *q, redisReply **r);

static int create_group(struct mf_queue *q)
{
    /* "0", not "$": after Redis lost its data, entries added since must all be read. */
    const char *argvv[] = { "XGROUP", "CREATE", q->stream, MF_QUEUE_GROUP, "0", "MKSTREAM" };
    redisReply *r = redisCommandArgv(q->ctx, 6, argvv, NULL);
    if (!r) {
        set_err(q, "XGROUP CREATE %s: %s", q->stream, q->ctx->errstr);
        return MF_QUEUE_ECONN;
    }
    int ret = 0;
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9)) {
        set_err(q, "XGROUP CREATE %s: %s", q->stream, r->str);
        ret = MF_QUEUE_EREPLY;
    }
    freeReplyObject(r);
    return ret;
}

int mf_queue_connect(struct mf_queue *q)
{
    if (q->ctx)
        return 0;
    if (mf_mono_ms() < q->next_try_ms)
        return MF_QUEUE_ECONN;
    struct timeval ct = { q->connect_timeout_ms / 1000, (q->connect_timeout_ms % 1000) * 1000 };
    redisContext *c = q->url.socket[0] ? redisConnectUnixWithTimeout(q->url.socket, ct)
                                       : redisConnectWithTimeout(q->url.host, q->url.port, ct);
    if (!c || c->err) {
        set_err(q, "connect to Redis %s:%d: %s", q->url.socket[0] ? q->url.socket : q->url.host,
                q->url.socket[0] ? 0 : q->url.port, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        schedule_retry(q);
        mark(q, 0);
        return MF_QUEUE_ECONN;
    }
    /* Timeouts are per connection: re-applied after every reconnect. */
    q->ctx = c;
    set_timeout(q, q->command_timeout_ms);
    if (!q->url.socket[0])
        redisEnableKeepAlive(c);
    redisReply *r = NULL;
    if (q->url.password[0]) {
        r = q->url.user[0] ? redisCommand(c, "AUTH %s %s", q->url.user, q->url.password)
                           : redisCommand(c, "AUTH %s", q->url.password);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            set_err(q, "AUTH: %s", r ? r->str : c->errstr);
            goto fail;
        }
        freeReplyObject(r);
    }
    if (q->url.db) {
        r = redisCommand(c, "SELECT %d", q->url.db);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            set_err(q, "SELECT %d: %s", q->url.db, r ? r->str : c->errstr);
            goto fail;
        }
        freeReplyObject(r);
    }
    r = NULL;
    if (create_group(q))
        goto fail;
    q->failures = 0;
    q->next_try_ms = 0;
    mark(q, 1);
    return 0;
fail:
    if (r)
        freeReplyObject(r);
    drop_connection(q);
    schedule_retry(q);
    return MF_QUEUE_ECONN;
}

int mf_queue_ping(struct mf_queue *q)
{
    struct argv a = { 0 };
    int ret = MF_QUEUE_ENOMEM;
    if (arg(&a, "PING") == 0) {
        redisReply *r = command(q, &a, "PING");
        if ((ret = check(q, &r)) == 0)
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
static redisReply *command(struct mf_queue *q, const struct argv *a, const char *what)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (mf_queue_connect(q))
            return NULL;
        redisReply *r = redisCommandArgv(q->ctx, a->n, a->v, a->l);
        if (!r) {
            set_err(q, "%s: %s", what, q->ctx->errstr);
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
            set_err(q, "%s: %s", what, r->str);
        return r;
    }
    return NULL;
}

/* NULL reply → ECONN, error reply → EREPLY (reply freed), else 0. */
static int check(struct mf_queue *q, redisReply **r)
{
    (void)q;
    if (!*r)
        return MF_QUEUE_ECONN;
    if ((*r)->type == REDIS_REPLY_ERROR) {
        freeReplyObject(*r);
        *r = NULL;
        return MF_QUEUE_EREPLY;
    }
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
    if (mf_redis_url_parse(cfg->url, &q->url, err, err_len)) {
        free(q);
        return MF_QUEUE_EINVAL;
    }
    if (cfg->password && *cfg->password) {
        if (strlen(cfg->password) >= sizeof(q->url.password)) {
            snprintf(err, err_len, "Redis password too long");
            free(q);
            return MF_QUEUE_EINVAL;
        }
        strcpy(q->url.password, cfg->password);
    }
    const char *prefix = cfg->prefix ? cfg->prefix : "mpegflow:";
    const char *pool = cfg->pool ? cfg->pool : "default";
    const char *consumer = cfg->consumer ? cfg->consumer : "mpegflow";
    if (strlen(prefix) >= sizeof(q->prefix) || strlen(pool) >= sizeof(q->pool) || !*pool
        || strlen(consumer) >= sizeof(q->consumer)) {
        snprintf(err, err_len, "Redis key prefix, pool or consumer name too long");
        free(q);
        return MF_QUEUE_EINVAL;
    }
    strcpy(q->prefix, prefix);
    strcpy(q->pool, pool);
    strcpy(q->consumer, consumer);
    snprintf(q->stream, sizeof(q->stream), "%squeue:%s", prefix, pool);
    snprintf(q->events, sizeof(q->events), "%sevents", prefix);
    snprintf(q->dead, sizeof(q->dead), "%sdead:%s", prefix, pool);
    q->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 3000;
    q->command_timeout_ms = cfg->command_timeout_ms > 0 ? cfg->command_timeout_ms : 10000;
    q->backoff_max_ms = cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms : 5000;
    q->reachable = cfg->reachable;
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
    free(*qp);
    *qp = NULL;
}

void mf_queue_entry_clear(struct mf_queue_entry *e)
{
    free(e->job);
    memset(e, 0, sizeof(*e));
}

/* Fill e from an [id, [field, value, ...]] reply element. */
static int fill_entry(struct mf_queue_entry *e, const redisReply *el)
{
    memset(e, 0, sizeof(*e));
    if (el->type != REDIS_REPLY_ARRAY || el->elements < 2
        || el->element[0]->type != REDIS_REPLY_STRING || el->element[0]->len >= sizeof(e->id))
        return MF_QUEUE_EREPLY;
    memcpy(e->id, el->element[0]->str, el->element[0]->len);
    const redisReply *f = el->element[1];
    if (f->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < f->elements; i += 2) {
            const redisReply *k = f->element[i], *v = f->element[i + 1];
            if (k->type == REDIS_REPLY_STRING && !strcmp(k->str, "job")
                && v->type == REDIS_REPLY_STRING) {
                e->job = malloc(v->len + 1);
                if (!e->job)
                    return MF_QUEUE_ENOMEM;
                memcpy(e->job, v->str, v->len);
                e->job[v->len] = 0;
                e->job_len = v->len;
                break;
            }
        }
    }
    e->deliveries = 1;
    return 0;
}

/*
 * A command that blocks in Redis for up to block_ms (XREAD[GROUP] BLOCK): the
 * socket's read timeout must outlast the block, so it is raised by block_ms for
 * this command only. Connects first, so that a fresh connection gets it too.
 */
static redisReply *blocking_command(struct mf_queue *q, const struct argv *a, const char *what,
                                    int block_ms)
{
    if (mf_queue_connect(q))
        return NULL;
    set_timeout(q, q->command_timeout_ms + block_ms);
    redisReply *r = command(q, a, what);
    if (q->ctx)
        set_timeout(q, q->command_timeout_ms);
    return r;
}

int mf_queue_read(struct mf_queue *q, int block_ms, struct mf_queue_entry *e)
{
    struct argv a = { 0 };
    int ret;
    if (arg(&a, "XREADGROUP") || arg(&a, "GROUP") || arg(&a, MF_QUEUE_GROUP) || arg(&a, q->consumer)
        || arg(&a, "COUNT") || arg(&a, "1") || arg(&a, "BLOCK") || arg_num(&a, block_ms)
        || arg(&a, "STREAMS") || arg(&a, q->stream) || arg(&a, ">")) {
        arg_free(&a);
        return MF_QUEUE_ENOMEM;
    }
    redisReply *r = blocking_command(q, &a, "XREADGROUP", block_ms);
    arg_free(&a);
    if ((ret = check(q, &r)))
        return ret;
    ret = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
        const redisReply *s = r->element[0];
        if (s->type == REDIS_REPLY_ARRAY && s->elements == 2
            && s->element[1]->type == REDIS_REPLY_ARRAY && s->element[1]->elements >= 1) {
            ret = fill_entry(e, s->element[1]->element[0]);
            if (ret == 0)
                ret = 1;
        }
    }
    freeReplyObject(r);
    return ret;
}

/* Walks the PEL with XAUTOCLAIM's cursor (it examines a bounded number of entries
 * per call) until one entry is claimed or the PEL is exhausted. */
static const char takeover_lua[] =
    "local cur = '0-0'\n"
    "for i = 1, 100 do\n"
    "  local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], cur, 'COUNT', 1)\n"
    "  cur = r[1]\n"
    "  local e = r[2][1]\n"
    "  if e then\n"
    "    local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)\n"
    "    return {e[1], e[2], p[1][4]}\n"
    "  end\n"
    "  if cur == '0-0' then return false end\n"
    "end\n"
    "return false\n";

int mf_queue_takeover(struct mf_queue *q, int64_t min_idle_ms, struct mf_queue_entry *e)
{
    struct argv a = { 0 };
    int ret;
    if (arg(&a, "EVAL") || arg(&a, takeover_lua) || arg(&a, "1") || arg(&a, q->stream)
        || arg(&a, MF_QUEUE_GROUP) || arg(&a, q->consumer) || arg_num(&a, min_idle_ms)) {
        arg_free(&a);
        return MF_QUEUE_ENOMEM;
    }
    redisReply *r = command(q, &a, "XAUTOCLAIM");
    arg_free(&a);
    if ((ret = check(q, &r)))
        return ret;
    ret = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3) {
        ret = fill_entry(e, r);
        if (ret == 0) {
            e->deliveries = r->element[2]->type == REDIS_REPLY_INTEGER ? r->element[2]->integer : 1;
            ret = 1;
        }
    }
    freeReplyObject(r);
    return ret;
}

/* For each id: 1 = ours (idle reset), 0 = another consumer's, 2 = not pending. */
static const char heartbeat_lua[] =
    "local out = {}\n"
    "for i = 3, #ARGV do\n"
    "  local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)\n"
    "  if type(p) ~= 'table' or p.err or not p[1] then out[#out + 1] = 2\n"
    "  elseif p[1][2] ~= ARGV[2] then out[#out + 1] = 0\n"
    "  else\n"
    "    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')\n"
    "    out[#out + 1] = 1\n"
    "  end\n"
    "end\n"
    "return out\n";

int mf_queue_heartbeat(struct mf_queue *q, const char *const *ids, int n, int *status)
{
    struct argv a = { 0 };
    int ret = MF_QUEUE_ENOMEM;
    if (arg(&a, "EVAL") || arg(&a, heartbeat_lua) || arg(&a, "1") || arg(&a, q->stream)
        || arg(&a, MF_QUEUE_GROUP) || arg(&a, q->consumer))
        goto out;
    for (int i = 0; i < n; i++)
        if (arg(&a, ids[i]))
            goto out;
    redisReply *r = command(q, &a, "XCLAIM heartbeat");
    if ((ret = check(q, &r)))
        goto out;
    ret = MF_QUEUE_EREPLY;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == (size_t)n) {
        for (int i = 0; i < n; i++)
            status[i] = (int)r->element[i]->integer;
        ret = 0;
    }
    freeReplyObject(r);
out:
    arg_free(&a);
    return ret;
}

/* ARGV: maxlen, nfields, fields..., nevent, event... */
static const char update_lua[] =
    "local n = tonumber(ARGV[2])\n"
    "if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 3, 2 + n)) end\n"
    "local m = tonumber(ARGV[3 + n])\n"
    "if m > 0 then\n"
    "  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 4 + n, 3 + n + m))\n"
    "end\n"
    "return 1\n";

static int add_event(struct argv *a, const char *job_id, const char *state, mf_fields event)
{
    int n = 0;
    while (event && event[n])
        n++;
    if (n % 2 || arg_num(a, state ? n + 4 : 0))
        return -1;
    if (!state)
        return 0;
    if (arg(a, "job") || arg(a, job_id) || arg(a, "state") || arg(a, state))
        return -1;
    for (int i = 0; i < n; i++)
        if (arg(a, event[i]))
            return -1;
    return 0;
}

int mf_queue_update(struct mf_queue *q, const char *job_id, mf_fields fields,
                    const char *event_state, mf_fields event)
{
    char key[512];
    struct argv a = { 0 };
    int ret = MF_QUEUE_EINVAL;
    if (mf_queue_job_key(q, job_id, key, sizeof(key)))
        return ret;
    ret = MF_QUEUE_ENOMEM;
    if (arg(&a, "EVAL") || arg(&a, update_lua) || arg(&a, "2") || arg(&a, key) || arg(&a, q->events)
        || arg_num(&a, MF_QUEUE_EVENTS_MAXLEN) || arg_pairs(&a, fields)
        || add_event(&a, job_id, event_state, event))
        goto out;
    redisReply *r = command(q, &a, "HSET job");
    if ((ret = check(q, &r)))
        goto out;
    freeReplyObject(r);
out:
    arg_free(&a);
    return ret;
}

/*
 * KEYS: stream, job hash, events, dead. ARGV: group, entry, consumer, maxlen,
 * nfields, fields..., nevent, event..., ndead, dead...
 * Ours = pending and owned by this consumer, or not pending at all (Redis lost
 * it) while the job hash does not say it finished already.
 */
static const char finish_lua[] =
    "local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)\n"
    "if type(p) == 'table' and not p.err and p[1] then\n"
    "  if p[1][2] ~= ARGV[3] then return 0 end\n"
    "else\n"
    "  local s = redis.call('HGET', KEYS[2], 'state')\n"
    "  if s == 'succeeded' or s == 'failed' then return 0 end\n"
    "end\n"
    "local i = 5\n"
    "local n = tonumber(ARGV[i])\n"
    "if n > 0 then redis.call('HSET', KEYS[2], unpack(ARGV, i + 1, i + n)) end\n"
    "for j = i + 1, i + n, 2 do\n"
    "  if ARGV[j] == 'state' and ARGV[j + 1] == 'succeeded' then redis.call('HDEL', KEYS[2], 'error') end\n"
    "end\n"
    "i = i + n + 1\n"
    "n = tonumber(ARGV[i])\n"
    "if n > 0 then redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', unpack(ARGV, i + 1, i + n)) end\n"
    "i = i + n + 1\n"
    "n = tonumber(ARGV[i])\n"
    "if n > 0 then redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*', unpack(ARGV, i + 1, i + n)) end\n"
    "redis.pcall('XACK', KEYS[1], ARGV[1], ARGV[2])\n"
    "redis.call('XDEL', KEYS[1], ARGV[2])\n"
    "return 1\n";

int mf_queue_finish(struct mf_queue *q, const char *entry_id, const char *job_id,
                    mf_fields fields, mf_fields event, mf_fields dead)
{
    char key[512];
    struct argv a = { 0 };
    int ret = MF_QUEUE_EINVAL;
    const char *state = NULL;
    for (int i = 0; fields && fields[i] && fields[i + 1]; i += 2)
        if (!strcmp(fields[i], "state"))
            state = fields[i + 1];
    if (mf_queue_job_key(q, job_id, key, sizeof(key)) || !state)
        return ret;
    ret = MF_QUEUE_ENOMEM;
    if (arg(&a, "EVAL") || arg(&a, finish_lua) || arg(&a, "4") || arg(&a, q->stream) || arg(&a, key)
        || arg(&a, q->events) || arg(&a, q->dead) || arg(&a, MF_QUEUE_GROUP) || arg(&a, entry_id)
        || arg(&a, q->consumer) || arg_num(&a, MF_QUEUE_EVENTS_MAXLEN) || arg_pairs(&a, fields)
        || add_event(&a, job_id, state, event) || arg_pairs(&a, dead))
        goto out;
    redisReply *r = command(q, &a, "XACK finish");
    if ((ret = check(q, &r)))
        goto out;
    ret = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : MF_QUEUE_EREPLY;
    freeReplyObject(r);
out:
    arg_free(&a);
    return ret;
}

/*
 * KEYS: stream, job hash, events. ARGV: group, entry, consumer, maxlen, idle,
 * retrycount, job json, nfields, fields..., nevent, event...
 * XCLAIM's IDLE sets how long the entry looks idle: claim timeout minus delay.
 */
static const char release_lua[] =
    "local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)\n"
    "local pending = type(p) == 'table' and not p.err and p[1]\n"
    "if pending and p[1][2] ~= ARGV[3] then return 0 end\n"
    "if not pending then\n"
    "  local s = redis.call('HGET', KEYS[2], 'state')\n"
    "  if s == 'succeeded' or s == 'failed' then return 0 end\n"
    "end\n"
    "local i = 8\n"
    "local n = tonumber(ARGV[i])\n"
    "if n > 0 then redis.call('HSET', KEYS[2], unpack(ARGV, i + 1, i + n)) end\n"
    "i = i + n + 1\n"
    "n = tonumber(ARGV[i])\n"
    "if n > 0 then redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', unpack(ARGV, i + 1, i + n)) end\n"
    "if pending then\n"
    "  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'IDLE', ARGV[5], 'RETRYCOUNT', ARGV[6], 'JUSTID')\n"
    "else\n"
    "  redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')\n"
    "  redis.call('XADD', KEYS[1], '*', 'job', ARGV[7])\n"
    "end\n"
    "return 1\n";

int mf_queue_release(struct mf_queue *q, const char *entry_id, const char *job_id,
                     int64_t delay_ms, int64_t claim_timeout_ms, int64_t deliveries,
                     const char *job_json, mf_fields fields, mf_fields event)
{
    char key[512];
    struct argv a = { 0 };
    int ret = MF_QUEUE_EINVAL;
    const char *state = "queued";
    for (int i = 0; fields && fields[i] && fields[i + 1]; i += 2)
        if (!strcmp(fields[i], "state"))
            state = fields[i + 1];
    if (mf_queue_job_key(q, job_id, key, sizeof(key)))
        return ret;
    int64_t idle = claim_timeout_ms - delay_ms;
    if (delay_ms <= 0)
        idle = claim_timeout_ms + 1000;   /* comfortably past XAUTOCLAIM's min-idle */
    if (idle < 0)
        idle = 0;
    ret = MF_QUEUE_ENOMEM;
    if (arg(&a, "EVAL") || arg(&a, release_lua) || arg(&a, "3") || arg(&a, q->stream) || arg(&a, key)
        || arg(&a, q->events) || arg(&a, MF_QUEUE_GROUP) || arg(&a, entry_id) || arg(&a, q->consumer)
        || arg_num(&a, MF_QUEUE_EVENTS_MAXLEN) || arg_num(&a, idle)
        || arg_num(&a, deliveries > 0 ? deliveries : 0) || arg(&a, job_json ? job_json : "")
        || arg_pairs(&a, fields) || add_event(&a, job_id, state, event))
        goto out;
    redisReply *r = command(q, &a, "XCLAIM release");
    if ((ret = check(q, &r)))
        goto out;
    ret = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : MF_QUEUE_EREPLY;
    freeReplyObject(r);
out:
    arg_free(&a);
    return ret;
}

/* KEYS: stream, events. ARGV: job hash prefix, json, job id, created_at, maxlen. */
static const char submit_lua[] =
    "local id = redis.call('XADD', KEYS[1], '*', 'job', ARGV[2])\n"
    "local jid = ARGV[3]\n"
    "if jid == '' then jid = id end\n"
    "local h = ARGV[1] .. jid\n"
    "redis.call('DEL', h)\n"
    "redis.call('HSET', h, 'state', 'queued', 'progress', '0', 'attempt', '0', 'created_at', ARGV[4])\n"
    "redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'job', jid, 'state', 'queued')\n"
    "return {id, jid}\n";

int mf_queue_submit(struct mf_queue *q, const char *json, size_t len, const char *job_id,
                    const char *created_at, char *entry_id, size_t entry_len,
                    char *out_job_id, size_t job_id_len)
{
    char hprefix[128];
    struct argv a = { 0 };
    int ret = MF_QUEUE_ENOMEM;
    snprintf(hprefix, sizeof(hprefix), "%sjob:", q->prefix);
    if (arg(&a, "EVAL") || arg(&a, submit_lua) || arg(&a, "2") || arg(&a, q->stream) || arg(&a, q->events)
        || arg(&a, hprefix) || arg_add(&a, json, len) || arg(&a, job_id ? job_id : "")
        || arg(&a, created_at) || arg_num(&a, MF_QUEUE_EVENTS_MAXLEN))
        goto out;
    redisReply *r = command(q, &a, "XADD submit");
    if ((ret = check(q, &r)))
        goto out;
    ret = MF_QUEUE_EREPLY;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
        if (entry_id)
            snprintf(entry_id, entry_len, "%s", r->element[0]->str);
        if (out_job_id)
            snprintf(out_job_id, job_id_len, "%s", r->element[1]->str);
        ret = 0;
    }
    freeReplyObject(r);
out:
    arg_free(&a);
    return ret;
}

int mf_queue_get_job(struct mf_queue *q, const char *job_id, char ***pairs)
{
    char key[512];
    struct argv a = { 0 };
    int ret;
    *pairs = NULL;
    if (mf_queue_job_key(q, job_id, key, sizeof(key)))
        return MF_QUEUE_EINVAL;
    if (arg(&a, "HGETALL") || arg(&a, key)) {
        arg_free(&a);
        return MF_QUEUE_ENOMEM;
    }
    redisReply *r = command(q, &a, "HGETALL");
    arg_free(&a);
    if ((ret = check(q, &r)))
        return ret;
    ret = MF_QUEUE_EREPLY;
    if (r->type == REDIS_REPLY_ARRAY) {
        char **p = calloc(r->elements + 1, sizeof(*p));
        ret = MF_QUEUE_ENOMEM;
        if (p) {
            size_t i;
            for (i = 0; i < r->elements; i++) {
                const redisReply *el = r->element[i];
                p[i] = malloc(el->len + 1);
                if (!p[i])
                    break;
                memcpy(p[i], el->str ? el->str : "", el->len);
                p[i][el->len] = 0;
            }
            if (i == r->elements) {
                *pairs = p;
                ret = (int)(r->elements / 2);
            } else {
                mf_queue_free_pairs(p);
            }
        }
    }
    freeReplyObject(r);
    return ret;
}

void mf_queue_free_pairs(char **pairs)
{
    for (char **p = pairs; p && *p; p++)
        free(*p);
    free(pairs);
}

const char *mf_queue_pairs_get(char *const *pairs, const char *field)
{
    for (size_t i = 0; pairs && pairs[i] && pairs[i + 1]; i += 2)
        if (!strcmp(pairs[i], field))
            return pairs[i + 1];
    return NULL;
}

int mf_queue_events_last_id(struct mf_queue *q, char *id, size_t len)
{
    struct argv a = { 0 };
    int ret;
    if (arg(&a, "XREVRANGE") || arg(&a, q->events) || arg(&a, "+") || arg(&a, "-")
        || arg(&a, "COUNT") || arg(&a, "1")) {
        arg_free(&a);
        return MF_QUEUE_ENOMEM;
    }
    redisReply *r = command(q, &a, "XREVRANGE events");
    arg_free(&a);
    if ((ret = check(q, &r)))
        return ret;
    ret = MF_QUEUE_EREPLY;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 0) {
        /* No stream yet: every event that comes is newer than "0-0". */
        ret = snprintf(id, len, "0-0") < (int)len ? 0 : MF_QUEUE_EINVAL;
    } else if (r->type == REDIS_REPLY_ARRAY && r->element[0]->type == REDIS_REPLY_ARRAY
               && r->element[0]->elements >= 1
               && r->element[0]->element[0]->type == REDIS_REPLY_STRING) {
        const redisReply *s = r->element[0]->element[0];
        ret = MF_QUEUE_EINVAL;
        if (s->len < len) {
            memcpy(id, s->str, s->len);
            id[s->len] = 0;
            ret = 0;
        }
    }
    if (ret == MF_QUEUE_EREPLY)
        set_err(q, "XREVRANGE %s: unexpected reply", q->events);
    freeReplyObject(r);
    return ret;
}

/* 1 when the event entry el ([id, [field, value, ...]]) has job == job_id. */
static int event_is_for(const redisReply *el, const char *job_id)
{
    if (el->type != REDIS_REPLY_ARRAY || el->elements < 2 || el->element[1]->type != REDIS_REPLY_ARRAY)
        return 0;
    const redisReply *f = el->element[1];
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        const redisReply *k = f->element[i], *v = f->element[i + 1];
        if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING && !strcmp(k->str, "job"))
            return v->len == strlen(job_id) && !memcmp(v->str, job_id, v->len);
    }
    return 0;
}

int mf_queue_events_wait(struct mf_queue *q, const char *job_id, char *id, size_t len,
                         int block_ms, int count)
{
    struct argv a = { 0 };
    int ret;
    if (block_ms < 1 || count < 1)
        return MF_QUEUE_EINVAL;    /* BLOCK 0 would wait forever */
    if (arg(&a, "XREAD") || arg(&a, "COUNT") || arg_num(&a, count) || arg(&a, "BLOCK")
        || arg_num(&a, block_ms) || arg(&a, "STREAMS") || arg(&a, q->events) || arg(&a, id)) {
        arg_free(&a);
        return MF_QUEUE_ENOMEM;
    }
    redisReply *r = blocking_command(q, &a, "XREAD events", block_ms);
    arg_free(&a);
    if ((ret = check(q, &r)))
        return ret;
    ret = 0;
    /* Nil on timeout, else [[events, [[id, fields], ...]]]. */
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
        const redisReply *s = r->element[0];
        if (s->type == REDIS_REPLY_ARRAY && s->elements == 2 && s->element[1]->type == REDIS_REPLY_ARRAY) {
            const redisReply *ev = s->element[1];
            for (size_t i = 0; i < ev->elements; i++) {
                const redisReply *el = ev->element[i];
                if (event_is_for(el, job_id))
                    ret = 1;
                if (el->type == REDIS_REPLY_ARRAY && el->elements >= 1
                    && el->element[0]->type == REDIS_REPLY_STRING && el->element[0]->len < len) {
                    memcpy(id, el->element[0]->str, el->element[0]->len);
                    id[el->element[0]->len] = 0;
                }
            }
        }
    }
    freeReplyObject(r);
    return ret;
}
