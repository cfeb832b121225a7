/*
 * The job's "images" field (src/job/job_images.c): off by default, the
 * values read, the defaults of a part turned on with `true`, and every
 * refusal with the field path its message must start with.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mpegflow/job.h"
#include "unit.h"

#define VIDEO "\"video\":{\"renditions\":[{\"name\":\"a\",\"height\":360}]}"

static int parse(struct mf_job *job, const char *images, char *err, size_t len)
{
    char json[1024];
    snprintf(json, sizeof(json), "{" VIDEO "%s%s}", images ? ",\"images\":" : "", images ? images : "");
    return mf_job_parse(job, json, strlen(json), 0, err, len);
}

static void expect_error(const char *images, const char *path, const char *what)
{
    struct mf_job job;
    char err[MF_ERR_MAX], prefix[128];
    snprintf(prefix, sizeof(prefix), "%s: ", path);
    CHECK_INT_EQ(parse(&job, images, err, sizeof(err)), -EINVAL);
    if (!CHECK(!strncmp(err, prefix, strlen(prefix))))
        fprintf(stderr, "    for %s\n    got \"%s\", wanted \"%s...\"\n", images, err, prefix);
    CHECK_STR_CONTAINS(err, what);
}

static void test_off_by_default(void)
{
    struct mf_job job;
    char err[MF_ERR_MAX];
    CHECK_INT_EQ(parse(&job, NULL, err, sizeof(err)), 0);
    CHECK(!job.images.poster && !job.images.thumbnails);
    CHECK_INT_EQ(parse(&job, "{}", err, sizeof(err)), 0);
    CHECK(!job.images.poster && !job.images.thumbnails);
    CHECK_INT_EQ(parse(&job, "{\"poster\":false,\"thumbnails\":false}", err, sizeof(err)), 0);
    CHECK(!job.images.poster && !job.images.thumbnails);
    mf_job_defaults(&job);
    CHECK(!job.images.poster && !job.images.thumbnails);
}

static void test_values(void)
{
    struct mf_job job;
    char err[MF_ERR_MAX];
    CHECK_INT_EQ(parse(&job, "{\"poster\":true,\"thumbnails\":true}", err, sizeof(err)), 0);
    CHECK(job.images.poster && job.images.thumbnails);
    CHECK_INT_EQ(job.images.poster_width, 1280);
    CHECK_DBL_EQ(job.images.interval, 10);
    CHECK_INT_EQ(job.images.width, 160);
    CHECK_INT_EQ(job.images.columns, 5);
    CHECK_INT_EQ(job.images.rows, 5);
    CHECK(job.images.hls);
    CHECK_INT_EQ(parse(&job, "{\"poster\":{\"width\":640},\"thumbnails\":{\"interval\":2.5,\"width\":120,"
                             "\"columns\":8,\"rows\":3,\"hls\":false}}", err, sizeof(err)), 0);
    CHECK(!job.images.hls);
    CHECK(job.images.poster && job.images.thumbnails);
    CHECK_INT_EQ(job.images.poster_width, 640);
    CHECK_DBL_EQ(job.images.interval, 2.5);
    CHECK_INT_EQ(job.images.width, 120);
    CHECK_INT_EQ(job.images.columns, 8);
    CHECK_INT_EQ(job.images.rows, 3);
    /* an object alone turns a part on */
    CHECK_INT_EQ(parse(&job, "{\"thumbnails\":{}}", err, sizeof(err)), 0);
    CHECK(!job.images.poster && job.images.thumbnails);
}

static void test_refusals(void)
{
    expect_error("true", "images", "must be an object");
    expect_error("{\"postr\":true}", "images.postr", "did you mean \"poster\"");
    expect_error("{\"poster\":1}", "images.poster", "must be true, false or an object");
    expect_error("{\"poster\":null}", "images.poster", "must be true, false or an object");
    expect_error("{\"poster\":{\"widht\":640}}", "images.poster.widht", "did you mean \"width\"");
    expect_error("{\"poster\":{\"width\":641}}", "images.poster.width", "even number between 16 and 3840");
    expect_error("{\"poster\":{\"width\":8}}", "images.poster.width", "between 16 and 3840");
    expect_error("{\"poster\":{\"width\":\"640\"}}", "images.poster.width", "must be");
    expect_error("{\"thumbnails\":\"10\"}", "images.thumbnails", "must be true, false or an object");
    expect_error("{\"thumbnails\":{\"intervall\":5}}", "images.thumbnails.intervall", "did you mean \"interval\"");
    expect_error("{\"thumbnails\":{\"interval\":0}}", "images.thumbnails.interval", "between 0.5 and 3600");
    expect_error("{\"thumbnails\":{\"interval\":4000}}", "images.thumbnails.interval", "between 0.5 and 3600");
    expect_error("{\"thumbnails\":{\"width\":161}}", "images.thumbnails.width", "even number between 16 and 1280");
    expect_error("{\"thumbnails\":{\"width\":99999999999}}", "images.thumbnails.width", "between 16 and 1280");
    expect_error("{\"thumbnails\":{\"columns\":0}}", "images.thumbnails.columns", "between 1 and 20");
    expect_error("{\"thumbnails\":{\"rows\":21}}", "images.thumbnails.rows", "between 1 and 20");
    expect_error("{\"thumbnails\":{\"columns\":1.5}}", "images.thumbnails.columns", "must be");
    expect_error("{\"thumbnails\":{\"hls\":1}}", "images.thumbnails.hls", "must be");
    expect_error("{\"thumbnails\":{\"columns\":20,\"width\":1280}}", "images.thumbnails.columns", "wider than 8192");
}

static void test_validate(void)
{
    struct mf_job job;
    char err[MF_ERR_MAX];
    CHECK_INT_EQ(parse(&job, NULL, err, sizeof(err)), 0);
    job.images.thumbnails = 1;
    job.images.interval = 0.1;     /* what a hand-built job (encode --thumbnails 0.1) holds */
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "images.thumbnails.interval: must be between 0.5 and 3600");
    job.images.interval = 1;
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), 0);
    job.images.poster = 1;
    job.images.poster_width = 0;
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "images.poster.width");
}

int main(void)
{
    test_off_by_default();
    test_values();
    test_refusals();
    test_validate();
    return UNIT_DONE();
}
