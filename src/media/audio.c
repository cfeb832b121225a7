#include "audio.h"

#include <stdio.h>
#include <string.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
#include <libavutil/opt.h>

#include "avlog.h"
#include "input.h"
#include "common/util.h"

#define OUT_RATE 48000

/* Audio codecs the players we target play from each output kind (RFC 8216
 * and Apple's HLS authoring rules for fMP4; browsers' MSE): an MP4 may
 * carry more than an HLS rendition may. */
static int hls_playable(enum AVCodecID id)
{
    return id == AV_CODEC_ID_AAC || id == AV_CODEC_ID_AC3 || id == AV_CODEC_ID_EAC3;
}

static int mp4_playable(enum AVCodecID id)
{
    return hls_playable(id) || id == AV_CODEC_ID_MP3 || id == AV_CODEC_ID_OPUS ||
           id == AV_CODEC_ID_FLAC || id == AV_CODEC_ID_ALAC;
}

static int open_copy(struct mf_audio *a, const AVStream *st, const struct mf_job *job,
                     const char *path, char *err, size_t err_len)
{
    enum AVCodecID id = st->codecpar->codec_id;
    const AVOutputFormat *mp4 = av_guess_format("mp4", NULL, NULL);
    if ((job->format & MF_FORMAT_MP4) &&
        (avformat_query_codec(mp4, id, FF_COMPLIANCE_NORMAL) != 1 || !mp4_playable(id))) {
        mf_errf(err, err_len, "%s: audio.mode \"copy\": %s audio cannot be stored in MP4 for "
                "players (MP4 takes AAC, MP3, AC-3, E-AC-3, Opus, FLAC, ALAC); use \"aac\"",
                path, avcodec_get_name(id));
        return AVERROR(EINVAL);
    }
    if ((job->format & (MF_FORMAT_HLS | MF_FORMAT_DASH)) && !hls_playable(id)) {
        mf_errf(err, err_len, "%s: audio.mode \"copy\": %s audio cannot go into HLS (HLS players "
                "take AAC, AC-3, E-AC-3); use \"aac\"%s",
                path, avcodec_get_name(id), mp4_playable(id) ? ", or format \"mp4\" to keep it" : "");
        return AVERROR(EINVAL);
    }
    a->copy = 1;
    a->par = avcodec_parameters_alloc();
    if (!a->par)
        return AVERROR(ENOMEM);
    a->time_base = st->time_base;
    return avcodec_parameters_copy(a->par, st->codecpar);
}

static int open_encoder(struct mf_audio *a, int channels, int64_t bitrate)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!codec)
        return AVERROR_ENCODER_NOT_FOUND;
    a->enc = avcodec_alloc_context3(codec);
    if (!a->enc)
        return AVERROR(ENOMEM);
    a->enc->sample_rate = OUT_RATE;
    a->enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    av_channel_layout_default(&a->enc->ch_layout, channels);
    a->enc->bit_rate = bitrate;
    a->enc->time_base = (AVRational){ 1, OUT_RATE };
    a->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;   /* AudioSpecificConfig for MP4 */
    int ret = avcodec_open2(a->enc, codec, NULL);
    if (ret < 0)
        return ret;
    a->par = avcodec_parameters_alloc();
    if (!a->par)
        return AVERROR(ENOMEM);
    a->time_base = a->enc->time_base;
    return avcodec_parameters_from_context(a->par, a->enc);
}

static int open_filter(struct mf_audio *a, int channels)
{
    char args[512], layout[64], desc[128];
    const AVCodecContext *d = a->dec;
    a->graph = avfilter_graph_alloc();
    if (!a->graph)
        return AVERROR(ENOMEM);
    if (d->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
        AVChannelLayout def;
        av_channel_layout_default(&def, d->ch_layout.nb_channels);
        av_channel_layout_describe(&def, layout, sizeof(layout));
    } else {
        av_channel_layout_describe(&d->ch_layout, layout, sizeof(layout));
    }
    /* Frames carry their position in samples (see push_frame). */
    snprintf(args, sizeof(args), "time_base=1/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s",
             d->sample_rate, d->sample_rate, av_get_sample_fmt_name(d->sample_fmt), layout);
    int ret = avfilter_graph_create_filter(&a->src, avfilter_get_by_name("abuffer"), "in", args, NULL, a->graph);
    if (ret < 0)
        return ret;
    ret = avfilter_graph_create_filter(&a->sink, avfilter_get_by_name("abuffersink"), "out", NULL, NULL, a->graph);
    if (ret < 0)
        return ret;
    /* Downmix with swresample's default matrix; resample to 48 kHz. */
    snprintf(desc, sizeof(desc), "aresample=%d,aformat=sample_fmts=fltp:channel_layouts=%s",
             OUT_RATE, channels == 1 ? "mono" : channels == 6 ? "5.1" : "stereo");
    AVFilterInOut *out = avfilter_inout_alloc(), *in = avfilter_inout_alloc();
    if (!out || !in) {
        avfilter_inout_free(&out);
        avfilter_inout_free(&in);
        return AVERROR(ENOMEM);
    }
    *out = (AVFilterInOut){ .name = av_strdup("in"), .filter_ctx = a->src };
    *in = (AVFilterInOut){ .name = av_strdup("out"), .filter_ctx = a->sink };
    ret = avfilter_graph_parse_ptr(a->graph, desc, &in, &out, NULL);
    avfilter_inout_free(&in);
    avfilter_inout_free(&out);
    if (ret < 0)
        return ret;
    ret = avfilter_graph_config(a->graph, NULL);
    if (ret < 0)
        return ret;
    /* AAC takes exactly frame_size samples per frame. */
    av_buffersink_set_frame_size(a->sink, a->enc->frame_size);
    return 0;
}

