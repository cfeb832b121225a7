/*
 * Where the pictures cross between host and GPU memory (nvenc only):
 *
 * - CUDA frames (NVDEC) stay on the GPU: yadif_cuda, then scale_cuda to
 *   the rendition's size in NV12 (10-bit p010 is converted there). Tone
 *   mapping and rotation have no CUDA filter in FFmpeg 5.1 (no
 *   tonemap_cuda; transpose_npp needs libnpp, which Debian does not
 *   build), so for those the *scaled* picture is downloaded, filtered on
 *   the CPU and uploaded once: the CPU only touches rendition-sized
 *   pictures and the decode stays on NVDEC. For a tone-map the scaled
 *   picture stays 10-bit (p010) until the CPU has mapped it.
 * - CPU frames (a codec or stream NVDEC refuses, or a hwaccel fallback)
 *   are filtered on the CPU exactly as for x264 and uploaded once, last:
 *   the upload then carries the small 8-bit NV12 rendition rather than
 *   the source, and those sources are mostly in formats scale_cuda cannot
 *   read (4:2:2, planar 10-bit), which would need a full-size CPU
 *   conversion before any upload anyway.
 * - `hwupload` (not hwupload_cuda, which creates a CUDA device of its
 *   own) uploads to the job's device, so the encoder, the decoder and
 *   every graph share one CUDA context.
 */
#include "video_filter.h"

#include <stdio.h>
#include <string.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>

#include "common/util.h"

int mf_vfilter_is_hdr(enum AVColorTransferCharacteristic trc)
{
    return trc == AVCOL_TRC_SMPTE2084 || trc == AVCOL_TRC_ARIB_STD_B67;
}

int mf_vfilter_cuda_can_scale(enum AVPixelFormat f)
{
    /* scale_cuda's supported_formats in FFmpeg 5.1 that NVDEC can output */
    return f == AV_PIX_FMT_NV12 || f == AV_PIX_FMT_YUV420P || f == AV_PIX_FMT_YUV444P ||
           f == AV_PIX_FMT_P010LE || f == AV_PIX_FMT_P016LE || f == AV_PIX_FMT_YUV444P16LE;
}

static int high_bit_depth(enum AVPixelFormat f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    return d && d->comp[0].depth > 8;
}

int mf_vfilter_describe(const struct mf_vfilter_params *p, char *buf, size_t len)
{
    int sideways = p->rotation == 90 || p->rotation == 270;
    /* Scale before rotating: transposing the small picture is cheaper. */
    int sw = sideways ? p->out_height : p->out_width;
    int sh = sideways ? p->out_width : p->out_height;
    const char *rotate = p->rotation == 90 ? ",transpose=clock"
                       : p->rotation == 270 ? ",transpose=cclock"
                       : p->rotation == 180 ? ",hflip,vflip" : "";
    /* Tone-map in linear light with zimg (Hable curve), then back to
     * BT.709 limited range: what SDR players expect of an 8-bit stream. */
    const char *tonemap = p->tonemap
        ? ",zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,"
          "tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv" : "";
    const char *out = p->hw_out ? "nv12" : "yuv420p";
    const char *upload = p->hw_out ? ",hwupload" : "";
    int hw_in = p->in_format == AV_PIX_FMT_CUDA;
    int n;

    if (hw_in && mf_vfilter_cuda_can_scale(p->in_sw_format)) {
        int cpu_part = p->tonemap || p->rotation || !p->hw_out;
        const char *scaled = p->tonemap && high_bit_depth(p->in_sw_format) ? "p010le" : "nv12";
        n = snprintf(buf, len, "%sscale_cuda=w=%d:h=%d:interp_algo=bicubic:format=%s",
                     p->deinterlace ? "yadif_cuda=mode=send_frame:parity=auto:deint=interlaced," : "",
                     sw, sh, scaled);
        if (n >= 0 && (size_t)n < len && cpu_part)
            n += snprintf(buf + n, len - n, ",hwdownload,format=%s%s%s,format=%s%s",
                          scaled, tonemap, rotate, out, upload);
        if (n >= 0 && (size_t)n < len)
            n += snprintf(buf + n, len - n, ",setsar=1");
        return n < 0 || (size_t)n >= len ? AVERROR(ENOSPC) : 0;
    }
    /* CPU frames, or CUDA frames scale_cuda cannot read: all on the CPU. */
    const char *in_name = hw_in ? av_get_pix_fmt_name(p->in_sw_format) : NULL;
    n = snprintf(buf, len, "%s%s%s%sscale=w=%d:h=%d:flags=bicubic%s%s,format=%s%s,setsar=1",
                 in_name ? "hwdownload,format=" : "", in_name ? in_name : "", in_name ? "," : "",
                 p->deinterlace ? "bwdif=mode=send_frame:parity=auto:deint=interlaced," : "",
                 sw, sh, tonemap, rotate, out, upload);
    return n < 0 || (size_t)n >= len ? AVERROR(ENOSPC) : 0;
}

/* A graph bound for NVENC must hand it NV12 frames on the job's device. */
static int check_hw_output(const struct mf_vfilter *vf, const AVBufferRef *device, char *why, size_t len)
{
    const AVBufferRef *ref = av_buffersink_get_hw_frames_ctx(vf->sink);
    const AVHWFramesContext *f = ref ? (const AVHWFramesContext *)ref->data : NULL;
    const char *got = av_get_pix_fmt_name(av_buffersink_get_format(vf->sink));

    if (!f) {
        mf_errf(why, len, "its output is %s frames in host memory, not on the GPU", got ? got : "?");
        return AVERROR_BUG;
    }
    if (f->device_ref->data != device->data) {
        mf_errf(why, len, "its output frames are on another device than the job's");
        return AVERROR_BUG;
    }
    if (f->sw_format != MF_VFILTER_HW_SW_FORMAT) {
        mf_errf(why, len, "its output is %s, the encoder was opened for nv12",
                av_get_pix_fmt_name(f->sw_format));
        return AVERROR_BUG;
    }
    return 0;
}

