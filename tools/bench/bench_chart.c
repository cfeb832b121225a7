/*
 * The bench chart, hand-written SVG: on top, per file, our wall and CPU
 * time as a ratio of ffmpeg's (or our speed ×realtime without ffmpeg);
 * below, bitrate against PSNR for every rendition of both encoders.
 */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 960
#define LEFT 260
#define RIGHT 40
#define ROW 30

static const char *const colour[MF_BENCH_SIDES] = { "#1f77b4", "#ff7f0e" };
static const char *const label[MF_BENCH_SIDES] = { "mpegflow", "ffmpeg" };

static void text(FILE *f, double x, double y, const char *anchor, int size, const char *s)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">", x, y, anchor, size);
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else
            fputc(*s, f);
    }
    fputs("</text>\n", f);
}

/* Bars per file; returns the height used. */
static int speed_panel(FILE *f, const struct mf_bench_settings *st, const struct mf_bench_file *files,
                       int n, int y0)
{
    int vs = st->vs_ffmpeg;
    double hi = vs ? 1.5 : 1;
    for (int i = 0; i < n; i++) {
        const struct mf_bench_side *o = &files[i].side[MF_BENCH_OURS], *t = &files[i].side[MF_BENCH_FFMPEG];
        double v = vs ? fmax(mf_bench_ratio(o->wall.median, t->wall.median), mf_bench_ratio(o->cpu.median, t->cpu.median))
                      : (o->wall.median > 0 ? files[i].duration / o->wall.median : 0);
        hi = fmax(hi, v * 1.1);
    }
    double scale = (W - LEFT - RIGHT) / hi;
    char buf[128];
    text(f, W / 2.0, y0 + 20, "middle", 16, vs ? "mpegflow time / ffmpeg time (lower is better; 1 = same)"
                                             : "mpegflow speed, x realtime");
    int top = y0 + 36, h = n * ROW;
    for (int k = 0; k <= 10; k++) {
        double v = hi * k / 10;
        double x = LEFT + v * scale;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n", x, top, x, top + h);
        snprintf(buf, sizeof(buf), "%.2f", v);
        text(f, x, top + h + 14, "middle", 11, buf);
    }
    if (vs)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000\" stroke-dasharray=\"4 3\"/>\n",
                LEFT + scale, top - 4, LEFT + scale, top + h + 4);
    for (int i = 0; i < n; i++) {
        const struct mf_bench_file *fl = &files[i];
        const struct mf_bench_side *o = &fl->side[MF_BENCH_OURS], *t = &fl->side[MF_BENCH_FFMPEG];
        int y = top + i * ROW;
        text(f, LEFT - 8, y + 19, "end", 12, fl->name);
        if (!fl->ok) {
            text(f, LEFT + 4, y + 19, "start", 12, "failed");
            continue;
        }
        if (vs) {
            double rw = mf_bench_ratio(o->wall.median, t->wall.median);
            double rc = mf_bench_ratio(o->cpu.median, t->cpu.median);
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"12\" fill=\"%s\"/>\n", LEFT, y + 3,
                    rw * scale, colour[0]);
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"10\" fill=\"#9ecae1\"/>\n", LEFT,
                    y + 16, rc * scale);
            snprintf(buf, sizeof(buf), "wall %.2f", rw);
            text(f, LEFT + rw * scale + 4, y + 13, "start", 11, buf);
            snprintf(buf, sizeof(buf), "cpu %.2f", rc);
            text(f, LEFT + rc * scale + 4, y + 25, "start", 11, buf);
        } else {
            double sp = o->wall.median > 0 ? fl->duration / o->wall.median : 0;
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"%s\"/>\n", LEFT, y + 5,
                    sp * scale, colour[0]);
            snprintf(buf, sizeof(buf), "%.2fx", sp);
            text(f, LEFT + sp * scale + 4, y + 19, "start", 11, buf);
        }
    }
    return 36 + h + 30;
}

static int quality_panel(FILE *f, const struct mf_bench_settings *st, const struct mf_bench_file *files,
                         int n, int y0)
{
    const int x0 = 80, x1 = W - RIGHT, top = y0 + 40, bottom = y0 + 400;
    int sides = st->vs_ffmpeg ? 2 : 1, any = 0;
    double bmax = 0, pmin = 1e9, pmax = -1e9;
    for (int i = 0; i < n; i++)
        for (int s = 0; s < sides && files[i].ok; s++)
            for (int r = 0; r < files[i].side[s].n_rungs; r++) {
                const struct mf_bench_rung *g = &files[i].side[s].rungs[r];
                if (g->psnr < 0)
                    continue;
                any = 1;
                bmax = fmax(bmax, g->bitrate / 1e3);
                pmin = fmin(pmin, g->psnr);
                pmax = fmax(pmax, g->psnr);
            }
    if (!any)
        return 0;
    pmin = floor(pmin - 0.5);
    pmax = ceil(pmax + 0.5);
    bmax *= 1.1;
    char buf[128];
    text(f, W / 2.0, y0 + 20, "middle", 16, "PSNR (dB) against video bitrate (kbit/s), per rendition");
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n", x0, top,
            x1 - x0, bottom - top);
    for (int k = 0; k <= 5; k++) {
        double b = bmax * k / 5, p = pmin + (pmax - pmin) * k / 5;
        double x = x0 + (x1 - x0) * k / 5.0, y = bottom - (bottom - top) * k / 5.0;
        snprintf(buf, sizeof(buf), "%.0f", b);
        text(f, x, bottom + 16, "middle", 11, buf);
        snprintf(buf, sizeof(buf), "%.1f", p);
        text(f, x0 - 6, y + 4, "end", 11, buf);
    }
    for (int i = 0; i < n; i++) {
        for (int s = 0; s < sides && files[i].ok; s++) {
            const struct mf_bench_side *d = &files[i].side[s];
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", colour[s]);
            for (int r = 0; r < d->n_rungs; r++)
                if (d->rungs[r].psnr >= 0)
                    fprintf(f, "%.1f,%.1f ", x0 + (x1 - x0) * d->rungs[r].bitrate / 1e3 / bmax,
                            bottom - (bottom - top) * (d->rungs[r].psnr - pmin) / (pmax - pmin));
            fprintf(f, "\"/>\n");
            for (int r = 0; r < d->n_rungs; r++) {
                const struct mf_bench_rung *g = &d->rungs[r];
                if (g->psnr < 0)
                    continue;
                double x = x0 + (x1 - x0) * g->bitrate / 1e3 / bmax;
                double y = bottom - (bottom - top) * (g->psnr - pmin) / (pmax - pmin);
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", x, y, colour[s]);
                if (s == 0) {
                    snprintf(buf, sizeof(buf), "%s %s", files[i].name, g->name);
                    text(f, x + 6, y - 6, "start", 9, buf);
                }
            }
        }
    }
    for (int s = 0; s < sides; s++) {
        fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"%s\"/>\n", x0 + 16, top + 16 + 18 * s, colour[s]);
        text(f, x0 + 26, top + 20 + 18 * s, "start", 12, label[s]);
    }
    return bottom - y0 + 30;
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
    int h = 10;
    h += speed_panel(mem, st, files, n_files, h);
    if (st->quality)
        h += quality_panel(mem, st, files, n_files, h);
    fclose(mem);
    FILE *f = fopen(path, "w");
    if (!f) {
        free(body);
        return -1;
    }
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "font-family=\"sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n", W, h + 10);
    fputs(body, f);
    fputs("</svg>\n", f);
    free(body);
    return fclose(f) == 0 ? 0 : -1;
}