int mf_audio_open(struct mf_audio *a, struct mf_input *in, const struct mf_job *job,
                  int64_t zero_us, mf_audio_emit_fn emit, void *opaque,
                  struct mf_timeline_report *report, char *err, size_t err_len)
{
    return mf_audio_open_stream(a, in, in->audio_index, in->adec, job, zero_us, emit, opaque, report,
                                err, err_len);
}

int mf_audio_open_stream(struct mf_audio *a, struct mf_input *in, int stream, AVCodecContext *dec,
                         const struct mf_job *job, int64_t zero_us, mf_audio_emit_fn emit, void *opaque,
                         struct mf_timeline_report *report, char *err, size_t err_len)
{
    const AVStream *st = in->fmt->streams[stream];
    const char *path = in->fmt->url;
    *a = (struct mf_audio){ .dec = dec, .in_tb = st->time_base, .emit = emit, .opaque = opaque,
                            .copy_end = AV_NOPTS_VALUE, .report = report };
    int ret;
    if (job->audio_mode == MF_AUDIO_COPY) {
        ret = open_copy(a, st, job, path, err, err_len);
    } else {
        ret = open_encoder(a, job->audio_channels, job->audio_bitrate);
        if (ret < 0) {
            mf_errf(err, err_len, "%s: cannot open the AAC encoder: %s", path, av_err2str(ret));
            return ret;
        }
        ret = open_filter(a, job->audio_channels);
        if (ret < 0)
            mf_errf(err, err_len, "%s: cannot convert the %s audio to %d Hz: %s", path,
                    avcodec_get_name(st->codecpar->codec_id), OUT_RATE, av_err2str(ret));
        a->frame = av_frame_alloc();
        a->out = av_frame_alloc();
        if ((!a->frame || !a->out) && ret >= 0)
            ret = AVERROR(ENOMEM);
    }
    /* Copy: packets keep the input time base; transcode: frames are shifted
     * in the input time base before the filter. Either way in_tb. */
    a->zero = av_rescale_q(zero_us, AV_TIME_BASE_Q, a->in_tb);
    return ret;
}

int mf_audio_open_twin(struct mf_audio *twin, struct mf_audio *a, int channels, int64_t bitrate,
                       mf_audio_emit_fn emit, void *opaque, char *err, size_t err_len)
{
    *twin = (struct mf_audio){ .dec = a->dec, .in_tb = a->in_tb, .emit = emit, .opaque = opaque,
                               .copy_end = AV_NOPTS_VALUE, .report = a->report, .zero = a->zero };
    int ret = a->copy ? AVERROR(EINVAL) : open_encoder(twin, channels, bitrate);
    if (ret >= 0)
        ret = open_filter(twin, channels);
    twin->frame = av_frame_alloc();
    twin->out = av_frame_alloc();
    if ((!twin->frame || !twin->out) && ret >= 0)
        ret = AVERROR(ENOMEM);
    if (ret < 0) {
        mf_errf(err, err_len, "cannot open the AAC encoder for %d channels: %s", channels, av_err2str(ret));
        return ret;
    }
    a->twin = twin;
    return 0;
}

/* Copied packets move to the video's timeline; those wholly before the
 * first video frame are dropped so every output starts at 0 with picture. */
