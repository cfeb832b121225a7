/*
 * Storage unit tests, no external servers: configuration checks, key and URL
 * resolution, and the headers curl sends, captured by a loopback listener
 * run here. The SigV4 signature is recomputed independently (libavutil's
 * SHA-256 and HMAC), after checking this test's own implementation against
 * the worked example in AWS's S3 SigV4 documentation.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/hmac.h>
#include <libavutil/mem.h>
#include <libavutil/sha.h>

#include "mpegflow/storage.h"
#include "unit.h"

/* --- configuration ------------------------------------------------------------ */

static void expect_open_error(struct mf_storage_config cfg, const char *want)
{
    char err[256] = "";
    struct mf_storage *st = mf_storage_open(&cfg, err, sizeof(err));

    CHECK(!st && strstr(err, want), "url=%s: got \"%s\", want \"%s\"",
          cfg.url ? cfg.url : "(null)", err, want);
    mf_storage_close(&st);
}

static void test_config(void)
{
    struct mf_storage_config c = { .url = "http://127.0.0.1:1/media" };
    struct mf_storage *st;
    char err[256];

    expect_open_error((struct mf_storage_config){ 0 }, "MPEGFLOW_STORAGE_URL is not set");
    expect_open_error((struct mf_storage_config){ .url = "ftp://h/x" },
                      "MPEGFLOW_STORAGE_URL: the scheme must be http or https");
    expect_open_error((struct mf_storage_config){ .url = "file:///tmp" },
                      "MPEGFLOW_STORAGE_URL: the scheme must be http or https");
    expect_open_error((struct mf_storage_config){ .url = "storage:8333/media" },
                      "MPEGFLOW_STORAGE_URL");
    expect_open_error((struct mf_storage_config){ .url = "http://u:secret@h/x" },
                      "MPEGFLOW_STORAGE_URL: credentials in the URL are not allowed");
    expect_open_error((struct mf_storage_config){ .url = "http://h/x?a=b" },
                      "MPEGFLOW_STORAGE_URL: a query or fragment is not allowed");
    expect_open_error((struct mf_storage_config){ .url = "http://h/x", .auth = MF_AUTH_BEARER },
                      "MPEGFLOW_STORAGE_AUTH=bearer needs MPEGFLOW_STORAGE_TOKEN");
    expect_open_error((struct mf_storage_config){ .url = "http://h/x", .auth = MF_AUTH_BEARER,
                                                  .token = "a\r\nX-Evil: 1" },
                      "MPEGFLOW_STORAGE_TOKEN");
    expect_open_error((struct mf_storage_config){ .url = "http://h/x", .auth = MF_AUTH_SIGV4,
                                                  .secret_key = "s", .region = "us-east-1" },
                      "MPEGFLOW_STORAGE_AUTH=sigv4 needs AWS_ACCESS_KEY_ID");
    expect_open_error((struct mf_storage_config){ .url = "http://h/x", .auth = MF_AUTH_SIGV4,
                                                  .access_key = "k", .region = "us-east-1" },
                      "AWS_SECRET_ACCESS_KEY");
    expect_open_error((struct mf_storage_config){ .url = "http://h/x", .auth = MF_AUTH_SIGV4,
                                                  .access_key = "k", .secret_key = "s" },
                      "AWS_REGION");
    expect_open_error((struct mf_storage_config){ .url = "http://h/x", .auth = MF_AUTH_SIGV4,
                                                  .access_key = "k", .secret_key = "s",
                                                  .region = "us:east" },
                      "AWS_REGION: not a region name");
    expect_open_error((struct mf_storage_config){ .url = "http://h/x", .max_input_bytes = -1 },
                      "MPEGFLOW_MAX_INPUT_BYTES");

    /* the password must not leak into the message */
    c.url = "http://u:hunter2@h/x";
    st = mf_storage_open(&c, err, sizeof(err));
    CHECK(!st && !strstr(err, "hunter2"), "%s", err);

    c.url = "http://127.0.0.1:1/media";
    st = mf_storage_open(&c, err, sizeof(err));
    CHECK(st, "open: %s", err);
    mf_storage_close(&st);
    CHECK(!st, "close clears the handle");
}

