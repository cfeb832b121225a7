/*
 * Storage transfers over libcurl: GET to a local file with retries and
 * Range resume, PUT from a local file with retries. One easy handle per call,
 * so a handle may be shared by concurrent jobs. Status codes are inspected
 * here (no CURLOPT_FAILONERROR) and redirects are refused, never followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include "mpegflow/storage.h"
#include "storage_auth.h"
#include "endpoint.h"

#define DEFAULT_RETRIES       4
#define DEFAULT_CONNECT_S     10
#define DEFAULT_LOW_SPEED_S   30
#define DEFAULT_RETRY_BASE_MS 500
#define MAX_BACKOFF_MS        30000
#define LOW_SPEED_LIMIT       1024          /* bytes/s */
#define ERR_BODY_MAX          1024

struct mf_storage {
    struct mf_endpoint ep;
    struct mf_auth auth;
    int64_t max_input_bytes;
    int attempts;
    long connect_timeout_s, low_speed_time_s;
    int retry_base_ms;
};

enum body_mode { BODY_NONE, BODY_FILE, BODY_DISCARD };

struct xfer {
    const struct mf_storage *st;
    const char *method;
    char key[200];                          /* printable, for messages */
    const char *path;                       /* the local file */
    atomic_int *cancel;
    int fd;
    int is_get;
    int64_t offset;                         /* GET: bytes in the file before this response */
    int64_t written;                        /* GET: body bytes of this response kept */
    /* the current response */
    long status;
    char reason[64];
    int64_t content_length;                 /* -1: not sent */
    int64_t range_start;                    /* Content-Range first byte, -1: none */
    int retry_after_s;
    char location[256];
    enum body_mode mode;
    char err_body[ERR_BODY_MAX + 1];
    size_t err_body_len;
    /* why a callback stopped the transfer */
    int too_large, local_errno, restart;
    char errbuf[CURL_ERROR_SIZE];
};

struct mf_storage *mf_storage_open(const struct mf_storage_config *cfg, char *err, size_t err_len)
{
    struct mf_storage *st;

    if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
        snprintf(err, err_len, "storage: curl_global_init failed");
        return NULL;
    }
    if (!(st = calloc(1, sizeof(*st)))) {
        snprintf(err, err_len, "storage: out of memory");
        curl_global_cleanup();
        return NULL;
    }
    if (mf_endpoint_parse(&st->ep, cfg->url, err, err_len) ||
        mf_auth_init(&st->auth, cfg, err, err_len))
        goto fail;
    if (cfg->max_input_bytes < 0) {
        snprintf(err, err_len, "MPEGFLOW_MAX_INPUT_BYTES: must not be negative");
        goto fail;
    }
    if (cfg->max_retries > 100 || cfg->max_retries < -1 || cfg->connect_timeout_s < 0 ||
        cfg->low_speed_time_s < 0 || cfg->retry_base_ms < 0) {
        snprintf(err, err_len, "storage: retries or timeouts out of range");
        goto fail;
    }
    st->max_input_bytes = cfg->max_input_bytes;
    st->attempts = 1 + (cfg->max_retries == 0 ? DEFAULT_RETRIES :
                        cfg->max_retries < 0 ? 0 : cfg->max_retries);
    st->connect_timeout_s = cfg->connect_timeout_s ? cfg->connect_timeout_s : DEFAULT_CONNECT_S;
    st->low_speed_time_s = cfg->low_speed_time_s ? cfg->low_speed_time_s : DEFAULT_LOW_SPEED_S;
    st->retry_base_ms = cfg->retry_base_ms ? cfg->retry_base_ms : DEFAULT_RETRY_BASE_MS;
    return st;
fail:
    mf_storage_close(&st);
    return NULL;
}

void mf_storage_close(struct mf_storage **pst)
{
    struct mf_storage *st = pst ? *pst : NULL;

    if (!st)
        return;
    mf_auth_free(&st->auth);
    free(st);
    *pst = NULL;
    curl_global_cleanup();
}

