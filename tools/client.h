/* What submit and status share: configuration and one Redis connection. */
#ifndef MF_CLIENT_H
#define MF_CLIENT_H

#include "worker/worker_config.h"
#include "mpegflow/queue.h"

struct mf_client {
    struct mf_config cfg;
    struct mf_queue *q;
};

/**
 * Load the client configuration (errors printed as "mpegflow NAME: ...") and
 * open the queue; positional arguments go to pos (at most max_pos).
 * Returns 0, 1 for --help, or -1 after printing the error.
 */
int mf_client_open(struct mf_client *c, const char *name, int argc, char **argv,
                   char **pos, int *n_pos, int max_pos);
void mf_client_close(struct mf_client *c);

#endif