/* --- resolution --------------------------------------------------------------- */

static void test_resolve(void)
{
    static const struct { const char *key, *url; } ok[] = {
        { "uploads/b7f3c2/source.mov", "http://storage.example:8333/media/uploads/b7f3c2/source.mov" },
        { "a b/\xc3\xbc+x=y&z.mov", "http://storage.example:8333/media/a%20b/%C3%BC%2Bx%3Dy%26z.mov" },
        { "x%2e%2e/y?z#w", "http://storage.example:8333/media/x%252e%252e/y%3Fz%23w" },
        { "...", "http://storage.example:8333/media/..." },
        { "http://storage.example:8333/media/uploads/x.mov",
          "http://storage.example:8333/media/uploads/x.mov" },
        { "HTTP://STORAGE.example:8333/media/a/../b%20c.mov",
          "http://storage.example:8333/media/b%20c.mov" },
    };
    static const char *const bad[] = {
        "", "../etc/passwd", "a/../../x", "a/..", "./a", "a/./b", "a//b", "a/", "/abs/x",
        "a\\..\\b", "a\x01" "b", "c:foo", "file:///etc/passwd", "gopher://storage.example:8333/media/x",
        "https://storage.example:8333/media/x", "http://other.example:8333/media/x",
        "http://storage.example:8334/media/x", "http://storage.example/media/x",
        "http://u@storage.example:8333/media/x", "http://u:p@storage.example:8333/media/x",
        "http://storage.example:8333/mediax/y", "http://storage.example:8333/media/../etc/passwd",
        "http://storage.example:8333/media/%2e%2e/etc/passwd",
        "http://storage.example:8333/media/a/%2E%2E/%2e%2E/etc",
        "http://storage.example:8333/media/%2e", "http://storage.example:8333/media/a%00b",
        "http://storage.example:8333/media/a%5c..%5cb", "http://storage.example:8333/media/x?acl",
        "http://storage.example:8333/media/x#f", "http://storage.example:8333/media",
        "http://storage.example:8333/media/", "http://storage.example:8333/media//x",
        "http://storage.example:8333/media/a%2f%2e%2e%2fb", "//storage.example:8333/media/x",
    };
    struct mf_storage_config c = { .url = "http://storage.example:8333/media" };
    char err[512], url[4096];
    struct mf_storage *st = mf_storage_open(&c, err, sizeof(err));

    CHECK(st, "%s", err);
    if (!st)
        return;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int r = mf_storage_resolve(st, ok[i].key, url, sizeof(url), err, sizeof(err));
        CHECK(r == 0 && !strcmp(url, ok[i].url), "%s: rc %d url %s err %s", ok[i].key, r, url, err);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = mf_storage_resolve(st, bad[i], url, sizeof(url), err, sizeof(err));
        CHECK(r == MF_STORAGE_EPERM &&
              !strncmp(err, "input outside the assigned storage endpoint: ", 45),
              "%s: rc %d err %s", bad[i], r, err);
    }
    mf_storage_close(&st);

    /* no base path; the scheme's default port written out or not */
    c.url = "https://S3.example";
    st = mf_storage_open(&c, err, sizeof(err));
    CHECK(st, "%s", err);
    if (st) {
        CHECK(!mf_storage_resolve(st, "https://s3.example:443/b/k", url, sizeof(url), err, sizeof(err)) &&
              !strcmp(url, "https://S3.example/b/k"), "%s %s", url, err);
        CHECK(mf_storage_resolve(st, "http://s3.example/b/k", url, sizeof(url), err, sizeof(err)),
              "http on an https endpoint");
        mf_storage_close(&st);
    }
}

/* --- a loopback listener that records one request ---------------------------- */

struct capture {
    int lfd;
    char req[16384];            /* request line and headers */
    char body[4096];
    size_t body_len;
    const char *response;
};

