/*
 * The queue's Lua scripts (src/queue/scripts.c) against a real redis-server
 * (tests/queue/redis_runner.py starts it): each script's branches through the
 * public calls, with Redis's state read back by a plain hiredis connection.
 * Two handles play two workers ("a" and "b") of one pool.
 */
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpegflow/queue.h"
#include "unit.h"

#define STREAM "t:queue:default"
#define EVENTS "t:events"
#define DEAD "t:dead:default"

static redisContext *raw;

static redisReply *cmd(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(raw, fmt, ap);
    va_end(ap);
    if (!r) {
        fprintf(stderr, "raw Redis connection: %s\n", raw->errstr);
        exit(1);
    }
    return r;
}

static long long num(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(raw, fmt, ap);
    va_end(ap);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -999;
    freeReplyObject(r);
    return v;
}

/* HGET into a static buffer; "(nil)" when absent. */
static const char *hget(const char *key, const char *field)
{
    static char buf[256];
    redisReply *r = cmd("HGET %s %s", key, field);
    snprintf(buf, sizeof(buf), "%s", r->type == REDIS_REPLY_STRING ? r->str : "(nil)");
    freeReplyObject(r);
    return buf;
}

/* The delivery count of entry id in the group, -1 when not pending. */
static long long deliveries(const char *id)
{
    redisReply *r = cmd("XPENDING %s workers %s %s 1", STREAM, id, id);
    long long v = -1;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
        v = r->element[0]->element[3]->integer;
    freeReplyObject(r);
    return v;
}

static struct mf_queue *open_queue_with(const char *consumer, int64_t ttl, int64_t events, int64_t dead)
{
    char err[256];
    struct mf_queue *q = NULL;
    struct mf_queue_config c = { .url = getenv("MF_TEST_REDIS_URL"), .prefix = "t:", .consumer = consumer,
                                 .job_ttl_s = ttl, .events_maxlen = events, .dead_maxlen = dead };
    if (mf_queue_open(&q, &c, err, sizeof(err))) {
        fprintf(stderr, "mf_queue_open: %s\n", err);
        exit(1);
    }
    return q;
}

static struct mf_queue *open_queue(const char *consumer)
{
    return open_queue_with(consumer, 0, 0, 0);
}

static void reset(void)
{
    freeReplyObject(cmd("FLUSHALL"));
}

/* Submit job_id and have q read it: entry id into e. */
static void submit_and_read(struct mf_queue *q, const char *job_id, struct mf_queue_entry *e)
{
    char json[128], eid[48], jid[64];
    snprintf(json, sizeof(json), "{\"id\":\"%s\"}", job_id);
    CHECK_INT_EQ(mf_queue_submit(q, json, strlen(json), job_id, "2026-01-01T00:00:00Z",
                                 eid, sizeof(eid), jid, sizeof(jid)), 0);
    CHECK_STR_EQ(jid, job_id);
    CHECK_INT_EQ(mf_queue_read(q, 100, e), 1);
    CHECK_STR_EQ(e->id, eid);
    CHECK_STR_EQ(e->job, json);
}

static void test_submit(struct mf_queue *a)
{
    reset();
    freeReplyObject(cmd("HSET t:job:j1 state failed error old result stale"));
    char eid[48], jid[64];
    CHECK_INT_EQ(mf_queue_submit(a, "{}", 2, "j1", "2026-01-01T00:00:00Z", eid, sizeof(eid),
                                 jid, sizeof(jid)), 0);
    CHECK_STR_EQ(hget("t:job:j1", "state"), "queued");
    CHECK_STR_EQ(hget("t:job:j1", "error"), "(nil)");        /* a resubmit starts clean */
    CHECK_STR_EQ(hget("t:job:j1", "result"), "(nil)");
    CHECK_STR_EQ(hget("t:job:j1", "created_at"), "2026-01-01T00:00:00Z");
    CHECK_INT_EQ(num("XLEN %s", STREAM), 1);
    CHECK_INT_EQ(num("XLEN %s", EVENTS), 1);
    /* No id: the job is named after its entry. */
    CHECK_INT_EQ(mf_queue_submit(a, "{}", 2, NULL, "t", eid, sizeof(eid), jid, sizeof(jid)), 0);
    CHECK_STR_EQ(jid, eid);
}

