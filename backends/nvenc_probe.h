/*
 * Is NVENC usable here, and what can it do? Asks the NVIDIA driver through
 * nv-codec-headers' dynlink loader, which dlopens libcuda.so.1 and
 * libnvidia-encode.so.1 at run time: mpegflow never links them, so one
 * binary serves CPU and GPU nodes.
 *
 * Checks, in order, each refusal naming the first one that failed:
 *   1. libcuda.so.1, then libnvidia-encode.so.1, can be loaded
 *   2. the driver's NVENC API (NvEncodeAPIGetMaxSupportedVersion) is at
 *      least the headers' NVENCAPI_VERSION
 *   3. cuInit and a CUDA device (MPEGFLOW_GPU's, or any)
 *   4. the device has an NVENC engine (an encode session opens)
 *   5. the codec is offered (encode GUIDs)
 *   6. the session limit is not reached (AVERROR(EBUSY): worth a retry)
 */
#ifndef MF_NVENC_PROBE_H
#define MF_NVENC_PROBE_H

#include <stddef.h>

#include <ffnvcodec/dynlink_loader.h>

#include "mpegflow/encoder.h"
#include "nvenc_params.h"

struct mf_nvenc_host {
    int gpu;                        /* the CUDA device index that passed */
    char gpu_name[128];
    unsigned driver_api;            /* (major << 4) | minor, as the driver reports it */
    unsigned codecs;                /* 1 << MF_CODEC_H264 | 1 << MF_CODEC_HEVC */
    struct mf_nvenc_caps caps[2];   /* by enum mf_video_codec */
};

/**
 * Run checks 2..6 with already loaded driver entry points (tests pass
 * fakes). gpu: device index, or -1 for the first device that passes.
 * codec: the codec that must be offered, or -1 for either.
 * @return 0 with *host filled; AVERROR(EBUSY) when the session limit is
 *         reached; AVERROR(ENOSYS) otherwise. why says which check failed.
 */
int mf_nvenc_probe_with(const CudaFunctions *cu, const NvencFunctions *nv, int gpu, int codec,
                        struct mf_nvenc_host *host, char *why, size_t why_len);

/**
 * Load the driver libraries (check 1), run mf_nvenc_probe_with, unload.
 * Same returns; MPEGFLOW_GPU is not read here.
 */
int mf_nvenc_probe_host(int gpu, int codec, struct mf_nvenc_host *host, char *why, size_t why_len);

#endif
