/*
 * Storage integration test against a real nginx (dav PUT) and the fault proxy
 * in front of it; run by tests/storage/servers.py --nginx, which passes:
 *   MF_TEST_NGINX_URL, MF_TEST_NGINX_LOG   nginx's endpoint and access log
 *                                          ("METHOD URI STATUS range=RANGE")
 *   MF_TEST_PROXY_URL, MF_TEST_PROXY_LOG   the proxy ("METHOD URI range=R ACTION")
 *   MF_TEST_DATA_DIR                       nginx's root (objects under media/)
 *   MF_TEST_TMP, MEDIA_DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mpegflow/storage.h"
#include "unit.h"

#define MEDIA "mp4_h264_aac_640x360_17s.mp4"

static const char *nginx_url, *nginx_log, *proxy_url, *proxy_log, *data_dir, *tmp, *media_dir;
static char media[1024];

static const char *env(const char *name)
{
    const char *v = getenv(name);

    if (!v || !*v) {
        fprintf(stderr, "%s is not set: run this through tests/storage/servers.py --nginx\n", name);
        exit(1);
    }
    return v;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    *len = 0;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = 0;
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static int same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *da = slurp(a, &la), *db = slurp(b, &lb);
    int same = da && db && la == lb && !memcmp(da, db, la);

    free(da);
    free(db);
    return same;
}

static int count_lines(const char *path, const char *needle)
{
    size_t len;
    char *buf = slurp(path, &len), *p = buf;
    int n = 0;

    while (p && (p = strstr(p, needle))) {
        n++;
        p += strlen(needle);
    }
    free(buf);
    return n;
}

/* nginx writes its access log after the response: wait for want lines, then
 * make sure no more arrive. */
static int settled_count(const char *path, const char *needle, int want)
{
    double end = now() + 3;

    while (count_lines(path, needle) < want && now() < end)
        usleep(20000);
    usleep(150000);
    return count_lines(path, needle);
}

/* The line of a log that holds needle, the nth one (from 1). */
static int log_line(const char *path, const char *needle, int nth, char *out, size_t out_len)
{
    size_t len;
    char *buf = slurp(path, &len), *p = buf, *e;
    int ret = -1;

    while (p && (p = strstr(p, needle))) {
        if (--nth == 0) {
            while (p > buf && p[-1] != '\n')
                p--;
            e = strchr(p, '\n');
            snprintf(out, out_len, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
            ret = 0;
            break;
        }
        p += strlen(needle);
    }
    free(buf);
    return ret;
}

/* Put a copy of the media file at DATA/media/<key>, owned like the data dir. */
static void seed(const char *key)
{
    char path[1024], cmd[4096];
    struct stat sb;

    snprintf(path, sizeof(path), "%s/media/%s", data_dir, key);
    snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\" && cp '%s' '%s'", path, media, path);
    if (system(cmd)) {
        fprintf(stderr, "seed %s failed\n", key);
        exit(1);
    }
    if (geteuid() == 0 && stat(data_dir, &sb) == 0) {
        snprintf(cmd, sizeof(cmd), "chown -R %u:%u '%s/media'", (unsigned)sb.st_uid,
                 (unsigned)sb.st_gid, data_dir);
        if (system(cmd))
            fprintf(stderr, "chown failed\n");
    }
}

static struct mf_storage *open_storage(const char *url, int64_t max_bytes, int retries,
                                       long low_speed_s)
{
    struct mf_storage_config c = { .url = url, .max_input_bytes = max_bytes, .max_retries = retries,
                                   .retry_base_ms = 50, .low_speed_time_s = low_speed_s,
                                   .connect_timeout_s = 5 };
    char err[512];
    struct mf_storage *st = mf_storage_open(&c, err, sizeof(err));

    if (!st) {
        fprintf(stderr, "mf_storage_open(%s): %s\n", url, err);
        exit(1);
    }
    return st;
}

static void local(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", tmp, name);
}

