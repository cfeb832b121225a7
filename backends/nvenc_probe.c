/* NVENC availability through the driver's own API; the order is in nvenc_probe.h. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>

/* The loader reports "Cannot load <library or symbol>": keep that text
 * for our reason instead of letting it print to stderr. */
struct loader_log {
    char msg[160];
};

static void loader_log(void *ctx, const char *fmt, ...)
{
    struct loader_log *l = ctx;
    va_list ap;

    if (!l || l->msg[0])    /* the first failure is the cause */
        return;
    va_start(ap, fmt);
    vsnprintf(l->msg, sizeof(l->msg), fmt, ap);
    va_end(ap);
    l->msg[strcspn(l->msg, "\n")] = '\0';
}

#define FFNV_LOG_FUNC(logctx, msg, ...) loader_log((logctx), (msg), __VA_ARGS__)
#define FFNV_DEBUG_LOG_FUNC(logctx, msg, ...) ((void)(logctx))

#include "backend_util.h"
#include "nvenc_probe.h"

#define CUDA_ERROR_INSUFFICIENT_DRIVER 35
#define CUDA_ERROR_NO_DEVICE 100
#define MIN_DRIVER "470.57.02"   /* NVIDIA's minimum Linux driver for NVENC API 11.1 */

static const char *nvenc_status_name(NVENCSTATUS s)
{
    static const struct { NVENCSTATUS s; const char *name; } names[] = {
        { NV_ENC_ERR_NO_ENCODE_DEVICE, "NV_ENC_ERR_NO_ENCODE_DEVICE" },
        { NV_ENC_ERR_UNSUPPORTED_DEVICE, "NV_ENC_ERR_UNSUPPORTED_DEVICE" },
        { NV_ENC_ERR_INVALID_ENCODERDEVICE, "NV_ENC_ERR_INVALID_ENCODERDEVICE" },
        { NV_ENC_ERR_INVALID_DEVICE, "NV_ENC_ERR_INVALID_DEVICE" },
        { NV_ENC_ERR_DEVICE_NOT_EXIST, "NV_ENC_ERR_DEVICE_NOT_EXIST" },
        { NV_ENC_ERR_INVALID_PTR, "NV_ENC_ERR_INVALID_PTR" },
        { NV_ENC_ERR_INVALID_PARAM, "NV_ENC_ERR_INVALID_PARAM" },
        { NV_ENC_ERR_OUT_OF_MEMORY, "NV_ENC_ERR_OUT_OF_MEMORY" },
        { NV_ENC_ERR_INVALID_VERSION, "NV_ENC_ERR_INVALID_VERSION" },
        { NV_ENC_ERR_UNSUPPORTED_PARAM, "NV_ENC_ERR_UNSUPPORTED_PARAM" },
        { NV_ENC_ERR_INCOMPATIBLE_CLIENT_KEY, "NV_ENC_ERR_INCOMPATIBLE_CLIENT_KEY" },
        { NV_ENC_ERR_GENERIC, "NV_ENC_ERR_GENERIC" },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].s == s)
            return names[i].name;
    return "unknown NVENCSTATUS";
}

static const char *cuda_error(const CudaFunctions *cu, CUresult r)
{
    const char *s = NULL;

    if (!cu->cuGetErrorString || cu->cuGetErrorString(r, &s) != CUDA_SUCCESS || !s)
        return "unknown CUDA error";
    return s;
}

static int query(const NV_ENCODE_API_FUNCTION_LIST *fl, void *enc, GUID guid, NV_ENC_CAPS cap)
{
    NV_ENC_CAPS_PARAM p = { .version = NV_ENC_CAPS_PARAM_VER, .capsToQuery = cap };
    int v = 0;

    return fl->nvEncGetEncodeCaps(enc, guid, &p, &v) == NV_ENC_SUCCESS ? v : 0;
}

/* Checks 5 (codecs) and the capabilities, with an open session. */
static int read_codecs(const NV_ENCODE_API_FUNCTION_LIST *fl, void *enc, int codec,
                       struct mf_nvenc_host *host, char *why, size_t why_len)
{
    static const char *const names[] = { "H.264", "HEVC" };
    GUID guids[32];
    uint32_t n = 0, count = 0;
    NVENCSTATUS s;

