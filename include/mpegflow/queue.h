/*
 * mpegflow queue: the Redis contract of DESIGN section 5, over hiredis.
 *
 * Keys (prefix "mpegflow:" by default):
 *   <prefix>queue:<pool>   stream, consumer group "workers"; each entry has one
 *                          field "job" with the job JSON. XACK + XDEL on completion,
 *                          so XLEN = queued + in flight.
 *   <prefix>job:<id>       hash: state (queued|running|succeeded|failed), progress,
 *                          fps, attempt, worker, error, result, created_at,
 *                          started_at, finished_at. Expires job_ttl_s after the
 *                          job finished (the completion script sets it).
 *   <prefix>events         stream of every state change: job, state, worker,
 *                          attempt, error (capped near events_maxlen, MAXLEN ~).
 *   <prefix>dead:<pool>    dead-letter stream: job, id, entry, reason, attempts,
 *                          worker, failed_at (capped near dead_maxlen).
 *
 * Attempts are the entry's delivery count: XREADGROUP delivers with 1, each
 * XAUTOCLAIM takeover adds one. A job that must be retried later, or handed
 * back by a draining worker, stays pending: mf_queue_release() sets its idle
 * time so that XAUTOCLAIM (any worker, min-idle = the claim timeout) takes it
 * over after the backoff, or at once for a hand-back.
 *
 * One struct mf_queue is one Redis connection and is not thread-safe: use one
 * per thread. Every call connects on demand; after a failure, connection
 * attempts back off exponentially with jitter (mf_queue_retry_in_ms()).
 */
#ifndef MPEGFLOW_QUEUE_H
#define MPEGFLOW_QUEUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define MF_QUEUE_GROUP "workers"
#define MF_QUEUE_EVENTS_MAXLEN 100000     /* default cap of <prefix>events */
#define MF_QUEUE_DEAD_MAXLEN 100000       /* default cap of <prefix>dead:<pool> */
#define MF_QUEUE_JOB_TTL (7 * 86400)      /* default life of a finished job's hash, seconds */

/* Return values (negative: errors). */
#define MF_QUEUE_ECONN   (-1)   /* unreachable or connection broken: retry later */
#define MF_QUEUE_EREPLY  (-2)   /* Redis answered with an error (mf_queue_errstr) */
#define MF_QUEUE_ENOMEM  (-3)
#define MF_QUEUE_EINVAL  (-4)   /* bad configuration */

/* rediss:// (TLS): verified against the system CA store unless ca is set. */
struct mf_queue_tls {
    const char *ca;                /* CA bundle file or hashed directory (NULL = the system store) */
    const char *cert, *key;        /* client certificate and key, PEM (mutual TLS), or NULL */
    const char *sni;               /* the server name to send and verify (NULL = the URL's host) */
    int insecure;                  /* 1 = no verification at all (test setups only) */
};

struct mf_queue_config {
    const char *url;               /* redis[s]://[[user]:password@]host[:port][/db] or unix:///path */
    const char *username;          /* NULL, or replaces the URL's user (ACL user: AUTH user password) */
    const char *password;          /* NULL, or replaces the URL's password */
    const char *prefix;            /* NULL = "mpegflow:" */
    const char *pool;              /* NULL = "default" */
    const char *consumer;          /* unique per process: host-pid */
    int connect_timeout_ms;        /* 0 = 3000 */
    int command_timeout_ms;        /* 0 = 10000; blocking reads add their block time */
    int backoff_max_ms;            /* 0 = 5000: the cap of reconnection backoff */
    atomic_int *reachable;         /* may be NULL: set to 1 after a reply, 0 on failure */
    int64_t job_ttl_s;             /* EXPIRE of a finished job's hash; 0 keeps it (the worker's
                                      configuration defaults to MF_QUEUE_JOB_TTL) */
    int64_t events_maxlen;         /* 0 = MF_QUEUE_EVENTS_MAXLEN */
    int64_t dead_maxlen;           /* 0 = MF_QUEUE_DEAD_MAXLEN */
    struct mf_queue_tls tls;       /* used with rediss:// */
};

struct mf_queue_entry {
    char id[48];                   /* stream entry id, "ms-seq" */
    char *job;                     /* the "job" field, NUL-terminated (malloc); NULL when absent */
    size_t job_len;
    int64_t deliveries;            /* 1 on the first delivery */
};

/* A NULL-terminated list of field, value pairs: { "state", "running", ..., NULL }. */
typedef const char *const mf_fields[];

struct mf_queue;

/** Validate cfg (URL) and create a handle; no connection is made yet. */
int mf_queue_open(struct mf_queue **q, const struct mf_queue_config *cfg, char *err, size_t err_len);
void mf_queue_close(struct mf_queue **q);

/** Connect now unless connected; MF_QUEUE_ECONN while backing off or on failure. */
int mf_queue_connect(struct mf_queue *q);
/** PING (connecting if needed): 0 when Redis answered. */
int mf_queue_ping(struct mf_queue *q);
/** Milliseconds until the next connection attempt is allowed (0 = now). */
int mf_queue_retry_in_ms(const struct mf_queue *q);
/** The last error, one line, naming the call that failed. */
const char *mf_queue_errstr(const struct mf_queue *q);
/** The key of this queue's stream, job hash of id, etc. (static per handle / into buf). */
const char *mf_queue_stream_key(const struct mf_queue *q);
int mf_queue_job_key(const struct mf_queue *q, const char *job_id, char *buf, size_t len);

