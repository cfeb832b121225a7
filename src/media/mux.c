#include "mux.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
    if (s->language && (ret = av_dict_set(&st->metadata, "language", s->language, 0)) < 0)
        return ret;
    if (s->title && (ret = av_dict_set(&st->metadata, "title", s->title, 0)) < 0)
        return ret;
    if (s->disposition)
        st->disposition = s->disposition;
    *index = st->index;
    m->in_tb[st->index] = s->time_base;
    return 0;
}

static void hls_options(AVDictionary **opts, const char *path, double hls_time, int first_segment)
{
    char seg[600], t[32];
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) : 0;
    snprintf(seg, sizeof(seg), "%.*s%sseg_%%05d.m4s", dirlen, path, slash ? "/" : "");
    /* FFmpeg's HLS muxer cuts at a keyframe hls_time * n after its first
     * packet. A chunk's first packet is up to a frame after the chunk's
     * start, so a keyframe forced on the unsplit grid may come just short
     * of that (30.006 fps: 1.9996 s): a chunk cuts at every keyframe (only
     * the grid's are forced) by asking for half the GOP. */
    snprintf(t, sizeof(t), "%g", first_segment >= 0 ? hls_time / 2 : hls_time);
    av_dict_set(opts, "hls_time", t, 0);
    av_dict_set(opts, "hls_playlist_type", "vod", 0);
    av_dict_set(opts, "hls_segment_type", "fmp4", 0);
    av_dict_set(opts, "hls_segment_filename", seg, 0);
    av_dict_set(opts, "hls_fmp4_init_filename", "init.mp4", 0);
    av_dict_set(opts, "hls_flags", "independent_segments", 0);
    /* MSE players (hls.js passes fMP4 through, Shaka) do not apply the init
     * segment's edit list, so the B-frame delay must not be in the
     * fragments' timeline: with signed composition offsets (trun v1) the
     * first picture is presented at 0, the time its audio starts. */
    av_dict_set(opts, "hls_segment_options", first_segment < 0 ? "movflags=+negative_cts_offsets"
                : "movflags=+negative_cts_offsets+frag_discont", 0);
    if (first_segment > 0)
        av_dict_set_int(opts, "start_number", first_segment, 0);
}

