/*
 * Our storage client against a server that verifies SigV4 signatures
 * (tests/storage/s3_verify_server.py, recomputing them with botocore; run by
 * servers.py --sigv4 through tests/storage/test_sigv4.py, which passes
 * MF_TEST_SIGV4_URL/_KEY/_SECRET/_REGION/_DATA and MF_TEST_TMP, and afterwards
 * checks the server's log: every request verified or refused as expected).
 *
 * PUT and GET of keys whose canonical URI needs encoding (spaces, UTF-8, '+',
 * '=', '&', '~', reserved characters, nested paths), an empty object and one
 * big enough for "Expect: 100-continue"; the stored bytes are read from the
 * server's disk, so a key stored under another name fails. A GET cut halfway
 * resumes with a signed ranged GET. A wrong secret, region or key must be
 * refused by the server, with S3's code in our message, and not retried.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mpegflow/storage.h"
#include "unit.h"

static const char *tmp_dir, *data_dir;

static const char *env(const char *name)
{
    const char *v = getenv(name);

    if (!v || !*v) {
        fprintf(stderr, "%s is not set: run this through tests/storage/servers.py --sigv4\n", name);
        exit(1);
    }
    return v;
}

/* A local file of size bytes whose content depends on seed. */
static void make_file(const char *path, size_t size, unsigned seed)
{
    FILE *f = fopen(path, "wb");

    if (!f) {
        perror(path);
        exit(1);
    }
    for (size_t i = 0; i < size; i++)
        fputc((int)((i * 131 + seed * 7 + (i >> 9)) & 0xff), f);
    if (fclose(f)) {
        perror(path);
        exit(1);
    }
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

static int exists(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0;
}

/* PUT a fresh file as key, find it byte-exact under that key on the server's
 * disk, GET it back. */
static void round_trip(struct mf_storage *st, const char *key, size_t size, unsigned seed)
{
    char src[1024], dst[1024], stored[2048], err[512];
    int64_t bytes = -1;
    int r;

    snprintf(src, sizeof(src), "%s/up-%u.bin", tmp_dir, seed);
    snprintf(dst, sizeof(dst), "%s/down-%u.bin", tmp_dir, seed);
    snprintf(stored, sizeof(stored), "%s/%s", data_dir, key);
    make_file(src, size, seed);
    r = mf_storage_put(st, src, key, "application/octet-stream", NULL, err, sizeof(err));
    CHECK(r == 0, "PUT %s: %d %s", key, r, err);
    CHECK(same_file(src, stored), "PUT %s: not stored byte-exact under that key (%s)", key, stored);
    r = mf_storage_get(st, key, dst, &bytes, NULL, err, sizeof(err));
    CHECK(r == 0 && bytes == (int64_t)size && same_file(dst, src), "GET %s: %d %s (%lld bytes)", key,
          r, err, (long long)bytes);
}

/* One GET and one PUT with cfg must be refused with "HTTP <status> (<code>)". */
static void refused(const struct mf_storage_config *cfg, const char *status, const char *code)
{
    char src[1024], dst[1024], want[256], stored[2048], err[512];
    struct mf_storage *st = mf_storage_open(cfg, err, sizeof(err));
    int r;

    CHECK(st, "%s", err);
    if (!st)
        return;
    snprintf(want, sizeof(want), "HTTP %s (%s)", status, code);
    snprintf(dst, sizeof(dst), "%s/refused.bin", tmp_dir);
    r = mf_storage_get(st, "sigv4/plain.bin", dst, NULL, NULL, err, sizeof(err));
    CHECK(r == MF_STORAGE_EPERM && strstr(err, "GET sigv4/plain.bin: ") && strstr(err, want),
          "%s: GET gave %d %s", code, r, err);
    CHECK(!exists(dst), "%s: GET left %s", code, dst);

    /* small (sent at once) and big (refused before "100 Continue") */
    for (size_t i = 0; i < 2; i++) {
        size_t size = i ? 3u << 20 : 1000;
        char key[128];
        snprintf(key, sizeof(key), "sigv4/refused/%s-%zu.bin", code, size);
        snprintf(src, sizeof(src), "%s/refused-up.bin", tmp_dir);
        snprintf(stored, sizeof(stored), "%s/%s", data_dir, key);
        make_file(src, size, 99);
        r = mf_storage_put(st, src, key, "video/mp4", NULL, err, sizeof(err));
        CHECK(r == MF_STORAGE_EPERM && strstr(err, "PUT sigv4/refused/") && strstr(err, want),
              "%s: PUT of %zu bytes gave %d %s", code, size, r, err);
        CHECK(!exists(stored), "%s: the refused PUT was stored", code);
    }
    mf_storage_close(&st);
}

int main(void)
{
    struct mf_storage_config c = {
        .url = env("MF_TEST_SIGV4_URL"), .auth = MF_AUTH_SIGV4, .access_key = env("MF_TEST_SIGV4_KEY"),
        .secret_key = env("MF_TEST_SIGV4_SECRET"), .region = env("MF_TEST_SIGV4_REGION"),
        .retry_base_ms = 20,
    };
    static const char *const keys[] = {
        "sigv4/plain.bin",
        "sigv4/with space/a  b.mp4",
        "sigv4/unicode/\xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.bin",   /* été 日本語 */
        "sigv4/plus+equals=amp&tilde~.bin",
        "sigv4/reserved/!$'()*,;:@%[]?#.bin",
        "sigv4/deep/a/b/c/d/e/f.bin",
        "sigv4/dots/.hidden/x..y/v1.2.bin",
    };
    char dst[1024], err[512], wrong_secret[256];
    struct mf_storage *st;
    int64_t bytes = -1;
    unsigned seed = 1;
    int r;

    tmp_dir = env("MF_TEST_TMP");
    data_dir = env("MF_TEST_SIGV4_DATA");
    st = mf_storage_open(&c, err, sizeof(err));
    CHECK(st, "%s", err);
    if (!st)
        return 1;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        round_trip(st, keys[i], 1000 + 4099 * i, seed++);
    round_trip(st, "sigv4/empty.bin", 0, seed++);
    round_trip(st, "sigv4/big/3 MiB+.bin", 3u << 20, seed++);     /* Expect: 100-continue */
    /* the server cuts the first GET of a fault-cut key halfway: the rest comes by Range */
    round_trip(st, "sigv4/fault-cut/resume me=1.bin", 300000, seed++);

    snprintf(dst, sizeof(dst), "%s/missing.bin", tmp_dir);
    r = mf_storage_get(st, "sigv4/no such key", dst, &bytes, NULL, err, sizeof(err));
    CHECK(r == MF_STORAGE_EPERM &&
          !strcmp(err, "GET sigv4/no such key: HTTP 404 Not Found (NoSuchKey)"), "%d %s", r, err);
    mf_storage_close(&st);

    /* the same secret but its last byte changed */
    snprintf(wrong_secret, sizeof(wrong_secret), "%s", c.secret_key);
    wrong_secret[strlen(wrong_secret) - 1] ^= 1;
    c.secret_key = wrong_secret;
    refused(&c, "403 Forbidden", "SignatureDoesNotMatch");
    c.secret_key = env("MF_TEST_SIGV4_SECRET");
    c.region = "eu-west-1";
    refused(&c, "400 Bad Request", "AuthorizationHeaderMalformed");
    c.region = env("MF_TEST_SIGV4_REGION");
    c.access_key = "AKIDNOTAKEY";
    refused(&c, "403 Forbidden", "InvalidAccessKeyId");

    return UNIT_DONE();
}
