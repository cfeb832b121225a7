/* What bench needs to know of a source and of an output, from libavformat. */
#include "bench.h"

#include <string.h>

#include <libavformat/avformat.h>

int mf_bench_probe_source(struct mf_bench_file *f)
{
    AVFormatContext *fmt = NULL;
    int ret = avformat_open_input(&fmt, f->path, NULL, NULL);
    if (ret < 0)
        return ret;
    if ((ret = avformat_find_stream_info(fmt, NULL)) < 0)
        goto done;
    int v = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (v < 0) {
        ret = v;
        goto done;
    }
    AVStream *st = fmt->streams[v];
    f->width = st->codecpar->width;
    f->height = st->codecpar->height;
    /* The same guess, and fallback, as the pipeline's input.c. */
    AVRational fr = av_guess_frame_rate(fmt, st, NULL);
    f->fps = fr.num > 0 && fr.den > 0 && av_q2d(fr) <= 1000 ? av_q2d(fr) : 25;
    f->duration = fmt->duration > 0 ? fmt->duration / (double)AV_TIME_BASE : 0;
    f->interlaced = st->codecpar->field_order != AV_FIELD_PROGRESSIVE &&
                    st->codecpar->field_order != AV_FIELD_UNKNOWN;
    f->has_audio = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, v, NULL, 0) >= 0;
    ret = 0;
done:
    avformat_close_input(&fmt);
    return ret;
}

int mf_bench_probe_output(const char *path, struct mf_bench_rung *r)
{
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();
    int ret = pkt ? avformat_open_input(&fmt, path, NULL, NULL) : AVERROR(ENOMEM);
    if (ret < 0)
        goto done;
    if ((ret = avformat_find_stream_info(fmt, NULL)) < 0)
        goto done;
    int v = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (v < 0) {
        ret = v;
        goto done;
    }
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        if ((int)i != v)
            fmt->streams[i]->discard = AVDISCARD_ALL;
    AVStream *st = fmt->streams[v];
    r->width = st->codecpar->width;
    r->height = st->codecpar->height;
    r->frames = r->video_bytes = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN, last_dur = 0;
    while ((ret = av_read_frame(fmt, pkt)) >= 0) {
        if (pkt->stream_index == v) {
            r->frames++;
            r->video_bytes += pkt->size;
            if (pkt->pts != AV_NOPTS_VALUE && pkt->pts < lo)
                lo = pkt->pts;
            if (pkt->pts != AV_NOPTS_VALUE && pkt->pts >= hi) {
                hi = pkt->pts;
                last_dur = pkt->duration;
            }
        }
        av_packet_unref(pkt);
    }
    if (ret != AVERROR_EOF)
        goto done;
    ret = 0;
    /* First to last frame plus one average frame: the muxers' guesses of
     * the last frame's duration differ, and must not skew the comparison. */
    r->duration = hi > lo && r->frames > 1 ? (hi - lo) * av_q2d(st->time_base) * r->frames / (r->frames - 1)
                : last_dur * av_q2d(st->time_base);
    r->bitrate = r->duration > 0 ? r->video_bytes * 8 / r->duration : 0;
done:
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
    return ret;
}
