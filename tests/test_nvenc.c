/*
 * Unit test, no GPU needed: the NVENC option mapping (preset, tune, rate
 * control, GOP, profile, caps) on the AVCodecContext and options it
 * produces, checked against libavcodec's real h264_nvenc / hevc_nvenc
 * option tables; and the driver probe's order of refusals, run against
 * fake CUDA and NVENC entry points.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>

#include "avcodec.h"
#include "nvenc_params.h"
#include "nvenc_probe.h"
#include "unit.h"

static char err[512];

static const struct mf_nvenc_setup turing = {
    .caps = { .max_bframes = 4, .bframe_ref_mode = 3, .lookahead = 1, .temporal_aq = 1,
              .width_max = 4096, .height_max = 4096 },
    .gpu = -1,
};

static struct mf_encoder_config base(void)
{
    return (struct mf_encoder_config){
        .codec = MF_CODEC_H264, .width = 1280, .height = 720, .pix_fmt = AV_PIX_FMT_YUV420P,
        .time_base = { 1, 90000 }, .frame_rate = { 30, 1 }, .preset = "medium", .crf = 23,
        .gop_frames = 120, .global_header = 1,
        .color_primaries = AVCOL_PRI_BT709, .color_trc = AVCOL_TRC_BT709,
        .colorspace = AVCOL_SPC_BT709, .color_range = AVCOL_RANGE_MPEG,
    };
}

/* Map, then apply the options to the real encoder's AVClass: a name it
 * does not have, or a value it does not take, fails here. */
static int map(const struct mf_encoder_config *cfg, const struct mf_nvenc_setup *setup,
               AVCodecContext **ctx, AVDictionary **opts)
{
    const AVCodec *c = avcodec_find_encoder_by_name(mf_nvenc_encoder_name(cfg->codec));
    int ret;

    *opts = NULL;
    *ctx = avcodec_alloc_context3(c);
    if (!c || !*ctx) {
        fprintf(stderr, "libavcodec has no %s\n", mf_nvenc_encoder_name(cfg->codec));
        abort();
    }
    memset(err, 0, sizeof(err));
    mf_avcodec_set_common(*ctx, cfg);
    ret = mf_nvenc_configure(*ctx, opts, cfg, setup, err, sizeof(err));
    if (ret == 0) {
        AVDictionary *copy = NULL;
        av_dict_copy(&copy, *opts, 0);
        CHECK(av_opt_set_dict2(*ctx, &copy, AV_OPT_SEARCH_CHILDREN) == 0);
        CHECK(av_dict_count(copy) == 0);
        av_dict_free(&copy);
    }
    return ret;
}

static const char *opt(AVDictionary *d, const char *key)
{
    const AVDictionaryEntry *e = av_dict_get(d, key, NULL, 0);
    return e ? e->value : NULL;
}

static void done(AVCodecContext **ctx, AVDictionary **opts)
{
    av_dict_free(opts);
    avcodec_free_context(ctx);
}

static void test_presets(void)
{
    static const struct { const char *x264, *nvenc; int bf, saq, taq, la; } rows[] = {
        { "ultrafast", "p1", 0, 0, 0, 0 }, { "superfast", "p2", 0, 0, 0, 0 },
        { "veryfast", "p3", 2, 0, 0, 0 },  { "faster", "p3", 2, 1, 0, 0 },
        { "fast", "p4", 3, 1, 0, 8 },      { "medium", "p5", 3, 1, 1, 16 },
        { "slow", "p6", 3, 1, 1, 24 },     { "slower", "p7", 4, 1, 1, 32 },
        { "veryslow", "p7", 4, 1, 1, 32 }, { "placebo", "p7", 4, 1, 1, 32 },
    };
    AVCodecContext *ctx;
    AVDictionary *opts;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        for (int codec = MF_CODEC_H264; codec <= MF_CODEC_HEVC; codec++) {
            struct mf_encoder_config cfg = base();
            cfg.codec = codec;
            cfg.preset = rows[i].x264;
            CHECK(map(&cfg, &turing, &ctx, &opts) == 0);
            CHECK_STR_EQ(opt(opts, "preset"), rows[i].nvenc);
            CHECK_STR_EQ(opt(opts, "tune"), "hq");
            CHECK_INT_EQ(ctx->max_b_frames, rows[i].bf);
            CHECK_STR_EQ(opt(opts, "spatial-aq"), rows[i].saq ? "1" : "0");
            CHECK_STR_EQ(opt(opts, "temporal-aq"), rows[i].taq ? "1" : "0");
            CHECK_INT_EQ(atoi(opt(opts, "rc-lookahead")), rows[i].la);
            if (rows[i].bf > 1)
                CHECK_STR_EQ(opt(opts, "b_ref_mode"), "middle");
            else
                CHECK(opt(opts, "b_ref_mode") == NULL);
            done(&ctx, &opts);
        }
    }
    /* No preset: medium. */
    struct mf_encoder_config cfg = base();
    cfg.preset = NULL;
    CHECK(map(&cfg, &turing, &ctx, &opts) == 0);
    CHECK_STR_EQ(opt(opts, "preset"), "p5");
    done(&ctx, &opts);
}

