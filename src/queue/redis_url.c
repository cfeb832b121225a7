/*
 * redis:// and unix:// URLs over libcurl's URL API (CURLU), which does the
 * splitting, IPv6 brackets and port checks; what is left here is Redis's own
 * meaning: the password-only shorthand, /db, and refusing what we do not read.
 * Passwords are never copied into error messages.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_url.h"

/* 0 when every '%' in s starts a valid escape (curl would keep a bad one as is). */
static int escapes_ok(const char *s)
{
    static const char hex[] = "0123456789abcdefABCDEF";
    for (; (s = strchr(s, '%')); s += 3)
        if (!s[1] || !s[2] || !strchr(hex, s[1]) || !strchr(hex, s[2]))
            return -1;
    return 0;
}

/*
 * One part into dst (decoded with CURLU_URLDECODE, which refuses %00): 0 when
 * present, 1 when absent, -1 when it is malformed or does not fit.
 */
static int get_part(CURLU *h, CURLUPart part, int decode, char *dst, size_t dst_len)
{
    char *raw = NULL, *v = NULL;
    dst[0] = 0;
    CURLUcode rc = curl_url_get(h, part, &raw, 0);
    if (rc == CURLUE_OUT_OF_MEMORY)
        return -1;
    if (rc != CURLUE_OK)
        return 1;
    int ret = -1;
    if (decode && escapes_ok(raw))
        goto out;
    if (decode && curl_url_get(h, part, &v, CURLU_URLDECODE) != CURLUE_OK)
        goto out;
    const char *s = decode ? v : raw;
    if (strlen(s) < dst_len) {
        strcpy(dst, s);
        ret = 0;
    }
out:
    curl_free(raw);
    curl_free(v);
    return ret;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 9 || strspn(s, "0123456789") != n)
        return -1;
    int v = atoi(s);
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/*
 * unix:///path[?db=N], by hand: curl would read the first path segment as a
 * host, and a socket path is not percent-encoded anyway.
 */
static int parse_unix(const char *url, struct mf_redis_url *out, char *err, size_t err_len)
{
    const char *p = url + 7, *q = strchr(p, '?');
    size_t n = q ? (size_t)(q - p) : strlen(p);
    if (n < 2 || p[0] != '/' || n >= sizeof(out->socket)) {
        snprintf(err, err_len, "unix:// Redis URL needs an absolute socket path");
        return -EINVAL;
    }
    memcpy(out->socket, p, n);
    if (q && (strncmp(q, "?db=", 4) || parse_int(q + 4, 0, 1 << 20, &out->db))) {
        snprintf(err, err_len, "unix:// Redis URL: only ?db=N is understood");
        return -EINVAL;
    }
    return 0;
}

/* The userinfo: user:password, :password, or the password-only shorthand password@. */
static int parse_userinfo(CURLU *h, struct mf_redis_url *out, char *err, size_t err_len)
{
    int u = get_part(h, CURLUPART_USER, 1, out->user, sizeof(out->user));
    int p = get_part(h, CURLUPART_PASSWORD, 1, out->password, sizeof(out->password));
    if (u < 0 || p < 0) {
        snprintf(err, err_len, "Redis URL: bad percent-escape or too long user/password");
        return -EINVAL;
    }
    if (u == 0 && p == 1) {        /* redis://secret@host: a password, as redis-cli reads it */
        if (strlen(out->user) >= sizeof(out->password)) {
            snprintf(err, err_len, "Redis URL: too long password");
            return -EINVAL;
        }
        strcpy(out->password, out->user);
        out->user[0] = 0;
    }
    return 0;
}

/* host[:port][/db] of a redis:// URL, after curl split it. */
static int parse_server(CURLU *h, struct mf_redis_url *out, char *err, size_t err_len)
{
    char host[sizeof(out->host) + 2], buf[64];
    if (get_part(h, CURLUPART_HOST, 0, host, sizeof(host)) || !host[0] || !strcmp(host, "[]")) {
        snprintf(err, err_len, "Redis URL: missing host");
        return -EINVAL;
    }
    size_t n = strlen(host);
    if (host[0] == '[') {          /* curl keeps the brackets of an IPv6 address */
        memmove(host, host + 1, n - 2);
        host[n - 2] = 0;
    }
    if (strlen(host) >= sizeof(out->host)) {
        snprintf(err, err_len, "Redis URL: bad host");
        return -EINVAL;
    }
    strcpy(out->host, host);
    if (get_part(h, CURLUPART_PORT, 0, buf, sizeof(buf)) == 0
        && parse_int(buf, 1, 65535, &out->port)) {
        snprintf(err, err_len, "Redis URL: port must be 1..65535");
        return -EINVAL;
    }
    int r = get_part(h, CURLUPART_PATH, 0, buf, sizeof(buf));
    if (r < 0 || (r == 0 && strcmp(buf, "/") && parse_int(buf + 1, 0, 1 << 20, &out->db))) {
        snprintf(err, err_len, "Redis URL: database must be a number, as in /0");
        return -EINVAL;
    }
    if (get_part(h, CURLUPART_QUERY, 0, buf, sizeof(buf)) != 1
        || get_part(h, CURLUPART_FRAGMENT, 0, buf, sizeof(buf)) != 1) {
        snprintf(err, err_len, "Redis URL: query strings and fragments are not understood");
        return -EINVAL;
    }
    return 0;
}