static void test_takeover(struct mf_queue *a, struct mf_queue *b)
{
    reset();
    struct mf_queue_entry e, t;
    CHECK_INT_EQ(mf_queue_takeover(b, 0, &t), 0);             /* no group PEL at all */
    submit_and_read(a, "j1", &e);
    CHECK_INT_EQ(mf_queue_takeover(b, 60000, &t), 0);         /* not idle long enough */
    CHECK_INT_EQ(mf_queue_takeover(b, 0, &t), 1);             /* idle enough: b owns it */
    CHECK_STR_EQ(t.id, e.id);
    CHECK_STR_EQ(t.job, e.job);
    CHECK_INT_EQ(t.deliveries, 2);
    CHECK_INT_EQ(deliveries(e.id), 2);
    mf_queue_entry_clear(&t);
    /* A PEL entry whose stream entry was deleted: XAUTOCLAIM drops it, none is returned. */
    freeReplyObject(cmd("XDEL %s %s", STREAM, e.id));
    CHECK_INT_EQ(mf_queue_takeover(b, 0, &t), 0);
    mf_queue_entry_clear(&e);
}

static void test_heartbeat(struct mf_queue *a, struct mf_queue *b)
{
    reset();
    struct mf_queue_entry e1, e2, e3;
    submit_and_read(a, "j1", &e1);
    submit_and_read(a, "j2", &e2);
    submit_and_read(a, "j3", &e3);
    struct mf_queue_entry taken;
    CHECK_INT_EQ(mf_queue_takeover(b, 0, &taken), 1);                                /* b takes j1 */
    mf_queue_entry_clear(&taken);
    freeReplyObject(cmd("XACK %s workers %s", STREAM, e3.id));                     /* j3 gone */
    const char *ids[] = { e1.id, e2.id, e3.id };
    int st[3] = { -1, -1, -1 };
    CHECK_INT_EQ(mf_queue_heartbeat(a, ids, 3, st), 0);
    CHECK_INT_EQ(st[0], 0);                                   /* owner lost */
    CHECK_INT_EQ(st[1], 1);                                   /* ours */
    CHECK_INT_EQ(st[2], 2);                                   /* not pending */
    /* Ours got its idle reset: not claimable with a minute's min-idle. */
    struct mf_queue_entry t;
    CHECK_INT_EQ(mf_queue_takeover(b, 60000, &t), 0);
    mf_queue_entry_clear(&e1);
    mf_queue_entry_clear(&e2);
    mf_queue_entry_clear(&e3);
}

static void test_update(struct mf_queue *a)
{
    reset();
    CHECK_INT_EQ(mf_queue_update(a, "j1", (mf_fields){ "state", "running", "progress", "40", NULL },
                                 NULL, NULL), 0);
    CHECK_STR_EQ(hget("t:job:j1", "progress"), "40");
    CHECK_INT_EQ(num("XLEN %s", EVENTS), 0);
    CHECK_INT_EQ(mf_queue_update(a, "j1", (mf_fields){ NULL }, "running",
                                 (mf_fields){ "worker", "a", NULL }), 0);
    CHECK_INT_EQ(num("XLEN %s", EVENTS), 1);
    CHECK_INT_EQ(mf_queue_update(a, "j1", (mf_fields){ "odd", NULL }, NULL, NULL), MF_QUEUE_ENOMEM);
}

static mf_fields done = { "state", "succeeded", "progress", "100", NULL };

