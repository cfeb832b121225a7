/*
 * Endpoint parsing and key resolution. Every request URL is built here from
 * a validated key, so nothing a job writes can leave the endpoint: keys are
 * percent-encoded segment by segment, and an absolute URL is reduced to its
 * key and rebuilt the same way.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "endpoint.h"

#define MAX_KEY_LEN 1024

void mf_printable(char *dst, size_t dst_len, const char *s)
{
    size_t i = 0;

    if (!dst_len)
        return;
    if (!s)
        s = "(null)";
    for (; *s && i + 1 < dst_len; s++)
        dst[i++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    dst[i] = 0;
    if (*s && i >= 3)
        memcpy(dst + i - 3, "...", 3);
}

/* Copy one URL part into dst; 0 when present, 1 when absent, -1 on error. */
static int get_part(CURLU *h, CURLUPart part, unsigned flags, char *dst, size_t dst_len)
{
    char *v = NULL;
    CURLUcode rc = curl_url_get(h, part, &v, flags);

    if (rc != CURLUE_OK) {
        if (dst_len)
            dst[0] = 0;
        return rc == CURLUE_OUT_OF_MEMORY ? -1 : 1;
    }
    if (strlen(v) >= dst_len) {
        curl_free(v);
        return -1;
    }
    strcpy(dst, v);
    curl_free(v);
    return 0;
}

static int has_part(CURLU *h, CURLUPart part)
{
    char *v = NULL;

    if (curl_url_get(h, part, &v, 0) != CURLUE_OK)
        return 0;
    curl_free(v);
    return 1;
}

int mf_endpoint_parse(struct mf_endpoint *ep, const char *url, char *err, size_t err_len)
{
    char port[8];
    size_t n;
    int ret = -1;
    CURLUcode rc;
    CURLU *h;

    memset(ep, 0, sizeof(*ep));
    if (!url || !*url) {
        snprintf(err, err_len, "MPEGFLOW_STORAGE_URL is not set");
        return -1;
    }
    if (!(h = curl_url())) {
        snprintf(err, err_len, "MPEGFLOW_STORAGE_URL: out of memory");
        return -1;
    }
    rc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
    if (rc != CURLUE_OK) {
        snprintf(err, err_len, "MPEGFLOW_STORAGE_URL: not a valid URL (%s)", curl_url_strerror(rc));
        goto end;
    }
    if (get_part(h, CURLUPART_SCHEME, 0, ep->scheme, sizeof(ep->scheme)) ||
        (strcmp(ep->scheme, "http") && strcmp(ep->scheme, "https"))) {
        snprintf(err, err_len, "MPEGFLOW_STORAGE_URL: the scheme must be http or https");
        goto end;
    }
    if (has_part(h, CURLUPART_USER) || has_part(h, CURLUPART_PASSWORD) ||
        has_part(h, CURLUPART_OPTIONS)) {
        snprintf(err, err_len, "MPEGFLOW_STORAGE_URL: credentials in the URL are not allowed "
                 "(use MPEGFLOW_STORAGE_AUTH)");
        goto end;
    }
    if (has_part(h, CURLUPART_QUERY) || has_part(h, CURLUPART_FRAGMENT)) {
        snprintf(err, err_len, "MPEGFLOW_STORAGE_URL: a query or fragment is not allowed");
        goto end;
    }
    if (get_part(h, CURLUPART_HOST, 0, ep->host, sizeof(ep->host)) || !ep->host[0]) {
        snprintf(err, err_len, "MPEGFLOW_STORAGE_URL: no host");
        goto end;
    }
    if (get_part(h, CURLUPART_PORT, CURLU_DEFAULT_PORT, ep->port, sizeof(ep->port))) {
        snprintf(err, err_len, "MPEGFLOW_STORAGE_URL: bad port");
        goto end;
    }
    if (get_part(h, CURLUPART_PATH, 0, ep->base, sizeof(ep->base) - 1)) {
        snprintf(err, err_len, "MPEGFLOW_STORAGE_URL: path too long");
        goto end;
    }
    n = strlen(ep->base);
    if (!n || ep->base[n - 1] != '/')
        strcat(ep->base, "/");
    if (ep->base[0] != '/') {
        snprintf(err, err_len, "MPEGFLOW_STORAGE_URL: bad path");
        goto end;
    }
    if (get_part(h, CURLUPART_PORT, 0, port, sizeof(port)) == 0)
        snprintf(ep->origin, sizeof(ep->origin), "%s://%s:%s", ep->scheme, ep->host, port);
    else
        snprintf(ep->origin, sizeof(ep->origin), "%s://%s", ep->scheme, ep->host);
    ret = 0;
end:
    curl_url_cleanup(h);
    return ret;
}

/* A key names an object under the base: relative, no dot segments, no empty
 * segments, no backslash or control bytes. Returns NULL or why not. */
