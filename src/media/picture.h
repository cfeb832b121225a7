/*
 * The pictures behind the poster and the sprites: a decoded frame scaled
 * small with libswscale, turned upright, in JPEG's full-range BT.601
 * yuv420p, and written with libavcodec's mjpeg encoder.
 */
#ifndef MF_PICTURE_H
#define MF_PICTURE_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

/* The source as the images see it: the decoded (coded) size, its SAR and rotation. */
struct mf_image_source {
    int width, height;
    AVRational sar;
    int rotation;                  /* clockwise: 0, 90, 180, 270 */
    double duration;               /* seconds, 0 when unknown */
};

/* libswscale to upright, square-pixelled, full-range yuv420p (JFIF's BT.601). */
struct mf_image_scaler {
    struct SwsContext *sws;
    int src_w, src_h, src_format, src_cs, src_range, dst_w, dst_h;
    AVFrame *sideways;             /* 90/270: the scaled picture before it is turned */
};

/** 1 when the frame's YUV is full range (JPEG's), by its tag or its yuvj pixel format. */
int mf_image_full_range(const AVFrame *f);
/** A w x h full-range yuv420p picture, black. NULL on ENOMEM. */
AVFrame *mf_image_alloc(int w, int h);
/** Scale src (a CPU frame) into dst (mf_image_alloc'd), rotated upright. */
int mf_image_scale(struct mf_image_scaler *s, const AVFrame *src, int rotation, AVFrame *dst);
void mf_image_scaler_free(struct mf_image_scaler *s);
/** Copy src whole into dst at (x, y) (even). */
void mf_image_blit(AVFrame *dst, int x, int y, const AVFrame *src);
/** The even height of a picture width w wide with the source's display aspect. */
int mf_image_height(const struct mf_image_source *src, int w);
/** The display width of the source, even. */
int mf_image_display_width(const struct mf_image_source *src);
/** Encode the top-left w x h of pic to a JPEG file (mjpeg, qscale q). */
int mf_image_write_jpeg(const AVFrame *pic, int w, int h, int q, const char *path, int64_t *bytes,
                        char *err, size_t err_len);

#endif
