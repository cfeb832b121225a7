/*
 * The assigned storage endpoint and the keys under it (DESIGN section 6).
 * Pure string work over libcurl's URL API: no I/O, no network.
 */
#ifndef MF_URL_H
#define MF_URL_H

#include <stddef.h>

#define MF_URL_MAX 4096

struct mf_endpoint {
    char scheme[8];          /* "http" or "https" */
    char host[256];          /* as curl_url reports it; IPv6 with brackets */
    char port[8];            /* always set, the scheme's default when absent */
    char base[1024];         /* path, starts and ends with '/' */
    char origin[300];        /* scheme://host[:port] as written in request URLs */
};

/**
 * Parse and check the endpoint URL. Returns 0, or -1 with err naming
 * MPEGFLOW_STORAGE_URL (the URL is never echoed: it could carry a password).
 */
int mf_endpoint_parse(struct mf_endpoint *ep, const char *url, char *err, size_t err_len);

/**
 * Turn a key, or an absolute URL under the endpoint, into a request URL.
 * what is "input" or "output", for the message. Returns 0, or -1 with err
 * "<what> outside the assigned storage endpoint: <key> (<reason>)".
 */
int mf_endpoint_resolve(const struct mf_endpoint *ep, const char *key, const char *what,
                        char *url, size_t url_len, char *err, size_t err_len);

/** Copy s for a log line or message: non-printable bytes become '?', long strings are cut. */
void mf_printable(char *dst, size_t dst_len, const char *s);

#endif
