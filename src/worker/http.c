/*
 * /healthz, /readyz and /metrics over libmicrohttpd's internal epoll thread.
 *
 * Slow and idle clients must not starve the kubelet's probes (issue 16 item 2):
 * libmicrohttpd's connection timeout is an idle timeout that every byte restarts,
 * so a client trickling a header byte every 2 s holds its slot forever. Here:
 *  - room for HTTP_CONN_LIMIT connections, at most HTTP_PER_IP_LIMIT per address;
 *  - an idle timeout of HTTP_IDLE_TIMEOUT_S;
 *  - a deadline for each request, counted from the connection's start or the end
 *    of its previous request, however the bytes trickle in: a reaper thread shuts
 *    down the socket of a connection past it (libmicrohttpd then closes it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "http.h"
#include "metrics.h"
#include "common/clock.h"

#define HTTP_CONN_LIMIT 512u
#define HTTP_PER_IP_LIMIT 64u
#define HTTP_IDLE_TIMEOUT_S 5u
#define HTTP_REQUEST_DEADLINE_MS 10000
#define HTTP_REAP_EVERY_MS 250

/* One open connection, from libmicrohttpd's "started" to its "closed" notice. */
struct http_conn {
    struct http_conn *prev, *next;
    int fd;
    int64_t since_ms;              /* connection start or end of its last request */
    int cut;
};

struct mf_http {
    struct MHD_Daemon *daemon;
    struct mf_http_probes probes;
    pthread_mutex_t lock;          /* conns, stopping */
    pthread_cond_t wake;
    struct http_conn *conns;
    int stopping;
    pthread_t reaper;
    int reaper_started;
};

/* libmicrohttpd calls "closed" before it closes the socket, and both notices come
 * under h->lock here, so the reaper never shuts down an fd that was reused. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct mf_http *h = cls;
    struct http_conn *c = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!info || !(c = calloc(1, sizeof(*c))))
            return;                /* untracked: the idle timeout still applies */
        c->fd = info->connect_fd;
        c->since_ms = mf_mono_ms();
        pthread_mutex_lock(&h->lock);
        c->next = h->conns;
        if (h->conns)
            h->conns->prev = c;
        h->conns = c;
        pthread_mutex_unlock(&h->lock);
        *socket_context = c;
    } else if (c) {
        pthread_mutex_lock(&h->lock);
        if (c->prev)
            c->prev->next = c->next;
        else
            h->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        pthread_mutex_unlock(&h->lock);
        free(c);
        *socket_context = NULL;
    }
}

/* A request answered: the next one on this connection gets a deadline of its own. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct mf_http *h = cls;
    (void)con_cls;
    (void)toe;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct http_conn *c = info ? info->socket_context : NULL;
    if (!c)
        return;
    pthread_mutex_lock(&h->lock);
    c->since_ms = mf_mono_ms();
    pthread_mutex_unlock(&h->lock);
}

static void *reaper_thread(void *arg)
{
    struct mf_http *h = arg;
    pthread_mutex_lock(&h->lock);
    while (!h->stopping) {
        int64_t now = mf_mono_ms();
        for (struct http_conn *c = h->conns; c; c = c->next)
            if (!c->cut && now - c->since_ms > HTTP_REQUEST_DEADLINE_MS) {
                shutdown(c->fd, SHUT_RDWR);
                c->cut = 1;
            }
        struct timespec ts;
        mf_mono_deadline(&ts, HTTP_REAP_EVERY_MS);
        pthread_cond_timedwait(&h->wake, &h->lock, &ts);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

/* HTTP_CONN_LIMIT, or less when the process may not open that many files. */
static unsigned conn_limit(void)
{
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 2 < HTTP_CONN_LIMIT)
        return rl.rlim_cur / 2 > 16 ? (unsigned)(rl.rlim_cur / 2) : 16;
    return HTTP_CONN_LIMIT;
}

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
    pthread_mutex_init(&h->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->wake, &ca);
    pthread_condattr_destroy(&ca);
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD;     /* epoll on Linux */
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handler, h,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                 MHD_OPTION_CONNECTION_TIMEOUT, HTTP_IDLE_TIMEOUT_S,
                                 MHD_OPTION_CONNECTION_LIMIT, conn_limit(),
                                 MHD_OPTION_PER_IP_CONNECTION_LIMIT, HTTP_PER_IP_LIMIT,
                                 MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                                 MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(err, err_len, "MPEGFLOW_HTTP_ADDR: cannot listen on %s (in use or not permitted)", addr);
        mf_http_stop(&h);
        return NULL;
    }
    if (pthread_create(&h->reaper, NULL, reaper_thread, h)) {
        snprintf(err, err_len, "HTTP listener: cannot start its deadline thread");
        mf_http_stop(&h);
        return NULL;
    }
    h->reaper_started = 1;
    return h;
}

void mf_http_stop(struct mf_http **h)
{
    struct mf_http *x = *h;
    if (!x)
        return;
    if (x->reaper_started) {       /* first, so nothing is shut down during the teardown */
        pthread_mutex_lock(&x->lock);
        x->stopping = 1;
        pthread_cond_signal(&x->wake);
        pthread_mutex_unlock(&x->lock);
        pthread_join(x->reaper, NULL);
    }
    if (x->daemon)
        MHD_stop_daemon(x->daemon);   /* "closed" for every connection: the list empties */
    while (x->conns) {
        struct http_conn *c = x->conns;
        x->conns = c->next;
        free(c);
    }
    pthread_cond_destroy(&x->wake);
    pthread_mutex_destroy(&x->lock);
    free(x);
    *h = NULL;
}
