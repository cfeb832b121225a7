/*
 * The bench chart, hand-written SVG (README "Benchmark"), so that `bench
 * --chart` needs nothing beyond the binary. On top, per file, wall and CPU
 * time per second of video: every run a hollow marker, its min-max a whisker,
 * its median a tall tick; mpegflow and ffmpeg on rows of their own, so that
 * equal figures stay visible. Below, PSNR against bitrate per rendition:
 * mpegflow a filled circle, ffmpeg a hollow square around it where they meet.
 * Elements carry a class ("run mpegflow", "tick", ...) that the tests read.
 */
#include "bench.h"
#include "bench_svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 960
#define M 20                       /* outer margin */
#define NAME_R 208                 /* right edge of the file names */
#define GROUP_VS 40                /* height of a file's rows with ffmpeg */
#define GROUP_1 28                 /* and without */
#define GAP 48                     /* between the wall and the CPU plot */
/* A white outline under a label keeps it legible where it crosses a line. */
#define HALO "stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\""

static const char *const colour[MF_BENCH_SIDES] = { "#1f77b4", "#d95f02" };
static const char *const series[MF_BENCH_SIDES] = { "mpegflow", "ffmpeg" };
static const enum mf_svg_shape shape[MF_BENCH_SIDES] = { MF_SVG_CIRCLE, MF_SVG_SQUARE };

enum metric { WALL, CPU, METRICS };
static const char *const metric_key[METRICS] = { "wall", "cpu" };
static const char *const metric_title[METRICS] = { "Wall time", "CPU time" };
static const char *const metric_axis[METRICS] = { "wall s per second of video (lower is better)",
                                                  "CPU s per second of video (lower is better)" };

static int n_sides(const struct mf_bench_settings *st)
{
    return st->vs_ffmpeg ? 2 : 1;
}

static double per_second(const struct mf_bench_file *fl, double t)
{
    return fl->duration > 0 ? t / fl->duration : t;
}

static double sample_value(const struct mf_bench_sample *s, enum metric m)
{
    return m == WALL ? s->wall : s->cpu;
}

static const struct mf_bench_stat *side_stat(const struct mf_bench_side *d, enum metric m)
{
    return m == WALL ? &d->wall : &d->cpu;
}

/* "ffmpeg version 5.1.9-0+deb12u1 Copyright (c) ..." without the copyright. */
static void ffmpeg_label(const struct mf_bench_settings *st, char *buf, size_t len)
{
    char v[sizeof(st->ffmpeg_version)];
    snprintf(v, sizeof(v), "%s", st->ffmpeg_version[0] ? st->ffmpeg_version : "version unknown");
    char *c = strstr(v, " Copyright");
    if (c)
        *c = '\0';
    snprintf(buf, len, "ffmpeg CLI: %s", v);
}

static int header(FILE *f, const struct mf_bench_settings *st)
{
    char buf[320];
    int n = snprintf(buf, sizeof(buf), "mpegflow bench: ladder %s, preset %s, ", st->ladder, st->preset);
    if (st->bitrate)
        n += snprintf(buf + n, sizeof(buf) - (size_t)n, "bitrate %s", st->bitrate);
    else
        n += snprintf(buf + n, sizeof(buf) - (size_t)n, "CRF %g", st->crf);
    snprintf(buf + n, sizeof(buf) - (size_t)n, ", GOP %g s, %d run%s%s", st->gop, st->runs,
             st->runs == 1 ? "" : "s", st->vs_ffmpeg ? " per side" : "");
    mf_svg_text(f, M, 28, "start", 16, W - 2 * M, 0, "class=\"title\"", buf);

    /* Legend: one marker shape per series, as in the quality panel. */
    int x = M + 6;
    mf_svg_marker(f, shape[0], x, 48, 4, colour[0], 0, "class=\"key\"");
    mf_svg_text(f, x + 10, 52, "start", 12, 160, 0, "class=\"legend\"", "mpegflow (this build)");
    if (st->vs_ffmpeg) {
        x += 190;
        mf_svg_marker(f, shape[1], x, 48, 5, colour[1], 1, "class=\"key\"");
        ffmpeg_label(st, buf, sizeof(buf));
        mf_svg_text(f, x + 10, 52, "start", 12, W - M - x - 10, 0, "class=\"legend\"", buf);
    }
    /* How to read a row of the time panel. */
    x = M + 6;
    mf_svg_marker(f, shape[0], x, 68, 3.5, "#555", 1, "class=\"key\"");
    mf_svg_text(f, x + 9, 72, "start", 11, 80, 0, "class=\"legend\"", "one run");
    x += 80;
    fprintf(f, "<path class=\"key\" d=\"M%d 64V72M%d 68H%dM%d 64V72\" stroke=\"#555\" fill=\"none\"/>\n", x, x, x + 20,
            x + 20);
    mf_svg_text(f, x + 26, 72, "start", 11, 80, 0, "class=\"legend\"", "min-max");
    x += 96;
    fprintf(f, "<line class=\"key\" x1=\"%d\" y1=\"61\" x2=\"%d\" y2=\"75\" stroke=\"#555\" "
               "stroke-width=\"2.5\"/>\n", x, x);
    mf_svg_text(f, x + 7, 72, "start", 11, 300, 0, "class=\"legend\"", "median (its value beside it)");
    return 84;
}

