/*
 * Unit tests of ladder planning (src/ladder.c): output sizes from the
 * source's coded size, SAR and rotation; even rounding; skipped renditions.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "media/ladder.h"
#include "unit.h"

/* A job whose renditions have these heights, named "<height>p". */
static void ladder(struct mf_job *job, const int *heights, int n, int upscale)
{
    mf_job_defaults(job);
    job->n_renditions = n;
    for (int i = 0; i < n; i++) {
        snprintf(job->renditions[i].name, MF_NAME_MAX, "%dp", heights[i]);
        job->renditions[i].height = heights[i];
        job->renditions[i].crf = 23;
        job->renditions[i].upscale = upscale;
    }
}

static struct mf_source_geometry source(int w, int h, int sar_num, int sar_den, int rotation)
{
    struct mf_source_geometry g = { w, h, { sar_num, sar_den }, rotation };
    return g;
}

/* Plan and check every rendition is kept, in order, with these widths. */
static void expect_widths(const struct mf_source_geometry *src, const int *heights,
                          const int *widths, int n)
{
    struct mf_job job;
    struct mf_plan plan;
    char err[256];

    ladder(&job, heights, n, 0);
    CHECK_INT_EQ(mf_ladder_plan(&job, src, &plan, err, sizeof(err)), n);
    CHECK_INT_EQ(plan.n, n);
    CHECK_INT_EQ(plan.n_skipped, 0);
    for (int i = 0; i < n && i < plan.n; i++) {
        CHECK_INT_EQ(plan.out[i].job_index, i);
        CHECK_INT_EQ(plan.out[i].height, heights[i] & ~1);
        CHECK_INT_EQ(plan.out[i].width, widths[i]);
        if (plan.out[i].width != widths[i])
            fprintf(stderr, "    source %dx%d sar %d:%d rot %d, height %d\n", src->width,
                    src->height, src->sar.num, src->sar.den, src->rotation, heights[i]);
    }
}

static void test_hd_ladder(void)
{
    struct mf_source_geometry src = source(1920, 1080, 1, 1, 0);
    /* 480 * 16 / 9 = 853.33: the nearest even is 854, not 852 or 853. */
    static const int heights[] = { 1080, 720, 480, 360 };
    static const int widths[] = { 1920, 1280, 854, 640 };

    expect_widths(&src, heights, widths, 4);
    /* An unset or invalid SAR means square pixels. */
    src.sar = (AVRational){ 0, 1 };
    expect_widths(&src, heights, widths, 4);
    src.sar = (AVRational){ 0, 0 };
    expect_widths(&src, heights, widths, 4);
    src.sar = (AVRational){ -4, 3 };
    expect_widths(&src, heights, widths, 4);
    /* 180 degrees keeps the orientation. */
    src = source(1920, 1080, 1, 1, 180);
    expect_widths(&src, heights, widths, 4);
}

static void test_sar(void)
{
    /* QCIF with a 80:33 SAR displays as 426.67x144. */
    struct mf_source_geometry src = source(176, 144, 80, 33, 0);
    static const int heights[] = { 144, 120 };
    static const int widths[] = { 426, 356 };   /* 426.67 -> 426, 355.56 -> 356 */

    expect_widths(&src, heights, widths, 2);

    /* Anamorphic DVD: 720x576 at 64:45 is 1024x576 displayed. */
    src = source(720, 576, 64, 45, 0);
    expect_widths(&src, (const int[]){ 576, 360 }, (const int[]){ 1024, 640 }, 2);
}

static void test_rotation(void)
{
    /* A phone's 3840x2160 shot held upright is 2160x3840 on screen. */
    struct mf_source_geometry src = source(3840, 2160, 1, 1, 90);
    static const int heights[] = { 3840, 1920, 1080, 720, 360 };
    /* 1080 -> 607.5 -> 608; 720 -> 405 exactly, an odd number: ties go up to
     * 406; 360 -> 202.5 -> 202 (101.25 halves rounds to 101). */
    static const int widths[] = { 2160, 1080, 608, 406, 202 };

    expect_widths(&src, heights, widths, 5);
    src.rotation = 270;
    expect_widths(&src, heights, widths, 5);
    src.rotation = -90;
    expect_widths(&src, heights, widths, 5);
    src.rotation = 450;
    expect_widths(&src, heights, widths, 5);
}

