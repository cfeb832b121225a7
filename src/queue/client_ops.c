/*
 * The client's operations (mpegflow submit and status): enqueue a job, read
 * its hash, follow the events stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue_internal.h"
#include "scripts.h"

int mf_queue_submit(struct mf_queue *q, const char *json, size_t len, const char *job_id,
                    const char *created_at, char *entry_id, size_t entry_len,
                    char *out_job_id, size_t job_id_len)
{
    char hprefix[128];
    struct argv a = { 0 };
    int ret = MF_QUEUE_ENOMEM;
    snprintf(hprefix, sizeof(hprefix), "%sjob:", q->prefix);
    if (arg(&a, "EVAL") || arg(&a, mf_lua_submit) || arg(&a, "2") || arg(&a, q->stream) || arg(&a, q->events)
        || arg(&a, hprefix) || arg_add(&a, json, len) || arg(&a, job_id ? job_id : "")
        || arg(&a, created_at) || arg_num(&a, q->events_maxlen))
        goto out;
    redisReply *r = mf_queue_command(q, &a, "XADD submit");
    if ((ret = mf_queue_check(&r)))
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
    redisReply *r = mf_queue_command(q, &a, "HGETALL");
    arg_free(&a);
    if ((ret = mf_queue_check(&r)))
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
    redisReply *r = mf_queue_command(q, &a, "XREVRANGE events");
    arg_free(&a);
    if ((ret = mf_queue_check(&r)))
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
        mf_queue_set_err(q, "XREVRANGE %s: unexpected reply", q->events);
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
    redisReply *r = mf_queue_blocking_command(q, &a, "XREAD events", block_ms);
    arg_free(&a);
    if ((ret = mf_queue_check(&r)))
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