/* One side's runs of one metric on a row at y. */
static void run_row(FILE *f, const struct mf_bench_file *fl, int s, enum metric m,
                    const struct mf_svg_axis *ax, double p0, double p1, double y)
{
    const struct mf_bench_side *d = &fl->side[s];
    const struct mf_bench_stat *st = side_stat(d, m);
    char cls[96], buf[64];
    double lo = mf_svg_axis_map(ax, per_second(fl, st->min), p0, p1);
    double hi = mf_svg_axis_map(ax, per_second(fl, st->max), p0, p1);
    double med = mf_svg_axis_map(ax, per_second(fl, st->median), p0, p1);
    fprintf(f, "<path class=\"whisker %s\" data-axis=\"%s\" d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fV%.1f\" "
               "stroke=\"%s\" fill=\"none\"/>\n",
            series[s], metric_key[m], lo, y - 4, y + 4, lo, y, hi, hi, y - 4, y + 4, colour[s]);
    fprintf(f, "<line class=\"median %s\" data-axis=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
               "stroke=\"%s\" stroke-width=\"2.5\"/>\n", series[s], metric_key[m], med, y - 7, med, y + 7, colour[s]);
    snprintf(cls, sizeof(cls), "class=\"run %s\" data-axis=\"%s\"", series[s], metric_key[m]);
    for (int k = 0; k < d->n_samples; k++)
        mf_svg_marker(f, shape[s], mf_svg_axis_map(ax, per_second(fl, sample_value(&d->samples[k], m)), p0, p1), y,
                      3.5, colour[s], 1, cls);
    snprintf(buf, sizeof(buf), "%.*f", ax->decimals + 1, per_second(fl, st->median));
    if (hi + 8 + mf_svg_text_width(buf, 10) <= p1)
        mf_svg_text(f, hi + 8, y + 3.5, "start", 10, p1 - hi, 0, "class=\"value\" fill=\"#333\"", buf);
    else
        mf_svg_text(f, lo - 8, y + 3.5, "end", 10, lo - p0, 0, "class=\"value\" fill=\"#333\"", buf);
}

