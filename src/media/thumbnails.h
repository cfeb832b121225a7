/*
 * Thumbnail sprites: one tile every interval seconds (the first frame at or
 * after each multiple), columns x rows tiles per JPEG sheet, as many sheets
 * as the video needs, and a WebVTT track whose cues cover the whole video
 * without gaps, each pointing at its tile with a media fragment
 * (`sprite-0.jpg#xywh=160,0,160,90`), as video.js, JW Player and Shaka
 * read them.
 */
#ifndef MF_THUMBNAILS_H
#define MF_THUMBNAILS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libavutil/frame.h>

#include "images_report.h"
#include "mpegflow/job.h"
#include "picture.h"

struct mf_thumbnails {
    double interval;
    int tile_w, tile_h, columns, rows;
    double next;                   /* the time of the next tile */
    int64_t tiles;
    int sheets;                    /* written */
    AVFrame *sheet;                /* being filled */
    AVFrame *tile;                 /* the last tile scaled (a gap repeats it) */
    int in_sheet;
    const char *dir;
    int64_t bytes;
    int last_w, last_h;
    struct mf_image_scaler scaler;
};

void mf_thumbnails_init(struct mf_thumbnails *t, const struct mf_images_spec *spec, int tile_h,
                        const char *dir);
/** 1 when the frame at time t makes one or more tiles. */
int mf_thumbnails_wants(const struct mf_thumbnails *t, double time);
/** Tile the frame f (CPU) for every interval that starts at or before time. */
int mf_thumbnails_frame(struct mf_thumbnails *t, const AVFrame *f, int rotation, double time,
                        char *err, size_t err_len);
/** The last sheet and the WebVTT track, cues up to end. */
int mf_thumbnails_finish(struct mf_thumbnails *t, double end, struct mf_images_report *rep,
                         char *err, size_t err_len);
/**
 * The sprites as an HLS image media playlist (images/thumbnails.m3u8: one
 * segment per sheet, EXT-X-TILES with the grid and the interval) and its
 * EXT-X-IMAGE-STREAM-INF line appended to master, whose URIs are relative
 * to master_dir_uri ("../images/"). Call after mf_thumbnails_finish.
 */
int mf_thumbnails_write_hls(const struct mf_thumbnails *t, double end, const char *master,
                            const char *master_dir_uri, char *err, size_t err_len);
/** The track, written to f (exposed for tests). */
int mf_thumbnails_write_vtt(const struct mf_thumbnails *t, double end, FILE *f);
void mf_thumbnails_free(struct mf_thumbnails *t);

#endif
