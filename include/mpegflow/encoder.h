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
 *
 * What a backend can encode is said once, in its capability fields (codecs,
 * pixel formats, hardware frames); mf_encoder_open() checks a config
 * against them before the backend's open() runs, so no backend repeats
 * those checks. mf_encoder_backend_select() picks the backend for a job.
 */
#ifndef MPEGFLOW_ENCODER_H
#define MPEGFLOW_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "mpegflow/codec.h"

#include <libavcodec/avcodec.h>
#include <libavutil/buffer.h>
#include <libavutil/frame.h>
#include <libavutil/hwcontext.h>
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
    /* For a backend on a device (hw_device set): the device index to
     * encode on with system-memory frames, the one its probe chose
     * (struct mf_encoder_probe); -1 = its own choice (0 is device 0, so
     * set it). With hw_frames the frames' device is used. Ignored by CPU
     * backends. */
    int device;
    /* Optional (NULL: none): returns the calling thread's last FFmpeg log
     * error ("" if none) and forgets it; a libavcodec backend quotes the
     * encoder's own words from it in err. */
    const char *(*ffmpeg_error)(void);
};

/* What probe() is asked, and what it answers. */
struct mf_encoder_probe {
    int codec;      /* in: the enum mf_video_codec that must be encodable, -1 = any */
    int device;     /* in: the device index to check (MPEGFLOW_GPU), -1 = any;
                       out: the one that passed (-1 for a backend on no device) */
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

/* 1u << MF_CODEC_H264 etc., for mf_encoder_backend.codecs */
#define MF_CODEC_BIT(c) (1u << (unsigned)(c))

struct mf_encoder_backend {
    /* capabilities: what it can do, before anything is probed or opened */
    const char *name;                       /* "x264", "nvenc": the job's video.backend */
    const char *long_name;                  /* "H.264 on the CPU (libx264)" */
    unsigned codecs;                        /* MF_CODEC_BIT() of each codec it encodes */
    const enum AVPixelFormat *pix_fmts;     /* system-memory frames it takes, AV_PIX_FMT_NONE-ended */
    enum AVHWDeviceType hw_device;          /* also takes frames on this device type
                                               (AV_HWDEVICE_TYPE_CUDA); NONE: CPU only */
    /* 0 when usable on this host; why says the first check that failed */
    int  (*probe)(struct mf_encoder_probe *p, char *why, size_t why_len);
    /* cfg already passed mf_encoder_check(); 0, or an AVERROR with err one
     * line in the backend's words ("x264: crf 60 out of range (0 .. 51)") */
    int  (*open)(struct mf_encoder **enc, const struct mf_encoder_config *cfg,
                 char *err, size_t err_len);
    int  (*send_frame)(struct mf_encoder *enc, const AVFrame *frame);  /* NULL frame = flush */
    int  (*receive_packet)(struct mf_encoder *enc, AVPacket *pkt);     /* AVERROR(EAGAIN)/AVERROR_EOF */
    void (*close)(struct mf_encoder **enc);
};

/** The registered backends, NULL-terminated, in order of preference. */
const struct mf_encoder_backend *const *mf_encoder_backends(void);

/** The backend called name, or NULL. */
const struct mf_encoder_backend *mf_encoder_backend_find(const char *name);

/**
 * The codec a job that names no codec gets from its backend: the first
 * codec the backend called name encodes (x265: HEVC); H.264 for "auto",
 * NULL, "" and names not built in.
 */
enum mf_video_codec mf_encoder_backend_default_codec(const char *name);

/** What a job asks for. */
struct mf_encoder_request {
    enum mf_video_codec codec;
    const char *name;       /* NULL, "" or "auto": the first CPU backend (no hw_device)
                               that encodes codec and is usable here */
    const char *fallback;   /* NULL or "": none; else used when name is unusable here */
    int device;             /* passed to the probes (MPEGFLOW_GPU), -1 = any */
};

/** What mf_encoder_backend_select() chose. */
struct mf_encoder_selection {
    const struct mf_encoder_backend *backend;
    int device;                     /* the probe's answer: pass it as mf_encoder_config.device */
    const char *fallback_from;      /* the name that was unusable when the fallback was taken, else NULL */
    char reason[256];               /* why fallback_from was unusable ("" without a fallback) */
};

/**
 * Which backend encodes req->codec here: req->name's (or auto's), else the
 * fallback's when the first is unusable on this host. A backend that does
 * not encode the codec is the request's fault and is never replaced by the
 * fallback.
 * @return 0 with *sel filled;
 *         AVERROR(EINVAL) when the named backend, or the fallback that would
 *         be taken, does not encode the codec;
 *         AVERROR(ENOSYS) when a backend is not built in, or the probe's
 *         error (ENOSYS, EBUSY: the NVENC session limit) when unusable here.
 *         err is one line, e.g. "nvenc: unusable on this host: <probe's
 *         reason>; fallback x264: encodes h264 only, the job asks for hevc".
 */
int mf_encoder_backend_select(const struct mf_encoder_request *req, struct mf_encoder_selection *sel,
                              char *err, size_t err_len);

/**
 * Whether cfg is within backend b's capability fields: a codec it encodes,
 * an even positive size, a valid time base, a pixel format of pix_fmts, or
 * b->hw_device's frames with hw_frames set.
 * @return 0, or AVERROR(EINVAL) with err naming the setting.
 */
int mf_encoder_check(const struct mf_encoder_backend *b, const struct mf_encoder_config *cfg,
                     char *err, size_t err_len);

/**
 * mf_encoder_check(), then b->open(). The way to open an encoder.
 * @return 0 with *enc set, or what they returned, with err one line. *enc is
 *         NULL on failure (close() is still harmless on it).
 */
int mf_encoder_open(const struct mf_encoder_backend *b, struct mf_encoder **enc,
                    const struct mf_encoder_config *cfg, char *err, size_t err_len);

#endif
