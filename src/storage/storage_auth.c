/*
 * Request authentication for the storage endpoint: a bearer token, or AWS
 * Signature Version 4 done by libcurl (CURLOPT_AWS_SIGV4). curl 7.88 signs
 * every header we add and takes the payload hash from x-amz-content-sha256
 * when present, but does not send that header itself (S3 requires it), so it
 * is added here: the SHA-256 of the file for PUT, of the empty body for GET.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "storage_auth.h"

/* Safe inside a header line: printable ASCII, optionally without spaces and commas. */
int mf_header_safe(const char *s, int token)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
            return 0;
        if (token && (*s == ',' || *s == '/' || *s == ':'))
            return 0;
    }
    return 1;
}

static int check_region(const char *r)
{
    size_t n = strlen(r);

    if (!n || n > 64)
        return -1;
    for (; *r; r++)
        if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
            return -1;
    return 0;
}

int mf_auth_init(struct mf_auth *a, const struct mf_storage_config *cfg, char *err, size_t err_len)
{
    memset(a, 0, sizeof(*a));
    a->mode = cfg->auth;
    switch (cfg->auth) {
    case MF_AUTH_NONE:
        return 0;
    case MF_AUTH_BEARER:
        if (!cfg->token || !*cfg->token) {
            snprintf(err, err_len, "MPEGFLOW_STORAGE_AUTH=bearer needs MPEGFLOW_STORAGE_TOKEN");
            return -1;
        }
        if (!mf_header_safe(cfg->token, 0)) {
            snprintf(err, err_len, "MPEGFLOW_STORAGE_TOKEN: only printable ASCII without spaces");
            return -1;
        }
        if (asprintf(&a->bearer_header, "Authorization: Bearer %s", cfg->token) < 0) {
            a->bearer_header = NULL;
            snprintf(err, err_len, "storage: out of memory");
            return -1;
        }
        return 0;
    case MF_AUTH_SIGV4:
        if (!cfg->access_key || !*cfg->access_key) {
            snprintf(err, err_len, "MPEGFLOW_STORAGE_AUTH=sigv4 needs AWS_ACCESS_KEY_ID");
            return -1;
        }
        if (!cfg->secret_key || !*cfg->secret_key) {
            snprintf(err, err_len, "MPEGFLOW_STORAGE_AUTH=sigv4 needs AWS_SECRET_ACCESS_KEY");
            return -1;
        }
        if (!cfg->region || !*cfg->region) {
            snprintf(err, err_len, "MPEGFLOW_STORAGE_AUTH=sigv4 needs AWS_REGION");
            return -1;
        }
        if (!mf_header_safe(cfg->access_key, 1)) {
            snprintf(err, err_len, "AWS_ACCESS_KEY_ID: unexpected characters");
            return -1;
        }
        if (check_region(cfg->region)) {
            snprintf(err, err_len, "AWS_REGION: not a region name (lowercase letters, digits, '-')");
            return -1;
        }
        snprintf(a->sigv4, sizeof(a->sigv4), "aws:amz:%s:s3", cfg->region);
        a->access_key = strdup(cfg->access_key);
        a->secret_key = strdup(cfg->secret_key);
        if (!a->access_key || !a->secret_key) {
            snprintf(err, err_len, "storage: out of memory");
            return -1;
        }
        return 0;
    }
    snprintf(err, err_len, "MPEGFLOW_STORAGE_AUTH: must be none, bearer or sigv4");
    return -1;
}

void mf_auth_free(struct mf_auth *a)
{
    free(a->bearer_header);
    free(a->access_key);
    if (a->secret_key) {
        memset(a->secret_key, 0, strlen(a->secret_key));
        free(a->secret_key);
    }
    memset(a, 0, sizeof(*a));
}

void mf_auth_apply(const struct mf_auth *a, CURL *c)
{
    if (a->mode != MF_AUTH_SIGV4)
        return;
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, a->sigv4);
    curl_easy_setopt(c, CURLOPT_USERNAME, a->access_key);
    curl_easy_setopt(c, CURLOPT_PASSWORD, a->secret_key);
}

int mf_sha256_file(int fd, char hex[65])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t buf[65536], digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    ssize_t r;

    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(md);
        return ENOMEM;
    }
    while ((r = read(fd, buf, sizeof(buf))) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            EVP_MD_CTX_free(md);
            return e;
        }
        EVP_DigestUpdate(md, buf, (size_t)r);
    }
    int ok = EVP_DigestFinal_ex(md, digest, &len) && len == 32;
    EVP_MD_CTX_free(md);
    if (!ok)
        return EIO;
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return 0;
}

/* Request headers: auth, the payload hash SigV4 signs (curl 7.88 does not add
 * it itself), and an optional Content-Type. */
int mf_auth_headers(const struct mf_auth *a, const char *payload_sha256, const char *content_type,
                    struct curl_slist **out)
{
    struct curl_slist *h = NULL, *t;
    char line[300];

    *out = NULL;
    if (a->bearer_header && !(h = curl_slist_append(h, a->bearer_header)))
        goto oom;
    if (a->mode == MF_AUTH_SIGV4) {
        snprintf(line, sizeof(line), "x-amz-content-sha256: %s", payload_sha256);
        if (!(t = curl_slist_append(h, line)))
            goto oom;
        h = t;
    }
    if (content_type) {
        snprintf(line, sizeof(line), "Content-Type: %s", content_type);
        if (!(t = curl_slist_append(h, line)))
            goto oom;
        h = t;
    }
    *out = h;
    return 0;
oom:
    curl_slist_free_all(h);
    return -1;
}