/*
 * redis-sentinel://[userinfo@]h1[:port],h2[:port]/master[/db]: a host list is
 * no URL curl reads, so the authority is split here, and each sentinel goes
 * through parse_server() as redis://host:port.
 */
static int parse_sentinel(const char *url, struct mf_redis_url *out, char *err, size_t err_len)
{
    const char *p = url + strlen("redis-sentinel://");
    const char *slash = strchr(p, '/');
    if (!slash || !slash[1]) {
        snprintf(err, err_len, "redis-sentinel:// URL needs the master's name: "
                 "redis-sentinel://host:26379,host2:26379/mymaster[/db]");
        return -EINVAL;
    }
    const char *at = memrchr(p, '@', (size_t)(slash - p));
    const char *hosts = at ? at + 1 : p;
    /* The userinfo through curl, with a stand-in host. */
    char one[1024];
    int n = snprintf(one, sizeof(one), "redis://%.*sx", at ? (int)(at - p + 1) : 0, p);
    if (n < 0 || (size_t)n >= sizeof(one)) {
        snprintf(err, err_len, "redis-sentinel:// URL too long");
        return -EINVAL;
    }
    struct mf_redis_url tmp;
    int r = mf_redis_url_parse(one, &tmp, err, err_len);
    if (r)
        return r;
    memcpy(out->user, tmp.user, sizeof(out->user));
    memcpy(out->password, tmp.password, sizeof(out->password));
    for (const char *h = hosts; h < slash; ) {
        size_t len = strcspn(h, ",/");
        if (out->n_sentinels == MF_REDIS_MAX_SENTINELS) {
            snprintf(err, err_len, "redis-sentinel:// URL: at most %d sentinels", MF_REDIS_MAX_SENTINELS);
            return -EINVAL;
        }
        n = snprintf(one, sizeof(one), "redis://%.*s", (int)len, h);
        r = n > 0 && (size_t)n < sizeof(one) ? mf_redis_url_parse(one, &tmp, err, err_len) : -EINVAL;
        if (r || !len) {
            snprintf(err, err_len, "redis-sentinel:// URL: sentinel %d: bad host[:port] '%.*s'",
                     out->n_sentinels + 1, (int)len, h);
            return -EINVAL;
        }
        struct mf_redis_sentinel *s = &out->sentinels[out->n_sentinels++];
        memcpy(s->host, tmp.host, sizeof(s->host));
        const char *colon = memrchr(h, ':', len), *rb = memrchr(h, ']', len);
        s->port = colon && (!rb || colon > rb) ? tmp.port : 26379;   /* an explicit port */
        h += len + (h[len] == ',');
    }
    const char *m = slash + 1, *db = strchr(m, '/');
    size_t ml = db ? (size_t)(db - m) : strlen(m);
    if (!ml || ml >= sizeof(out->master) || strcspn(m, "?#") < ml) {
        snprintf(err, err_len, "redis-sentinel:// URL: bad master name");
        return -EINVAL;
    }
    memcpy(out->master, m, ml);
    if (db && db[1] && parse_int(db + 1, 0, 1 << 20, &out->db)) {
        snprintf(err, err_len, "Redis URL: database must be a number, as in /0");
        return -EINVAL;
    }
    out->port = 0;                 /* the primary's address comes from the sentinels */
    return 0;
}

int mf_redis_url_parse(const char *url, struct mf_redis_url *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    out->port = 6379;
    if (!url || !*url) {
        snprintf(err, err_len, "empty Redis URL");
        return -EINVAL;
    }
    if (!strncmp(url, "unix://", 7))
        return parse_unix(url, out, err, err_len);
    if (!strncmp(url, "redis-sentinel://", 17))
        return parse_sentinel(url, out, err, err_len);
    out->tls = !strncmp(url, "rediss://", 9);
    if (!out->tls && strncmp(url, "redis://", 8)) {
        snprintf(err, err_len, "Redis URL must start with redis://, rediss:// or unix://");
        return -EINVAL;
    }
    CURLU *h = curl_url();
    if (!h) {
        snprintf(err, err_len, "out of memory");
        return -ENOMEM;
    }
    CURLUcode rc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
    int ret = -EINVAL;
    if (rc == CURLUE_OK) {
        ret = parse_userinfo(h, out, err, err_len);
        if (ret == 0)
            ret = parse_server(h, out, err, err_len);
    } else if (rc == CURLUE_BAD_PORT_NUMBER) {
        snprintf(err, err_len, "Redis URL: port must be 1..65535");
    } else if (rc == CURLUE_NO_HOST || rc == CURLUE_MALFORMED_INPUT) {
        snprintf(err, err_len, "Redis URL: missing or bad host");
    } else if (rc == CURLUE_BAD_IPV6 || rc == CURLUE_BAD_HOSTNAME) {
        snprintf(err, err_len, "Redis URL: bad host (%s)", curl_url_strerror(rc));
    } else {        /* curl's message names the part, never its value */
        snprintf(err, err_len, "Redis URL: %s", curl_url_strerror(rc));
    }
    curl_url_cleanup(h);
    return ret;
}