/* first_segment: -1, or a split chunk's first segment number. */
static int open_tracks(struct mf_muxer *m, enum mf_mux_kind kind, const char *path,
                       const struct mf_mux_stream *video, const struct mf_mux_stream *audio,
                       int n_audio, double hls_time, int first_segment, char *err, size_t err_len)
{
    AVDictionary *opts = NULL;
    *m = (struct mf_muxer){ .video_index = -1 };
    if (n_audio > MF_MUX_MAX_AUDIO)
        n_audio = MF_MUX_MAX_AUDIO;
    snprintf(m->path, sizeof(m->path), "%s", path);
    int ret = avformat_alloc_output_context2(&m->oc, NULL, kind == MF_MUX_HLS ? "hls" : "mp4", path);
    if (ret < 0)
        goto fail;
    if (video && (ret = add_stream(m, video, &m->video_index)) < 0)
        goto fail;
    for (; m->n_audio < n_audio; m->n_audio++)
        if ((ret = add_stream(m, &audio[m->n_audio], &m->audio_index[m->n_audio])) < 0)
            goto fail;
    m->hls = kind == MF_MUX_HLS;
    if (kind == MF_MUX_HLS) {
        hls_options(&opts, path, hls_time, first_segment);
        /* Video: keep the negative DTS of the first pictures (the fMP4 muxer
         * shifts DTS by the composition delay itself); audio: shift priming
         * samples to 0 as before. */
        if (video)
            m->oc->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;
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

int mf_muxer_open_tracks(struct mf_muxer *m, enum mf_mux_kind kind, const char *path,
                         const struct mf_mux_stream *video, const struct mf_mux_stream *audio,
                         int n_audio, double hls_time, char *err, size_t err_len)
{
    return open_tracks(m, kind, path, video, audio, n_audio, hls_time, -1, err, err_len);
}

int mf_muxer_open(struct mf_muxer *m, enum mf_mux_kind kind, const char *path,
                  const struct mf_mux_stream *video, const struct mf_mux_stream *audio,
                  double hls_time, char *err, size_t err_len)
{
    return open_tracks(m, kind, path, video, audio, audio ? 1 : 0, hls_time, -1, err, err_len);
}

int mf_muxer_open_hls_from(struct mf_muxer *m, const char *path, const struct mf_mux_stream *video,
                           double hls_time, int first_segment, char *err, size_t err_len)
{
    return open_tracks(m, MF_MUX_HLS, path, video, NULL, 0, hls_time, first_segment, err, err_len);
}

static int write_now(struct mf_muxer *m, AVPacket *p, int index, char *err, size_t err_len)
{
    p->stream_index = index;
    av_packet_rescale_ts(p, m->in_tb[index], m->oc->streams[index]->time_base);
    int ret = av_interleaved_write_frame(m->oc, p);
    if (ret < 0)
        mf_errf(err, err_len, "%s: write failed: %s", m->path, av_err2str(ret));
    return ret;
}

/* Give the oldest held packet the span to the next picture in presentation
 * order (the HLS muxer sums packet durations into EXTINF; encoders give
 * none, or the nominal rate's), and write it. */
static int release_oldest(struct mf_muxer *m, char *err, size_t err_len)
{
    AVPacket *p = m->held[0];
    int64_t next = INT64_MAX;
    /* the next picture may be held or already written (a P before its Bs) */
    for (int i = 0; i < m->n_seen && i < MF_MUX_SEEN; i++)
        if (m->seen[i] > p->pts && m->seen[i] < next)
            next = m->seen[i];
    if (next != INT64_MAX)
        m->last_duration = next - p->pts;
    else if (m->last_duration <= 0)
        m->last_duration = p->duration;
    p->duration = m->last_duration;
    if (!m->n_released || p->pts + p->duration > m->end_pts)
        m->end_pts = p->pts + p->duration;
    if (!m->n_released++ || p->pts < m->start_pts)
        m->start_pts = p->pts;
    memmove(m->held, m->held + 1, --m->n_held * sizeof(*m->held));
    int ret = write_now(m, p, m->video_index, err, err_len);
    av_packet_free(&p);
    return ret;
}

int mf_muxer_write(struct mf_muxer *m, const AVPacket *pkt, int stream, char *err, size_t err_len)
{
    int is_audio = stream > 0;
    int index = !is_audio ? m->video_index : stream <= m->n_audio ? m->audio_index[stream - 1] : -1;
    if (index < 0)
        return 0;
    AVPacket *p = av_packet_clone(pkt);
    if (!p)
        return AVERROR(ENOMEM);
    if (is_audio || p->pts == AV_NOPTS_VALUE) {
        int ret = write_now(m, p, index, err, err_len);
        av_packet_free(&p);
        return ret;
    }
    m->seen[m->n_seen++ % MF_MUX_SEEN] = p->pts;
    m->held[m->n_held++] = p;
    return m->n_held == MF_MUX_REORDER ? release_oldest(m, err, err_len) : 0;
}

/* FFmpeg 5.1's HLS muxer gives the last segment the durations it summed
 * plus one packet's more (and its split segments the span between their
 * keyframes, which is right). For video, rewrite the last EXTINF as what
 * remains of the presentation; for both, keep the target duration at
 * least 1 and no less than that EXTINF rounded. */
static int fix_last_extinf(struct mf_muxer *m)
{
    FILE *f = fopen(m->path, "r");
    if (!f)
        return AVERROR(errno);
    char buf[1 << 16], *text = NULL;
    size_t len = 0, n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        char *t = realloc(text, len + n + 1);
        if (!t) {
            free(text);
            fclose(f);
            return AVERROR(ENOMEM);
        }
        text = t;
        memcpy(text + len, buf, n);
        len += n;
    }
    fclose(f);
    if (!text)
        return 0;
    text[len] = '\0';
    double before = 0;
    double end = m->video_index >= 0 && m->n_released > 0
                 ? (m->end_pts - m->start_pts) * av_q2d(m->in_tb[m->video_index]) : 0;
    char *last = NULL;
    for (char *p = strstr(text, "#EXTINF:"); p; p = strstr(p + 1, "#EXTINF:")) {
        if (last)
            before += strtod(last + 8, NULL);
        last = p;
    }
    int ret = 0;
    char *target = strstr(text, "#EXT-X-TARGETDURATION:");
    long tgt = target ? strtol(target + 22, NULL, 10) : 0;
    double dur = last ? strtod(last + 8, NULL) : 0;
    if (last && m->video_index >= 0 && end > before)
        dur = end - before;
    /* EXTINF rounded must not exceed it; and 0 (a clip under half a second)
     * is legal but stalls hls.js at the end. */
    long want = (long)(dur + 0.5) > tgt ? (long)(dur + 0.5) : tgt < 1 ? 1 : tgt;
    char *eol = target ? strchr(target, '\n') : NULL;
    if (last && eol && eol < last) {
        char *tail = strchr(last, ',');
        f = fopen(m->path, "w");
        if (!f) {
            free(text);
            return AVERROR(errno);
        }
        fprintf(f, "%.*s#EXT-X-TARGETDURATION:%ld%.*s#EXTINF:%f%s", (int)(target - text), text,
                want, (int)(last - eol), eol, dur, tail ? tail : ",\n");
        ret = fclose(f) ? AVERROR(errno) : 0;
    }
    free(text);
    return ret;
}

int mf_muxer_finish(struct mf_muxer *m, char *err, size_t err_len)
{
    int ret = 0;
    while (m->n_held && ret >= 0)
        ret = release_oldest(m, err, err_len);
    if (ret < 0)
        return ret;
    ret = av_write_trailer(m->oc);
    m->open_segment = 0;
    if (ret >= 0 && m->hls)
        ret = fix_last_extinf(m);
    if (ret < 0)
        mf_errf(err, err_len, "%s: cannot finish the file: %s", m->path, av_err2str(ret));
    return ret;
}

void mf_muxer_close(struct mf_muxer *m)
{
    while (m->n_held)
        av_packet_free(&m->held[--m->n_held]);
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