static void test_get_put(void)
{
    struct mf_storage *st = open_storage(nginx_url, 0, 0, 0);
    char dst[1024], dst2[1024], url[1024], stored[2048], err[512];
    int64_t bytes = 0;
    struct stat sb;
    int r;

    seed("uploads/src.mp4");
    stat(media, &sb);
    local(dst, sizeof(dst), "get.mp4");
    r = mf_storage_get(st, "uploads/src.mp4", dst, &bytes, NULL, err, sizeof(err));
    CHECK(r == 0 && bytes == sb.st_size, "GET: %d %s (%lld bytes)", r, err, (long long)bytes);
    CHECK(same_file(dst, media), "GET bytes differ");

    /* the same object named by an absolute URL under the endpoint */
    snprintf(url, sizeof(url), "%s/uploads/./src.mp4", nginx_url);
    r = mf_storage_get(st, url, dst, &bytes, NULL, err, sizeof(err));
    CHECK(r == 0 && same_file(dst, media), "GET absolute URL: %d %s", r, err);

    /* PUT, then GET it back; the stored object is the file */
    r = mf_storage_put(st, media, "renditions/job1/720p.mp4", "video/mp4", NULL, err, sizeof(err));
    CHECK(r == 0, "PUT: %d %s", r, err);
    snprintf(stored, sizeof(stored), "%s/media/renditions/job1/720p.mp4", data_dir);
    CHECK(same_file(stored, media), "stored object differs");
    local(dst2, sizeof(dst2), "roundtrip.mp4");
    r = mf_storage_get(st, "renditions/job1/720p.mp4", dst2, &bytes, NULL, err, sizeof(err));
    CHECK(r == 0 && same_file(dst2, media), "roundtrip GET: %d %s", r, err);

    /* an empty object, and a key that needs percent-encoding */
    local(dst, sizeof(dst), "empty");
    close(open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600));
    r = mf_storage_put(st, dst, "renditions/job1/a b+c.json", "application/json", NULL, err,
                       sizeof(err));
    CHECK(r == 0, "PUT empty: %d %s", r, err);
    r = mf_storage_get(st, "renditions/job1/a b+c.json", dst2, &bytes, NULL, err, sizeof(err));
    CHECK(r == 0 && bytes == 0, "GET empty: %d %s", r, err);
    snprintf(stored, sizeof(stored), "%s/media/renditions/job1/a b+c.json", data_dir);
    CHECK(stat(stored, &sb) == 0 && sb.st_size == 0, "stored empty object");
    mf_storage_close(&st);
}

static void test_404(void)
{
    struct mf_storage *st = open_storage(nginx_url, 0, 4, 0);
    char dst[1024], err[512];
    struct stat sb;
    int r;

    local(dst, sizeof(dst), "missing");
    r = mf_storage_get(st, "missing/none.mov", dst, NULL, NULL, err, sizeof(err));
    CHECK(r == MF_STORAGE_EPERM && !strcmp(err, "GET missing/none.mov: HTTP 404 Not Found"),
          "%d %s", r, err);
    CHECK(settled_count(nginx_log, "GET /media/missing/none.mov ", 1) == 1, "404 was retried");
    CHECK(stat(dst, &sb) < 0, "a failed GET leaves no file");
    mf_storage_close(&st);
}

static void test_503(void)
{
    struct mf_storage *st = open_storage(proxy_url, 0, 4, 0);
    char dst[1024], err[512], line[512];
    int r;

    /* GET: 503 twice, then the object */
    seed("fault-503x2/in.mp4");
    local(dst, sizeof(dst), "503.mp4");
    r = mf_storage_get(st, "fault-503x2/in.mp4", dst, NULL, NULL, err, sizeof(err));
    CHECK(r == 0 && same_file(dst, media), "GET after 503s: %d %s", r, err);
    CHECK(count_lines(proxy_log, "GET /media/fault-503x2/in.mp4 ") == 3, "3 requests");
    CHECK(log_line(proxy_log, "GET /media/fault-503x2/in.mp4 ", 3, line, sizeof(line)) == 0 &&
          strstr(line, " pass"), "%s", line);

    /* PUT: the same */
    r = mf_storage_put(st, media, "fault-503x2/up/out.mp4", "video/mp4", NULL, err, sizeof(err));
    CHECK(r == 0, "PUT after 503s: %d %s", r, err);
    CHECK(count_lines(proxy_log, "PUT /media/fault-503x2/up/out.mp4 ") == 3, "3 PUTs");
    snprintf(line, sizeof(line), "%s/media/fault-503x2/up/out.mp4", data_dir);
    CHECK(same_file(line, media), "stored object differs");
    mf_storage_close(&st);

    /* always 503: retries run out */
    st = open_storage(proxy_url, 0, 2, 0);
    r = mf_storage_get(st, "fault-503always/x.mov", dst, NULL, NULL, err, sizeof(err));
    CHECK(r == MF_STORAGE_ERETRY &&
          !strcmp(err, "GET fault-503always/x.mov: HTTP 503 Service Unavailable after 3 attempts"),
          "%d %s", r, err);
    CHECK(count_lines(proxy_log, "GET /media/fault-503always/x.mov ") == 3, "3 attempts");
    mf_storage_close(&st);
}