static const char *check_key(const char *key)
{
    const char *seg = key, *p;
    size_t len = strlen(key);

    if (!len)
        return "empty key";
    if (len > MAX_KEY_LEN)
        return "key too long";
    if (key[0] == '/')
        return "absolute path";
    for (p = key; *p; p++) {
        if (*p == '\\')
            return "backslash";
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "control character";
    }
    for (;;) {
        size_t n = strcspn(seg, "/");
        if (n == 0)
            return "empty path segment";
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return "dot segment";
        if (!seg[n])
            return NULL;
        seg += n + 1;
    }
}

/* Append the key to dst, each segment percent-encoded the way SigV4's
 * canonical URI wants it (unreserved bytes kept, the rest %XX). */
static int encode_key(char *dst, size_t dst_len, const char *key)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = strlen(dst);

    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        if (o + 4 >= dst_len)
            return -1;
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '/') {
            dst[o++] = (char)*p;
        } else {
            dst[o++] = '%';
            dst[o++] = hex[*p >> 4];
            dst[o++] = hex[*p & 15];
        }
    }
    dst[o] = 0;
    return 0;
}

static int unhex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode src; -1 on a bad escape or an encoded NUL. */
static int decode(char *dst, size_t dst_len, const char *src)
{
    size_t o = 0;

    for (; *src; src++) {
        int c = (unsigned char)*src;
        if (c == '%') {
            int hi = unhex(src[1]), lo = hi < 0 ? -1 : unhex(src[2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            c = hi * 16 + lo;
            src += 2;
        }
        if (o + 1 >= dst_len)
            return -1;
        dst[o++] = (char)c;
    }
    dst[o] = 0;
    return 0;
}

static int looks_like_url(const char *s)
{
    if (!isalpha((unsigned char)*s))
        return 0;
    while (isalnum((unsigned char)*s) || *s == '+' || *s == '-' || *s == '.')
        s++;
    return *s == ':';
}

static int outside(const char *what, const char *key, const char *why, char *err, size_t err_len)
{
    char shown[200];

    mf_printable(shown, sizeof(shown), key);
    snprintf(err, err_len, "%s outside the assigned storage endpoint: %s (%s)", what, shown, why);
    return -1;
}

/* Reduce an absolute URL to the key it names under the endpoint. */
static const char *url_to_key(const struct mf_endpoint *ep, const char *abs, char *key,
                              size_t key_len)
{
    char v[MF_URL_MAX];
    const char *why = NULL;
    size_t blen = strlen(ep->base);
    CURLU *h = curl_url();

    if (!h)
        return "out of memory";
    /* curl_url removes dot segments while parsing; encoded ones (%2e%2e) are
     * decoded below and then refused by check_key. */
    if (curl_url_set(h, CURLUPART_URL, abs, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
        why = "not a valid URL";
    else if (get_part(h, CURLUPART_SCHEME, 0, v, sizeof(v)) || strcmp(v, ep->scheme))
        why = "other scheme";
    else if (has_part(h, CURLUPART_USER) || has_part(h, CURLUPART_PASSWORD) ||
             has_part(h, CURLUPART_OPTIONS))
        why = "credentials in the URL";
    else if (get_part(h, CURLUPART_HOST, 0, v, sizeof(v)) || strcasecmp(v, ep->host))
        why = "other host";
    else if (get_part(h, CURLUPART_PORT, CURLU_DEFAULT_PORT, v, sizeof(v)) || strcmp(v, ep->port))
        why = "other port";
    else if (has_part(h, CURLUPART_QUERY) || has_part(h, CURLUPART_FRAGMENT))
        why = "query or fragment";
    else if (get_part(h, CURLUPART_PATH, 0, v, sizeof(v)) || strncmp(v, ep->base, blen))
        why = "path not under the endpoint's base path";
    else if (decode(key, key_len, v + blen))
        why = "bad percent-encoding";
    curl_url_cleanup(h);
    return why;
}

int mf_endpoint_resolve(const struct mf_endpoint *ep, const char *key, const char *what,
                        char *url, size_t url_len, char *err, size_t err_len)
{
    char decoded[MF_URL_MAX];
    const char *k = key, *why;

    if (!key)
        return outside(what, "(null)", "no key", err, err_len);
    if (looks_like_url(key)) {
        if ((why = url_to_key(ep, key, decoded, sizeof(decoded))))
            return outside(what, key, why, err, err_len);
        k = decoded;
    }
    if ((why = check_key(k)))
        return outside(what, key, why, err, err_len);
    if ((size_t)snprintf(url, url_len, "%s%s", ep->origin, ep->base) >= url_len ||
        encode_key(url, url_len, k))
        return outside(what, key, "URL too long", err, err_len);
    return 0;
}
