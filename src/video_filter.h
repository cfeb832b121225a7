/*
 * One rendition's picture path, as a libavfilter graph: deinterlace, scale,
 * rotate upright, HDR tone-map and convert to 8-bit 4:2:0 with square pixels.
 */
#ifndef MF_VIDEO_FILTER_H
#define MF_VIDEO_FILTER_H

#include <stddef.h>

#include <libavfilter/avfilter.h>
#include <libavutil/frame.h>

struct mf_vfilter_params {
    int in_width, in_height;
    enum AVPixelFormat in_format;
    AVRational in_sar, time_base;
    int out_width, out_height;     /* display orientation, even */
    int rotation;                  /* clockwise: 0, 90, 180, 270 */
    int deinterlace;               /* bwdif on frames flagged interlaced */
    int tonemap;                   /* PQ/HLG source: tone-map to BT.709 SDR */
};

struct mf_vfilter {
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    struct mf_vfilter_params params;
};

/** 1 when the frame's transfer characteristic is HDR (PQ or HLG). */
int mf_vfilter_is_hdr(enum AVColorTransferCharacteristic trc);

/** The filter graph description for params (exposed for tests and logs). */
int mf_vfilter_describe(const struct mf_vfilter_params *p, char *buf, size_t len);

int  mf_vfilter_open(struct mf_vfilter *vf, const struct mf_vfilter_params *p, char *err, size_t err_len);
/** Feed a frame (NULL = end of stream); the frame is left untouched. */
int  mf_vfilter_push(struct mf_vfilter *vf, AVFrame *frame);
/** 0 with a frame (pts in params.time_base), AVERROR(EAGAIN) or AVERROR_EOF. */
int  mf_vfilter_pull(struct mf_vfilter *vf, AVFrame *out);
void mf_vfilter_close(struct mf_vfilter *vf);

#endif