static int time_panel(FILE *f, const struct mf_bench_settings *st, const struct mf_bench_file *files, int n,
                      int y0)
{
    const int sides = n_sides(st), gh = sides == 2 ? GROUP_VS : GROUP_1;
    const double plot_w = (W - M - NAME_R - 12 - GAP) / 2.0;
    const int top = y0 + 30, h = n * gh;
    char buf[MF_ERR_MAX + 64], attr[96];
    for (int m = 0; m < METRICS; m++) {
        double vmax = 0;
        for (int i = 0; i < n; i++)
            for (int s = 0; s < sides && files[i].ok; s++)
                if (files[i].side[s].ok)
                    vmax = fmax(vmax, per_second(&files[i], side_stat(&files[i].side[s], m)->max));
        /* 4% headroom: a run at the maximum stays off the frame. */
        struct mf_svg_axis ax = mf_svg_axis_make(0, vmax * 1.04, 5, 1);
        double p0 = NAME_R + 12 + m * (plot_w + GAP), p1 = p0 + plot_w;
        mf_svg_text(f, (p0 + p1) / 2, y0 + 20, "middle", 13, plot_w, 0, "font-weight=\"bold\"", metric_title[m]);
        fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n", p0,
                top, plot_w, h);
        for (int k = 0; k < ax.n_ticks; k++) {
            double v = mf_svg_axis_tick(&ax, k), x = mf_svg_axis_map(&ax, v, p0, p1);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e4e4e4\"/>\n", x, top, x, top + h);
            snprintf(buf, sizeof(buf), "%.*f", ax.decimals, v);
            snprintf(attr, sizeof(attr), "class=\"tick\" data-axis=\"%s\"", metric_key[m]);
            mf_svg_text(f, x, top + h + 15, "middle", 11, plot_w / ax.n_ticks * 2, 0, attr, buf);
        }
        snprintf(buf, sizeof(buf), "class=\"axis-label\" data-axis=\"%s\"", metric_key[m]);
        mf_svg_text(f, (p0 + p1) / 2, top + h + 33, "middle", 11, plot_w, 0, buf, metric_axis[m]);
        for (int i = 0; i < n; i++) {
            const struct mf_bench_file *fl = &files[i];
            double y = top + i * gh;
            if (!fl->ok) {
                snprintf(buf, sizeof(buf), "failed: %s", fl->error);
                mf_svg_text(f, p0 + 6, y + 16, "start", 11, plot_w - 12, 0, "fill=\"#b00\"", buf);
                continue;
            }
            for (int s = 0; s < sides; s++) {
                if (fl->side[s].ok)
                    run_row(f, fl, s, m, &ax, p0, p1, y + 12 + 14 * s);
                else
                    mf_svg_text(f, p0 + 6, y + 16 + 14 * s, "start", 10, plot_w - 12, 0, "fill=\"#b00\"",
                                s ? "ffmpeg failed" : "mpegflow failed");
            }
        }
    }
    /* File names (numbered when the quality panel has to tell files apart) and their ratios. */
    for (int i = 0; i < n; i++) {
        const struct mf_bench_file *fl = &files[i];
        const struct mf_bench_side *o = &fl->side[MF_BENCH_OURS], *t = &fl->side[MF_BENCH_FFMPEG];
        double y = top + i * gh;
        if (n > 1)
            snprintf(buf, sizeof(buf), "%d: %s", i + 1, fl->name);
        else
            snprintf(buf, sizeof(buf), "%s", fl->name);
        mf_svg_text(f, NAME_R, y + 16, "end", 12, NAME_R - M, 1, "class=\"file\"", buf);
        if (!fl->ok)
            continue;
        if (sides == 2)
            snprintf(buf, sizeof(buf), "vs ffmpeg: wall %.2f, CPU %.2f",
                     mf_bench_ratio(o->wall.median, t->wall.median), mf_bench_ratio(o->cpu.median, t->cpu.median));
        else
            snprintf(buf, sizeof(buf), "speed %.2f\xc3\x97 realtime",
                     o->wall.median > 0 ? fl->duration / o->wall.median : 0);
        mf_svg_text(f, NAME_R, y + 30, "end", 10, NAME_R - M, 0, "class=\"ratio\" fill=\"#555\"", buf);
    }
    return 30 + h + 46;
}

/* Rendition labels of the quality panel, placed where they hit no other. */
struct box { double x0, y0, x1, y1; };

static int hits(const struct box *b, const struct box *placed, int n)
{
    for (int i = 0; i < n; i++)
        if (b->x0 < placed[i].x1 && placed[i].x0 < b->x1 && b->y0 < placed[i].y1 && placed[i].y0 < b->y1)
            return 1;
    return 0;
}