static void *serve_one(void *opaque)
{
    struct capture *cap = opaque;
    size_t n = 0, want = 0;
    char *end = NULL, *cl;
    int fd = accept(cap->lfd, NULL, NULL);

    if (fd < 0)
        return NULL;
    while (n < sizeof(cap->req) - 1) {
        ssize_t r = read(fd, cap->req + n, sizeof(cap->req) - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        cap->req[n] = 0;
        if ((end = strstr(cap->req, "\r\n\r\n")))
            break;
    }
    if (end) {
        size_t have = n - (size_t)(end + 4 - cap->req);
        *end = 0;
        if ((cl = strcasestr(cap->req, "\r\ncontent-length:")))
            want = strtoul(cl + 17, NULL, 10);
        if (want > sizeof(cap->body))
            want = sizeof(cap->body);
        if (strcasestr(cap->req, "\r\nexpect: 100-continue") && have < want &&
            write(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) < 0)
            perror("write");
        memcpy(cap->body, end + 4, have < want ? have : want);
        cap->body_len = have < want ? have : want;
        while (cap->body_len < want) {
            ssize_t r = read(fd, cap->body + cap->body_len, want - cap->body_len);
            if (r <= 0)
                break;
            cap->body_len += (size_t)r;
        }
    }
    if (write(fd, cap->response, strlen(cap->response)) < 0)
        perror("write");
    close(fd);
    return NULL;
}

static int listen_loopback(int *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        perror("listen");
        exit(1);
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* The value of header name in a captured request, trimmed; NULL when absent. */
static const char *header(const char *req, const char *name, char *v, size_t v_len)
{
    char pat[64];
    const char *p, *e;

    snprintf(pat, sizeof(pat), "\r\n%s:", name);
    if (!(p = strcasestr(req, pat)))
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    e = strstr(p, "\r\n");
    if (!e)
        e = p + strlen(p);
    while (e > p && e[-1] == ' ')
        e--;
    snprintf(v, v_len, "%.*s", (int)(e - p), p);
    return v;
}

/* --- SigV4, computed here --------------------------------------------------------- */

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
    struct AVSHA *sha = av_sha_alloc();
    uint8_t d[32];

    av_sha_init(sha, 256);
    av_sha_update(sha, data, len);
    av_sha_final(sha, d);
    av_free(sha);
    hex(d, 32, out);
}

static void hmac(const uint8_t *key, size_t key_len, const char *msg, uint8_t out[32])
{
    AVHMAC *h = av_hmac_alloc(AV_HMAC_SHA256);

    av_hmac_calc(h, (const uint8_t *)msg, (unsigned)strlen(msg), key, (unsigned)key_len, out, 32);
    av_hmac_free(h);
}

/* The AWS Signature Version 4 of a request whose canonical headers are given
 * (already "name:value\n" lines, sorted) and whose signed-header list is given. */
static void sigv4(const char *method, const char *uri, const char *canon_headers,
                  const char *signed_headers, const char *payload_hash, const char *amz_date,
                  const char *secret, const char *region, char out[65])
{
    char canon[8192], canon_hash[65], to_sign[512], date[9], scope[128], k[128];
    uint8_t k1[32], k2[32];

    snprintf(canon, sizeof(canon), "%s\n%s\n\n%s\n%s\n%s", method, uri, canon_headers,
             signed_headers, payload_hash);
    sha256_hex(canon, strlen(canon), canon_hash);
    snprintf(date, sizeof(date), "%.8s", amz_date);
    snprintf(scope, sizeof(scope), "%s/%s/s3/aws4_request", date, region);
    snprintf(to_sign, sizeof(to_sign), "AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date, scope, canon_hash);
    snprintf(k, sizeof(k), "AWS4%s", secret);
    hmac((const uint8_t *)k, strlen(k), date, k1);
    hmac(k1, 32, region, k2);
    hmac(k2, 32, "s3", k1);
    hmac(k1, 32, "aws4_request", k2);
    hmac(k2, 32, to_sign, k1);
    hex(k1, 32, out);
}

/* AWS docs, "Signature Calculations for the Authorization Header", GET Object example. */
static void test_sigv4_reference(void)
{
    char sig[65];

    sigv4("GET", "/test.txt",
          "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
          "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
          "x-amz-date:20130524T000000Z\n",
          "host;range;x-amz-content-sha256;x-amz-date",
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "20130524T000000Z",
          "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", sig);
    CHECK(!strcmp(sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
          "the test's own SigV4 gives %s", sig);
}

/* Check the Authorization header of a captured request and recompute its signature. */
static void check_signed(const struct capture *cap, const char *method, const char *uri,
                         const char *payload_hash, int with_content_type)
{
    char auth[1024], v[512], amz_date[32], sha_hdr[80], canon[4096] = "", want[65];
    char cred[128], signed_headers[256], sig[65], line[600], reqline[512];
    const char *p;
    int failures_before = *unit_failures();

    snprintf(reqline, sizeof(reqline), "%s %s HTTP/1.1\r\n", method, uri);
    CHECK(!strncmp(cap->req, reqline, strlen(reqline) - 2), "request line: %.80s", cap->req);
    CHECK(header(cap->req, "Authorization", auth, sizeof(auth)), "no Authorization header");
    CHECK(header(cap->req, "x-amz-date", amz_date, sizeof(amz_date)) && strlen(amz_date) == 16,
          "x-amz-date");
    CHECK(header(cap->req, "x-amz-content-sha256", sha_hdr, sizeof(sha_hdr)) &&
          !strcmp(sha_hdr, payload_hash), "x-amz-content-sha256 %s, want %s", sha_hdr, payload_hash);
    if (*unit_failures() > failures_before)
        return;
    CHECK(sscanf(auth, "AWS4-HMAC-SHA256 Credential=%127[^,], SignedHeaders=%255[^,], Signature=%64s",
                 cred, signed_headers, sig) == 3, "Authorization: %s", auth);
    snprintf(v, sizeof(v), "AKIDEXAMPLE/%.8s/eu-west-1/s3/aws4_request", amz_date);
    CHECK(!strcmp(cred, v), "Credential=%s, want %s", cred, v);
    CHECK(!strcmp(signed_headers, with_content_type ?
                  "content-type;host;x-amz-content-sha256;x-amz-date" :
                  "host;x-amz-content-sha256;x-amz-date"), "SignedHeaders=%s", signed_headers);
    /* canonical headers: each signed header's value as it went on the wire */
    for (p = signed_headers; *p;) {
        char name[64];
        size_t n = strcspn(p, ";");
        snprintf(name, sizeof(name), "%.*s", (int)n, p);
        CHECK(header(cap->req, name, v, sizeof(v)), "signed header %s not sent", name);
        snprintf(line, sizeof(line), "%s:%s\n", name, v);
        strncat(canon, line, sizeof(canon) - strlen(canon) - 1);
        p += n + (p[n] == ';');
    }
    sigv4(method, uri, canon, signed_headers, payload_hash, amz_date, "wJalrXUtnFEMI/K7MDENG", "eu-west-1",
          want);
    CHECK(!strcmp(sig, want), "%s Signature=%s, recomputed %s", method, sig, want);
}

static const char ok_response[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";

static void test_sigv4_headers(const char *tmp)
{
    struct capture cap = { .response = ok_response };
    char url[128], err[512], src[512], dst[512], body_sha[65];
    static const char body[] = "rendition bytes \x01\x02\x03";
    struct mf_storage_config c = { .auth = MF_AUTH_SIGV4, .access_key = "AKIDEXAMPLE",
                                   .secret_key = "wJalrXUtnFEMI/K7MDENG", .region = "eu-west-1" };
    struct mf_storage *st;
    pthread_t th;
    int port, r;
    int64_t bytes;
    FILE *f;

    cap.lfd = listen_loopback(&port);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/bucket", port);
    c.url = url;
    st = mf_storage_open(&c, err, sizeof(err));
    CHECK(st, "%s", err);
    if (!st)
        return;

    snprintf(src, sizeof(src), "%s/up.bin", tmp);
    f = fopen(src, "wb");
    fwrite(body, 1, sizeof(body) - 1, f);
    fclose(f);
    sha256_hex(body, sizeof(body) - 1, body_sha);

    pthread_create(&th, NULL, serve_one, &cap);
    r = mf_storage_put(st, src, "renditions/a b/720p.mp4", "video/mp4", NULL, err, sizeof(err));
    pthread_join(th, NULL);
    CHECK(r == 0, "PUT: %d %s", r, err);
    CHECK(cap.body_len == sizeof(body) - 1 && !memcmp(cap.body, body, cap.body_len), "PUT body");
    check_signed(&cap, "PUT", "/bucket/renditions/a%20b/720p.mp4", body_sha, 1);

    memset(cap.req, 0, sizeof(cap.req));
    snprintf(dst, sizeof(dst), "%s/down.bin", tmp);
    pthread_create(&th, NULL, serve_one, &cap);
    r = mf_storage_get(st, "uploads/x.mov", dst, &bytes, NULL, err, sizeof(err));
    pthread_join(th, NULL);
    CHECK(r == 0 && bytes == 5, "GET: %d %s", r, err);
    check_signed(&cap, "GET", "/bucket/uploads/x.mov",
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0);
    mf_storage_close(&st);
    close(cap.lfd);
}

static void test_bearer_and_errors(const char *tmp)
{
    struct capture cap = { .response = ok_response };
    struct mf_storage_config c = { .auth = MF_AUTH_BEARER, .token = "t0ken",
                                   .max_retries = 2, .retry_base_ms = 10 };
    char url[128], err[512], dst[512], v[128];
    struct mf_storage *st;
    atomic_int cancel = 0;
    pthread_t th;
    struct stat sb;
    int port, r;

    cap.lfd = listen_loopback(&port);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/m/", port);
    c.url = url;
    st = mf_storage_open(&c, err, sizeof(err));
    CHECK(st, "%s", err);
    if (!st)
        return;
    snprintf(dst, sizeof(dst), "%s/b.bin", tmp);
    pthread_create(&th, NULL, serve_one, &cap);
    r = mf_storage_get(st, "k", dst, NULL, NULL, err, sizeof(err));
    pthread_join(th, NULL);
    CHECK(r == 0, "%s", err);
    CHECK(header(cap.req, "Authorization", v, sizeof(v)) && !strcmp(v, "Bearer t0ken"), "bearer");
    CHECK(!strncmp(cap.req, "GET /m/k HTTP/1.1", 17), "%.40s", cap.req);

    /* cancelled before start: no request */
    atomic_store(&cancel, 1);
    r = mf_storage_get(st, "k", dst, NULL, &cancel, err, sizeof(err));
    CHECK(r == MF_STORAGE_ECANCEL && !strcmp(err, "GET k: cancelled"), "%d %s", r, err);
    CHECK(stat(dst, &sb) < 0, "a failed GET leaves no file");

    /* a local file that cannot be written */
    r = mf_storage_get(st, "k", "/nonexistent-dir/x", NULL, NULL, err, sizeof(err));
    CHECK(r == MF_STORAGE_ELOCAL && strstr(err, "GET k: open /nonexistent-dir/x"), "%d %s", r, err);
    r = mf_storage_put(st, "/nonexistent-dir/x", "k", NULL, NULL, err, sizeof(err));
    CHECK(r == MF_STORAGE_ELOCAL && strstr(err, "PUT k: open /nonexistent-dir/x"), "%d %s", r, err);
    r = mf_storage_put(st, dst, "../k", NULL, NULL, err, sizeof(err));
    CHECK(r == MF_STORAGE_EPERM && strstr(err, "PUT: output outside the assigned storage endpoint: ../k"),
          "%d %s", r, err);
    mf_storage_close(&st);

    /* nothing listens: connection refused is retried, then ERETRY */
    close(cap.lfd);
    st = mf_storage_open(&c, err, sizeof(err));
    r = mf_storage_get(st, "a.mov", dst, NULL, NULL, err, sizeof(err));
    CHECK(r == MF_STORAGE_ERETRY && !strncmp(err, "GET a.mov: ", 11) &&
          strstr(err, "after 3 attempts"), "%d %s", r, err);
    CHECK(stat(dst, &sb) < 0, "a failed GET leaves no file");
    mf_storage_close(&st);
}

int main(void)
{
    char tmp[] = "/tmp/mf-storage-unit-XXXXXX";
    char cmd[128];

    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    test_config();
    test_resolve();
    test_sigv4_reference();
    test_sigv4_headers(tmp);
    test_bearer_and_errors(tmp);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    if (system(cmd))
        fprintf(stderr, "could not remove %s\n", tmp);
    return UNIT_DONE();
}