int mf_storage_resolve(const struct mf_storage *st, const char *key, char *url, size_t url_len,
                       char *err, size_t err_len)
{
    return mf_endpoint_resolve(&st->ep, key, "input", url, url_len, err, err_len) ?
           MF_STORAGE_EPERM : 0;
}

/* --- callbacks ---------------------------------------------------------------- */

static int cancelled(const struct xfer *x)
{
    return x->cancel && atomic_load(x->cancel);
}

static void new_response(struct xfer *x, const char *line, size_t len)
{
    const char *p = memchr(line, ' ', len), *end = line + len;
    size_t n = 0;

    x->status = 0;
    x->reason[0] = 0;
    x->content_length = -1;
    x->range_start = -1;
    x->retry_after_s = -1;
    x->location[0] = 0;
    x->mode = BODY_NONE;
    if (!p)
        return;
    x->status = strtol(p + 1, NULL, 10);
    p = memchr(p + 1, ' ', (size_t)(end - p - 1));
    if (!p)
        return;
    for (p++; p < end && *p != '\r' && *p != '\n' && n + 1 < sizeof(x->reason); p++)
        x->reason[n++] = (*p < 0x20 || *p == 0x7f) ? '?' : *p;
    x->reason[n] = 0;
}

/* The header value if line is "name: value", copied into v. */
static int header_value(const char *line, size_t len, const char *name, char *v, size_t v_len)
{
    size_t nl = strlen(name), n = 0;
    const char *p = line + nl + 1, *end = line + len;

    if (len <= nl || strncasecmp(line, name, nl) || line[nl] != ':')
        return 0;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    for (; p < end && n + 1 < v_len; p++)
        v[n++] = (*p < 0x20 || *p == 0x7f) ? '?' : *p;
    v[n] = 0;
    return 1;
}

static void truncate_file(struct xfer *x)
{
    if (ftruncate(x->fd, 0) || lseek(x->fd, 0, SEEK_SET) < 0)
        x->local_errno = errno;
    x->offset = 0;
}

/* All headers of a final GET response are in: decide where its body goes. */
static int get_headers_done(struct xfer *x)
{
    int64_t total;

    if (x->status == 200) {
        if (x->offset > 0)              /* Range ignored: the whole object again */
            truncate_file(x);
        x->mode = BODY_FILE;
    } else if (x->status == 206 && x->offset > 0 && x->range_start == x->offset) {
        x->mode = BODY_FILE;
    } else if (x->status == 206) {
        x->restart = 1;                 /* not the range asked for: start over */
        return -1;
    } else {
        x->mode = BODY_DISCARD;
        return 0;
    }
    total = x->content_length < 0 ? -1 : x->offset + x->content_length;
    if (x->st->max_input_bytes && total > x->st->max_input_bytes) {
        x->too_large = 1;
        return -1;
    }
    return x->local_errno ? -1 : 0;
}

