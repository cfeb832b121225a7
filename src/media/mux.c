#include "mux.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"

static int add_stream(struct mf_muxer *m, const struct mf_mux_stream *s, int *index)
{
    AVStream *st = avformat_new_stream(m->oc, NULL);
    if (!st)
        return AVERROR(ENOMEM);
    int ret = avcodec_parameters_copy(st->codecpar, s->par);
    if (ret < 0)
        return ret;
    st->codecpar->codec_tag = 0;
    /* HEVC as hvc1 (parameter sets only in hvcC, which our global-header
     * encoders guarantee), not libavformat's default hev1: Apple players
     * and HLS require hvc1. The HLS muxer passes the tag on to its fMP4. */
    if (s->par->codec_id == AV_CODEC_ID_HEVC)
        st->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1');
    st->time_base = s->time_base;
    if (s->frame_rate.num > 0)
        st->avg_frame_rate = s->frame_rate;
    *index = st->index;
    m->in_tb[st->index] = s->time_base;
    return 0;
}

static void hls_options(AVDictionary **opts, const char *path, double hls_time)
{
    char seg[600], t[32];
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) : 0;
    snprintf(seg, sizeof(seg), "%.*s%sseg_%%05d.m4s", dirlen, path, slash ? "/" : "");
    snprintf(t, sizeof(t), "%g", hls_time);
    av_dict_set(opts, "hls_time", t, 0);
    av_dict_set(opts, "hls_playlist_type", "vod", 0);
    av_dict_set(opts, "hls_segment_type", "fmp4", 0);
    av_dict_set(opts, "hls_segment_filename", seg, 0);
    av_dict_set(opts, "hls_fmp4_init_filename", "init.mp4", 0);
    av_dict_set(opts, "hls_flags", "independent_segments", 0);
}

int mf_muxer_open(struct mf_muxer *m, enum mf_mux_kind kind, const char *path,
                  const struct mf_mux_stream *video, const struct mf_mux_stream *audio,
                  double hls_time, char *err, size_t err_len)
{
    AVDictionary *opts = NULL;
    *m = (struct mf_muxer){ .video_index = -1, .audio_index = -1 };
    snprintf(m->path, sizeof(m->path), "%s", path);
    int ret = avformat_alloc_output_context2(&m->oc, NULL, kind == MF_MUX_HLS ? "hls" : "mp4", path);
    if (ret < 0)
        goto fail;
    if (video && (ret = add_stream(m, video, &m->video_index)) < 0)
        goto fail;
    if (audio && (ret = add_stream(m, audio, &m->audio_index)) < 0)
        goto fail;
    if (kind == MF_MUX_HLS) {
        hls_options(&opts, path, hls_time);
    } else {
        /* moov first, for progressive playback. */
        av_dict_set(&opts, "movflags", "+faststart", 0);
        ret = avio_open(&m->oc->pb, path, AVIO_FLAG_WRITE);
        if (ret < 0)
            goto fail;
    }
    ret = avformat_write_header(m->oc, &opts);
    if (ret < 0)
        goto fail;
    m->open_segment = kind == MF_MUX_HLS;
    av_dict_free(&opts);
    return 0;
fail:
    mf_errf(err, err_len, "%s: cannot start the %s output: %s", path,
            kind == MF_MUX_HLS ? "HLS" : "MP4", av_err2str(ret));
    av_dict_free(&opts);
    mf_muxer_close(m);
    return ret;
}

int mf_muxer_write(struct mf_muxer *m, const AVPacket *pkt, int is_audio, char *err, size_t err_len)
{
    int index = is_audio ? m->audio_index : m->video_index;
    if (index < 0)
        return 0;
    AVPacket *p = av_packet_clone(pkt);
    if (!p)
        return AVERROR(ENOMEM);
    p->stream_index = index;
    av_packet_rescale_ts(p, m->in_tb[index], m->oc->streams[index]->time_base);
    int ret = av_interleaved_write_frame(m->oc, p);
    av_packet_free(&p);
    if (ret < 0)
        mf_errf(err, err_len, "%s: write failed: %s", m->path, av_err2str(ret));
    return ret;
}

int mf_muxer_finish(struct mf_muxer *m, char *err, size_t err_len)
{
    int ret = av_write_trailer(m->oc);
    m->open_segment = 0;
    if (ret < 0)
        mf_errf(err, err_len, "%s: cannot finish the file: %s", m->path, av_err2str(ret));
    return ret;
}

void mf_muxer_close(struct mf_muxer *m)
{
    if (!m->oc)
        return;
    /* FFmpeg 5.1's HLS muxer frees its in-progress segment buffer only in
     * the trailer, so an aborted encode still writes one (its files are
     * removed by the caller). */
    if (m->open_segment)
        av_write_trailer(m->oc);
    if (m->oc->pb && !(m->oc->oformat->flags & AVFMT_NOFILE))
        avio_closep(&m->oc->pb);
    avformat_free_context(m->oc);
    m->oc = NULL;
}