static int emit_copied(struct mf_audio *a, AVPacket *pkt)
{
    if (pkt->pts != AV_NOPTS_VALUE)
        pkt->pts -= a->zero;
    if (pkt->dts != AV_NOPTS_VALUE)
        pkt->dts -= a->zero;
    if (pkt->pts != AV_NOPTS_VALUE && pkt->pts + pkt->duration <= 0)
        return 0;
    /* A packet cannot be cut: one that starts more than half its length
     * before the end of the last one overlaps it and is dropped; a gap
     * stays (MP4 and HLS carry it in the timestamps). */
    if (pkt->pts != AV_NOPTS_VALUE && a->copy_end != AV_NOPTS_VALUE) {
        int64_t d = pkt->pts - a->copy_end;
        int64_t half = pkt->duration > 0 ? pkt->duration / 2 : 0;
        if (d < -half || (pkt->dts != AV_NOPTS_VALUE && pkt->dts < a->copy_end - half)) {
            a->report->audio_overlaps_trimmed++;
            a->report->audio_trimmed_s += (pkt->duration > 0 ? pkt->duration : 0) * av_q2d(a->in_tb);
            return 0;
        }
        if (d > av_rescale_q(1, (AVRational){ 1, 100 }, a->in_tb)) {
            a->report->audio_gaps_kept++;
            a->report->audio_gaps_kept_s += d * av_q2d(a->in_tb);
        }
    }
    if (pkt->pts != AV_NOPTS_VALUE)
        a->copy_end = pkt->pts + (pkt->duration > 0 ? pkt->duration : 1);
    return a->emit(pkt, a->opaque);
}