static void test_caps(void)
{
    struct mf_encoder_config cfg = base();
    struct mf_nvenc_setup old = { .caps = { .max_bframes = 0 }, .gpu = 1 };
    AVCodecContext *ctx;
    AVDictionary *opts;

    /* A GPU without B-frames, lookahead or temporal AQ (e.g. HEVC before Turing). */
    cfg.preset = "slow";
    CHECK(map(&cfg, &old, &ctx, &opts) == 0);
    CHECK_INT_EQ(ctx->max_b_frames, 0);
    CHECK(opt(opts, "b_ref_mode") == NULL);
    CHECK_STR_EQ(opt(opts, "rc-lookahead"), "0");
    CHECK_STR_EQ(opt(opts, "temporal-aq"), "0");
    CHECK_STR_EQ(opt(opts, "spatial-aq"), "1");
    CHECK_STR_EQ(opt(opts, "gpu"), "1");
    done(&ctx, &opts);

    /* No caps at all: the same, and any GPU. */
    CHECK(map(&cfg, NULL, &ctx, &opts) == 0);
    CHECK_INT_EQ(ctx->max_b_frames, 0);
    CHECK(opt(opts, "gpu") == NULL);
    done(&ctx, &opts);

    /* B-frames without reference support: no b_ref_mode; fewer B-frames than asked. */
    struct mf_nvenc_setup two = { .caps = { .max_bframes = 2, .lookahead = 1 }, .gpu = -1 };
    CHECK(map(&cfg, &two, &ctx, &opts) == 0);
    CHECK_INT_EQ(ctx->max_b_frames, 2);
    CHECK(opt(opts, "b_ref_mode") == NULL);
    CHECK_STR_EQ(opt(opts, "rc-lookahead"), "24");
    CHECK_STR_EQ(opt(opts, "temporal-aq"), "0");
    done(&ctx, &opts);

    /* Lookahead stays inside a short GOP. */
    cfg.gop_frames = 10;
    CHECK(map(&cfg, &turing, &ctx, &opts) == 0);
    CHECK_STR_EQ(opt(opts, "rc-lookahead"), "9");
    done(&ctx, &opts);

    /* Beyond the GPU's maximum size. */
    cfg = base();
    cfg.width = 8192;
    cfg.height = 4320;
    CHECK(map(&cfg, &turing, &ctx, &opts) == AVERROR(EINVAL));
    CHECK_STR_CONTAINS(err, "exceeds this GPU's H.264 maximum of 4096x4096");
    done(&ctx, &opts);
}

