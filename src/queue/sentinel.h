/*
 * Redis Sentinel (redis-sentinel:// URLs): which address is the primary now,
 * and the +switch-master notices that say it moved.
 */
#ifndef MF_QUEUE_SENTINEL_H
#define MF_QUEUE_SENTINEL_H

#include <stddef.h>

#include "queue_internal.h"

/**
 * Ask the sentinels (the last one that answered first) for the primary of
 * q->url.master; its address goes to q->url.host/port. 0, or -1 with errstr set.
 */
int mf_sentinel_resolve(struct mf_queue *q, int connect_timeout_ms);

/** The number of +switch-master notices seen by this process (any handle's watch). */
unsigned mf_sentinel_epoch(void);

/** Close q's watch connection. */
void mf_sentinel_unwatch(struct mf_queue *q);

#endif
