/*
 * SigV4 against s3rver (run by tests/storage/servers.py --s3rver, which passes
 * MF_TEST_S3_URL, MF_TEST_S3_KEY, MF_TEST_S3_SECRET, MF_TEST_TMP, MEDIA_DIR).
 * s3rver parses the SigV4 Authorization header and requires x-amz-content-sha256
 * and a known access key id, but does not verify V4 signature values: that is
 * done by storage-sigv4 (test_storage_sigv4.c against tests/storage/
 * s3_verify_server.py, which recomputes them with botocore). An unknown key must be
 * refused with 403 (InvalidAccessKeyId), named in the message, and not retried.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mpegflow/storage.h"
#include "unit.h"

#define MEDIA "mp4_h264_aac_640x360_17s.mp4"

static const char *env(const char *name)
{
    const char *v = getenv(name);

    if (!v || !*v) {
        fprintf(stderr, "%s is not set: run this through tests/storage/servers.py --s3rver\n", name);
        exit(1);
    }
    return v;
}

static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int ca = 0, cb = 0, same = fa && fb;

    while (same && ca != EOF) {
        ca = fgetc(fa);
        cb = fgetc(fb);
        same = ca == cb;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

int main(void)
{
    struct mf_storage_config c = {
        .url = env("MF_TEST_S3_URL"), .auth = MF_AUTH_SIGV4, .access_key = env("MF_TEST_S3_KEY"),
        .secret_key = env("MF_TEST_S3_SECRET"), .region = "us-east-1", .retry_base_ms = 50,
    };
    char media[1024], dst[1024], err[512];
    struct mf_storage *st;
    int64_t bytes = 0;
    struct stat sb;
    int r;

    snprintf(media, sizeof(media), "%s/%s", env("MEDIA_DIR"), MEDIA);
    snprintf(dst, sizeof(dst), "%s/s3-get.mp4", env("MF_TEST_TMP"));
    if (stat(media, &sb)) {
        perror(media);
        return 1;
    }
    st = mf_storage_open(&c, err, sizeof(err));
    CHECK(st, "%s", err);
    if (!st)
        return 1;
    r = mf_storage_put(st, media, "renditions/job 1/720p.mp4", "video/mp4", NULL, err, sizeof(err));
    CHECK(r == 0, "PUT: %d %s", r, err);
    r = mf_storage_get(st, "renditions/job 1/720p.mp4", dst, &bytes, NULL, err, sizeof(err));
    CHECK(r == 0 && bytes == sb.st_size && same_file(dst, media), "GET: %d %s", r, err);
    r = mf_storage_get(st, "renditions/none.mp4", dst, &bytes, NULL, err, sizeof(err));
    CHECK(r == MF_STORAGE_EPERM && strstr(err, "GET renditions/none.mp4: HTTP 404 Not Found"),
          "%d %s", r, err);
    mf_storage_close(&st);

    c.access_key = "NOT-A-KEY";
    st = mf_storage_open(&c, err, sizeof(err));
    r = mf_storage_get(st, "renditions/job 1/720p.mp4", dst, &bytes, NULL, err, sizeof(err));
    CHECK(r == MF_STORAGE_EPERM && strstr(err, "HTTP 403 Forbidden (InvalidAccessKeyId)"),
          "unknown key: %d %s", r, err);
    mf_storage_close(&st);

    return UNIT_DONE();
}
