/*
 * One rendition's picture path, as a libavfilter graph: deinterlace, scale,
 * rotate upright, HDR tone-map and convert to 8-bit 4:2:0 with square pixels.
 *
 * Three shapes, chosen by mf_vfilter_describe from the input frames and the
 * encoder (the placement rules are in video_filter.c):
 *   CPU frames -> CPU encoder:   bwdif, scale, [tone-map], [rotate], yuv420p
 *   CPU frames -> NVENC:         the same, nv12, then hwupload (once, last)
 *   CUDA frames (NVDEC) -> NVENC: yadif_cuda, scale_cuda to nv12; only when
 *                                a tone-map or rotation is needed (no CUDA
 *                                filter in FFmpeg 5.1): hwdownload of the
 *                                scaled picture, the CPU filter, hwupload
 *   (CUDA frames scale_cuda cannot read are downloaded first and take the
 *   CPU shape.)
 */
#ifndef MF_VIDEO_FILTER_H
#define MF_VIDEO_FILTER_H

#include <stddef.h>

#include <libavfilter/avfilter.h>
#include <libavutil/frame.h>

struct mf_vfilter_params {
    int in_width, in_height;
    enum AVPixelFormat in_format;  /* AV_PIX_FMT_CUDA for frames decoded by NVDEC */
    enum AVPixelFormat in_sw_format; /* of CUDA frames: their frames context's sw_format */
    AVRational in_sar, time_base;
    int out_width, out_height;     /* display orientation, even */
    int rotation;                  /* clockwise: 0, 90, 180, 270 */
    int deinterlace;               /* bwdif (yadif_cuda on CUDA frames) on frames flagged interlaced */
    int tonemap;                   /* PQ/HLG source: tone-map to BT.709 SDR */
    int threads;                   /* slice threads (swscale); 0 = one per core */
    int hw_out;                    /* the encoder takes NV12 frames on hw_device (nvenc) */
    AVBufferRef *hw_device;        /* borrowed: the job's device (hwupload); set when hw_out */
    AVBufferRef *in_frames;        /* borrowed, open only: the input frames' context (CUDA in) */
};

struct mf_vfilter {
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    struct mf_vfilter_params params;   /* hw_device and in_frames cleared */
    AVBufferRef *in_frames;            /* ours: the frames context the graph was built for */
};

/** The pixel format hardware-bound graphs hand to the encoder (NVENC's native 4:2:0). */
#define MF_VFILTER_HW_SW_FORMAT AV_PIX_FMT_NV12

/** 1 when the frame's transfer characteristic is HDR (PQ or HLG). */
int mf_vfilter_is_hdr(enum AVColorTransferCharacteristic trc);

/**
 * The filter graph description for params: a pure function of the
 * geometry, interlacing, tone-map, rotation, the input (sw) pixel format
 * and hw_out (exposed for tests and logs; the pointers are not read).
 * @return 0, or AVERROR(ENOSPC) when buf is too small.
 */
int mf_vfilter_describe(const struct mf_vfilter_params *p, char *buf, size_t len);

/** 1 when scale_cuda (FFmpeg 5.1) can read CUDA frames of this sw_format. */
int mf_vfilter_cuda_can_scale(enum AVPixelFormat sw_format);

/**
 * Build and configure the graph. With hw_out, the graph's output is checked
 * to be NV12 frames on hw_device, as the encoder was opened for.
 * @return 0, or a negative AVERROR with err naming the graph.
 */
int  mf_vfilter_open(struct mf_vfilter *vf, const struct mf_vfilter_params *p, char *err, size_t err_len);
/** Feed a frame (NULL = end of stream); the frame is left untouched. */
int  mf_vfilter_push(struct mf_vfilter *vf, AVFrame *frame);
/** 0 with a frame (pts in params.time_base), AVERROR(EAGAIN) or AVERROR_EOF. */
int  mf_vfilter_pull(struct mf_vfilter *vf, AVFrame *out);
void mf_vfilter_close(struct mf_vfilter *vf);

#endif