static size_t on_header(char *line, size_t size, size_t n, void *opaque)
{
    struct xfer *x = opaque;
    size_t len = size * n;
    char v[256];

    if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
        new_response(x, line, len);
    } else if (len <= 2 && (line[0] == '\r' || line[0] == '\n')) {
        if (x->status >= 200 && x->is_get)
            return get_headers_done(x) ? 0 : len;
        if (x->status >= 200)
            x->mode = BODY_DISCARD;
    } else if (header_value(line, len, "content-length", v, sizeof(v))) {
        x->content_length = strtoll(v, NULL, 10);
    } else if (header_value(line, len, "content-range", v, sizeof(v))) {
        if (!strncmp(v, "bytes ", 6))
            x->range_start = strtoll(v + 6, NULL, 10);
    } else if (header_value(line, len, "retry-after", v, sizeof(v))) {
        x->retry_after_s = atoi(v);
    } else if (header_value(line, len, "location", x->location, sizeof(x->location))) {
        /* kept for the message */
    }
    return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *opaque)
{
    struct xfer *x = opaque;
    size_t len = size * n, done = 0;

    if (x->mode != BODY_FILE) {
        size_t keep = ERR_BODY_MAX - x->err_body_len;
        keep = len < keep ? len : keep;
        memcpy(x->err_body + x->err_body_len, buf, keep);
        x->err_body_len += keep;
        x->err_body[x->err_body_len] = 0;
        return len;
    }
    if (x->st->max_input_bytes &&
        x->offset + x->written + (int64_t)len > x->st->max_input_bytes) {
        x->too_large = 1;
        return 0;
    }
    while (done < len) {
        ssize_t w = write(x->fd, buf + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            x->local_errno = w < 0 ? errno : EIO;
            return 0;
        }
        done += (size_t)w;
    }
    x->written += (int64_t)len;
    return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *opaque)
{
    struct xfer *x = opaque;
    ssize_t r;

    do
        r = read(x->fd, buf, size * n);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        x->local_errno = errno;
        return CURL_READFUNC_ABORT;
    }
    return (size_t)r;
}

static int on_seek(void *opaque, curl_off_t offset, int origin)
{
    struct xfer *x = opaque;

    return lseek(x->fd, (off_t)offset, origin) < 0 ? CURL_SEEKFUNC_FAIL : CURL_SEEKFUNC_OK;
}

static int on_progress(void *opaque, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
    (void)dlt, (void)dln, (void)ult, (void)uln;
    return cancelled(opaque);
}

/* --- one request, classified -------------------------------------------------- */

static int retryable_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_AGAIN:
        return 1;
    default:
        return 0;
    }
}

static const char *reason_of(const struct xfer *x)
{
    if (x->reason[0])
        return x->reason;
    switch (x->status) {                 /* HTTP/2 has no reason phrase */
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

/* "HTTP 403 Forbidden (SignatureDoesNotMatch)": S3 names the error in <Code>. */
static void http_error(const struct xfer *x, char *why, size_t why_len)
{
    const char *c = strstr(x->err_body, "<Code>"), *e = c ? strstr(c, "</Code>") : NULL;
    int n = e ? (int)(e - c - 6) : 0;

    if (n > 0 && n < 64)
        snprintf(why, why_len, "HTTP %ld %s (%.*s)", x->status, reason_of(x), n, c + 6);
    else
        snprintf(why, why_len, "HTTP %ld %s", x->status, reason_of(x));
}

/* 0, or the class of failure of the request just made, with why set. */
static int classify(struct xfer *x, CURLcode rc, char *why, size_t why_len)
{
    if (rc != CURLE_OK && cancelled(x)) {
        snprintf(why, why_len, "cancelled");
        return MF_STORAGE_ECANCEL;
    }
    if (x->too_large) {
        snprintf(why, why_len, "input larger than MPEGFLOW_MAX_INPUT_BYTES (%" PRId64 " bytes)",
                 x->st->max_input_bytes);
        return MF_STORAGE_EPERM;
    }
    if (x->local_errno) {
        snprintf(why, why_len, "%s %s: %s", x->is_get ? "write" : "read", x->path,
                 strerror(x->local_errno));
        return MF_STORAGE_ELOCAL;
    }
    if (x->restart) {
        snprintf(why, why_len, "HTTP 206 with an unexpected Content-Range");
        truncate_file(x);
        return MF_STORAGE_ERETRY;
    }
    if (rc != CURLE_OK && (x->status < 300 || x->mode == BODY_FILE)) {
        snprintf(why, why_len, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
        return retryable_curl(rc) ? MF_STORAGE_ERETRY : MF_STORAGE_EPERM;
    }
    if (x->status >= 200 && x->status < 300)
        return 0;
    if (x->status >= 300 && x->status < 400) {
        snprintf(why, why_len, "redirect refused (HTTP %ld%s%s)", x->status,
                 x->location[0] ? " to " : "", x->location);
        return MF_STORAGE_EPERM;
    }
    http_error(x, why, why_len);
    if (x->status == 416 && x->is_get && x->offset > 0) {
        truncate_file(x);               /* the object changed under us: start over */
        return MF_STORAGE_ERETRY;
    }
    if (x->status == 408 || x->status == 429 || x->status >= 500)
        return MF_STORAGE_ERETRY;
    return MF_STORAGE_EPERM;
}

/* Sleep before retry number attempt, in small steps so that cancel is seen. */
static int backoff(const struct xfer *x, int attempt)
{
    static _Thread_local unsigned seed;
    struct timespec ts;
    long delay = x->st->retry_base_ms;

    if (!seed) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = (unsigned)ts.tv_nsec ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)&ts;
    }
    for (int i = 1; i < attempt && delay < MAX_BACKOFF_MS; i++)
        delay *= 2;
    if (delay > MAX_BACKOFF_MS)
        delay = MAX_BACKOFF_MS;
    delay = delay / 2 + rand_r(&seed) % (delay / 2 + 1);          /* jitter */
    if (x->retry_after_s > 0 && x->retry_after_s * 1000L > delay)
        delay = x->retry_after_s > MAX_BACKOFF_MS / 1000 ? MAX_BACKOFF_MS : x->retry_after_s * 1000L;
    while (delay > 0) {
        long step = delay < 50 ? delay : 50;
        if (cancelled(x))
            return -1;
        ts.tv_sec = 0;
        ts.tv_nsec = step * 1000000L;
        nanosleep(&ts, NULL);
        delay -= step;
    }
    return cancelled(x) ? -1 : 0;
}

static CURL *easy_new(struct xfer *x, const char *url, struct curl_slist *headers)
{
    const struct mf_storage *st = x->st;
    CURL *c = curl_easy_init();

    if (!c)
        return NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, st->connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_LIMIT);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, st->low_speed_time_s);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "mpegflow");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    mf_auth_apply(&st->auth, c);
    return c;
}