static void test_finish(struct mf_queue *a, struct mf_queue *b)
{
    struct mf_queue_entry e;
    /* Owner matches: written, error cleared, entry acked and deleted. */
    reset();
    submit_and_read(a, "j1", &e);
    freeReplyObject(cmd("HSET t:job:j1 state running error transient"));
    long long ev = num("XLEN %s", EVENTS);
    CHECK_INT_EQ(mf_queue_finish(a, e.id, "j1", done, (mf_fields){ "worker", "a", NULL }, NULL), 1);
    CHECK_STR_EQ(hget("t:job:j1", "state"), "succeeded");
    CHECK_STR_EQ(hget("t:job:j1", "error"), "(nil)");
    CHECK_INT_EQ(num("XLEN %s", EVENTS), ev + 1);
    CHECK_INT_EQ(num("XLEN %s", STREAM), 0);
    CHECK_INT_EQ(deliveries(e.id), -1);
    CHECK_INT_EQ(num("EXISTS %s", DEAD), 0);
    /* Again (a duplicate finish): the entry is gone and the hash is final, nothing written. */
    ev = num("XLEN %s", EVENTS);
    CHECK_INT_EQ(mf_queue_finish(a, e.id, "j1", (mf_fields){ "state", "failed", NULL }, NULL, NULL), 0);
    CHECK_STR_EQ(hget("t:job:j1", "state"), "succeeded");
    CHECK_INT_EQ(num("XLEN %s", EVENTS), ev);
    mf_queue_entry_clear(&e);

    /* Owner lost: b took it over, a's finish writes nothing; b's does, with a dead letter. */
    reset();
    submit_and_read(a, "j2", &e);
    freeReplyObject(cmd("HSET t:job:j2 state running"));
    struct mf_queue_entry t;
    CHECK_INT_EQ(mf_queue_takeover(b, 0, &t), 1);
    mf_queue_entry_clear(&t);
    ev = num("XLEN %s", EVENTS);
    CHECK_INT_EQ(mf_queue_finish(a, e.id, "j2", done, NULL, NULL), 0);
    CHECK_STR_EQ(hget("t:job:j2", "state"), "running");
    CHECK_INT_EQ(num("XLEN %s", EVENTS), ev);
    CHECK_INT_EQ(num("XLEN %s", STREAM), 1);
    CHECK_INT_EQ(mf_queue_finish(b, e.id, "j2", (mf_fields){ "state", "failed", "error", "bad", NULL },
                                 NULL, (mf_fields){ "job", "j2", "reason", "bad", NULL }), 1);
    CHECK_STR_EQ(hget("t:job:j2", "error"), "bad");           /* kept on failure */
    CHECK_INT_EQ(num("XLEN %s", DEAD), 1);
    CHECK_INT_EQ(num("XLEN %s", STREAM), 0);
    mf_queue_entry_clear(&e);

    /* Entry gone (Redis lost it), hash not final: still ours, written. */
    reset();
    submit_and_read(a, "j3", &e);
    freeReplyObject(cmd("XACK %s workers %s", STREAM, e.id));
    freeReplyObject(cmd("XDEL %s %s", STREAM, e.id));
    freeReplyObject(cmd("HSET t:job:j3 state running"));
    CHECK_INT_EQ(mf_queue_finish(a, e.id, "j3", done, NULL, NULL), 1);
    CHECK_STR_EQ(hget("t:job:j3", "state"), "succeeded");
    mf_queue_entry_clear(&e);

    /* No group at all (Redis restarted empty): recreated, the finish still lands. */
    reset();
    freeReplyObject(cmd("HSET t:job:j4 state running"));
    CHECK_INT_EQ(mf_queue_finish(a, "1-1", "j4", done, NULL, NULL), 1);
    CHECK_STR_EQ(hget("t:job:j4", "state"), "succeeded");
    /* Hash final and entry gone: not ours. */
    CHECK_INT_EQ(mf_queue_finish(b, "1-1", "j4", done, NULL, NULL), 0);
    /* No state field: refused before Redis. */
    CHECK_INT_EQ(mf_queue_finish(a, "1-1", "j4", (mf_fields){ "progress", "1", NULL }, NULL, NULL),
                 MF_QUEUE_EINVAL);
}

