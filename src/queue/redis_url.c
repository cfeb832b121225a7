/* redis:// URL parsing. Passwords are never copied into error messages. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_url.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decode src[0..n) into dst; -1 on a bad escape or overflow. */
static int pct_decode(char *dst, size_t dst_len, const char *src, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)src[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int h = hexval(src[i + 1]), l = hexval(src[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = h * 16 + l;
            i += 2;
        }
        if (c == 0 || o + 1 >= dst_len)
            return -1;
        dst[o++] = (char)c;
    }
    dst[o] = 0;
    return 0;
}

static int parse_int(const char *s, size_t n, int lo, int hi, int *out)
{
    if (n == 0 || n > 9)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
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
    if (!strncmp(url, "unix://", 7)) {
        const char *p = url + 7, *q = strchr(p, '?');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (n == 0 || p[0] != '/' || n >= sizeof(out->socket)) {
            snprintf(err, err_len, "unix:// Redis URL needs an absolute socket path");
            return -EINVAL;
        }
        memcpy(out->socket, p, n);
        if (q) {
            if (strncmp(q, "?db=", 4) || parse_int(q + 4, strlen(q + 4), 0, 1 << 20, &out->db)) {
                snprintf(err, err_len, "unix:// Redis URL: only ?db=N is understood");
                return -EINVAL;
            }
        }
        return 0;
    }
    if (!strncmp(url, "rediss://", 9)) {
        snprintf(err, err_len, "rediss:// (TLS) is not supported by this build; use redis://");
        return -EINVAL;
    }
    if (strncmp(url, "redis://", 8)) {
        snprintf(err, err_len, "Redis URL must start with redis:// or unix://");
        return -EINVAL;
    }
    const char *p = url + 8;
    const char *end = p + strcspn(p, "/?#");
    const char *at = NULL;
    for (const char *s = p; s < end; s++)
        if (*s == '@')
            at = s;                 /* the last '@': passwords may hold one unescaped */
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (!colon) {
            /* redis://password@host is a common shorthand */
            if (pct_decode(out->password, sizeof(out->password), p, (size_t)(at - p))) {
                snprintf(err, err_len, "Redis URL: bad percent-escape or too long password");
                return -EINVAL;
            }
        } else {
            if (pct_decode(out->user, sizeof(out->user), p, (size_t)(colon - p))
                || pct_decode(out->password, sizeof(out->password), colon + 1,
                              (size_t)(at - colon - 1))) {
                snprintf(err, err_len, "Redis URL: bad percent-escape or too long user/password");
                return -EINVAL;
            }
        }
        p = at + 1;
    }
    const char *hend, *portp = NULL;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb) {
            snprintf(err, err_len, "Redis URL: unterminated [IPv6] host");
            return -EINVAL;
        }
        if ((size_t)(rb - p - 1) >= sizeof(out->host) || rb == p + 1) {
            snprintf(err, err_len, "Redis URL: bad host");
            return -EINVAL;
        }
        memcpy(out->host, p + 1, (size_t)(rb - p - 1));
        hend = rb + 1;
        if (hend < end && *hend == ':')
            portp = hend + 1;
        else if (hend != end) {
            snprintf(err, err_len, "Redis URL: junk after [IPv6] host");
            return -EINVAL;
        }
    } else {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        hend = colon ? colon : end;
        if (hend == p || (size_t)(hend - p) >= sizeof(out->host)) {
            snprintf(err, err_len, "Redis URL: missing host");
            return -EINVAL;
        }
        memcpy(out->host, p, (size_t)(hend - p));
        if (colon)
            portp = colon + 1;
    }
    if (portp && parse_int(portp, (size_t)(end - portp), 1, 65535, &out->port)) {
        snprintf(err, err_len, "Redis URL: port must be 1..65535");
        return -EINVAL;
    }
    if (*end == '/') {
        const char *d = end + 1;
        size_t n = strcspn(d, "?#");
        if (n && parse_int(d, n, 0, 1 << 20, &out->db)) {
            snprintf(err, err_len, "Redis URL: database must be a number, as in /0");
            return -EINVAL;
        }
        end = d + n;
    }
    if (*end) {
        snprintf(err, err_len, "Redis URL: query strings and fragments are not understood");
        return -EINVAL;
    }
    return 0;
}
