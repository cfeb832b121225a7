/*
 * mpegflow encoder vtable: one backend per file in backends/, registered in
 * one NULL-terminated table (backends/registry.c).
 *
 * Modeled on FFmpeg's send/receive API:
 *   send_frame(enc, frame)   0, or a negative AVERROR; frame == NULL flushes.
 *                            A frame with pict_type == AV_PICTURE_TYPE_I must
 *                            start a closed GOP with an IDR picture (segment
 *                            boundary); other pict_type values leave the choice
 *                            to the backend.
 *   receive_packet(enc, pkt) 0 with a packet (pts/dts in cfg->time_base),
 *                            AVERROR(EAGAIN) when it needs more input,
 *                            AVERROR_EOF once flushed and drained.
 * close() may be called after a failed open() and must free whatever open()
 * left behind; it sets *enc to NULL.
 */
#ifndef MPEGFLOW_ENCODER_H
#define MPEGFLOW_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "mpegflow/codec.h"

#include <libavcodec/avcodec.h>
#include <libavutil/buffer.h>
#include <libavutil/frame.h>
#include <libavutil/rational.h>


/* Rate control: exactly one of crf (>= 0) or bitrate (> 0) is set. */
struct mf_encoder_config {
    enum mf_video_codec codec;
    int width, height;              /* even, > 0 */
    enum AVPixelFormat pix_fmt;     /* AV_PIX_FMT_YUV420P for the CPU path; AV_PIX_FMT_CUDA
                                       for GPU frames (nvenc only), with hw_frames */
    AVRational time_base;           /* of frame->pts and of packet timestamps */
    AVRational frame_rate;          /* nominal rate, for rate control and VBV */
    const char *preset;             /* x264 preset name, e.g. "veryfast" */
    const char *tune;               /* NULL or an x264 tune name */
    const char *profile;            /* NULL = the backend's choice */
    const char *level;              /* NULL = automatic, else "4.1" etc. */
    double crf;                     /* < 0 when unset */
    int64_t bitrate;                /* bits/s, 0 when unset */
    int64_t maxrate;                /* bits/s, 0 when unset (VBV) */
    int64_t bufsize;                /* bits, 0 = derived from maxrate */
    int gop_frames;                 /* max distance between IDRs, in frames */
    int threads;                    /* 0 = automatic */
    int global_header;              /* parameter sets go to extradata (MP4) */
    enum AVColorPrimaries color_primaries;
    enum AVColorTransferCharacteristic color_trc;
    enum AVColorSpace colorspace;
    enum AVColorRange color_range;
    /* With a hardware pix_fmt: the frames context that fixes the device and
     * the sw_format (NV12) of the frames to come. Borrowed; the backend
     * takes its own reference. Frames may come from other frames contexts
     * of the same device, size and sw_format (each filter graph has its
     * own pool). NULL for system-memory frames. */
    AVBufferRef *hw_frames;
};

/*
 * The part of an open encoder every backend fills in; a backend embeds it
 * as the first member of its own state.
 */
struct mf_encoder {
    const struct mf_encoder_backend *backend;
    /* Codec parameters for the muxer: codec_id, size, profile, level and
     * extradata (SPS/PPS as avcC/hvcC-ready Annex B when global_header). */
    AVCodecParameters *par;
    AVRational time_base;           /* of packets */
};

struct mf_encoder_backend {
    const char *name;                                        /* "x264", "nvenc" */
    int  (*probe)(char *why, size_t why_len);                /* 0 when usable on this host */
    int  (*open)(struct mf_encoder **enc, const struct mf_encoder_config *cfg);
    int  (*send_frame)(struct mf_encoder *enc, const AVFrame *frame);  /* NULL frame = flush */
    int  (*receive_packet)(struct mf_encoder *enc, AVPacket *pkt);     /* AVERROR(EAGAIN)/AVERROR_EOF */
    void (*close)(struct mf_encoder **enc);
};

/** The registered backends, NULL-terminated, in order of preference. */
const struct mf_encoder_backend *const *mf_encoder_backends(void);

/** The backend called name, or NULL. */
const struct mf_encoder_backend *mf_encoder_backend_find(const char *name);

#endif
