/* A job hash belongs to one stream entry at a time (mf_queue_adopt_hash, queue.h). */
#include "mpegflow/queue.h"
#include "queue_internal.h"
#include "scripts.h"

int mf_queue_adopt_hash(struct mf_queue *q, const char *job_id, const char *entry_id)
{
    char key[512];
    struct argv a = { 0 };
    int ret = MF_QUEUE_EINVAL;
    if (mf_queue_job_key(q, job_id, key, sizeof(key)))
        return ret;
    ret = MF_QUEUE_ENOMEM;
    if (arg(&a, "EVAL") || arg(&a, mf_lua_adopt) || arg(&a, "1") || arg(&a, key) || arg(&a, entry_id))
        goto out;
    redisReply *r = mf_queue_command(q, &a, "adopt job hash");
    if ((ret = mf_queue_check(&r)))
        goto out;
    ret = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : 0;
    freeReplyObject(r);
out:
    arg_free(&a);
    return ret;
}