static void check_resumed(const char *key, int status2)
{
    char needle[256], line[512], nline[512];
    long long from = -1;

    snprintf(needle, sizeof(needle), "GET /media/%s ", key);
    CHECK(count_lines(proxy_log, needle) == 2, "%s: two requests", key);
    CHECK(log_line(proxy_log, needle, 1, line, sizeof(line)) == 0 && strstr(line, "range=- "),
          "first: %s", line);
    CHECK(log_line(proxy_log, needle, 2, line, sizeof(line)) == 0 &&
          sscanf(strstr(line, "range=") ? strstr(line, "range=") : "", "range=bytes=%lld-", &from) == 1 &&
          from > 0, "second request without Range: %s", line);
    /* what nginx answered to the second request */
    settled_count(nginx_log, needle, status2 == 206 ? 1 : 2);
    snprintf(needle, sizeof(needle), "GET /media/%s %d ", key, status2);
    CHECK(log_line(nginx_log, needle, 1, nline, sizeof(nline)) == 0, "nginx did not answer %d", status2);
}

static void test_resume(void)
{
    struct mf_storage *st = open_storage(proxy_url, 0, 4, 1);
    char dst[1024], err[512];
    int64_t bytes;
    double t0;
    int r;

    /* cut mid-body: the second request asks for the rest */
    seed("fault-cut/in.mp4");
    local(dst, sizeof(dst), "cut.mp4");
    r = mf_storage_get(st, "fault-cut/in.mp4", dst, &bytes, NULL, err, sizeof(err));
    CHECK(r == 0 && same_file(dst, media), "GET cut: %d %s", r, err);
    check_resumed("fault-cut/in.mp4", 206);

    /* the server ignores Range on the retry (200): start over from 0 */
    seed("fault-cut-norange/in.mp4");
    r = mf_storage_get(st, "fault-cut-norange/in.mp4", dst, &bytes, NULL, err, sizeof(err));
    CHECK(r == 0 && same_file(dst, media), "GET cut, no range: %d %s", r, err);
    check_resumed("fault-cut-norange/in.mp4", 200);

    /* stalled mid-body: the low-speed timeout (1 s here) fires, then resume */
    seed("fault-stall/in.mp4");
    t0 = now();
    r = mf_storage_get(st, "fault-stall/in.mp4", dst, &bytes, NULL, err, sizeof(err));
    CHECK(r == 0 && same_file(dst, media), "GET stall: %d %s", r, err);
    CHECK(now() - t0 < 5, "stall took %.1f s", now() - t0);
    check_resumed("fault-stall/in.mp4", 206);
    mf_storage_close(&st);
}

static void test_limits(void)
{
    struct mf_storage *st;
    char dst[1024], err[512];
    struct stat sb;
    int r;

    seed("uploads/src.mp4");
    seed("fault-chunked/in.mp4");
    stat(media, &sb);
    local(dst, sizeof(dst), "limit.mp4");

    /* exactly the limit is fine */
    st = open_storage(nginx_url, sb.st_size, 0, 0);
    r = mf_storage_get(st, "uploads/src.mp4", dst, NULL, NULL, err, sizeof(err));
    CHECK(r == 0, "at the limit: %d %s", r, err);
    mf_storage_close(&st);

    /* over it: refused from Content-Length, and by counting when there is none */
    st = open_storage(proxy_url, 100000, 0, 0);
    r = mf_storage_get(st, "uploads/src.mp4", dst, NULL, NULL, err, sizeof(err));
    CHECK(r == MF_STORAGE_EPERM && !strcmp(err, "GET uploads/src.mp4: input larger than "
                                                "MPEGFLOW_MAX_INPUT_BYTES (100000 bytes)"), "%d %s", r, err);
    CHECK(stat(dst, &sb) < 0, "a refused GET leaves no file");
    r = mf_storage_get(st, "fault-chunked/in.mp4", dst, NULL, NULL, err, sizeof(err));
    CHECK(r == MF_STORAGE_EPERM && strstr(err, "input larger than MPEGFLOW_MAX_INPUT_BYTES"),
          "chunked: %d %s", r, err);
    CHECK(count_lines(proxy_log, "GET /media/fault-chunked/in.mp4 ") == 1, "not retried");
    CHECK(stat(dst, &sb) < 0, "a refused GET leaves no file");
    mf_storage_close(&st);
}

