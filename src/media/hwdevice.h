/*
 * The job's one hardware device. With the nvenc backend, one CUDA device
 * (MPEGFLOW_GPU's) is created per job and shared by the decoder (NVDEC),
 * every rendition's filter graph (scale_cuda, yadif_cuda, hwupload) and
 * every encoder (NVENC): one CUDA context, so frames move between them by
 * reference and never through host memory.
 */
#ifndef MF_HWDEVICE_H
#define MF_HWDEVICE_H

#include <stddef.h>

#include <libavutil/buffer.h>
#include <libavutil/hwcontext.h>
#include <libavutil/pixfmt.h>

/**
 * Parse a device index as MPEGFLOW_GPU spells it: NULL or "" -> -1 (the
 * default device), else 0..255.
 * @return 0, or AVERROR(EINVAL) for anything else.
 */
int mf_hwdevice_parse_index(const char *s, int *index);

/**
 * Create a device of type (AV_HWDEVICE_TYPE_CUDA for NVENC) with
 * av_hwdevice_ctx_create. index -1 means FFmpeg's default (device 0).
 * @return 0 with *dev set (the caller unrefs it), or a negative AVERROR
 *         with err one line naming the device type, the index and
 *         FFmpeg's reason, e.g. "CUDA: cannot create device 0 for the
 *         hardware pipeline: Could not dynamically load CUDA (Operation
 *         not permitted)".
 */
int mf_hwdevice_open(AVBufferRef **dev, enum AVHWDeviceType type, int index,
                     char *err, size_t err_len);

/**
 * The CUDA device MPEGFLOW_GPU names (unset: device 0). A job on nvenc
 * opens the device its probe chose instead (mf_gpu_job_open). Same returns.
 */
int mf_hwdevice_open_cuda(AVBufferRef **dev, char *err, size_t err_len);

/**
 * A frames context on dev: width x height pictures of sw_format, in the
 * device's hardware pixel format (CUDA and Vulkan devices; AVERROR(ENOSYS)
 * for others). Encoders take it as hw_frames_ctx; the
 * pool grows on demand (CUDA), nothing is allocated up front.
 * @return 0 with *frames set (the caller unrefs it), or a negative AVERROR.
 */
int mf_hwdevice_frames(AVBufferRef *dev, enum AVPixelFormat sw_format, int width, int height,
                       AVBufferRef **frames);

#endif