static void test_release(struct mf_queue *a, struct mf_queue *b)
{
    struct mf_queue_entry e, t;
    mf_fields queued = { "state", "queued", NULL };
    /* Owner matches, with a delay: not claimable before it, then with its delivery count. */
    reset();
    submit_and_read(a, "j1", &e);
    CHECK_INT_EQ(mf_queue_release(a, e.id, "j1", 30000, 60000, 1, e.job, queued, NULL), 1);
    CHECK_STR_EQ(hget("t:job:j1", "state"), "queued");
    CHECK_INT_EQ(mf_queue_takeover(b, 60000, &t), 0);         /* idle = 30 s of 60 */
    CHECK_INT_EQ(mf_queue_takeover(b, 20000, &t), 1);
    CHECK_INT_EQ(t.deliveries, 2);                            /* retrycount 1, + this claim */
    mf_queue_entry_clear(&t);
    /* Owner lost: a's release writes nothing. */
    long long ev = num("XLEN %s", EVENTS);
    CHECK_INT_EQ(mf_queue_release(a, e.id, "j1", 0, 60000, 1, e.job,
                                  (mf_fields){ "state", "queued", "progress", "0", NULL }, NULL), 0);
    CHECK_INT_EQ(num("XLEN %s", EVENTS), ev);
    /* Hand-back at once (delay 0): claimable at the claim timeout, delivery count kept. */
    CHECK_INT_EQ(mf_queue_release(b, e.id, "j1", 0, 60000, 2, e.job, queued, NULL), 1);
    CHECK_INT_EQ(num("XLEN %s", EVENTS), ev + 1);             /* the "queued" event */
    CHECK_INT_EQ(mf_queue_takeover(a, 60000, &t), 1);
    CHECK_INT_EQ(t.deliveries, 3);
    mf_queue_entry_clear(&t);
    mf_queue_entry_clear(&e);

    /* Entry gone, hash not final: the job JSON goes back as a new entry. */
    reset();
    submit_and_read(a, "j2", &e);
    freeReplyObject(cmd("DEL %s", STREAM));
    freeReplyObject(cmd("HSET t:job:j2 state running"));
    CHECK_INT_EQ(mf_queue_release(a, e.id, "j2", 0, 60000, 1, e.job, queued, NULL), 1);
    CHECK_INT_EQ(num("XLEN %s", STREAM), 1);
    CHECK_INT_EQ(mf_queue_read(b, 100, &t), 1);               /* group recreated, entry readable */
    CHECK_STR_EQ(t.job, e.job);
    mf_queue_entry_clear(&t);
    mf_queue_entry_clear(&e);

    /* Entry gone, hash final: not ours, nothing added. */
    reset();
    freeReplyObject(cmd("HSET t:job:j3 state succeeded"));
    CHECK_INT_EQ(mf_queue_release(a, "1-1", "j3", 0, 60000, 1, "{}", queued, NULL), 0);
    CHECK_INT_EQ(num("EXISTS %s", STREAM), 0);
    CHECK_STR_EQ(hget("t:job:j3", "state"), "succeeded");
}

/*
 * A retried fate write (its reply was lost: Redis paused past the command
 * timeout, then ran it) sees its own "fate" token and answers 2, already done,
 * instead of 0, not ours; a different token still gets 0.
 */