static void point_label(FILE *f, double x, double y, const char *s, const struct box *area, struct box *placed,
                        int *n_placed)
{
    static const double off[][2] = { { 9, -7 }, { 9, 15 }, { -9, -7 }, { -9, 15 }, { 9, -19 }, { 9, 27 },
                                     { -9, -19 }, { -9, 27 }, { 9, -31 }, { 9, 39 } };
    const int size = 10;
    double w = mf_svg_text_width(s, size);
    int pick = 0;
    struct box b = { 0 };
    for (int k = 0; k < (int)(sizeof(off) / sizeof(off[0])); k++) {
        double bx = off[k][0] > 0 ? x + off[k][0] : x + off[k][0] - w, by = y + off[k][1];
        struct box c = { bx, by - size, bx + w, by + 2 };
        int inside = c.x0 >= area->x0 && c.x1 <= area->x1 && c.y0 >= area->y0 && c.y1 <= area->y1;
        if (inside && !hits(&c, placed, *n_placed)) {
            pick = k;
            b = c;
            break;
        }
        if (k == 0)
            b = c;
    }
    if (*n_placed < 256)
        placed[(*n_placed)++] = b;
    mf_svg_text(f, off[pick][0] > 0 ? b.x0 : b.x1, b.y1 - 2, off[pick][0] > 0 ? "start" : "end", size,
                area->x1 - area->x0, 0, "class=\"point-label\" fill=\"#333\" " HALO, s);
}

