/*
 * Video decoding on NVDEC through libavcodec's CUDA hwaccel (nvenc jobs):
 * which jobs use it, and the get_format callback that takes CUDA frames
 * when the hwaccel accepts the stream, or the software format (noted, for
 * the result and the log) when it refuses: 4:2:2, H.264 10-bit, a profile
 * or size this GPU's NVDEC lacks. Refused streams decode on the CPU and
 * their frames are uploaded once per rendition (src/video_filter.c).
 */
#ifndef MF_HWDECODE_H
#define MF_HWDECODE_H

#include <pthread.h>
#include <stddef.h>

#include <libavcodec/avcodec.h>

struct mf_hwdecode {
    AVBufferRef *device;        /* borrowed: the job's CUDA device */
    pthread_mutex_t lock;       /* get_format may run on decoder threads */
    int refused;                /* the hwaccel refused the stream at least once */
    char why[192];              /* the first refusal, one line */
};

/** 1 when libavcodec's decoder can output CUDA frames from a device (NVDEC). */
int mf_hwdecode_supported(const AVCodec *dec);

void mf_hwdecode_init(struct mf_hwdecode *h, AVBufferRef *device);
void mf_hwdecode_uninit(struct mf_hwdecode *h);

/**
 * Decoder setup hook for mf_input_reopen_video (opaque: struct
 * mf_hwdecode): sets hw_device_ctx and the get_format callback.
 * 0 or AVERROR(ENOMEM).
 */
int mf_hwdecode_setup(AVCodecContext *c, void *opaque);

/** Copies the refusal (if any) into why; returns 1 when there was one. */
int mf_hwdecode_refusal(struct mf_hwdecode *h, char *why, size_t len);

#endif
