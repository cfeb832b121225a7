/*
 * Readiness follows Redis closely: a thread PINGs once a second on a
 * connection of its own with a short timeout, and /readyz is 503 once no PING
 * has been answered for READY_FRESH_MS. A paused (SIGSTOP) or wedged Redis
 * shows within about 3 s, instead of after a job connection's 10 s timeout.
 */
#ifndef MF_READINESS_H
#define MF_READINESS_H

#include "worker_internal.h"

#define READY_PING_EVERY_MS 1000
#define READY_PING_TIMEOUT_MS 2000     /* connect and command timeout of the PING connection */
#define READY_FRESH_MS 3000            /* the last answered PING must be this recent */

/** The thread (arg: the worker); PINGs on w->ping_q until the job threads have stopped. */
void *mf_readiness_thread(void *arg);

/** 1 when a PING was answered within READY_FRESH_MS. */
int mf_readiness_fresh(const struct mf_worker *w);

#endif
