/*
 * Inside src/queue: the handle, the argv builder and the command runner that
 * conn.c provides to the worker's (stream.c) and the client's (client_ops.c)
 * operations. Not a contract: include/mpegflow/queue.h is.
 */
#ifndef MF_QUEUE_INTERNAL_H
#define MF_QUEUE_INTERNAL_H

#include <stdint.h>

#include <hiredis/hiredis.h>

#include "mpegflow/queue.h"
#include "redis_url.h"
#include "tls.h"

struct mf_queue {
    struct mf_redis_url url;
    char prefix[64];
    char pool[64];
    char consumer[128];
    char stream[256];              /* <prefix>queue:<pool> */
    char events[256];              /* <prefix>events */
    char dead[256];                /* <prefix>dead:<pool> */
    int connect_timeout_ms, command_timeout_ms, backoff_max_ms;
    int64_t job_ttl_s;             /* finished job hashes expire after this; 0 keeps them */
    int64_t events_maxlen, dead_maxlen;
    atomic_int *reachable;
    struct mf_tls *tls;            /* rediss:// only */
    redisContext *ctx;
    redisContext *watch;           /* redis-sentinel://: SUBSCRIBE +switch-master */
    int sentinel_next;             /* the sentinel to ask first */
    int64_t watch_next_ms;         /* monotonic: no new watch connection before this */
    unsigned epoch;                /* mf_sentinel_epoch() when connected */
    int failures;                  /* consecutive failed connection attempts */
    int64_t next_try_ms;           /* monotonic: no attempt before this */
    unsigned rng;
    char errstr[640];              /* Redis errors from scripts run long */
};

/* A growable argv for redisCommandArgv. */
struct argv {
    int n, cap;
    const char **v;
    size_t *l;
    char nums[16][24];             /* storage for formatted numbers */
    int n_nums;
};

/* argv.c: each returns 0, or -1 on out of memory (or an odd pair list). */
int arg_add(struct argv *a, const char *s, size_t len);
int arg(struct argv *a, const char *s);
int arg_num(struct argv *a, int64_t v);
/* Append a count then the NULL-terminated pairs. */
int arg_pairs(struct argv *a, const char *const *pairs);
/* Append the event's field count, then job, state and the pairs (count 0 when state is NULL). */
int arg_event(struct argv *a, const char *job_id, const char *state, mf_fields event);
void arg_free(struct argv *a);

/* conn.c */
void mf_queue_set_err(struct mf_queue *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Run a command, connecting first if needed. A NULL reply (I/O error, timeout,
 * EOF) drops the connection: the next call reconnects at once, then backs off.
 * An error reply naming NOGROUP (Redis lost its data) recreates the group and
 * the command is run once more.
 */
redisReply *mf_queue_command(struct mf_queue *q, const struct argv *a, const char *what);
/* The same for a command that blocks in Redis up to block_ms (XREAD[GROUP] BLOCK). */
redisReply *mf_queue_blocking_command(struct mf_queue *q, const struct argv *a, const char *what,
                                      int block_ms);
/* NULL reply -> ECONN, error reply -> EREPLY (reply freed, *r NULL), else 0. */
int mf_queue_check(redisReply **r);

#endif