/* Run the request until it succeeds, fails for good, or retries run out. */
static int perform(struct xfer *x, CURL *c, char *err, size_t err_len)
{
    char why[512], range[32];
    int cls;

    for (int attempt = 1;; attempt++) {
        if (cancelled(x)) {
            snprintf(err, err_len, "%s %s: cancelled", x->method, x->key);
            return MF_STORAGE_ECANCEL;
        }
        x->written = 0;
        x->too_large = x->local_errno = x->restart = 0;
        x->err_body_len = 0;
        x->err_body[0] = 0;
        x->errbuf[0] = 0;
        new_response(x, "", 0);
        if (x->is_get) {
            snprintf(range, sizeof(range), "%" PRId64 "-", x->offset);
            curl_easy_setopt(c, CURLOPT_RANGE, x->offset > 0 ? range : NULL);
        } else if (lseek(x->fd, 0, SEEK_SET) < 0) {
            snprintf(err, err_len, "%s %s: seek %s: %s", x->method, x->key, x->path, strerror(errno));
            return MF_STORAGE_ELOCAL;
        }
        cls = classify(x, curl_easy_perform(c), why, sizeof(why));
        if (x->is_get)
            x->offset += x->written;    /* a broken transfer resumes from here */
        if (!cls)
            return 0;
        if (cls != MF_STORAGE_ERETRY) {
            snprintf(err, err_len, "%s %s: %s", x->method, x->key, why);
            return cls;
        }
        if (attempt >= x->st->attempts) {
            snprintf(err, err_len, "%s %s: %s after %d attempts", x->method, x->key, why, attempt);
            return cls;
        }
        if (backoff(x, attempt)) {
            snprintf(err, err_len, "%s %s: cancelled", x->method, x->key);
            return MF_STORAGE_ECANCEL;
        }
    }
}

