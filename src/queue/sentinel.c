/* redis-sentinel://: see sentinel.h and mf_queue_sentinel_watch() in queue.h. */
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "sentinel.h"
#include "common/clock.h"

/* Bumped on every +switch-master for our master: each handle reconnects when it moved. */
static atomic_uint switch_epoch;

unsigned mf_sentinel_epoch(void)
{
    return atomic_load(&switch_epoch);
}

static redisContext *connect_sentinel(const struct mf_redis_sentinel *s, int timeout_ms)
{
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    redisContext *c = redisConnectWithTimeout(s->host, s->port, tv);
    if (c && !c->err)
        redisSetTimeout(c, tv);
    return c;
}

int mf_sentinel_resolve(struct mf_queue *q, int timeout_ms)
{
    char last[512] = "no sentinel answered";
    int n = q->url.n_sentinels;
    for (int k = 0; k < n; k++) {
        int i = (q->sentinel_next + k) % n;
        const struct mf_redis_sentinel *s = &q->url.sentinels[i];
        redisContext *c = connect_sentinel(s, timeout_ms);
        if (!c || c->err) {
            snprintf(last, sizeof(last), "sentinel %s:%d: %s", s->host, s->port, c ? c->errstr : "out of memory");
            redisFree(c);
            continue;
        }
        redisReply *r = redisCommand(c, "SENTINEL get-master-addr-by-name %s", q->url.master);
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STRING
            && r->element[1]->type == REDIS_REPLY_STRING && r->element[0]->len < sizeof(q->url.host)) {
            memcpy(q->url.host, r->element[0]->str, r->element[0]->len + 1);
            q->url.port = atoi(r->element[1]->str);
            q->sentinel_next = i;       /* ask this one first next time */
            freeReplyObject(r);
            redisFree(c);
            return 0;
        }
        snprintf(last, sizeof(last), "sentinel %s:%d: %s", s->host, s->port,
                 !r ? c->errstr : r->type == REDIS_REPLY_ERROR ? r->str : "does not know this master");
        freeReplyObject(r);
        redisFree(c);
    }
    mf_queue_set_err(q, "Redis Sentinel: no primary for '%s': %s", q->url.master, last);
    return -1;
}

void mf_sentinel_unwatch(struct mf_queue *q)
{
    redisFree(q->watch);
    q->watch = NULL;
}

/*
 * Subscribe to +switch-master on one of the sentinels; 0 or -1. At most one
 * attempt every 5 s: the caller is the heartbeat thread, which must not sit in
 * connect timeouts while the sentinels are away.
 */
static int watch(struct mf_queue *q)
{
    if (mf_mono_ms() < q->watch_next_ms)
        return -1;
    q->watch_next_ms = mf_mono_ms() + 5000;
    const struct mf_redis_sentinel *s = &q->url.sentinels[q->sentinel_next % q->url.n_sentinels];
    redisContext *c = connect_sentinel(s, q->connect_timeout_ms);
    redisReply *r = c && !c->err ? redisCommand(c, "SUBSCRIBE +switch-master") : NULL;
    int ok = r && r->type == REDIS_REPLY_ARRAY;
    freeReplyObject(r);
    if (!ok) {
        redisFree(c);
        q->sentinel_next++;            /* another sentinel next time */
        return -1;
    }
    q->watch = c;
    return 0;
}

/* A "+switch-master" message for our master: "<master> <old ip> <old port> <new ip> <new port>". */
static int is_our_switch(const struct mf_queue *q, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || r->element[2]->type != REDIS_REPLY_STRING)
        return 0;
    size_t n = strlen(q->url.master);
    const char *m = r->element[2]->str;
    return !strncmp(m, q->url.master, n) && m[n] == ' ';
}

int mf_queue_sentinel_watch(struct mf_queue *q, char *notice, size_t len)
{
    if (!q->url.n_sentinels)
        return 0;
    if (!q->watch && watch(q))
        return MF_QUEUE_ECONN;
    int seen = 0;
    struct pollfd p = { .fd = q->watch->fd, .events = POLLIN };
    while (poll(&p, 1, 0) == 1) {
        void *reply = NULL;
        if (redisBufferRead(q->watch) != REDIS_OK) {
            mf_sentinel_unwatch(q);    /* the sentinel went away: another one next call */
            q->sentinel_next++;
            return seen;
        }
        while (redisGetReplyFromReader(q->watch, &reply) == REDIS_OK && reply) {
            if (is_our_switch(q, reply)) {
                atomic_fetch_add(&switch_epoch, 1);
                snprintf(notice, len, "+switch-master %s", ((redisReply *)reply)->element[2]->str);
                seen = 1;
            }
            freeReplyObject(reply);
            reply = NULL;
        }
    }
    return seen;
}