    if ((s = fl->nvEncGetEncodeGUIDCount(enc, &count)) != NV_ENC_SUCCESS ||
        (s = fl->nvEncGetEncodeGUIDs(enc, guids, count < 32 ? count : 32, &n)) != NV_ENC_SUCCESS)
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "GPU %d (%s): listing NVENC codecs failed: %s",
                               host->gpu, host->gpu_name, nvenc_status_name(s));
    for (uint32_t i = 0; i < n; i++) {
        int c = !memcmp(&guids[i], &NV_ENC_CODEC_H264_GUID, sizeof(GUID)) ? MF_CODEC_H264
              : !memcmp(&guids[i], &NV_ENC_CODEC_HEVC_GUID, sizeof(GUID)) ? MF_CODEC_HEVC : -1;
        if (c < 0)
            continue;
        host->codecs |= 1u << c;
        host->caps[c] = (struct mf_nvenc_caps){
            .max_bframes = query(fl, enc, guids[i], NV_ENC_CAPS_NUM_MAX_BFRAMES),
            .bframe_ref_mode = query(fl, enc, guids[i], NV_ENC_CAPS_SUPPORT_BFRAME_REF_MODE),
            .lookahead = query(fl, enc, guids[i], NV_ENC_CAPS_SUPPORT_LOOKAHEAD),
            .temporal_aq = query(fl, enc, guids[i], NV_ENC_CAPS_SUPPORT_TEMPORAL_AQ),
            .width_max = query(fl, enc, guids[i], NV_ENC_CAPS_WIDTH_MAX),
            .height_max = query(fl, enc, guids[i], NV_ENC_CAPS_HEIGHT_MAX),
        };
    }
    if (codec >= 0 && !(host->codecs & (1u << codec)))
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len, "GPU %d (%s): NVENC cannot encode %s",
                               host->gpu, host->gpu_name, names[codec]);
    if (!host->codecs)
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "GPU %d (%s): NVENC offers neither H.264 nor HEVC",
                               host->gpu, host->gpu_name);
    return 0;
}

/* Checks 4..6 on one device. */
static int probe_device(const CudaFunctions *cu, const NvencFunctions *nv, CUdevice dev, int codec,
                        struct mf_nvenc_host *host, char *why, size_t why_len)
{
    NV_ENCODE_API_FUNCTION_LIST fl = { .version = NV_ENCODE_API_FUNCTION_LIST_VER };
    NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS params = {
        .version = NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER,
        .deviceType = NV_ENC_DEVICE_TYPE_CUDA,
        .apiVersion = NVENCAPI_VERSION,
    };
    CUcontext ctx = NULL;
    void *enc = NULL;
    NVENCSTATUS s;
    CUresult r;
    int ret;

    if (cu->cuDeviceGetName(host->gpu_name, sizeof(host->gpu_name), dev) != CUDA_SUCCESS)
        snprintf(host->gpu_name, sizeof(host->gpu_name), "unnamed");
    host->gpu_name[sizeof(host->gpu_name) - 1] = '\0';
    if ((r = cu->cuCtxCreate(&ctx, 0, dev)) != CUDA_SUCCESS)
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len, "GPU %d (%s): cuCtxCreate failed: %s",
                               host->gpu, host->gpu_name, cuda_error(cu, r));
    if ((s = nv->NvEncodeAPICreateInstance(&fl)) != NV_ENC_SUCCESS) {
        ret = mf_backend_errf(AVERROR(ENOSYS), why, why_len, "NvEncodeAPICreateInstance failed: %s",
                              nvenc_status_name(s));
        goto done;
    }
    params.device = ctx;
    s = fl.nvEncOpenEncodeSessionEx(&params, &enc);
    switch (s) {
    case NV_ENC_SUCCESS:
        ret = read_codecs(&fl, enc, codec, host, why, why_len);
        break;
    case NV_ENC_ERR_NO_ENCODE_DEVICE:
    case NV_ENC_ERR_UNSUPPORTED_DEVICE:
    case NV_ENC_ERR_INVALID_ENCODERDEVICE:
        ret = mf_backend_errf(AVERROR(ENOSYS), why, why_len, "GPU %d (%s) has no NVENC engine (%s)",
                              host->gpu, host->gpu_name, nvenc_status_name(s));
        break;
    case NV_ENC_ERR_OUT_OF_MEMORY:
        /* What the driver answers when the GPU's (or the driver's per
         * system, on GeForce) concurrent session limit is reached. */
        ret = mf_backend_errf(AVERROR(EBUSY), why, why_len,
                              "GPU %d (%s): NVENC session limit reached (nvEncOpenEncodeSessionEx: %s)",
                              host->gpu, host->gpu_name, nvenc_status_name(s));
        break;
    case NV_ENC_ERR_INVALID_VERSION:
        ret = mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                              "NVIDIA driver too old for NVENC API %d.%d "
                              "(nvEncOpenEncodeSessionEx: %s; needs driver %s or newer)",
                              NVENCAPI_MAJOR_VERSION, NVENCAPI_MINOR_VERSION, nvenc_status_name(s),
                              MIN_DRIVER);
        break;
    default:
        ret = mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                              "GPU %d (%s): nvEncOpenEncodeSessionEx failed: %s",
                              host->gpu, host->gpu_name, nvenc_status_name(s));
        break;
    }
    if (enc)
        fl.nvEncDestroyEncoder(enc);
done:
    cu->cuCtxDestroy(ctx);
    return ret;
}

