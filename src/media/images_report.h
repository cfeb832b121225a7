/* What the images step wrote: result.json's "images" (see images.c). */
#ifndef MF_IMAGES_REPORT_H
#define MF_IMAGES_REPORT_H

#include <stdint.h>

#define MF_IMAGES_DIR "images"         /* under the output directory */

struct mf_images_report {
    int poster;                        /* images/poster.jpg was written */
    int poster_width, poster_height;
    int64_t poster_bytes;
    double poster_time;                /* seconds into the video of the frame chosen */
    double poster_entropy;             /* its luma histogram's entropy, bits (at most 6) */
    double poster_stddev;              /* its luma's standard deviation, 0..255 */
    int poster_candidates;             /* frames measured */
    int poster_fallback;               /* none passed the black/white/flat tests: the best of them */
    int thumbnails;                    /* sprites and images/thumbnails.vtt were written */
    double interval;
    int tile_width, tile_height, columns, rows;
    int64_t tiles;
    int sheets;                        /* images/sprite-0.jpg .. sprite-<sheets-1>.jpg */
    int sheet_width, sheet_height;     /* every sheet but the last */
    int last_width, last_height;       /* the last one: only the rows (columns) it fills */
    int64_t sprite_bytes, vtt_bytes;
    int hls;                           /* images/thumbnails.m3u8 written, listed in hls/master.m3u8 */
    double cpu_seconds;                /* spent on images (the decode thread's, measured) */
};

#endif
