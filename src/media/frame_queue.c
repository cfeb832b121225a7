#include "frame_queue.h"

#include <libavutil/error.h>
#include <libavutil/mem.h>

int mf_frame_queue_init(struct mf_frame_queue *q, int capacity)
{
    *q = (struct mf_frame_queue){ .cap = capacity };
    q->items = av_calloc(capacity, sizeof(*q->items));
    if (!q->items)
        return AVERROR(ENOMEM);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    return 0;
}

static void item_free(struct mf_queue_item *it)
{
    av_frame_free(&it->frame);
    av_packet_free(&it->packet);
}

void mf_frame_queue_uninit(struct mf_frame_queue *q)
{
    if (!q->items)
        return;
    for (int i = 0; i < q->count; i++)
        item_free(&q->items[(q->head + i) % q->cap]);
    av_freep(&q->items);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
}

int mf_frame_queue_push(struct mf_frame_queue *q, struct mf_queue_item item)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == q->cap && !q->aborted)
        pthread_cond_wait(&q->not_full, &q->lock);
    if (q->aborted) {
        pthread_mutex_unlock(&q->lock);
        return AVERROR_EXIT;
    }
    q->items[(q->head + q->count) % q->cap] = item;
    q->count++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

int mf_frame_queue_pop(struct mf_frame_queue *q, struct mf_queue_item *item)
{
    int ret = 0;
    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && !q->eof && !q->aborted)
        pthread_cond_wait(&q->not_empty, &q->lock);
    if (q->aborted) {
        ret = AVERROR_EXIT;
    } else if (q->count == 0) {
        ret = AVERROR_EOF;
    } else {
        *item = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->lock);
    return ret;
}

void mf_frame_queue_finish(struct mf_frame_queue *q)
{
    if (!q->items)      /* never initialised (its rendition was not started) */
        return;
    pthread_mutex_lock(&q->lock);
    q->eof = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

void mf_frame_queue_abort(struct mf_frame_queue *q)
{
    if (!q->items)
        return;
    pthread_mutex_lock(&q->lock);
    q->aborted = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}
