/*
 * mf_queue_adopt_hash (src/queue/job_hash.c, script mf_lua_adopt) against a real
 * redis-server (tests/queue/redis_runner.py): a job hash describes one stream entry;
 * an earlier submission's fields and TTL go when another entry of the id starts.
 */
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpegflow/queue.h"
#include "unit.h"

#define KEY "t:job:re1"

static redisContext *raw;

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

static const char *hget(const char *field)
{
    static char buf[256];
    redisReply *r = redisCommand(raw, "HGET %s %s", KEY, field);
    snprintf(buf, sizeof(buf), "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "(nil)");
    freeReplyObject(r);
    return buf;
}

static void hash(const char *fields)
{
    freeReplyObject(redisCommand(raw, "DEL %s", KEY));
    char cmdline[512];
    snprintf(cmdline, sizeof(cmdline), "HSET %s %s", KEY, fields);
    freeReplyObject(redisCommand(raw, cmdline));
}

int main(void)
{
    const char *url = getenv("MF_TEST_REDIS_URL"), *port = getenv("MF_TEST_REDIS_PORT");
    if (!url || !port) {
        UNIT_SKIP("no MF_TEST_REDIS_URL (run through tests/queue/redis_runner.py)");
        return UNIT_DONE();
    }
    raw = redisConnect("127.0.0.1", atoi(port));
    if (!raw || raw->err) {
        fprintf(stderr, "raw Redis connection failed\n");
        return 1;
    }
    char err[256];
    struct mf_queue *q = NULL;
    struct mf_queue_config c = { .url = url, .prefix = "t:", .consumer = "a" };
    if (mf_queue_open(&q, &c, err, sizeof(err))) {
        fprintf(stderr, "mf_queue_open: %s\n", err);
        return 1;
    }

    /* Already this entry's (a retry, a takeover, or what submit wrote): untouched. */
    hash("entry 2-0 state queued error boom attempt 1 created_at T0");
    CHECK_INT_EQ(mf_queue_adopt_hash(q, "re1", "2-0"), 0);
    CHECK_STR_EQ(hget("error"), "boom");
    CHECK_STR_EQ(hget("created_at"), "T0");

    /* A finished earlier entry of the id (a plain XADD resubmission): emptied, TTL gone. */
    hash("entry 1-0 state succeeded progress 100 fps 30 result {} attempt 1 worker w started_at S "
         "finished_at F created_at T0");
    num("EXPIRE %s 600", KEY);
    CHECK_INT_EQ(mf_queue_adopt_hash(q, "re1", "2-0"), 1);
    CHECK_INT_EQ(num("HLEN %s", KEY), 1);
    CHECK_STR_EQ(hget("entry"), "2-0");
    CHECK_INT_EQ(num("TTL %s", KEY), -1);

    /* A queued hash without an entry (an older submit): created_at stays. */
    hash("state queued progress 0 attempt 0 created_at T1");
    CHECK_INT_EQ(mf_queue_adopt_hash(q, "re1", "3-0"), 1);
    CHECK_STR_EQ(hget("created_at"), "T1");
    CHECK_STR_EQ(hget("entry"), "3-0");
    CHECK_INT_EQ(num("HLEN %s", KEY), 2);

    /* A finished hash without an entry (an older worker): emptied, created_at too. */
    hash("state failed error old result {} created_at T2");
    CHECK_INT_EQ(mf_queue_adopt_hash(q, "re1", "4-0"), 1);
    CHECK_INT_EQ(num("HLEN %s", KEY), 1);
    CHECK_STR_EQ(hget("created_at"), "(nil)");

    /* No hash yet (a plain XADD of a new id). */
    freeReplyObject(redisCommand(raw, "DEL %s", KEY));
    CHECK_INT_EQ(mf_queue_adopt_hash(q, "re1", "5-0"), 1);
    CHECK_STR_EQ(hget("entry"), "5-0");

    /* submit writes the entry, so the first worker keeps what submit set. */
    char entry[64], jid[128];
    CHECK_INT_EQ(mf_queue_submit(q, "{}", 2, "re1", "T3", entry, sizeof(entry), jid, sizeof(jid)), 0);
    CHECK_STR_EQ(hget("entry"), entry);
    CHECK_INT_EQ(mf_queue_adopt_hash(q, "re1", entry), 0);
    CHECK_STR_EQ(hget("created_at"), "T3");
    CHECK_STR_EQ(hget("state"), "queued");

    mf_queue_close(&q);
    redisFree(raw);
    return UNIT_DONE();
}
