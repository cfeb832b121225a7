/*
 * The GPU side of an nvenc job: the job's one device, NVDEC for the video
 * decoder when libavcodec has a hwaccel for the codec, a frames context for
 * each rendition's encoder, and what the job reports (NVENC sessions, where
 * the frames were decoded). The pipeline runs it with CUDA; the unit tests
 * run the same code on a Vulkan device (Mesa lavapipe), where NVDEC's setup
 * fails and the fallback is taken.
 */
#ifndef MF_GPU_JOB_H
#define MF_GPU_JOB_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/buffer.h>
#include <libavutil/hwcontext.h>

#include "hwdecode.h"
#include "input.h"
#include "pipeline.h"
#include "rendition.h"

struct mf_gpu_job {
    AVBufferRef *device;            /* NULL: not a GPU job */
    struct mf_hwdecode hwdec;
    int hwdec_on;                   /* the decoder was set up for NVDEC */
    char cpu_decode_why[192];       /* why not, when it was not */
    int64_t frames, frames_hw;      /* dispatched frames, of which hardware frames */
    int sessions;                   /* encoders open on the device: NVENC sessions */
};

/**
 * Create the device of type with index (the one the backend's probe chose;
 * -1: CUDA MPEGFLOW_GPU's, else FFmpeg's default) and reopen in's video
 * decoder for NVDEC when libavcodec has a CUDA hwaccel for its codec.
 * @return 0, or a negative AVERROR with err one line (the device's error
 *         names the device type and FFmpeg's reason). mf_gpu_job_close
 *         must be called either way.
 */
int mf_gpu_job_open(struct mf_gpu_job *g, enum AVHWDeviceType type, int index, struct mf_input *in,
                    const char *path, int64_t max_pixels, char *err, size_t err_len);

/**
 * Point a rendition's setup at the device: the encoder takes device frames
 * of its size in NV12 (*frames: their context, the caller unrefs it once
 * the rendition has started), the filter graph hands them over.
 * @return 0, or a negative AVERROR with err one line.
 */
int mf_gpu_job_bind(struct mf_gpu_job *g, struct mf_rendition_setup *s, AVBufferRef **frames,
                    char *err, size_t err_len);

/** Count a started rendition's encoder as a session. */
void mf_gpu_job_started(struct mf_gpu_job *g, const struct mf_rendition_run *r);

/** Count a frame handed to the renditions. */
void mf_gpu_job_frame(struct mf_gpu_job *g, const AVFrame *f);

/** Fill result's nvenc_sessions, decode and decode_note. */
void mf_gpu_job_report(struct mf_gpu_job *g, struct mf_result *result);

/** Release the device; after the decoder and the renditions are freed. */
void mf_gpu_job_close(struct mf_gpu_job *g);

#endif
