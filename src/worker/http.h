/* Health and metrics endpoints (libmicrohttpd): /healthz, /readyz, /metrics. */
#ifndef MF_HTTP_H
#define MF_HTTP_H

#include <stddef.h>

struct mf_http_probes {
    int (*healthy)(void *opaque);                       /* 1 = the loop is alive */
    int (*ready)(void *opaque, const char **why);       /* 1 = ready, else why not */
    void *opaque;
};

struct mf_http;

/** Listen on addr ("host:port", "[v6]:port"). NULL with err set on failure. */
struct mf_http *mf_http_start(const char *addr, const struct mf_http_probes *probes,
                              char *err, size_t err_len);
void mf_http_stop(struct mf_http **h);

#endif