/* --- GET and PUT ---------------------------------------------------------------- */

static void xfer_init(struct xfer *x, const struct mf_storage *st, const char *method,
                      const char *key, const char *path, atomic_int *cancel)
{
    memset(x, 0, sizeof(*x));
    x->st = st;
    x->method = method;
    x->is_get = !strcmp(method, "GET");
    mf_printable(x->key, sizeof(x->key), key);
    x->path = path;
    x->cancel = cancel;
    x->fd = -1;
}

int mf_storage_get(struct mf_storage *st, const char *key, const char *local_path,
                   int64_t *bytes, atomic_int *cancel, char *err, size_t err_len)
{
    char url[MF_URL_MAX], why[512];
    struct curl_slist *headers = NULL;
    struct xfer x;
    CURL *c = NULL;
    int ret;

    if (bytes)
        *bytes = 0;
    xfer_init(&x, st, "GET", key, local_path, cancel);
    if (mf_endpoint_resolve(&st->ep, key, "input", url, sizeof(url), why, sizeof(why))) {
        snprintf(err, err_len, "GET: %s", why);
        return MF_STORAGE_EPERM;
    }
    x.fd = open(local_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (x.fd < 0) {
        snprintf(err, err_len, "GET %s: open %s: %s", x.key, local_path, strerror(errno));
        return MF_STORAGE_ELOCAL;
    }
    if (mf_auth_headers(&st->auth, MF_EMPTY_SHA256, NULL, &headers) ||
        !(c = easy_new(&x, url, headers))) {
        snprintf(err, err_len, "GET %s: out of memory", x.key);
        ret = MF_STORAGE_ELOCAL;
        goto end;
    }
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    ret = perform(&x, c, err, err_len);
end:
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    if (close(x.fd) && !ret) {
        snprintf(err, err_len, "GET %s: close %s: %s", x.key, local_path, strerror(errno));
        ret = MF_STORAGE_ELOCAL;
    }
    if (ret)
        unlink(local_path);
    else if (bytes)
        *bytes = x.offset;
    return ret;
}

int mf_storage_put(struct mf_storage *st, const char *local_path, const char *key,
                   const char *content_type, atomic_int *cancel, char *err, size_t err_len)
{
    char url[MF_URL_MAX], why[512], sha[65] = MF_EMPTY_SHA256;
    struct curl_slist *headers = NULL;
    struct stat sb;
    struct xfer x;
    CURL *c = NULL;
    int ret = MF_STORAGE_ELOCAL, e;

    xfer_init(&x, st, "PUT", key, local_path, cancel);
    if (mf_endpoint_resolve(&st->ep, key, "output", url, sizeof(url), why, sizeof(why))) {
        snprintf(err, err_len, "PUT: %s", why);
        return MF_STORAGE_EPERM;
    }
    if (!content_type || !mf_header_safe(content_type, 0))
        content_type = "application/octet-stream";
    x.fd = open(local_path, O_RDONLY | O_CLOEXEC);
    if (x.fd < 0 || fstat(x.fd, &sb)) {
        snprintf(err, err_len, "PUT %s: open %s: %s", x.key, local_path, strerror(errno));
        goto end;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, err_len, "PUT %s: %s: not a regular file", x.key, local_path);
        goto end;
    }
    if (st->auth.mode == MF_AUTH_SIGV4 && (e = mf_sha256_file(x.fd, sha))) {
        snprintf(err, err_len, "PUT %s: read %s: %s", x.key, local_path, strerror(e));
        goto end;
    }
    if (mf_auth_headers(&st->auth, sha, content_type, &headers) ||
        !(c = easy_new(&x, url, headers))) {
        snprintf(err, err_len, "PUT %s: out of memory", x.key);
        goto end;
    }
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sb.st_size);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &x);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, &x);
    ret = perform(&x, c, err, err_len);
end:
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    if (x.fd >= 0)
        close(x.fd);
    return ret;
}
