/* Shared set-up of the submit and status commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

int mf_client_open(struct mf_client *c, const char *name, int argc, char **argv,
                   char **pos, int *n_pos, int max_pos)
{
    char err[512];
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    int n = 0;
    memset(c, 0, sizeof(*c));
    if (!rest)
        return -1;
    int r = mf_config_load(&c->cfg, MF_CONFIG_CLIENT, argc, argv, rest, &n, err, sizeof(err));
    if (r) {
        if (r < 0)
            fprintf(stderr, "mpegflow %s: %s\n", name, err);
        free(rest);
        return r < 0 ? -1 : 1;
    }
    if (n > max_pos) {
        fprintf(stderr, "mpegflow %s: unexpected argument '%s' (try --help)\n", name, rest[max_pos]);
        free(rest);
        return -1;
    }
    for (int i = 0; i < n; i++)
        pos[i] = rest[i];
    *n_pos = n;
    free(rest);
    char host[64] = "client", consumer[96];
    gethostname(host, sizeof(host) - 1);
    snprintf(consumer, sizeof(consumer), "%s-%s-%d", name, host, (int)getpid());
    struct mf_queue_config qc;
    mf_config_queue(&c->cfg, &qc);
    if (qc.tls.insecure)
        fprintf(stderr, "mpegflow %s: WARNING: MPEGFLOW_REDIS_TLS_INSECURE=1: the Redis server's "
                "certificate and host name are NOT verified\n", name);
    qc.consumer = consumer;
    if (mf_queue_open(&c->q, &qc, err, sizeof(err))) {
        fprintf(stderr, "mpegflow %s: MPEGFLOW_REDIS_URL: %s\n", name, err);
        return -1;
    }
    return 0;
}

void mf_client_close(struct mf_client *c)
{
    mf_queue_close(&c->q);
}