static void test_fate_landed(struct mf_queue *a, struct mf_queue *b)
{
    struct mf_queue_entry e, t;
    mf_fields done_once = { "state", "succeeded", "fate", "succeeded a 1 #1", NULL };
    reset();
    submit_and_read(a, "f1", &e);
    CHECK_INT_EQ(mf_queue_finish(a, e.id, "f1", done_once, NULL, NULL), 1);
    long long ev = num("XLEN %s", EVENTS);
    CHECK_INT_EQ(mf_queue_finish(a, e.id, "f1", done_once, NULL, NULL), 2);
    CHECK_INT_EQ(num("XLEN %s", EVENTS), ev);                  /* nothing written again */
    CHECK_STR_EQ(hget("t:job:f1", "fate"), "succeeded a 1 #1");
    CHECK_INT_EQ(mf_queue_finish(a, e.id, "f1", (mf_fields){ "state", "succeeded", "fate", "other", NULL },
                                 NULL, NULL), 0);
    /* A failure with its dead letter: the retry adds no second dead letter. */
    mf_fields failed_once = { "state", "failed", "error", "bad", "fate", "failed a 1 #2", NULL };
    mf_fields dead = { "job", "f2", "reason", "bad", NULL };
    mf_queue_entry_clear(&e);
    submit_and_read(a, "f2", &e);
    CHECK_INT_EQ(mf_queue_finish(a, e.id, "f2", failed_once, NULL, dead), 1);
    CHECK_INT_EQ(mf_queue_finish(a, e.id, "f2", failed_once, NULL, dead), 2);
    CHECK_INT_EQ(num("XLEN %s", DEAD), 1);
    mf_queue_entry_clear(&e);

    /* A hand-back that landed, then b took the entry over: the retry says 2, not 0. */
    reset();
    submit_and_read(a, "f3", &e);
    mf_fields back = { "state", "queued", "fate", "queued a 1 #3", NULL };
    CHECK_INT_EQ(mf_queue_release(a, e.id, "f3", 0, 60000, 0, e.job, back, NULL), 1);
    CHECK_INT_EQ(mf_queue_takeover(b, 60000, &t), 1);
    ev = num("XLEN %s", EVENTS);
    CHECK_INT_EQ(mf_queue_release(a, e.id, "f3", 0, 60000, 0, e.job, back, NULL), 2);
    CHECK_INT_EQ(num("XLEN %s", EVENTS), ev);
    CHECK_INT_EQ(num("XLEN %s", STREAM), 1);
    /* Without a token the old answer stands: b owns it, not ours. */
    CHECK_INT_EQ(mf_queue_release(a, e.id, "f3", 0, 60000, 0, e.job, (mf_fields){ "state", "queued", NULL },
                                  NULL), 0);
    mf_queue_entry_clear(&t);
    mf_queue_entry_clear(&e);

    /* Redis lost everything after the hand-back landed: the retry re-adds the job (1). */
    reset();
    CHECK_INT_EQ(mf_queue_release(a, "1-1", "f4", 0, 60000, 0, "{\"id\":\"f4\"}", back, NULL), 1);
    CHECK_INT_EQ(num("XLEN %s", STREAM), 1);
    CHECK_INT_EQ(mf_queue_release(a, "1-1", "f4", 0, 60000, 0, "{\"id\":\"f4\"}", back, NULL), 2);
    CHECK_INT_EQ(num("XLEN %s", STREAM), 1);                   /* not added twice */
}

static void test_events(struct mf_queue *a)
{
    reset();
    char id[48];
    CHECK_INT_EQ(mf_queue_events_last_id(a, id, sizeof(id)), 0);
    CHECK_STR_EQ(id, "0-0");
    CHECK_INT_EQ(mf_queue_update(a, "other", (mf_fields){ NULL }, "running", NULL), 0);
    CHECK_INT_EQ(mf_queue_events_wait(a, "j1", id, sizeof(id), 50, 10), 0);   /* not j1's */
    CHECK(strcmp(id, "0-0") != 0);                                             /* advanced */
    CHECK_INT_EQ(mf_queue_update(a, "j1", (mf_fields){ NULL }, "running", NULL), 0);
    CHECK_INT_EQ(mf_queue_events_wait(a, "j1", id, sizeof(id), 50, 10), 1);
    CHECK_INT_EQ(mf_queue_events_wait(a, "j1", id, sizeof(id), 50, 10), 0);   /* timed out */
}