static int drain_encoder(struct mf_audio *a, AVPacket *pkt)
{
    int ret;
    while ((ret = avcodec_receive_packet(a->enc, pkt)) >= 0) {
        ret = a->emit(pkt, a->opaque);
        av_packet_unref(pkt);
        if (ret < 0)
            return ret;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

static int drain_filter(struct mf_audio *a, AVPacket *pkt, int flushing)
{
    int ret;
    while ((ret = av_buffersink_get_frame(a->sink, a->out)) >= 0) {
        ret = avcodec_send_frame(a->enc, a->out);
        av_frame_unref(a->out);
        if (ret < 0)
            return ret;
        if ((ret = drain_encoder(a, pkt)) < 0)
            return ret;
    }
    if (ret == AVERROR_EOF && flushing) {
        if ((ret = avcodec_send_frame(a->enc, NULL)) < 0)
            return ret;
        return drain_encoder(a, pkt);
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

/* Send frame on at the next position of the output timeline. */
static int push_frame(struct mf_audio *a, AVFrame *frame, AVPacket *pkt)
{
    frame->pts = a->base + a->pos;
    a->pos += frame->nb_samples;
    int ret;
    /* The twin (another channel layout) gets a reference first: add_frame takes the frame's. */
    if (a->twin && ((ret = av_buffersrc_write_frame(a->twin->src, frame)) < 0 ||
                    (ret = drain_filter(a->twin, pkt, 0)) < 0))
        return ret;
    ret = av_buffersrc_add_frame(a->src, frame);
    if (ret < 0)
        return ret;
    return drain_filter(a, pkt, 0);
}

/* n samples of silence shaped like ref, in frames of at most 4096. */
static int push_silence(struct mf_audio *a, const AVFrame *ref, int64_t n, AVPacket *pkt)
{
    while (n > 0) {
        AVFrame *s = av_frame_alloc();
        int ret = s ? 0 : AVERROR(ENOMEM);
        if (s) {
            s->format = ref->format;
            s->sample_rate = ref->sample_rate;
            s->nb_samples = (int)(n < 4096 ? n : 4096);
            ret = av_channel_layout_copy(&s->ch_layout, &ref->ch_layout);
        }
        if (ret >= 0)
            ret = av_frame_get_buffer(s, 0);
        if (ret >= 0)
            ret = av_samples_set_silence(s->extended_data, 0, s->nb_samples, s->ch_layout.nb_channels,
                                         s->format);
        if (ret >= 0) {
            n -= s->nb_samples;
            ret = push_frame(a, s, pkt);
        }
        av_frame_free(&s);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* frame without its first k samples (0 < k < nb_samples), in a new frame. */
static AVFrame *trim_front(const AVFrame *f, int k)
{
    AVFrame *t = av_frame_alloc();
    if (!t)
        return NULL;
    t->format = f->format;
    t->sample_rate = f->sample_rate;
    t->nb_samples = f->nb_samples - k;
    if (av_channel_layout_copy(&t->ch_layout, &f->ch_layout) < 0 || av_frame_get_buffer(t, 0) < 0 ||
        av_frame_copy_props(t, f) < 0) {
        av_frame_free(&t);
        return NULL;
    }
    av_samples_copy(t->extended_data, f->extended_data, 0, k, t->nb_samples, f->ch_layout.nb_channels,
                    f->format);
    return t;
}

/* Place one decoded frame (pts in samples since the origin) on the output
 * timeline, which has no holes and no overlaps: a frame that starts more
 * than 10 ms before where the last ended loses what overlaps (a splice's
 * repeated or priming packet), one that starts more than 10 ms after it
 * follows silence (a gap). Smaller differences are rounding and jitter:
 * the frame just follows on, so A/V sync stays within 10 ms. */
static int place_frame(struct mf_audio *a, AVFrame *frame, int64_t pts, AVPacket *pkt)
{
    if (!a->started) {
        a->started = 1;
        a->base = pts;
        return push_frame(a, frame, pkt);
    }
    int64_t d = pts - (a->base + a->pos), tol = frame->sample_rate / 100;
    double sr = frame->sample_rate;
    if (d < -tol) {
        int64_t k = -d;
        a->report->audio_overlaps_trimmed++;
        a->report->audio_trimmed_s += (k < frame->nb_samples ? k : frame->nb_samples) / sr;
        if (k >= frame->nb_samples)
            return 0;
        AVFrame *t = trim_front(frame, (int)k);
        if (!t)
            return AVERROR(ENOMEM);
        int ret = push_frame(a, t, pkt);
        av_frame_free(&t);
        return ret;
    }
    if (d > tol) {
        a->report->audio_gaps_filled++;
        a->report->audio_gaps_filled_s += d / sr;
        int ret = push_silence(a, frame, d, pkt);
        if (ret < 0)
            return ret;
    }
    return push_frame(a, frame, pkt);
}

static int decode_and_encode(struct mf_audio *a, const AVPacket *in, AVPacket *pkt)
{
    int ret = avcodec_send_packet(a->dec, in);
    /* A damaged audio packet is skipped, as players do. */
    if (ret < 0 && ret != AVERROR_EOF && ret != AVERROR_INVALIDDATA)
        return ret;
    while ((ret = avcodec_receive_frame(a->dec, a->frame)) >= 0) {
        /* Decoded audio moves to the video's timeline before encoding, so
         * the encoder's own priming delay stays intact. */
        int64_t pts = a->frame->best_effort_timestamp;
        AVRational sr = { 1, a->frame->sample_rate };
        if (pts == AV_NOPTS_VALUE && a->started) {
            pts = a->base + a->pos;       /* no timestamp: it follows on */
        } else if (pts == AV_NOPTS_VALUE ||
                   (!a->started && pts - a->zero + av_rescale_q(a->frame->nb_samples, sr, a->in_tb) <= 0)) {
            av_frame_unref(a->frame);     /* wholly before the first video frame */
            continue;
        } else {
            pts = av_rescale_q(pts - a->zero, a->in_tb, sr);
        }
        ret = place_frame(a, a->frame, pts, pkt);
        av_frame_unref(a->frame);
        if (ret < 0)
            return ret;
    }
    if (ret == AVERROR_EOF && !in) {
        if (a->twin && ((ret = av_buffersrc_add_frame(a->twin->src, NULL)) < 0 ||
                        (ret = drain_filter(a->twin, pkt, 1)) < 0))
            return ret;
        if ((ret = av_buffersrc_add_frame(a->src, NULL)) < 0)
            return ret;
        return drain_filter(a, pkt, 1);
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF || ret == AVERROR_INVALIDDATA ? 0 : ret;
}

int mf_audio_packet(struct mf_audio *a, const AVPacket *in, char *err, size_t err_len)
{
    int ret;
    if (a->copy) {
        if (!in)
            return 0;
        AVPacket *p = av_packet_clone(in);
        if (!p)
            return AVERROR(ENOMEM);
        ret = emit_copied(a, p);
        av_packet_free(&p);
        return ret;
    }
    AVPacket *pkt = av_packet_alloc();
    if (!pkt)
        return AVERROR(ENOMEM);
    ret = decode_and_encode(a, in, pkt);
    av_packet_free(&pkt);
    if (ret < 0) {
        const char *why = mf_avlog_take();
        mf_errf(err, err_len, "audio: %s%s%s%s", av_err2str(ret), *why ? " (" : "", why, *why ? ")" : "");
    }
    return ret;
}

void mf_audio_close(struct mf_audio *a)
{
    avcodec_free_context(&a->enc);
    avfilter_graph_free(&a->graph);
    av_frame_free(&a->frame);
    av_frame_free(&a->out);
    avcodec_parameters_free(&a->par);
}
