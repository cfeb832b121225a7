/*
 * A bounded queue of video frames and audio packets between the decode
 * thread and one rendition thread. Bounded so a slow rendition holds the
 * decoder back (memory stays flat) but never one frame at a time.
 */
#ifndef MF_FRAME_QUEUE_H
#define MF_FRAME_QUEUE_H

#include <pthread.h>

#include <libavcodec/packet.h>
#include <libavutil/frame.h>

struct mf_queue_item {
    AVFrame *frame;     /* a video frame, or NULL */
    AVPacket *packet;   /* an encoded audio packet, or NULL */
};

struct mf_frame_queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    struct mf_queue_item *items;
    int cap, head, count;
    int eof;            /* producer finished: drain then stop */
    int aborted;        /* consumer or producer gave up: stop at once */
};

int  mf_frame_queue_init(struct mf_frame_queue *q, int capacity);
/** Free queued items and the queue's memory. */
void mf_frame_queue_uninit(struct mf_frame_queue *q);

/** Push; takes ownership of the item on success. Blocks while full.
 *  Returns 0, or AVERROR_EXIT when the queue was aborted (item not taken). */
int  mf_frame_queue_push(struct mf_frame_queue *q, struct mf_queue_item item);

/** Pop; blocks while empty. Returns 0 with an item, AVERROR_EOF after the
 *  producer's end, or AVERROR_EXIT when aborted. */
int  mf_frame_queue_pop(struct mf_frame_queue *q, struct mf_queue_item *item);

void mf_frame_queue_finish(struct mf_frame_queue *q);   /* producer: no more items */
void mf_frame_queue_abort(struct mf_frame_queue *q);    /* either side: stop now */

#endif
