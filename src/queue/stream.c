/*
 * The worker's stream operations: read, take over, heartbeat, progress,
 * finish and release. Their scripts are in scripts.c.
 */
#include <stdlib.h>
#include <string.h>

#include "queue_internal.h"
#include "scripts.h"

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
    redisReply *r = mf_queue_blocking_command(q, &a, "XREADGROUP", block_ms);
    arg_free(&a);
    if ((ret = mf_queue_check(&r)))
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

int mf_queue_takeover(struct mf_queue *q, int64_t min_idle_ms, struct mf_queue_entry *e)
{
    struct argv a = { 0 };
    int ret;
    if (arg(&a, "EVAL") || arg(&a, mf_lua_takeover) || arg(&a, "1") || arg(&a, q->stream)
        || arg(&a, MF_QUEUE_GROUP) || arg(&a, q->consumer) || arg_num(&a, min_idle_ms)) {
        arg_free(&a);
        return MF_QUEUE_ENOMEM;
    }
    redisReply *r = mf_queue_command(q, &a, "XAUTOCLAIM");
    arg_free(&a);
    if ((ret = mf_queue_check(&r)))
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

int mf_queue_heartbeat(struct mf_queue *q, const char *const *ids, int n, int *status)
{
    struct argv a = { 0 };
    int ret = MF_QUEUE_ENOMEM;
    if (arg(&a, "EVAL") || arg(&a, mf_lua_heartbeat) || arg(&a, "1") || arg(&a, q->stream)
        || arg(&a, MF_QUEUE_GROUP) || arg(&a, q->consumer))
        goto out;
    for (int i = 0; i < n; i++)
        if (arg(&a, ids[i]))
            goto out;
    redisReply *r = mf_queue_command(q, &a, "XCLAIM heartbeat");
    if ((ret = mf_queue_check(&r)))
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

int mf_queue_update(struct mf_queue *q, const char *job_id, mf_fields fields,
                    const char *event_state, mf_fields event)
{
    char key[512];
    struct argv a = { 0 };
    int ret = MF_QUEUE_EINVAL;
    if (mf_queue_job_key(q, job_id, key, sizeof(key)))
        return ret;
    ret = MF_QUEUE_ENOMEM;
    if (arg(&a, "EVAL") || arg(&a, mf_lua_update) || arg(&a, "2") || arg(&a, key) || arg(&a, q->events)
        || arg_num(&a, q->events_maxlen) || arg_pairs(&a, fields)
        || arg_event(&a, job_id, event_state, event))
        goto out;
    redisReply *r = mf_queue_command(q, &a, "HSET job");
    if ((ret = mf_queue_check(&r)))
        goto out;
    freeReplyObject(r);
out:
    arg_free(&a);
    return ret;
}

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
    if (arg(&a, "EVAL") || arg(&a, mf_lua_finish) || arg(&a, "4") || arg(&a, q->stream) || arg(&a, key)
        || arg(&a, q->events) || arg(&a, q->dead) || arg(&a, MF_QUEUE_GROUP) || arg(&a, entry_id)
        || arg(&a, q->consumer) || arg_num(&a, q->events_maxlen) || arg_num(&a, q->dead_maxlen)
        || arg_num(&a, q->job_ttl_s) || arg_pairs(&a, fields) || arg_event(&a, job_id, state, event)
        || arg_pairs(&a, dead))
        goto out;
    redisReply *r = mf_queue_command(q, &a, "XACK finish");
    if ((ret = mf_queue_check(&r)))
        goto out;
    ret = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : MF_QUEUE_EREPLY;
    freeReplyObject(r);
out:
    arg_free(&a);
    return ret;
}

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
    if (arg(&a, "EVAL") || arg(&a, mf_lua_release) || arg(&a, "3") || arg(&a, q->stream) || arg(&a, key)
        || arg(&a, q->events) || arg(&a, MF_QUEUE_GROUP) || arg(&a, entry_id) || arg(&a, q->consumer)
        || arg_num(&a, q->events_maxlen) || arg_num(&a, idle)
        || arg_num(&a, deliveries > 0 ? deliveries : 0) || arg(&a, job_json ? job_json : "")
        || arg_pairs(&a, fields) || arg_event(&a, job_id, state, event))
        goto out;
    redisReply *r = mf_queue_command(q, &a, "XCLAIM release");
    if ((ret = mf_queue_check(&r)))
        goto out;
    ret = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : MF_QUEUE_EREPLY;
    freeReplyObject(r);
out:
    arg_free(&a);
    return ret;
}
