#include "poster.h"

#include <math.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include "common/util.h"

#define GRID_W 64
#define GRID_H 36
#define BINS 64
#define POSTER_QSCALE 3

/* Near black (limited range 16 reads 0 here), near white, or flat: not a poster. */
#define MEAN_MIN 24.0
#define MEAN_MAX 232.0
#define STDDEV_MIN 8.0

static void stats_of(const uint8_t *v, int n, struct mf_luma_stats *st)
{
    unsigned hist[BINS] = { 0 };
    double sum = 0, sq = 0;
    for (int i = 0; i < n; i++) {
        sum += v[i];
        sq += (double)v[i] * v[i];
        hist[v[i] * BINS / 256]++;
    }
    st->mean = sum / n;
    st->stddev = sqrt(fmax(0, sq / n - st->mean * st->mean));
    st->entropy = 0;
    for (int b = 0; b < BINS; b++)
        if (hist[b])
            st->entropy -= (double)hist[b] / n * log2((double)hist[b] / n);
}

/* RGB and paletted pictures: through the scaler, measured on its Y plane. */
static int measure_scaled(const AVFrame *f, struct mf_luma_stats *st)
{
    struct mf_image_scaler s = { 0 };
    AVFrame *small = mf_image_alloc(GRID_W, GRID_H);
    uint8_t v[GRID_W * GRID_H];
    int ret = small ? mf_image_scale(&s, f, 0, small) : AVERROR(ENOMEM);
    for (int y = 0; ret >= 0 && y < GRID_H; y++)
        memcpy(v + y * GRID_W, small->data[0] + (ptrdiff_t)y * small->linesize[0], GRID_W);
    if (ret >= 0)
        stats_of(v, GRID_W * GRID_H, st);
    mf_image_scaler_free(&s);
    av_frame_free(&small);
    return ret;
}

int mf_luma_measure(const AVFrame *f, struct mf_luma_stats *st)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    if (!d || f->width < 1 || f->height < 1)
        return AVERROR(EINVAL);
    if (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM))
        return measure_scaled(f, st);
    /* Y is component 0 of every YUV and gray layout (planar, NV12, P010 ...);
     * av_read_image_line2 undoes the packing, bit depth and shift. */
    uint16_t row[8192 + 1];
    uint8_t v[GRID_W * GRID_H];
    int depth = d->comp[0].depth, full = mf_image_full_range(f), n = 0;
    int w = f->width < 8192 ? f->width : 8192;
    for (int gy = 0; gy < GRID_H; gy++) {
        int y = (int)((gy + 0.5) * f->height / GRID_H);
        av_read_image_line2(row, (const uint8_t **)f->data, f->linesize, d, 0, y, 0, w, 0, 2);
        for (int gx = 0; gx < GRID_W; gx++) {
            int x = (int)((gx + 0.5) * w / GRID_W);
            double s = depth > 8 ? row[x] / (double)(1 << (depth - 8)) : row[x] * (double)(1 << (8 - depth));
            if (!full)
                s = (s - 16) * 255.0 / 219.0;
            v[n++] = (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : lrint(s));
        }
    }
    stats_of(v, n, st);
    return 0;
}

double mf_luma_score(const struct mf_luma_stats *st)
{
    return st->entropy * st->stddev;
}

int mf_luma_usable(const struct mf_luma_stats *st)
{
    return st->mean >= MEAN_MIN && st->mean <= MEAN_MAX && st->stddev >= STDDEV_MIN;
}

void mf_poster_init(struct mf_poster *p, int width, int height, double duration)
{
    *p = (struct mf_poster){ .width = width, .height = height, .best_score = -1 };
    p->window = duration > 0 ? fmin(30, duration / 2) : 30;
    p->step = fmin(2, fmax(0.25, p->window / 20));
}

int mf_poster_wants(const struct mf_poster *p, double t)
{
    return !p->done && t >= p->next - 1e-9 && (t < p->window || !p->candidates);
}

int mf_poster_due(const struct mf_poster *p, double t)
{
    return !p->done && p->candidates && t >= p->window;
}

int mf_poster_candidate(struct mf_poster *p, AVFrame *f, double t)
{
    struct mf_luma_stats st;
    int ret = mf_luma_measure(f, &st);
    if (ret < 0)
        return ret;
    p->candidates++;
    p->next = (floor(t / p->step + 1e-9) + 1) * p->step;
    int ok = mf_luma_usable(&st);
    double score = mf_luma_score(&st);
    /* A usable frame beats any unusable one; then the highest score, the earliest on a tie. */
    if ((ok && !p->best_ok) || (ok == p->best_ok && score > p->best_score)) {
        av_frame_free(&p->best);
        if (!(p->best = av_frame_clone(f)))
            return AVERROR(ENOMEM);
        p->best_t = t;
        p->best_score = score;
        p->best_entropy = st.entropy;
        p->best_stddev = st.stddev;
        p->best_ok = ok;
    }
    return 0;
}

int mf_poster_write(struct mf_poster *p, int rotation, const char *path, struct mf_images_report *rep,
                    char *err, size_t err_len)
{
    p->done = 1;
    if (!p->best)
        return 0;
    AVFrame *pic = mf_image_alloc(p->width, p->height);
    int ret = pic ? mf_image_scale(&p->scaler, p->best, rotation, pic) : AVERROR(ENOMEM);
    if (ret < 0)
        mf_errf(err, err_len, "%s: cannot scale the poster frame: %s", path, av_err2str(ret));
    if (ret >= 0)
        ret = mf_image_write_jpeg(pic, p->width, p->height, POSTER_QSCALE, path, &rep->poster_bytes, err, err_len);
    if (ret >= 0) {
        rep->poster = 1;
        rep->poster_width = p->width;
        rep->poster_height = p->height;
        rep->poster_time = p->best_t;
        rep->poster_entropy = p->best_entropy;
        rep->poster_stddev = p->best_stddev;
        rep->poster_candidates = p->candidates;
        rep->poster_fallback = !p->best_ok;
    }
    av_frame_free(&pic);
    av_frame_free(&p->best);
    mf_image_scaler_free(&p->scaler);
    return ret;
}

void mf_poster_free(struct mf_poster *p)
{
    av_frame_free(&p->best);
    mf_image_scaler_free(&p->scaler);
}
