/*
 * Readiness follows Redis closely: a thread PINGs once a second on a
 * connection of its own with a short timeout. A PING that fails marks Redis
 * unreachable (like any failed command), and one still unanswered after
 * READY_STALL_MS makes /readyz 503 by itself; any answer, on any connection,
 * marks Redis reachable again. A paused (SIGSTOP) or wedged Redis shows within
 * about 3 s, instead of after a job connection's 10 s command timeout.
 */
#ifndef MF_READINESS_H
#define MF_READINESS_H

#include "worker_internal.h"

#define READY_PING_EVERY_MS 1000
#define READY_PING_TIMEOUT_MS 2000     /* connect and command timeout of the PING connection */
#define READY_BACKOFF_MAX_MS 1000      /* its reconnection backoff cap: back soon after Redis is */
#define READY_STALL_MS 3000            /* a PING outstanding this long: not ready */

/** The thread (arg: the worker); PINGs on w->ping_q until the job threads have stopped. */
void *mf_readiness_thread(void *arg);

/** 1 when a PING has been waiting for its answer for READY_STALL_MS or more. */
int mf_readiness_stalled(const struct mf_worker *w);

#endif
