/*
 * Ladder planning (see ladder.h).
 *
 * Geometry, all in exact integer arithmetic:
 *   display width  = coded width * sar.num / sar.den (square when the SAR is
 *                    not a positive fraction), display height = coded height;
 *   rotation 90/270 swaps the two.
 *   output height  = the rendition's height, rounded down to even (4:2:0
 *                    needs even sizes; down, so it never exceeds the request);
 *   output width   = x = output height * display width / display height,
 *                    rounded to the nearest even number, ties up:
 *                    2 * floor(x / 2 + 1/2), at least 2. So 853.33 -> 854,
 *                    405 -> 406, 640 -> 640.
 * A rendition is skipped when its height is above the display height (unless
 * upscale), or when its width falls outside 16..8192.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/mathematics.h>

#include "ladder.h"

#define MIN_WIDTH 16
#define MAX_WIDTH 8192

/* The displayed picture as rationals over one denominator (the SAR's). */
struct display {
    int64_t w_num, h_num, den;
};

static int display_of(const struct mf_source_geometry *src, struct display *d,
                      char *err, size_t err_len)
{
    int64_t sar_num = 1, sar_den = 1;
    int rotation = ((src->rotation % 360) + 360) % 360;

    if (src->width <= 0 || src->height <= 0) {
        snprintf(err, err_len, "invalid source size %dx%d", src->width, src->height);
        return -EINVAL;
    }
    if (rotation % 90) {
        snprintf(err, err_len, "source rotation %d is not a multiple of 90 degrees",
                 src->rotation);
        return -EINVAL;
    }
    if (src->sar.num > 0 && src->sar.den > 0) {
        sar_num = src->sar.num;
        sar_den = src->sar.den;
    }
    d->w_num = src->width * sar_num;
    d->h_num = src->height * sar_den;
    d->den = sar_den;
    if (rotation == 90 || rotation == 270) {
        int64_t t = d->w_num;
        d->w_num = d->h_num;
        d->h_num = t;
    }
    return 0;
}

/* Nearest even width for height at the display's aspect ratio, ties up. */
static int even_width(const struct display *d, int height)
{
    int num, den;
    int64_t half;

    /* Reduced to ints first so that 2 * den cannot overflow; exact for any
     * real SAR, the nearest fraction otherwise. */
    av_reduce(&num, &den, d->w_num, d->h_num, INT_MAX);
    half = av_rescale_rnd(height, num, 2 * (int64_t)den, AV_ROUND_NEAR_INF);
    if (half > INT_MAX / 2)
        return INT_MAX;
    return half < 1 ? 2 : (int)(2 * half);
}

/* Display size rounded to whole pixels, for messages. */
static void display_pixels(const struct display *d, int *w, int *h)
{
    *w = (int)av_rescale_rnd(d->w_num, 1, d->den, AV_ROUND_NEAR_INF);
    *h = (int)av_rescale_rnd(d->h_num, 1, d->den, AV_ROUND_NEAR_INF);
}

/* Fills reason and returns 1 when the rendition cannot be encoded. */
static int skip_reason(const struct mf_rendition *rd, const struct display *d,
                       int width, int height, char *reason, size_t len)
{
    /* height > display height, compared exactly: height * den > h_num.
     * The message gives the whole lines, the tallest height that fits. */
    if (!rd->upscale && (int64_t)rd->height * d->den > d->h_num) {
        snprintf(reason, len, "%s: taller than the %d-line source "
                 "(set \"upscale\": true to encode it)", rd->name, (int)(d->h_num / d->den));
        return 1;
    }
    if (width > MAX_WIDTH) {
        snprintf(reason, len, "%s: %dx%d is wider than %d pixels", rd->name, width, height,
                 MAX_WIDTH);
        return 1;
    }
    if (width < MIN_WIDTH) {
        snprintf(reason, len, "%s: %dx%d is narrower than %d pixels", rd->name, width, height,
                 MIN_WIDTH);
        return 1;
    }
    return 0;
}

/* "the source is 176x144" plus the displayed size when SAR or rotation differ. */
static void describe_source(const struct mf_source_geometry *src, const struct display *d,
                            char *out, size_t len)
{
    int disp_w, disp_h;

    display_pixels(d, &disp_w, &disp_h);
    if (disp_w == src->width && disp_h == src->height)
        snprintf(out, len, "the source is %dx%d", src->width, src->height);
    else
        snprintf(out, len, "the source is %dx%d (displayed as %dx%d)", src->width, src->height,
                 disp_w, disp_h);
}

static void nothing_left(const struct mf_job *job, const struct mf_source_geometry *src,
                         const struct display *d, const struct mf_plan *plan,
                         char *err, size_t err_len)
{
    char source[96], list[MF_MAX_RENDITIONS * (MF_NAME_MAX + 136)];
    size_t used = 0;
    int all_taller = 1;

    describe_source(src, d, source, sizeof(source));
    for (int i = 0; i < plan->n_skipped; i++)
        if (!strstr(plan->skipped[i].reason, ": taller than"))
            all_taller = 0;
    list[0] = '\0';
    for (int i = 0; i < plan->n_skipped && used < sizeof(list); i++) {
        const char *item = all_taller ? job->renditions[plan->skipped[i].job_index].name
                                      : plan->skipped[i].reason;
        used += snprintf(list + used, sizeof(list) - used, "%s%s", i ? (all_taller ? ", " : "; ")
                         : "", item);
    }
    if (all_taller)
        snprintf(err, err_len, "no rendition to encode: %s and every rendition is taller "
                 "(%s; set \"upscale\": true to encode them)", source, list);
    else
        snprintf(err, err_len, "no rendition to encode: %s; %s", source, list);
}

int mf_ladder_plan(const struct mf_job *job, const struct mf_source_geometry *src,
                   struct mf_plan *plan, char *err, size_t err_len)
{
    struct display d;
    int ret;

    memset(plan, 0, sizeof(*plan));
    if (err && err_len)
        err[0] = '\0';
    if ((ret = display_of(src, &d, err, err_len)) < 0)
        return ret;
    if (job->n_renditions < 1 || job->n_renditions > MF_MAX_RENDITIONS) {
        snprintf(err, err_len, "no rendition to encode: the job lists %d", job->n_renditions);
        return -EINVAL;
    }
    for (int i = 0; i < job->n_renditions; i++) {
        const struct mf_rendition *rd = &job->renditions[i];
        int height = rd->height & ~1;
        int width = even_width(&d, height);

        if (skip_reason(rd, &d, width, height, plan->skipped[plan->n_skipped].reason,
                        sizeof(plan->skipped[0].reason))) {
            plan->skipped[plan->n_skipped++].job_index = i;
            continue;
        }
        plan->out[plan->n].job_index = i;
        plan->out[plan->n].width = width;
        plan->out[plan->n].height = height;
        plan->n++;
    }
    if (!plan->n) {
        nothing_left(job, src, &d, plan, err, err_len);
        return -EINVAL;
    }
    return plan->n;
}
