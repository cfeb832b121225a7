/*
 * mpegflow storage: the one assigned endpoint (DESIGN section 6), over libcurl.
 * A job names keys under the endpoint, never hosts.
 */
#ifndef MPEGFLOW_STORAGE_H
#define MPEGFLOW_STORAGE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum mf_storage_auth {
    MF_AUTH_NONE = 0,
    MF_AUTH_BEARER,
    MF_AUTH_SIGV4,
};

struct mf_storage_config {
    const char *url;               /* http(s)://host[:port]/base, the assigned endpoint */
    enum mf_storage_auth auth;
    const char *token;             /* bearer */
    const char *access_key;        /* sigv4 */
    const char *secret_key;
    const char *region;
    int64_t max_input_bytes;       /* 0 = no limit */
    int max_retries;               /* retryable failures (5xx, timeouts, resets): 0 = default 4,
                                      -1 = none */
    long connect_timeout_s;        /* default 10 */
    long low_speed_time_s;         /* abort below 1 KiB/s for this long, default 30 */
    int retry_base_ms;             /* first backoff, doubled per retry (cap 30 s), jittered;
                                      default 500 */
};

struct mf_storage;

/* Error classes, as negative return values. */
#define MF_STORAGE_EPERM     (-1)  /* permanent: 4xx, key outside the endpoint, too large */
#define MF_STORAGE_ERETRY    (-2)  /* retryable: retries exhausted on 5xx / network */
#define MF_STORAGE_ELOCAL    (-3)  /* local file error */
#define MF_STORAGE_ECANCEL   (-4)  /* cancelled through the cancel flag */

/**
 * Validate cfg and create a handle. NULL with err set on a bad configuration
 * (one line naming the environment variable). The handle is read-only after
 * open: several threads may run transfers on it at once. cfg's strings are copied.
 */
struct mf_storage *mf_storage_open(const struct mf_storage_config *cfg, char *err, size_t err_len);
void mf_storage_close(struct mf_storage **st);

/**
 * Resolve a job's key (or an absolute URL under the endpoint) to a URL.
 * Returns 0, or MF_STORAGE_EPERM with err "input outside the assigned storage
 * endpoint: ..." for anything else (other host, scheme, "..", etc.).
 */
int mf_storage_resolve(const struct mf_storage *st, const char *key, char *url, size_t url_len,
                       char *err, size_t err_len);

/**
 * GET key into local_path (created or truncated, mode 0600), resuming with Range
 * after a broken transfer. *bytes (may be NULL) gets the size. cancel may be NULL.
 * Returns 0, or a negative MF_STORAGE_E* with err "GET <key>: ..."; on failure
 * local_path is removed. Errors: EPERM (4xx, 3xx "redirect refused", outside the
 * endpoint, larger than max_input_bytes), ERETRY (5xx/408/429/network/timeouts
 * still failing after max_retries retries), ELOCAL, ECANCEL.
 */
int mf_storage_get(struct mf_storage *st, const char *key, const char *local_path,
                   int64_t *bytes, atomic_int *cancel, char *err, size_t err_len);

/**
 * PUT local_path as key (retried like GET). content_type NULL means
 * application/octet-stream. Returns 0, or a negative MF_STORAGE_E* with err
 * "PUT <key>: ...".
 */
int mf_storage_put(struct mf_storage *st, const char *local_path, const char *key,
                   const char *content_type, atomic_int *cancel, char *err, size_t err_len);

#endif