/* Retention: the completion script sets the hash's TTL; events and dead letters stay capped. */
static void test_retention(struct mf_queue *a)
{
    reset();
    struct mf_queue *c = open_queue_with("c", 100, 10, 5);
    struct mf_queue_entry e;
    /* Small stream nodes, so that MAXLEN ~ trims close to the cap. */
    freeReplyObject(cmd("CONFIG SET stream-node-max-entries 2"));
    for (int i = 0; i < 30; i++) {
        char jid[16];
        snprintf(jid, sizeof(jid), "r%d", i);
        submit_and_read(c, jid, &e);
        CHECK_INT_EQ(num("TTL t:job:%s", jid), -1);              /* no TTL while queued/running */
        CHECK_INT_EQ(mf_queue_finish(c, e.id, jid, (mf_fields){ "state", "failed", NULL }, NULL,
                                     (mf_fields){ "job", jid, NULL }), 1);
        long long ttl = num("TTL t:job:%s", jid);
        CHECK(ttl > 90 && ttl <= 100);
        mf_queue_entry_clear(&e);
    }
    CHECK(num("XLEN %s", EVENTS) >= 10 && num("XLEN %s", EVENTS) <= 12);
    CHECK(num("XLEN %s", DEAD) >= 5 && num("XLEN %s", DEAD) <= 7);
    /* ttl 0 keeps the hash; a resubmit clears a finished job's TTL. */
    submit_and_read(a, "keep", &e);
    CHECK_INT_EQ(mf_queue_finish(a, e.id, "keep", done, NULL, NULL), 1);
    CHECK_INT_EQ(num("TTL t:job:keep"), -1);
    mf_queue_entry_clear(&e);
    char eid[48], jid[64];
    CHECK_INT_EQ(mf_queue_submit(c, "{}", 2, "r0", "t", eid, sizeof(eid), jid, sizeof(jid)), 0);
    CHECK_INT_EQ(num("TTL t:job:r0"), -1);
    freeReplyObject(cmd("CONFIG SET stream-node-max-entries 100"));
    mf_queue_close(&c);
}

/* A primary that became a replica (failover): -READONLY drops the connection, the next call reconnects. */
static void test_readonly(struct mf_queue *a)
{
    reset();
    CHECK_INT_EQ(mf_queue_update(a, "ro", (mf_fields){ "state", "running", NULL }, NULL, NULL), 0);
    freeReplyObject(cmd("REPLICAOF 127.0.0.1 1"));      /* a primary that is not there */
    CHECK_INT_EQ(mf_queue_update(a, "ro", (mf_fields){ "progress", "1", NULL }, NULL, NULL), MF_QUEUE_ECONN);
    CHECK_STR_CONTAINS(mf_queue_errstr(a), "READONLY");
    CHECK_STR_CONTAINS(mf_queue_errstr(a), "reconnecting");
    freeReplyObject(cmd("REPLICAOF NO ONE"));
    CHECK_INT_EQ(mf_queue_update(a, "ro", (mf_fields){ "progress", "2", NULL }, NULL, NULL), 0);
    CHECK_STR_EQ(hget("t:job:ro", "progress"), "2");
}

int main(void)
{
    const char *url = getenv("MF_TEST_REDIS_URL");
    const char *port = getenv("MF_TEST_REDIS_PORT");
    if (!url || !port) {
        fprintf(stderr, "run me through tests/queue/redis_runner.py\n");
        return 77;
    }
    raw = redisConnect("127.0.0.1", atoi(port));
    if (!raw || raw->err) {
        fprintf(stderr, "connect: %s\n", raw ? raw->errstr : "oom");
        return 1;
    }
    struct mf_queue *a = open_queue("a"), *b = open_queue("b");
    test_submit(a);
    test_takeover(a, b);
    test_heartbeat(a, b);
    test_update(a);
    test_finish(a, b);
    test_release(a, b);
    test_fate_landed(a, b);
    test_events(a);
    test_retention(a);
    test_readonly(a);
    mf_queue_close(&a);
    mf_queue_close(&b);
    redisFree(raw);
    return UNIT_DONE();
}