/**
 * redis-sentinel:// only (else 0 at once): read the +switch-master notices of
 * a sentinel (subscribing first), without blocking. When the primary moved,
 * every handle of the process reconnects to the new one before its next
 * command, and notice gets the message. Call it often from one thread.
 * Returns 1 when it moved, 0 when not, MF_QUEUE_ECONN when no sentinel answers.
 */
int mf_queue_sentinel_watch(struct mf_queue *q, char *notice, size_t len);

/** Free an entry's job text and clear it. */
void mf_queue_entry_clear(struct mf_queue_entry *e);

/** XREADGROUP ">" COUNT 1 BLOCK block_ms. 1 with *e filled, 0 when none, < 0 on error. */
int mf_queue_read(struct mf_queue *q, int block_ms, struct mf_queue_entry *e);

/**
 * XAUTOCLAIM one entry idle for at least min_idle_ms (a dead worker's, a retry
 * whose backoff is over, a handed-back one). 1 with *e filled (deliveries
 * counted), 0 when none, < 0 on error.
 */
int mf_queue_takeover(struct mf_queue *q, int64_t min_idle_ms, struct mf_queue_entry *e);

/**
 * Keep ids (this consumer's in-flight entries) alive: XCLAIM ... JUSTID each one
 * still owned by this consumer. status[i]: 1 kept, 0 owned by another consumer
 * (taken over: stop working on it), 2 no longer pending (Redis lost it, or done).
 * Returns 0 or < 0 on error.
 */
int mf_queue_heartbeat(struct mf_queue *q, const char *const *ids, int n, int *status);

/** HSET job hash fields; with event_state != NULL also XADD an event. */
int mf_queue_update(struct mf_queue *q, const char *job_id, mf_fields fields,
                    const char *event_state, mf_fields event);

/**
 * Finish an entry atomically, only if it is still ours (or no longer pending and
 * the job is not already finished by someone else): HSET fields (and HDEL "error"
 * when the state is succeeded), EXPIRE the hash after job_ttl_s (when > 0),
 * XADD the event, XADD dead (when dead != NULL) to the dead-letter stream,
 * XACK + XDEL.
 * A field "fate" in fields (a token unique to this write) makes a retried call
 * safe: when the hash already holds that token, an earlier try landed.
 * Returns 1 done, 0 not ours any more (nothing written), 2 already done by an
 * earlier try of this write (nothing written), < 0 on error.
 */
int mf_queue_finish(struct mf_queue *q, const char *entry_id, const char *job_id,
                    mf_fields fields, mf_fields event, mf_fields dead);

/**
 * Give an entry back to the queue, only if still ours: HSET fields, XADD the event,
 * and make the entry claimable by XAUTOCLAIM after delay_ms (0 = at once) given
 * claim_timeout_ms, with its delivery count set to deliveries (so a hand-back is
 * not counted as an attempt). When the entry is no longer pending (Redis lost
 * it), job_json is added back as a new entry so the job is not lost.
 * A "fate" field works as in mf_queue_finish().
 * Returns 1 done, 0 not ours any more, 2 already done by an earlier try, < 0 on error.
 */
int mf_queue_release(struct mf_queue *q, const char *entry_id, const char *job_id,
                     int64_t delay_ms, int64_t claim_timeout_ms, int64_t deliveries,
                     const char *job_json, mf_fields fields, mf_fields event);

/**
 * Make the job hash entry_id's before the first write of a run: a hash left by
 * another entry of the same id (an earlier submission) is emptied (result, error,
 * progress, TTL all go) and gets entry = entry_id. Returns 1 reset, 0 already
 * this entry's, < 0 on error.
 */
int mf_queue_adopt_hash(struct mf_queue *q, const char *job_id, const char *entry_id);

/**
 * Enqueue a job: XADD the job JSON, and (atomically) reset its hash to
 * state=queued with created_at, and XADD a "queued" event. job_id NULL or ""
 * means the entry id. entry_id/out_job_id receive the ids (may be NULL).
 */
int mf_queue_submit(struct mf_queue *q, const char *json, size_t len, const char *job_id,
                    const char *created_at, char *entry_id, size_t entry_len,
                    char *out_job_id, size_t job_id_len);

/**
 * HGETALL of a job hash: *pairs gets a malloc'd NULL-terminated array of
 * field, value strings (free with mf_queue_free_pairs). Returns the number of
 * fields (0 = no such job) or < 0.
 */
int mf_queue_get_job(struct mf_queue *q, const char *job_id, char ***pairs);
void mf_queue_free_pairs(char **pairs);

/** The value of field in pairs, or NULL. */
const char *mf_queue_pairs_get(char *const *pairs, const char *field);

/**
 * The id of the newest entry of <prefix>events into id (len >= 48 is enough),
 * "0-0" when the stream does not exist yet. Take it before reading a job's
 * hash, then mf_queue_events_wait() from it: no state change is missed.
 * Returns 0, or < 0 (MF_QUEUE_EINVAL: len too small).
 */
int mf_queue_events_last_id(struct mf_queue *q, char *id, size_t len);

/**
 * XREAD COUNT count BLOCK block_ms STREAMS <prefix>events id: waits up to
 * block_ms (>= 1) for events newer than id, and advances id to the last one
 * read. Returns 1 when one of them is for job_id, 0 when none is (timed out,
 * or only other jobs' events), < 0 on error (id unchanged). The socket's read
 * timeout is the command timeout plus block_ms for this call.
 */
int mf_queue_events_wait(struct mf_queue *q, const char *job_id, char *id, size_t len,
                         int block_ms, int count);

#endif