static void test_refused(void)
{
    struct mf_storage *st = open_storage(proxy_url, 0, 4, 0);
    char dst[1024], err[512], key[1024];
    const char *port = strrchr(nginx_url, ':');
    int before_nginx = count_lines(nginx_log, "\n"), r;
    int before_proxy = count_lines(proxy_log, " range=");
    const char *outside[6];
    char k1[256], k2[256], k3[256], k4[256];

    local(dst, sizeof(dst), "refused");
    r = mf_storage_get(st, "fault-redirect/x.mov", dst, NULL, NULL, err, sizeof(err));
    CHECK(r == MF_STORAGE_EPERM && strstr(err, "GET fault-redirect/x.mov: redirect refused (HTTP 302"),
          "%d %s", r, err);
    CHECK(count_lines(proxy_log, "GET /media/fault-redirect/x.mov ") == 1, "redirect retried");
    mf_storage_close(&st);

    st = open_storage(nginx_url, 0, 4, 0);
    before_proxy = count_lines(proxy_log, " range=");
    snprintf(k1, sizeof(k1), "%s/uploads/src.mp4", proxy_url);       /* other port */
    snprintf(k2, sizeof(k2), "http://127.0.0.1%.*s/other/x", (int)strcspn(port, "/"), port);
    snprintf(k3, sizeof(k3), "%s/%%2e%%2e/nginx.conf", nginx_url);
    snprintf(k4, sizeof(k4), "%s/../nginx.conf", nginx_url);
    outside[0] = "../nginx.conf";
    outside[1] = k1;
    outside[2] = k2;
    outside[3] = k3;
    outside[4] = k4;
    outside[5] = "uploads/..\\..\\x";
    for (int i = 0; i < 6; i++) {
        r = mf_storage_get(st, outside[i], dst, NULL, NULL, err, sizeof(err));
        snprintf(key, sizeof(key), "GET: input outside the assigned storage endpoint: %s (", outside[i]);
        CHECK(r == MF_STORAGE_EPERM && !strncmp(err, key, strlen(key)), "%s: %d %s", outside[i], r, err);
        r = mf_storage_put(st, media, outside[i], NULL, NULL, err, sizeof(err));
        CHECK(r == MF_STORAGE_EPERM && strstr(err, "PUT: output outside the assigned storage endpoint"),
              "%s: %d %s", outside[i], r, err);
    }
    usleep(150000);
    CHECK(count_lines(nginx_log, "\n") == before_nginx,
          "a refused key reached nginx");
    CHECK(count_lines(proxy_log, " range=") == before_proxy, "a refused key reached the proxy");
    mf_storage_close(&st);
}

struct canceller { atomic_int *flag; int ms; };

static void *cancel_later(void *opaque)
{
    struct canceller *c = opaque;

    usleep((useconds_t)c->ms * 1000);
    atomic_store(c->flag, 1);
    return NULL;
}

static void test_cancel(void)
{
    struct mf_storage_config c = { .url = proxy_url, .retry_base_ms = 5000 };
    atomic_int flag = 0;
    struct canceller cc = { &flag, 300 };
    char dst[1024], err[512];
    struct mf_storage *st = mf_storage_open(&c, err, sizeof(err));
    pthread_t th;
    double t0 = now();
    int r;

    local(dst, sizeof(dst), "cancel");
    pthread_create(&th, NULL, cancel_later, &cc);
    r = mf_storage_get(st, "fault-503always/cancel.mov", dst, NULL, &flag, err, sizeof(err));
    pthread_join(th, NULL);
    CHECK(r == MF_STORAGE_ECANCEL && !strcmp(err, "GET fault-503always/cancel.mov: cancelled"),
          "%d %s", r, err);
    CHECK(now() - t0 < 1.5, "cancel during backoff took %.2f s", now() - t0);
    mf_storage_close(&st);
}

int main(void)
{
    nginx_url = env("MF_TEST_NGINX_URL");
    nginx_log = env("MF_TEST_NGINX_LOG");
    proxy_url = env("MF_TEST_PROXY_URL");
    proxy_log = env("MF_TEST_PROXY_LOG");
    data_dir = env("MF_TEST_DATA_DIR");
    tmp = env("MF_TEST_TMP");
    media_dir = env("MEDIA_DIR");
    snprintf(media, sizeof(media), "%s/%s", media_dir, MEDIA);
    if (access(media, R_OK)) {
        fprintf(stderr, "%s: %s\n", media, strerror(errno));
        return 1;
    }
    test_get_put();
    test_404();
    test_503();
    test_resume();
    test_limits();
    test_refused();
    test_cancel();
    return UNIT_DONE();
}