static void test_rotation_taller(void)
{
    struct mf_source_geometry src = source(3840, 2160, 1, 1, 90);
    struct mf_job job;
    struct mf_plan plan;
    char err[256];

    /* 2160 lines fit the upright display (3840 lines); 4320 does not. */
    ladder(&job, (const int[]){ 4320, 2160 }, 2, 0);
    CHECK_INT_EQ(mf_ladder_plan(&job, &src, &plan, err, sizeof(err)), 1);
    CHECK_INT_EQ(plan.out[0].job_index, 1);
    CHECK_INT_EQ(plan.out[0].width, 1216);     /* 1215 -> 1216 */
    CHECK_INT_EQ(plan.n_skipped, 1);
    CHECK_STR_EQ(plan.skipped[0].reason, "4320p: taller than the 3840-line source "
                 "(set \"upscale\": true to encode it)");

    /* SAR then rotation: 176x144 at 80:33 upright is 144 x 426.67 lines. */
    src = source(176, 144, 80, 33, 90);
    ladder(&job, (const int[]){ 426, 427, 428 }, 3, 0);
    CHECK_INT_EQ(mf_ladder_plan(&job, &src, &plan, err, sizeof(err)), 1);
    CHECK_INT_EQ(plan.out[0].job_index, 0);
    CHECK_INT_EQ(plan.out[0].height, 426);
    CHECK_INT_EQ(plan.out[0].width, 144);      /* 143.78 */
    CHECK_INT_EQ(plan.n_skipped, 2);
    CHECK_STR_CONTAINS(plan.skipped[0].reason, "427p: taller than the 426-line source");

    src.rotation = 45;
    CHECK_INT_EQ(mf_ladder_plan(&job, &src, &plan, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "rotation 45");
}

static void test_odd_aspect(void)
{
    struct mf_source_geometry src = source(300, 168, 1, 1, 0);
    static const int heights[] = { 168, 144, 120, 17 };
    /* 257.14 -> 258, 214.29 -> 214; an odd height is rounded down: 17 -> 16,
     * 28.57 -> 28 */
    static const int widths[] = { 300, 258, 214, 28 };
    struct mf_job job;
    struct mf_plan plan;
    char err[256];

    expect_widths(&src, heights, widths, 4);

    ladder(&job, (const int[]){ 360 }, 1, 1);
    CHECK_INT_EQ(mf_ladder_plan(&job, &src, &plan, err, sizeof(err)), 1);
    CHECK_INT_EQ(plan.out[0].width, 642);      /* 642.86 -> 642 */
    CHECK_INT_EQ(plan.out[0].height, 360);
}

static void test_upscale(void)
{
    struct mf_source_geometry src = source(640, 360, 1, 1, 0);
    struct mf_job job;
    struct mf_plan plan;
    char err[256];

    ladder(&job, (const int[]){ 720, 360, 1080 }, 3, 0);
    CHECK_INT_EQ(mf_ladder_plan(&job, &src, &plan, err, sizeof(err)), 1);
    CHECK_INT_EQ(plan.n, 1);
    CHECK_INT_EQ(plan.out[0].job_index, 1);
    CHECK_INT_EQ(plan.out[0].width, 640);
    CHECK_INT_EQ(plan.out[0].height, 360);
    CHECK_INT_EQ(plan.n_skipped, 2);
    CHECK_INT_EQ(plan.skipped[0].job_index, 0);
    CHECK_INT_EQ(plan.skipped[1].job_index, 2);
    CHECK_STR_EQ(plan.skipped[0].reason,
                 "720p: taller than the 360-line source (set \"upscale\": true to encode it)");
    CHECK_STR_EQ(err, "");

    /* Upscale on one rendition keeps that one only. */
    job.renditions[0].upscale = 1;
    CHECK_INT_EQ(mf_ladder_plan(&job, &src, &plan, err, sizeof(err)), 2);
    CHECK_INT_EQ(plan.out[0].job_index, 0);
    CHECK_INT_EQ(plan.out[0].width, 1280);
    CHECK_INT_EQ(plan.out[0].height, 720);
    CHECK_INT_EQ(plan.out[1].job_index, 1);
    CHECK_INT_EQ(plan.n_skipped, 1);
    CHECK_INT_EQ(plan.skipped[0].job_index, 2);

    ladder(&job, (const int[]){ 720, 360, 1080 }, 3, 1);
    CHECK_INT_EQ(mf_ladder_plan(&job, &src, &plan, err, sizeof(err)), 3);
    CHECK_INT_EQ(plan.out[2].width, 1920);
    CHECK_INT_EQ(plan.n_skipped, 0);
}

static void test_width_limits(void)
{
    struct mf_source_geometry src = source(10000, 1000, 1, 1, 0);
    struct mf_job job;
    struct mf_plan plan;
    char err[512];

    /* 10000 wide is too wide; the 800-line one (8000) is fine. */
    ladder(&job, (const int[]){ 1000, 800 }, 2, 0);
    CHECK_INT_EQ(mf_ladder_plan(&job, &src, &plan, err, sizeof(err)), 1);
    CHECK_INT_EQ(plan.out[0].job_index, 1);
    CHECK_INT_EQ(plan.out[0].width, 8000);
    CHECK_STR_EQ(plan.skipped[0].reason, "1000p: 10000x1000 is wider than 8192 pixels");

    /* A sliver: 16 lines of a 1x4320 source round to 0, then to 2. */
    src = source(1, 4320, 1, 1, 0);
    ladder(&job, (const int[]){ 16, 4320 }, 2, 0);
    CHECK_INT_EQ(mf_ladder_plan(&job, &src, &plan, err, sizeof(err)), -EINVAL);
    CHECK_INT_EQ(plan.n, 0);
    CHECK_INT_EQ(plan.n_skipped, 2);
    CHECK_STR_EQ(plan.skipped[0].reason, "16p: 2x16 is narrower than 16 pixels");
    CHECK_STR_EQ(err, "no rendition to encode: the source is 1x4320; "
                 "16p: 2x16 is narrower than 16 pixels; 4320p: 2x4320 is narrower than 16 pixels");
}

static void test_nothing_left(void)
{
    struct mf_source_geometry src = source(176, 144, 1, 1, 0);
    struct mf_job job;
    struct mf_plan plan;
    char err[512];

    ladder(&job, (const int[]){ 720, 480 }, 2, 0);
    CHECK_INT_EQ(mf_ladder_plan(&job, &src, &plan, err, sizeof(err)), -EINVAL);
    CHECK_INT_EQ(plan.n, 0);
    CHECK_INT_EQ(plan.n_skipped, 2);
    CHECK_STR_EQ(err, "no rendition to encode: the source is 176x144 and every rendition is "
                 "taller (720p, 480p; set \"upscale\": true to encode them)");

    src.sar = (AVRational){ 80, 33 };
    CHECK_INT_EQ(mf_ladder_plan(&job, &src, &plan, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "the source is 176x144 (displayed as 427x144) and every");

    src = source(0, 144, 1, 1, 0);
    CHECK_INT_EQ(mf_ladder_plan(&job, &src, &plan, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "invalid source size 0x144");

    src = source(176, 144, 1, 1, 0);
    job.n_renditions = 0;
    CHECK_INT_EQ(mf_ladder_plan(&job, &src, &plan, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "no rendition to encode");
}

int main(void)
{
    test_hd_ladder();
    test_sar();
    test_rotation();
    test_rotation_taller();
    test_odd_aspect();
    test_upscale();
    test_width_limits();
    test_nothing_left();
    return UNIT_DONE();
}
