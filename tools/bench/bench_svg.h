/*
 * SVG primitives for the bench chart: text that fits (a rough width estimate,
 * long strings cut with an ellipsis), round axis ticks (1-2-5 steps) and the
 * marker shape of each series.
 */
#ifndef MF_BENCH_SVG_H
#define MF_BENCH_SVG_H

#include <stdio.h>

/* A sans-serif character is at most about 0.6 em wide on average (DejaVu Sans
 * digits and lowercase are ~0.55 em); the tests use the same estimate. */
#define MF_SVG_CHAR_EM 0.6

/** Estimated width in px of s (UTF-8) at font size px. */
double mf_svg_text_width(const char *s, int size);

/**
 * Write a <text> element whose estimated width is at most max_w px: a longer
 * s loses characters from its middle (keep_end) or end, replaced by "…".
 * anchor is "start", "middle" or "end"; extra is more attributes or "".
 */
void mf_svg_text(FILE *f, double x, double y, const char *anchor, int size, double max_w,
                 int keep_end, const char *extra, const char *s);

/* A linear axis with round ticks: lo, lo + step, ..., hi. */
struct mf_svg_axis {
    double lo, hi, step;
    int n_ticks;
    int decimals;                  /* enough for step */
};

/** Ticks of 1, 2 or 5 × 10^k covering [min, max] in about target steps;
 *  from_zero starts the axis at 0 when min >= 0. */
struct mf_svg_axis mf_svg_axis_make(double min, double max, int target, int from_zero);
/** The value of tick k. */
double mf_svg_axis_tick(const struct mf_svg_axis *a, int k);
/** Map v onto [p0, p1] (px). */
double mf_svg_axis_map(const struct mf_svg_axis *a, double v, double p0, double p1);

/* The series' marker shapes: mpegflow a circle, ffmpeg a square. */
enum mf_svg_shape { MF_SVG_CIRCLE, MF_SVG_SQUARE };

/** A marker of size r (half width) centred at x, y; hollow draws the outline only.
 *  attrs are its other attributes (e.g. class="run mpegflow"). */
void mf_svg_marker(FILE *f, enum mf_svg_shape shape, double x, double y, double r, const char *colour,
                   int hollow, const char *attrs);

#endif