static void test_rate_control(void)
{
    struct mf_encoder_config cfg = base();
    AVCodecContext *ctx;
    AVDictionary *opts;

    /* CRF: VBR with a constant-quality target and no bitrate cap. */
    CHECK(map(&cfg, &turing, &ctx, &opts) == 0);
    CHECK_STR_EQ(opt(opts, "rc"), "vbr");
    CHECK_STR_EQ(opt(opts, "cq"), "23");
    CHECK_INT_EQ(ctx->bit_rate, 0);
    CHECK_INT_EQ(ctx->rc_max_rate, 0);
    CHECK_INT_EQ(ctx->rc_buffer_size, 0);
    done(&ctx, &opts);

    /* Capped CRF. */
    cfg.crf = 26.5;
    cfg.maxrate = 3000000;
    CHECK(map(&cfg, &turing, &ctx, &opts) == 0);
    CHECK_STR_EQ(opt(opts, "cq"), "26.5");
    CHECK_INT_EQ(ctx->rc_max_rate, 3000000);
    CHECK_INT_EQ(ctx->rc_buffer_size, 6000000);
    done(&ctx, &opts);

    /* Bitrate alone: VBR, buffer of 2 s. */
    cfg = base();
    cfg.crf = -1;
    cfg.bitrate = 2500000;
    CHECK(map(&cfg, &turing, &ctx, &opts) == 0);
    CHECK_STR_EQ(opt(opts, "rc"), "vbr");
    CHECK(opt(opts, "cq") == NULL);
    CHECK_INT_EQ(ctx->bit_rate, 2500000);
    CHECK_INT_EQ(ctx->rc_max_rate, 0);
    CHECK_INT_EQ(ctx->rc_buffer_size, 5000000);
    done(&ctx, &opts);

    /* bitrate < maxrate: VBR with VBV; bufsize as given. */
    cfg.maxrate = 4000000;
    cfg.bufsize = 3000000;
    CHECK(map(&cfg, &turing, &ctx, &opts) == 0);
    CHECK_STR_EQ(opt(opts, "rc"), "vbr");
    CHECK_INT_EQ(ctx->rc_max_rate, 4000000);
    CHECK_INT_EQ(ctx->rc_buffer_size, 3000000);
    done(&ctx, &opts);

    /* maxrate == bitrate: CBR. */
    cfg.maxrate = 2500000;
    cfg.bufsize = 0;
    CHECK(map(&cfg, &turing, &ctx, &opts) == 0);
    CHECK_STR_EQ(opt(opts, "rc"), "cbr");
    CHECK_INT_EQ(ctx->rc_buffer_size, 5000000);
    done(&ctx, &opts);

    static const struct { double crf; int64_t bitrate, maxrate, bufsize; const char *needle; } bad[] = {
        { 0, 0, 0, 0, "crf 0 out of range" },
        { 52, 0, 0, 0, "crf 52 out of range" },
        { -1, 0, 0, 0, "exactly one of crf" },
        { 23, 1000000, 0, 0, "exactly one of crf" },
        { -1, 3000000, 2000000, 0, "maxrate 2000000 below bitrate 3000000" },
        { 23, 0, 0, 1000000, "needs a maxrate" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg = base();
        cfg.crf = bad[i].crf;
        cfg.bitrate = bad[i].bitrate;
        cfg.maxrate = bad[i].maxrate;
        cfg.bufsize = bad[i].bufsize;
        CHECK(map(&cfg, &turing, &ctx, &opts) == AVERROR(EINVAL));
        CHECK_STR_CONTAINS(err, bad[i].needle);
        done(&ctx, &opts);
    }
}

static void test_gop_profile_tune(void)
{
    struct mf_encoder_config cfg = base();
    AVCodecContext *ctx;
    AVDictionary *opts;

    /* IDRs only where forced or every gop_frames; closed GOPs. */
    CHECK(map(&cfg, &turing, &ctx, &opts) == 0);
    CHECK_INT_EQ(ctx->gop_size, 120);
    CHECK_STR_EQ(opt(opts, "forced-idr"), "1");
    CHECK_STR_EQ(opt(opts, "strict_gop"), "1");
    CHECK_STR_EQ(opt(opts, "no-scenecut"), "1");
    CHECK(ctx->flags & AV_CODEC_FLAG_GLOBAL_HEADER);
    CHECK_INT_EQ(ctx->color_trc, AVCOL_TRC_BT709);
    CHECK(opt(opts, "profile") == NULL);
    CHECK(opt(opts, "zerolatency") == NULL);
    done(&ctx, &opts);

    /* Baseline has no B-frames; profile and level pass by name. */
    cfg.profile = "baseline";
    cfg.level = "3.1";
    CHECK(map(&cfg, &turing, &ctx, &opts) == 0);
    CHECK_STR_EQ(opt(opts, "profile"), "baseline");
    CHECK_STR_EQ(opt(opts, "level"), "3.1");
    CHECK_INT_EQ(ctx->max_b_frames, 0);
    done(&ctx, &opts);

    cfg = base();
    cfg.codec = MF_CODEC_HEVC;
    cfg.profile = "main";
    cfg.level = "5.1";
    CHECK(map(&cfg, &turing, &ctx, &opts) == 0);
    CHECK_STR_EQ(opt(opts, "profile"), "main");
    CHECK_STR_EQ(opt(opts, "level"), "5.1");
    done(&ctx, &opts);
    cfg.profile = "high";
    CHECK(map(&cfg, &turing, &ctx, &opts) == AVERROR(EINVAL));
    CHECK_STR_CONTAINS(err, "profile 'high' not supported for HEVC");
    done(&ctx, &opts);

    /* zerolatency: low-latency tuning, no reordering, no lookahead. */
    cfg = base();
    cfg.tune = "film,zerolatency";
    CHECK(map(&cfg, &turing, &ctx, &opts) == 0);
    CHECK_STR_EQ(opt(opts, "tune"), "ll");
    CHECK_STR_EQ(opt(opts, "zerolatency"), "1");
    CHECK_INT_EQ(ctx->max_b_frames, 0);
    CHECK_STR_EQ(opt(opts, "rc-lookahead"), "0");
    done(&ctx, &opts);
    cfg.tune = "psnr";
    CHECK(map(&cfg, &turing, &ctx, &opts) == 0);
    CHECK_STR_EQ(opt(opts, "tune"), "hq");
    done(&ctx, &opts);

    static const struct { const char *preset, *tune; int gop, w; const char *needle; } bad[] = {
        { "turbo", NULL, 120, 1280, "invalid preset 'turbo' for nvenc" },
        { "fast", "loud", 120, 1280, "invalid tune 'loud'" },
        { "fast", NULL, 0, 1280, "gop_frames 0" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg = base();
        cfg.preset = bad[i].preset;
        cfg.tune = bad[i].tune;
        cfg.gop_frames = bad[i].gop;
        cfg.width = bad[i].w;
        CHECK(map(&cfg, &turing, &ctx, &opts) == AVERROR(EINVAL));
        CHECK_STR_CONTAINS(err, bad[i].needle);
        done(&ctx, &opts);
    }
}

static void test_encoder_name(void)
{
    CHECK_STR_EQ(mf_nvenc_encoder_name(MF_CODEC_H264), "h264_nvenc");
    CHECK_STR_EQ(mf_nvenc_encoder_name(MF_CODEC_HEVC), "hevc_nvenc");
}

/* --- the probe against a fake driver ---------------------------------------- */

static struct fake {
    uint32_t api;                   /* NvEncodeAPIGetMaxSupportedVersion */
    CUresult init;                  /* cuInit */
    int devices;
    const char *names[2];
    NVENCSTATUS open[2];            /* nvEncOpenEncodeSessionEx per device */
    int hevc;                       /* HEVC GUID offered */
    int ctx_live, sessions_live, sessions_opened;
    CUdevice opened_on;
} fk;

static CUresult CUDAAPI f_init(unsigned flags) { (void)flags; return fk.init; }
static CUresult CUDAAPI f_count(int *n) { *n = fk.devices; return CUDA_SUCCESS; }
static CUresult CUDAAPI f_get(CUdevice *d, int i) { *d = i; return CUDA_SUCCESS; }
static CUresult CUDAAPI f_name(char *s, int len, CUdevice d)
{
    snprintf(s, (size_t)len, "%s", fk.names[d]);
    return CUDA_SUCCESS;
}
static CUresult CUDAAPI f_ctx_create(CUcontext *c, unsigned flags, CUdevice d)
{
    (void)flags;
    fk.ctx_live++;
    *c = (CUcontext)(intptr_t)(d + 1);
    return CUDA_SUCCESS;
}
static CUresult CUDAAPI f_ctx_destroy(CUcontext c) { (void)c; fk.ctx_live--; return CUDA_SUCCESS; }
static CUresult CUDAAPI f_err(CUresult r, const char **s)
{
    *s = (int)r == 100 ? "no CUDA-capable device is detected" : "some CUDA error";
    return CUDA_SUCCESS;
}
static NVENCSTATUS NVENCAPI f_max_version(uint32_t *v) { *v = fk.api; return NV_ENC_SUCCESS; }
static NVENCSTATUS NVENCAPI f_open(NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS *p, void **enc)
{
    int dev = (int)(intptr_t)p->device - 1;
    CHECK(p->apiVersion == NVENCAPI_VERSION && p->deviceType == NV_ENC_DEVICE_TYPE_CUDA);
    if (fk.open[dev] != NV_ENC_SUCCESS)
        return fk.open[dev];
    fk.sessions_live++;
    fk.sessions_opened++;
    fk.opened_on = dev;
    *enc = &fk;
    return NV_ENC_SUCCESS;
}
static NVENCSTATUS NVENCAPI f_guid_count(void *enc, uint32_t *n) { (void)enc; *n = 1 + !!fk.hevc; return NV_ENC_SUCCESS; }
static NVENCSTATUS NVENCAPI f_guids(void *enc, GUID *g, uint32_t size, uint32_t *n)
{
    (void)enc;
    *n = 0;
    if (size > *n)
        g[(*n)++] = NV_ENC_CODEC_H264_GUID;
    if (fk.hevc && size > *n)
        g[(*n)++] = NV_ENC_CODEC_HEVC_GUID;
    return NV_ENC_SUCCESS;
}
static NVENCSTATUS NVENCAPI f_caps(void *enc, GUID g, NV_ENC_CAPS_PARAM *p, int *v)
{
    int hevc = !memcmp(&g, &NV_ENC_CODEC_HEVC_GUID, sizeof(g));
    (void)enc;
    switch (p->capsToQuery) {
    case NV_ENC_CAPS_NUM_MAX_BFRAMES: *v = hevc ? 5 : 4; break;
    case NV_ENC_CAPS_SUPPORT_BFRAME_REF_MODE: *v = hevc ? 3 : 2; break;
    case NV_ENC_CAPS_SUPPORT_LOOKAHEAD: *v = 1; break;
    case NV_ENC_CAPS_SUPPORT_TEMPORAL_AQ: *v = !hevc; break;
    case NV_ENC_CAPS_WIDTH_MAX: *v = hevc ? 8192 : 4096; break;
    case NV_ENC_CAPS_HEIGHT_MAX: *v = hevc ? 8192 : 4096; break;
    default: *v = 0;
    }
    return NV_ENC_SUCCESS;
}
static NVENCSTATUS NVENCAPI f_destroy(void *enc) { (void)enc; fk.sessions_live--; return NV_ENC_SUCCESS; }
static NVENCSTATUS NVENCAPI f_instance(NV_ENCODE_API_FUNCTION_LIST *fl)
{
    CHECK(fl->version == NV_ENCODE_API_FUNCTION_LIST_VER);
    fl->nvEncOpenEncodeSessionEx = f_open;
    fl->nvEncGetEncodeGUIDCount = f_guid_count;
    fl->nvEncGetEncodeGUIDs = f_guids;
    fl->nvEncGetEncodeCaps = f_caps;
    fl->nvEncDestroyEncoder = f_destroy;
    return NV_ENC_SUCCESS;
}

static void reset(void)
{
    fk = (struct fake){
        .api = (NVENCAPI_MAJOR_VERSION << 4) | NVENCAPI_MINOR_VERSION, .init = CUDA_SUCCESS,
        .devices = 1, .names = { "NVIDIA L4", "NVIDIA L4" }, .hevc = 1,
    };
}

/* Probe; the reason must contain needle; no context or session may leak. */
static int probe(int gpu, int codec, struct mf_nvenc_host *host, const char *needle)
{
    CudaFunctions cu = {
        .cuInit = f_init, .cuDeviceGetCount = f_count, .cuDeviceGet = f_get,
        .cuDeviceGetName = f_name, .cuCtxCreate = f_ctx_create, .cuCtxDestroy = f_ctx_destroy,
        .cuGetErrorString = f_err,
    };
    NvencFunctions nv = { .NvEncodeAPICreateInstance = f_instance,
                          .NvEncodeAPIGetMaxSupportedVersion = f_max_version };
    char why[256] = "";
    int ret = mf_nvenc_probe_with(&cu, &nv, gpu, codec, host, why, sizeof(why));
    if (needle)
        CHECK_STR_CONTAINS(why, needle);
    CHECK_INT_EQ(fk.ctx_live, 0);
    CHECK_INT_EQ(fk.sessions_live, 0);
    return ret;
}

static void test_probe(void)
{
    struct mf_nvenc_host host;

    /* In the order, each case failing at its own check. */
    reset();
    fk.api = (11 << 4) | 0;
    fk.init = 100;
    CHECK(probe(-1, -1, &host, "NVIDIA driver too old: it offers NVENC API 11.0, mpegflow needs 11.1") == AVERROR(ENOSYS));

    reset();
    fk.init = 100;          /* CUDA_ERROR_NO_DEVICE */
    CHECK(probe(-1, -1, &host, "no CUDA device (cuInit: no CUDA-capable device is detected)") == AVERROR(ENOSYS));

    reset();
    fk.devices = 0;
    CHECK(probe(-1, -1, &host, "no CUDA device") == AVERROR(ENOSYS));

    reset();
    CHECK(probe(1, -1, &host, "MPEGFLOW_GPU=1, but this host has 1 CUDA device") == AVERROR(ENOSYS));

    reset();
    fk.names[0] = "NVIDIA H100 80GB HBM3";
    fk.open[0] = NV_ENC_ERR_UNSUPPORTED_DEVICE;
    CHECK(probe(-1, -1, &host, "GPU 0 (NVIDIA H100 80GB HBM3) has no NVENC engine") == AVERROR(ENOSYS));
    fk.open[0] = NV_ENC_ERR_NO_ENCODE_DEVICE;
    CHECK(probe(0, -1, &host, "GPU 0 (NVIDIA H100 80GB HBM3) has no NVENC engine") == AVERROR(ENOSYS));

    reset();
    fk.hevc = 0;
    CHECK(probe(-1, MF_CODEC_HEVC, &host, "GPU 0 (NVIDIA L4): NVENC cannot encode HEVC") == AVERROR(ENOSYS));
    CHECK(probe(-1, -1, &host, NULL) == 0);     /* H.264 is enough for "usable" */
    CHECK_INT_EQ(host.codecs, 1u << MF_CODEC_H264);

    reset();
    fk.open[0] = NV_ENC_ERR_OUT_OF_MEMORY;
    CHECK(probe(-1, -1, &host, "GPU 0 (NVIDIA L4): NVENC session limit reached") == AVERROR(EBUSY));

    reset();
    fk.open[0] = NV_ENC_ERR_INVALID_VERSION;
    CHECK(probe(-1, -1, &host, "NVIDIA driver too old for NVENC API") == AVERROR(ENOSYS));

    /* Usable: the caps of both codecs, the device that passed. */
    reset();
    CHECK(probe(-1, MF_CODEC_HEVC, &host, NULL) == 0);
    CHECK_INT_EQ(host.gpu, 0);
    CHECK_STR_EQ(host.gpu_name, "NVIDIA L4");
    CHECK_INT_EQ(host.codecs, (1u << MF_CODEC_H264) | (1u << MF_CODEC_HEVC));
    CHECK_INT_EQ(host.caps[MF_CODEC_H264].max_bframes, 4);
    CHECK_INT_EQ(host.caps[MF_CODEC_H264].bframe_ref_mode, 2);
    CHECK_INT_EQ(host.caps[MF_CODEC_H264].temporal_aq, 1);
    CHECK_INT_EQ(host.caps[MF_CODEC_HEVC].temporal_aq, 0);
    CHECK_INT_EQ(host.caps[MF_CODEC_HEVC].width_max, 8192);
    CHECK_INT_EQ(fk.sessions_opened, 1);

    /* Any GPU: the first with NVENC; a named GPU: that one only. */
    reset();
    fk.devices = 2;
    fk.names[0] = "NVIDIA H100 80GB HBM3";
    fk.open[0] = NV_ENC_ERR_UNSUPPORTED_DEVICE;
    CHECK(probe(-1, -1, &host, NULL) == 0);
    CHECK_INT_EQ(host.gpu, 1);
    CHECK_INT_EQ(fk.opened_on, 1);
    CHECK(probe(0, -1, &host, "GPU 0 (NVIDIA H100 80GB HBM3) has no NVENC engine") == AVERROR(ENOSYS));
    fk.open[1] = NV_ENC_ERR_UNSUPPORTED_DEVICE;
    CHECK(probe(-1, -1, &host, "GPU 0 (NVIDIA H100 80GB HBM3) has no NVENC engine") == AVERROR(ENOSYS));
}

int main(void)
{
    test_presets();
    test_caps();
    test_rate_control();
    test_gop_profile_tune();
    test_encoder_name();
    test_probe();
    return UNIT_DONE();
}
