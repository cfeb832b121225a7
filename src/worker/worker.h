/*
 * The queue worker (DESIGN sections 1, 5, 9): job threads that read the
 * stream and run jobs, a heartbeat thread that keeps in-flight entries
 * claimed and writes progress, a signal thread for drain, and the health
 * and metrics listener.
 */
#ifndef MF_WORKER_H
#define MF_WORKER_H

#include "worker_config.h"

/**
 * Run until signalled (or --max-jobs jobs were taken and finished).
 * backend: the resolved encoder backend of this worker's pool.
 * Returns a process exit code: 0 after a clean drain, MF_EXIT_USAGE when
 * the listener or storage cannot be set up.
 */
int mf_worker_run(const struct mf_config *cfg, const char *backend, const char *unusable);

#endif
