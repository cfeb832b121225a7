#include "video_filter.h"

#include <stdio.h>
#include <string.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/pixdesc.h>

#include "util.h"

int mf_vfilter_is_hdr(enum AVColorTransferCharacteristic trc)
{
    return trc == AVCOL_TRC_SMPTE2084 || trc == AVCOL_TRC_ARIB_STD_B67;
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
    int n = snprintf(buf, len, "%sscale=w=%d:h=%d:flags=bicubic%s%s,format=yuv420p,setsar=1",
                     p->deinterlace ? "bwdif=mode=send_frame:parity=auto:deint=interlaced," : "",
                     sw, sh, tonemap, rotate);
    return n < 0 || (size_t)n >= len ? AVERROR(ENOSPC) : 0;
}

int mf_vfilter_open(struct mf_vfilter *vf, const struct mf_vfilter_params *p, char *err, size_t err_len)
{
    char desc[512], args[256];
    AVFilterInOut *in = NULL, *out = NULL;
    int ret = mf_vfilter_describe(p, desc, sizeof(desc));
    if (ret < 0)
        return ret;
    *vf = (struct mf_vfilter){ .params = *p };
    vf->graph = avfilter_graph_alloc();
    if (!vf->graph)
        return AVERROR(ENOMEM);
    AVRational sar = p->in_sar.num > 0 && p->in_sar.den > 0 ? p->in_sar : (AVRational){ 1, 1 };
    snprintf(args, sizeof(args), "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
             p->in_width, p->in_height, p->in_format, p->time_base.num, p->time_base.den,
             sar.num, sar.den);
    ret = avfilter_graph_create_filter(&vf->src, avfilter_get_by_name("buffer"), "in", args, NULL, vf->graph);
    if (ret < 0)
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
    ret = avfilter_graph_config(vf->graph, NULL);
    if (ret < 0)
        goto fail;
    avfilter_inout_free(&in);
    avfilter_inout_free(&out);
    return 0;
fail:
    mf_errf(err, err_len, "video filter '%s' on %dx%d %s: %s", desc, p->in_width, p->in_height,
            av_get_pix_fmt_name(p->in_format) ? av_get_pix_fmt_name(p->in_format) : "?", av_err2str(ret));
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
    /* bwdif halves the time base; hand frames back in the input's. */
    if (ret >= 0 && out->pts != AV_NOPTS_VALUE)
        out->pts = av_rescale_q(out->pts, av_buffersink_get_time_base(vf->sink), vf->params.time_base);
    return ret;
}

void mf_vfilter_close(struct mf_vfilter *vf)
{
    avfilter_graph_free(&vf->graph);
    vf->src = vf->sink = NULL;
}