static int create_source(struct mf_vfilter *vf, const struct mf_vfilter_params *p)
{
    char args[256];
    AVRational sar = p->in_sar.num > 0 && p->in_sar.den > 0 ? p->in_sar : (AVRational){ 1, 1 };
    snprintf(args, sizeof(args), "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
             p->in_width, p->in_height, p->in_format, p->time_base.num, p->time_base.den,
             sar.num, sar.den);
    int ret = avfilter_graph_create_filter(&vf->src, avfilter_get_by_name("buffer"), "in", args, NULL, vf->graph);
    if (ret < 0 || !p->in_frames)
        return ret;
    /* Hardware frames: the source must carry their frames context, which
     * scale_cuda/yadif_cuda/hwdownload read at configuration. */
    AVBufferSrcParameters *par = av_buffersrc_parameters_alloc();
    if (!par)
        return AVERROR(ENOMEM);
    par->format = AV_PIX_FMT_NONE;    /* already set from args */
    par->hw_frames_ctx = p->in_frames;
    ret = av_buffersrc_parameters_set(vf->src, par);
    av_free(par);
    if (ret >= 0 && !(vf->in_frames = av_buffer_ref(p->in_frames)))
        ret = AVERROR(ENOMEM);
    return ret;
}

int mf_vfilter_open(struct mf_vfilter *vf, const struct mf_vfilter_params *p, char *err, size_t err_len)
{
    char desc[640], why[160] = "";
    AVFilterInOut *in = NULL, *out = NULL;
    int ret = mf_vfilter_describe(p, desc, sizeof(desc));
    if (ret < 0)
        return ret;
    *vf = (struct mf_vfilter){ .params = *p };
    vf->params.hw_device = vf->params.in_frames = NULL;
    if ((p->in_format == AV_PIX_FMT_CUDA && !p->in_frames) || (p->hw_out && !p->hw_device)) {
        mf_errf(err, err_len, "video filter '%s': no %s given", desc,
                p->hw_out && !p->hw_device ? "device" : "frames context for the CUDA frames");
        return AVERROR(EINVAL);
    }
    vf->graph = avfilter_graph_alloc();
    if (!vf->graph)
        return AVERROR(ENOMEM);
    vf->graph->nb_threads = p->threads;
    if ((ret = create_source(vf, p)) < 0)
        goto fail;
    ret = avfilter_graph_create_filter(&vf->sink, avfilter_get_by_name("buffersink"), "out", NULL, NULL, vf->graph);
    if (ret < 0)
        goto fail;
    out = avfilter_inout_alloc();
    in = avfilter_inout_alloc();
    if (!out || !in) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    *out = (AVFilterInOut){ .name = av_strdup("in"), .filter_ctx = vf->src };
    *in = (AVFilterInOut){ .name = av_strdup("out"), .filter_ctx = vf->sink };
    ret = avfilter_graph_parse_ptr(vf->graph, desc, &in, &out, NULL);
    if (ret < 0)
        goto fail;
    /* hwupload uploads to the filter's device: the job's, as ffmpeg does
     * with -filter_hw_device. Filters that need no device ignore it. */
    for (unsigned i = 0; p->hw_device && i < vf->graph->nb_filters; i++) {
        if (!(vf->graph->filters[i]->hw_device_ctx = av_buffer_ref(p->hw_device))) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
    }
    ret = avfilter_graph_config(vf->graph, NULL);
    if (ret < 0)
        goto fail;
    if (p->hw_out && (ret = check_hw_output(vf, p->hw_device, why, sizeof(why))) < 0)
        goto fail;
    avfilter_inout_free(&in);
    avfilter_inout_free(&out);
    return 0;
fail:
    {
        enum AVPixelFormat shown = p->in_format == AV_PIX_FMT_CUDA ? p->in_sw_format : p->in_format;
        const char *name = av_get_pix_fmt_name(shown);
        mf_errf(err, err_len, "video filter '%s' on %dx%d %s%s: %s", desc, p->in_width, p->in_height,
                name ? name : "?", p->in_format == AV_PIX_FMT_CUDA ? " (CUDA frames)" : "",
                why[0] ? why : av_err2str(ret));
    }
    avfilter_inout_free(&in);
    avfilter_inout_free(&out);
    mf_vfilter_close(vf);
    return ret;
}

int mf_vfilter_push(struct mf_vfilter *vf, AVFrame *frame)
{
    return av_buffersrc_add_frame_flags(vf->src, frame, AV_BUFFERSRC_FLAG_KEEP_REF);
}

int mf_vfilter_pull(struct mf_vfilter *vf, AVFrame *out)
{
    int ret = av_buffersink_get_frame(vf->sink, out);
    /* bwdif and yadif_cuda halve the time base; hand frames back in the input's. */
    if (ret >= 0 && out->pts != AV_NOPTS_VALUE)
        out->pts = av_rescale_q(out->pts, av_buffersink_get_time_base(vf->sink), vf->params.time_base);
    return ret;
}

void mf_vfilter_close(struct mf_vfilter *vf)
{
    avfilter_graph_free(&vf->graph);
    av_buffer_unref(&vf->in_frames);
    vf->src = vf->sink = NULL;
}
