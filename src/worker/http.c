/* /healthz, /readyz and /metrics over libmicrohttpd's internal thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "http.h"
#include "metrics.h"

struct mf_http {
    struct MHD_Daemon *daemon;
    struct mf_http_probes probes;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             const char *body, int must_free)
{
    struct MHD_Response *r = must_free
        ? MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_FREE)
        : MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    struct mf_http *h = cls;
    (void)version;
    (void)upload;
    (void)con_cls;
    if (*upload_size)
        return MHD_NO;             /* no bodies here */
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return reply(conn, 405, "text/plain", "method not allowed\n", 0);
    if (!strcmp(url, "/healthz")) {
        int ok = h->probes.healthy(h->probes.opaque);
        return reply(conn, ok ? 200 : 503, "text/plain", ok ? "ok\n" : "worker loop stalled\n", 0);
    }
    if (!strcmp(url, "/readyz")) {
        const char *why = "not ready";
        int ok = h->probes.ready(h->probes.opaque, &why);
        char body[256];
        snprintf(body, sizeof(body), "%s\n", ok ? "ready" : why);
        return reply(conn, ok ? 200 : 503, "text/plain", body, 0);
    }
    if (!strcmp(url, "/metrics")) {
        char *text = mf_metrics_render();
        if (!text)
            return reply(conn, 500, "text/plain", "out of memory\n", 0);
        return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", text, 1);
    }
    return reply(conn, 404, "text/plain", "not found: /healthz /readyz /metrics\n", 0);
}

/* "host:port" or "[v6]:port" into a sockaddr. */
static int parse_addr(const char *addr, struct sockaddr_storage *ss, char *err, size_t err_len)
{
    char host[128];
    const char *colon = strrchr(addr, ':');
    memset(ss, 0, sizeof(*ss));
    if (!colon || (size_t)(colon - addr) >= sizeof(host)) {
        snprintf(err, err_len, "MPEGFLOW_HTTP_ADDR: expected host:port, got '%s'", addr);
        return -EINVAL;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    int port = atoi(colon + 1);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        host[strlen(host) - 1] = 0;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1)
            return 0;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        if (!host[0] || inet_pton(AF_INET, host, &s4->sin_addr) == 1)
            return 0;
    }
    snprintf(err, err_len, "MPEGFLOW_HTTP_ADDR: '%s' is not a numeric IP address", host);
    return -EINVAL;
}

struct mf_http *mf_http_start(const char *addr, const struct mf_http_probes *probes,
                              char *err, size_t err_len)
{
    struct sockaddr_storage ss;
    if (parse_addr(addr, &ss, err, err_len))
        return NULL;
    struct mf_http *h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    h->probes = *probes;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handler, h,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
                                 MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(err, err_len, "MPEGFLOW_HTTP_ADDR: cannot listen on %s (in use or not permitted)", addr);
        free(h);
        return NULL;
    }
    return h;
}

void mf_http_stop(struct mf_http **h)
{
    if (!*h)
        return;
    MHD_stop_daemon((*h)->daemon);
    free(*h);
    *h = NULL;
}
