/*
 * The poster: a frame that is neither black, white nor flat (a fade, a
 * title card's background), picked among candidates in the first part of
 * the video by a cheap measure: a sparse grid of luma samples, its mean,
 * spread (standard deviation) and histogram entropy. Among those that pass,
 * the frame with the highest entropy x spread wins: entropy for detail (a
 * title card has little), spread for contrast, since a fade keeps the
 * picture's levels (its entropy) but squeezes them together. When none
 * passes, the best of them anyway.
 */
#ifndef MF_POSTER_H
#define MF_POSTER_H

#include <stddef.h>

#include <libavutil/frame.h>

#include "images_report.h"
#include "picture.h"

/* Candidates: one every step seconds before window (see mf_poster_init). */
struct mf_poster {
    int width, height;             /* the JPEG's */
    double window, step, next;
    AVFrame *best;                 /* a reference to the best candidate so far */
    double best_t, best_score, best_entropy, best_stddev;
    int best_ok, candidates, done;
    struct mf_image_scaler scaler;
};

struct mf_luma_stats {
    double mean, stddev;           /* 0..255, full range */
    double entropy;                /* bits of a 64-bin histogram, 0..6 */
};

/** Measure a CPU frame's luma on a sparse grid (about 64 x 36 samples). */
int mf_luma_measure(const AVFrame *f, struct mf_luma_stats *st);
/** How good a poster: entropy (detail) x standard deviation (contrast). */
double mf_luma_score(const struct mf_luma_stats *st);
/** 1 when a frame with these statistics may be a poster. */
int mf_luma_usable(const struct mf_luma_stats *st);

/** Candidates every 0.25..2 s in the first min(30 s, duration / 2) (30 s when unknown). */
void mf_poster_init(struct mf_poster *p, int width, int height, double duration);
/** 1 when the frame at t is a candidate. */
int mf_poster_wants(const struct mf_poster *p, double t);
/** 1 when the window is over and the poster not yet written. */
int mf_poster_due(const struct mf_poster *p, double t);
/** Measure the candidate f (a CPU frame) at t; keeps a reference to the best. */
int mf_poster_candidate(struct mf_poster *p, AVFrame *f, double t);
/** Scale the best candidate and write it to path. */
int mf_poster_write(struct mf_poster *p, int rotation, const char *path, struct mf_images_report *rep,
                    char *err, size_t err_len);
void mf_poster_free(struct mf_poster *p);

#endif