static int quality_panel(FILE *f, const struct mf_bench_settings *st, const struct mf_bench_file *files,
                         int n, int y0)
{
    const int x0 = 80, x1 = W - M, top = y0 + 34, bottom = top + 300;
    int sides = n_sides(st), any = 0;
    double bmax = 0, pmin = INFINITY, pmax = -INFINITY;
    for (int i = 0; i < n; i++)
        for (int s = 0; s < sides && files[i].ok; s++)
            for (int r = 0; r < files[i].side[s].n_rungs; r++) {
                const struct mf_bench_rung *g = &files[i].side[s].rungs[r];
                if (g->psnr < 0 || !isfinite(g->psnr))
                    continue;
                any = 1;
                bmax = fmax(bmax, g->bitrate / 1e3);
                pmin = fmin(pmin, g->psnr);
                pmax = fmax(pmax, g->psnr);
            }
    mf_svg_text(f, x0, y0 + 20, "start", 13, x1 - x0, 0, "font-weight=\"bold\"",
                "Quality against bitrate, per rendition");
    if (!any) {
        mf_svg_text(f, x0, y0 + 40, "start", 11, x1 - x0, 0, "fill=\"#555\"",
                    "no finite PSNR (a flat source, such as a black one, gives inf)");
        return 56;
    }
    struct mf_svg_axis bx = mf_svg_axis_make(0, bmax, 8, 1);
    struct mf_svg_axis py = mf_svg_axis_make(pmin - 0.1, pmax + 0.1, 6, 0);
    char buf[256], attr[96];
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n", x0, top,
            x1 - x0, bottom - top);
    for (int k = 0; k < bx.n_ticks; k++) {
        double v = mf_svg_axis_tick(&bx, k), x = mf_svg_axis_map(&bx, v, x0, x1);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e4e4e4\"/>\n", x, top, x, bottom);
        snprintf(buf, sizeof(buf), "%.*f", bx.decimals, v);
        mf_svg_text(f, x, bottom + 15, "middle", 11, (x1 - x0) / bx.n_ticks * 2.0, 0,
                    "class=\"tick\" data-axis=\"bitrate\"", buf);
    }
    for (int k = 0; k < py.n_ticks; k++) {
        double v = mf_svg_axis_tick(&py, k), y = mf_svg_axis_map(&py, v, bottom, top);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", x0, y, x1, y);
        snprintf(buf, sizeof(buf), "%.*f", py.decimals, v);
        /* centred on the tick's y, which the tests read back */
        mf_svg_text(f, x0 - 6, y, "end", 11, x0 - 34, 0,
                    "class=\"tick\" data-axis=\"psnr\" dominant-baseline=\"central\"", buf);
    }
    mf_svg_text(f, (x0 + x1) / 2.0, bottom + 33, "middle", 11, x1 - x0, 0,
                "class=\"axis-label\" data-axis=\"bitrate\"", "video bitrate (kbit/s)");
    snprintf(attr, sizeof(attr), "class=\"axis-label\" data-axis=\"psnr\" transform=\"rotate(-90 24 %d)\"",
             (top + bottom) / 2);
    mf_svg_text(f, 24, (top + bottom) / 2.0, "middle", 11, bottom - top, 0, attr, "PSNR (dB), higher is better");

    /* ffmpeg first, so that our filled circles sit inside its hollow squares. */
    for (int i = 0; i < n; i++)
        for (int s = sides - 1; s >= 0 && files[i].ok; s--) {
            const struct mf_bench_side *d = &files[i].side[s];
            /* ffmpeg's line is a wide translucent band: ours, thin on top, leaves it visible. */
            fprintf(f, "<polyline class=\"curve %s\" fill=\"none\" stroke=\"%s\" %s points=\"", series[s],
                    colour[s], s ? "stroke-width=\"5\" stroke-opacity=\"0.4\"" : "stroke-width=\"1.5\"");
            for (int r = 0; r < d->n_rungs; r++)
                if (d->rungs[r].psnr >= 0 && isfinite(d->rungs[r].psnr))
                    fprintf(f, "%.1f,%.1f ", mf_svg_axis_map(&bx, d->rungs[r].bitrate / 1e3, x0, x1),
                            mf_svg_axis_map(&py, d->rungs[r].psnr, bottom, top));
            fprintf(f, "\"/>\n");
            snprintf(attr, sizeof(attr), "class=\"point %s\"", series[s]);
            for (int r = 0; r < d->n_rungs; r++) {
                const struct mf_bench_rung *g = &d->rungs[r];
                if (g->psnr >= 0 && isfinite(g->psnr))
                    mf_svg_marker(f, shape[s], mf_svg_axis_map(&bx, g->bitrate / 1e3, x0, x1),
                                  mf_svg_axis_map(&py, g->psnr, bottom, top), s ? 5.5 : 4, colour[s], s, attr);
            }
        }
    /* One label per rendition, at our point (ffmpeg's when ours has none). */
    struct box area = { x0 + 2, top + 2, x1 - 2, bottom - 2 }, placed[256];
    int n_placed = 0;
    /* Labels go where they cover no marker. */
    for (int i = 0; i < n; i++)
        for (int s = 0; s < sides && files[i].ok; s++)
            for (int r = 0; r < files[i].side[s].n_rungs && n_placed < 128; r++) {
                const struct mf_bench_rung *g = &files[i].side[s].rungs[r];
                if (g->psnr < 0 || !isfinite(g->psnr))
                    continue;
                double x = mf_svg_axis_map(&bx, g->bitrate / 1e3, x0, x1);
                double y = mf_svg_axis_map(&py, g->psnr, bottom, top);
                placed[n_placed++] = (struct box){ x - 6, y - 6, x + 6, y + 6 };
            }
    for (int i = 0; i < n; i++)
        for (int r = 0; r < MF_MAX_RENDITIONS && files[i].ok; r++) {
            const struct mf_bench_rung *g = NULL;
            for (int s = 0; s < sides && !g; s++)
                if (r < files[i].side[s].n_rungs && files[i].side[s].rungs[r].psnr >= 0 &&
                    isfinite(files[i].side[s].rungs[r].psnr))
                    g = &files[i].side[s].rungs[r];
            if (!g)
                continue;
            if (n > 1)
                snprintf(buf, sizeof(buf), "%d: %s", i + 1, g->name);
            else
                snprintf(buf, sizeof(buf), "%s", g->name);
            point_label(f, mf_svg_axis_map(&bx, g->bitrate / 1e3, x0, x1), mf_svg_axis_map(&py, g->psnr, bottom, top),
                        buf, &area, placed, &n_placed);
        }
    return bottom - y0 + 46;
}

int mf_bench_write_chart(const char *path, const struct mf_bench_settings *st,
                         const struct mf_bench_file *files, int n_files)
{
    /* Draw into a temp buffer first: the height is known only at the end. */
    char *body = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&body, &len);
    if (!mem)
        return -1;
    int h = header(mem, st);
    h += time_panel(mem, st, files, n_files, h);
    if (st->quality)
        h += quality_panel(mem, st, files, n_files, h);
    fclose(mem);
    FILE *f = fopen(path, "w");
    if (!f) {
        free(body);
        return -1;
    }
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "font-family=\"DejaVu Sans, sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
            W, h + 10, W, h + 10);
    fputs(body, f);
    fputs("</svg>\n", f);
    free(body);
    return fclose(f) == 0 ? 0 : -1;
}
