/*
 * Storage request authentication: bearer token or AWS SigV4 (via libcurl).
 */
#ifndef MF_SIGV4_H
#define MF_SIGV4_H

#include <stddef.h>

#include <curl/curl.h>

#include "mpegflow/storage.h"

#define MF_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct mf_auth {
    enum mf_storage_auth mode;
    char *bearer_header;                    /* "Authorization: Bearer ..." */
    char *access_key, *secret_key;
    char sigv4[96];                         /* "aws:amz:REGION:s3" */
};

/** Check cfg's auth settings and copy them. 0, or -1 with err naming the env variable. */
int mf_auth_init(struct mf_auth *a, const struct mf_storage_config *cfg, char *err, size_t err_len);
void mf_auth_free(struct mf_auth *a);

/** Set curl's SigV4 options on c (nothing for none/bearer). */
void mf_auth_apply(const struct mf_auth *a, CURL *c);

/**
 * The request headers: auth, x-amz-content-sha256 (SigV4) and Content-Type
 * (when not NULL). 0 with *out set (free with curl_slist_free_all), -1 on OOM.
 */
int mf_auth_headers(const struct mf_auth *a, const char *payload_sha256, const char *content_type,
                    struct curl_slist **out);

/** Hex SHA-256 of the rest of fd. 0, or an errno value. */
int mf_sha256_file(int fd, char hex[65]);

/** Printable ASCII without spaces; with token, also without ',', '/' and ':'. */
int mf_header_safe(const char *s, int token);

#endif