int mf_nvenc_probe_with(const CudaFunctions *cu, const NvencFunctions *nv, int gpu, int codec,
                        struct mf_nvenc_host *host, char *why, size_t why_len)
{
    unsigned want = (NVENCAPI_MAJOR_VERSION << 4) | NVENCAPI_MINOR_VERSION;
    uint32_t version = 0;
    int count = 0, ret = AVERROR(ENOSYS);
    NVENCSTATUS s;
    CUresult r;

    memset(host, 0, sizeof(*host));
    if (why && why_len)
        why[0] = '\0';
    if ((s = nv->NvEncodeAPIGetMaxSupportedVersion(&version)) != NV_ENC_SUCCESS)
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "NvEncodeAPIGetMaxSupportedVersion failed: %s",
                               nvenc_status_name(s));
    host->driver_api = version;
    if (version < want)
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "NVIDIA driver too old: it offers NVENC API %u.%u, mpegflow needs %d.%d "
                               "(driver %s or newer)", version >> 4, version & 15, NVENCAPI_MAJOR_VERSION,
                               NVENCAPI_MINOR_VERSION, MIN_DRIVER);
    if ((r = cu->cuInit(0)) != CUDA_SUCCESS) {
        if ((int)r == CUDA_ERROR_NO_DEVICE)
            return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                                   "no CUDA device (cuInit: %s)", cuda_error(cu, r));
        if ((int)r == CUDA_ERROR_INSUFFICIENT_DRIVER)
            return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                                   "NVIDIA driver too old for CUDA (cuInit: %s)",
                                   cuda_error(cu, r));
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "cuInit failed: %s", cuda_error(cu, r));
    }
    if ((r = cu->cuDeviceGetCount(&count)) != CUDA_SUCCESS || count <= 0)
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "no CUDA device (cuDeviceGetCount: %s)",
                               r != CUDA_SUCCESS ? cuda_error(cu, r) : "0 devices");
    if (gpu >= count)
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "MPEGFLOW_GPU=%d, but this host has %d CUDA device%s",
                               gpu, count, count == 1 ? "" : "s");
    /* Any device: the first that passes; otherwise the first one's reason. */
    for (int i = gpu >= 0 ? gpu : 0; i < (gpu >= 0 ? gpu + 1 : count); i++) {
        char reason[256];
        CUdevice dev;
        unsigned api = host->driver_api;
        memset(host, 0, sizeof(*host));
        host->driver_api = api;
        host->gpu = i;
        if ((r = cu->cuDeviceGet(&dev, i)) != CUDA_SUCCESS) {
            int e = mf_backend_errf(AVERROR(ENOSYS), reason, sizeof(reason),
                                    "GPU %d: cuDeviceGet failed: %s",
                                    i, cuda_error(cu, r));
            if (i == (gpu >= 0 ? gpu : 0)) {
                ret = e;
                mf_backend_errf(0, why, why_len, "%s", reason);
            }
            continue;
        }
        int e = probe_device(cu, nv, dev, codec, host, reason, sizeof(reason));
        if (e == 0)
            return 0;
        if (i == (gpu >= 0 ? gpu : 0)) {
            ret = e;
            mf_backend_errf(0, why, why_len, "%s", reason);
        }
    }
    return ret;
}

int mf_nvenc_probe_host(int gpu, int codec, struct mf_nvenc_host *host, char *why, size_t why_len)
{
    struct loader_log log = { "" };
    CudaFunctions *cu = NULL;
    NvencFunctions *nv = NULL;
    int ret;

    memset(host, 0, sizeof(*host));
    if (cuda_load_functions(&cu, &log) < 0) {
        /* "Cannot load libcuda.so.1" or "Cannot load cuSomeSymbol" */
        const char *what = !strncmp(log.msg, "Cannot load ", 12) ? log.msg + 12 : log.msg;
        if (!strcmp(what, "libcuda.so.1"))
            return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                                   "libcuda.so.1 not found: no NVIDIA driver on this host");
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "libcuda.so.1 lacks %s: NVIDIA driver too old", what[0] ? what : "a symbol");
    }
    log.msg[0] = '\0';
    if (nvenc_load_functions(&nv, &log) < 0) {
        const char *what = !strncmp(log.msg, "Cannot load ", 12) ? log.msg + 12 : log.msg;
        cuda_free_functions(&cu);
        if (!strcmp(what, "libnvidia-encode.so.1"))
            return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                                   "libnvidia-encode.so.1 not found: the NVIDIA driver here has no NVENC "
                                   "library (in a container, NVIDIA_DRIVER_CAPABILITIES must include "
                                   "'video')");
        return mf_backend_errf(AVERROR(ENOSYS), why, why_len,
                               "libnvidia-encode.so.1 lacks %s: NVIDIA driver too old",
                               what[0] ? what : "a symbol");
    }
    ret = mf_nvenc_probe_with(cu, nv, gpu, codec, host, why, why_len);
    nvenc_free_functions(&nv);
    cuda_free_functions(&cu);
    return ret;
}
