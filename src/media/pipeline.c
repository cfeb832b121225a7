/*
 * The transcode pipeline. One thread demuxes and decodes, encodes audio
 * once, and hands every video frame (by reference, no copy) to one thread
 * per rendition, which scales, encodes and muxes on its own. A rendition at
 * most half as tall as another is fed that one's scaled frames instead
 * (cascade): 1080p -> 720p -> 360p, a cheap 2:1 scale instead of 3:1.
 * Keyframes are decided here, by timestamp, and travel with the frames, so
 * every rendition cuts its GOPs and HLS segments at the same frames.
 */
#include "pipeline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/cpu.h>

#include "audio.h"
#include "audio_tracks.h"
#include "avlog.h"
#include "gpu_job.h"
#include "hls_master.h"
#include "hwdevice.h"
#include "images.h"
#include "input.h"
#include "ladder.h"
#include "output_files.h"
#include "result.h"
#include "rendition.h"
#include "subtitles.h"
#include "timeline.h"
#include "common/clock.h"
#include "common/util.h"

struct pipeline {
    const struct mf_job *job;
    const struct mf_pipeline_opts *opts;
    struct mf_output_files files;
    struct mf_input in;
    struct mf_plan plan;
    const struct mf_encoder_backend *backend;
    int device;                   /* the device its probe chose (-1: none) */
    struct mf_rendition_run runs[MF_MAX_RENDITIONS];
    int n_runs;                   /* runs[0..n_runs) may have been started */
    int parent[MF_MAX_RENDITIONS]; /* the run rendition i scales from; -1: the decoder */
    /* Audio: one rendition per kept track and per 5.1 rendition (audio.tracks,
     * audio.surround), in sel's order; a 5.1 one is its track's twin. */
    struct mf_audio_selection sel;
    struct mf_audio audio[MF_MAX_AUDIO_OUT];
    struct mf_muxer audio_hls[MF_MAX_AUDIO_OUT];
    struct mf_mux_stream audio_mp4[MF_MAX_AUDIO_OUT];   /* the MP4s' audio streams */
    struct audio_sink { struct pipeline *p; int k; } sinks[MF_MAX_AUDIO_OUT];
    int n_audio;                  /* audio[0..n_audio) are open */
    struct mf_timeline_report other_tracks;  /* the timeline of tracks after the first: not reported */
    int has_audio;
    struct mf_muxer chunk_audio;    /* a split's first chunk: its audio tracks for the stitched MP4s */
    struct mf_gpu_job gpu;          /* nvenc: the job's CUDA device, NVDEC, sessions */
    struct mf_splice splice;        /* re-bases jumps in the demuxed timestamps */
    struct mf_subtitles subs;       /* text tracks and captions to WebVTT */
    struct mf_images images;        /* poster, thumbnail sprites: from frames at sample times */
    /* video timeline, in the input stream's time base */
    AVRational tb;
    int64_t zero, last_pts, origin, frame_step;
    double next_keyframe;
    int chunk, chunk_done;          /* a split chunk; its end reached */
    int64_t frames_in, frames_dropped, decode_errors;
    double t0, last_progress, media_seconds;
    struct mf_result *result;
    char *err;
    size_t err_len;
};

/* The backend for this job (backends/select.c): the caller's (--backend,
 * the pool's), else the job's; "auto" picks by codec; the fallback when the
 * first is unusable here. A job that asks for a codec its backend does not
 * encode fails with EINVAL (the job's error, not the host's). */
static int select_backend(struct pipeline *p)
{
    const char *gpu = getenv("MPEGFLOW_GPU");
    struct mf_encoder_request req = {
        .codec = p->job->codec,
        .name = p->opts->backend && strcmp(p->opts->backend, "auto") ? p->opts->backend : p->job->backend,
        .fallback = p->opts->fallback_backend,
    };
    struct mf_encoder_selection sel;
    char why[MF_ERR_MAX];
    int bad_gpu = mf_hwdevice_parse_index(gpu, &req.device) < 0;
    int ret = mf_encoder_backend_select(&req, &sel, why, sizeof(why));
    if (ret < 0) {
        mf_errf(p->err, p->err_len, "%s%s", ret == AVERROR(EINVAL) ? "video.codec: " : "", why);
        return ret;
    }
    if (bad_gpu && sel.backend->hw_device != AV_HWDEVICE_TYPE_NONE) {
        mf_errf(p->err, p->err_len, "%s: MPEGFLOW_GPU='%s' is not a GPU index (0..255)",
                sel.backend->name, gpu);
        return AVERROR(EINVAL);
    }
    p->backend = sel.backend;
    p->device = sel.device;
    if (sel.fallback_from) {
        snprintf(p->result->fallback_from, sizeof(p->result->fallback_from), "%s", sel.fallback_from);
        snprintf(p->result->fallback_reason, sizeof(p->result->fallback_reason), "%s", sel.reason);
    }
    return 0;
}

static void report_progress(struct pipeline *p, int final)
{
    double now = mf_now();
    if (!p->opts->progress || (!final && now - p->last_progress < 0.25))
        return;
    p->last_progress = now;
    double elapsed = now - p->t0 > 1e-6 ? now - p->t0 : 1e-6;
    double total = p->in.duration;
    struct mf_progress pr = {
        .percent = final ? 100 : total > 0 ? fmin(99.9, 100 * p->media_seconds / total) : 0,
        .fps = p->frames_in / elapsed,
        .speed = p->media_seconds / elapsed,
        .eta_seconds = -1,
        .frames = p->frames_in,
    };
    if (!final && total > 0 && pr.speed > 0)
        pr.eta_seconds = fmax(0, (total - p->media_seconds) / pr.speed);
    p->opts->progress(&pr, p->opts->opaque);
}

/* Join every rendition and report the first real error: one that only
 * stopped because another gave up (AVERROR_EXIT) says nothing. An error
 * the caller already has (ret) comes first. */
static int join_renditions(struct pipeline *p, int ret)
{
    int pick = -1;
    for (int i = 0; i < p->n_runs; i++) {
        int r = mf_rendition_join(&p->runs[i]);
        if (r < 0 && (pick < 0 || (p->runs[pick].ret == AVERROR_EXIT && r != AVERROR_EXIT)))
            pick = i;
    }
    if (pick < 0 || (ret < 0 && ret != AVERROR_EXIT))
        return ret;
    if (p->runs[pick].ret != AVERROR_EXIT)
        mf_errf(p->err, p->err_len, "%s", p->runs[pick].err);
    return p->runs[pick].ret;
}

/* A rendition gave up (its queue was aborted): stop them all, the job fails. */
static int rendition_error(struct pipeline *p)
{
    for (int i = 0; i < p->n_runs; i++)
        mf_frame_queue_abort(&p->runs[i].queue);
    return join_renditions(p, AVERROR_EXIT);
}

/* Make timestamps usable by every encoder (strictly increasing, origin at
 * the first video frame), decide keyframes, and fan the frame out. */
static int dispatch_frame(struct pipeline *p, AVFrame *f)
{
    int64_t pts = f->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE)
        pts = p->last_pts == AV_NOPTS_VALUE ? p->zero : p->last_pts + p->frame_step;
    if (p->last_pts != AV_NOPTS_VALUE && pts <= p->last_pts) {
        p->frames_dropped++;      /* duplicate or backwards timestamp: an overlap is trimmed */
        return 0;
    }
    /* A gap is kept: the frame before stays on screen until this one (its
     * duration in the outputs), and audio has silence there. Counted when
     * longer than two frames and 0.1 s, so variable frame rates are not. */
    int64_t gap = p->last_pts == AV_NOPTS_VALUE ? 0 : pts - p->last_pts - p->frame_step;
    if (gap > p->frame_step && gap * av_q2d(p->tb) > 0.1) {
        p->result->timeline.video_gaps++;
        p->result->timeline.video_gaps_s += gap * av_q2d(p->tb);
    }
    p->last_pts = pts;
    f->pts = pts - p->zero;
    if (p->chunk) {
        /* Decode pre-roll before the chunk, nothing after its end. */
        double ct = f->pts * av_q2d(p->tb);
        if (p->chunk_done || ct >= p->opts->chunk_end - 1e-9) {
            p->chunk_done = 1;
            return 0;
        }
        if (ct < p->opts->chunk_start - 1e-9)
            return 0;
    }
    if (p->gpu.device)
        mf_gpu_job_frame(&p->gpu, f);
    int ret = mf_subtitles_frame(&p->subs, f, av_rescale_q(f->pts, p->tb, AV_TIME_BASE_Q));
    if (ret < 0)
        return ret;
    if (p->origin == AV_NOPTS_VALUE)
        p->origin = f->pts;
    double t = (f->pts - p->origin) * av_q2d(p->tb);
    double gop = p->job->gop_seconds;
    if (t >= p->next_keyframe - 1e-9) {
        f->pict_type = AV_PICTURE_TYPE_I;
        p->next_keyframe = (floor(t / gop + 1e-9) + 1) * gop;
    } else {
        f->pict_type = AV_PICTURE_TYPE_NONE;
    }
    for (int i = 0; i < p->n_runs; i++) {
        if (p->parent[i] >= 0)
            continue;
        struct mf_queue_item it = { .frame = av_frame_clone(f) };
        if (!it.frame)
            return AVERROR(ENOMEM);
        if (mf_frame_queue_push(&p->runs[i].queue, it) < 0) {
            av_frame_free(&it.frame);
            return rendition_error(p);
        }
    }
    ret = mf_images_frame(&p->images, f, t, p->err, p->err_len);
    if (ret < 0)
        return ret;
    p->frames_in++;
    p->media_seconds = f->pts * av_q2d(p->tb);
    report_progress(p, 0);
    return 0;
}

static int decode_video(struct pipeline *p, const AVPacket *pkt, AVFrame *frame)
{
    int ret = avcodec_send_packet(p->in.vdec, pkt);
    if (ret == AVERROR_INVALIDDATA) {
        p->decode_errors++;       /* a damaged packet: skip it, as players do */
        return 0;
    }
    if (ret < 0 && ret != AVERROR_EOF)
        return ret;
    while ((ret = avcodec_receive_frame(p->in.vdec, frame)) >= 0) {
        ret = dispatch_frame(p, frame);
        av_frame_unref(frame);
        if (ret < 0)
            return ret;
    }
    if (ret == AVERROR_INVALIDDATA) {
        p->decode_errors++;
        return 0;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

/* An encoded (or copied) packet of audio rendition k: to its HLS playlist
 * and, as the MP4s' audio stream k (in stream_index), to every rendition. */
static int emit_audio(const AVPacket *pkt, void *opaque)
{
    struct audio_sink *sink = opaque;
    struct pipeline *p = sink->p;
    int ret;
    if (p->audio_hls[sink->k].oc &&
        (ret = mf_muxer_write(&p->audio_hls[sink->k], pkt, 1, p->err, p->err_len)) < 0)
        return ret;
    if (p->chunk_audio.oc && (ret = mf_muxer_write(&p->chunk_audio, pkt, sink->k + 1, p->err, p->err_len)) < 0)
        return ret;
    for (int i = 0; i < p->n_runs; i++) {
        if (!p->runs[i].mp4.oc || p->parent[i] >= 0)
            continue;
        struct mf_queue_item it = { .packet = av_packet_clone(pkt) };
        if (!it.packet)
            return AVERROR(ENOMEM);
        it.packet->stream_index = sink->k;
        if (mf_frame_queue_push(&p->runs[i].queue, it) < 0) {
            av_packet_free(&it.packet);
            return rendition_error(p);
        }
    }
    return 0;
}

static int is_cancelled(const struct pipeline *p)
{
    return p->opts->cancel && atomic_load(p->opts->cancel);
}

static int run_decode_loop(struct pipeline *p, const char *input)
{
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    int ret = pkt && frame ? 0 : AVERROR(ENOMEM);
    while (ret >= 0) {
        if (is_cancelled(p)) {
            ret = AVERROR_EXIT;
            break;
        }
        ret = av_read_frame(p->in.fmt, pkt);
        if (ret == AVERROR_EOF) {
            ret = 0;
            break;
        }
        if (ret < 0) {
            mf_errf(p->err, p->err_len, "%s: read error at %.2f s: %s", input, p->media_seconds,
                    av_err2str(ret));
            break;
        }
        mf_splice_packet(&p->splice, pkt, p->in.fmt->streams[pkt->stream_index]->time_base);
        if (p->chunk_done && !p->has_audio) {
            av_packet_unref(pkt);
            break;
        }
        if (pkt->stream_index == p->in.video_index && !p->chunk_done)
            ret = decode_video(p, pkt, frame);
        else if (mf_subtitles_wants(&p->subs, pkt->stream_index))
            ret = mf_subtitles_packet(&p->subs, pkt, p->in.fmt->streams[pkt->stream_index]->time_base,
                                      p->splice.s[0].offset);
        for (int k = 0; k < p->n_audio && ret >= 0; k++)
            if (pkt->stream_index == p->sel.pick[k].stream && !p->sel.pick[k].surround)
                ret = mf_audio_packet(&p->audio[k], pkt, p->err, p->err_len);
        av_packet_unref(pkt);
    }
    if (ret >= 0)
        ret = decode_video(p, NULL, frame);
    for (int k = 0; k < p->n_audio && ret >= 0; k++)
        if (!p->sel.pick[k].surround)
            ret = mf_audio_packet(&p->audio[k], NULL, p->err, p->err_len);
    av_packet_free(&pkt);
    av_frame_free(&frame);
    if (ret == AVERROR_EXIT && is_cancelled(p))
        mf_errf(p->err, p->err_len, "%s: cancelled", input);
    else if (ret < 0 && !p->err[0])
        mf_errf(p->err, p->err_len, "%s: decoding failed at %.2f s: %s", input, p->media_seconds,
                av_err2str(ret));
    return ret;
}

/* Threads for rendition i's encoder and scaler. One rendition takes the
 * automatic count (x264: 1.5 frame threads per core, swscale: one slice per
 * core). In a ladder every rendition already has its own thread, so each
 * automatic count on top would put ~4 times as many busy threads as cores
 * (3 renditions x (3 frame threads + lookahead + 3 slices)): more context
 * switches, more frames in flight (memory), nothing gained. Instead the
 * same 1.5 threads per core are shared out by pixel count, at least one
 * each, so the largest rendition, the ladder's critical path, gets most. */
static int rendition_threads(const struct pipeline *p, int i)
{
    if (p->opts->threads > 0)
        return p->opts->threads;
    if (p->plan.n <= 1)
        return 0;
    double total = 0;
    for (int k = 0; k < p->plan.n; k++)
        total += (double)p->plan.out[k].width * p->plan.out[k].height;
    double share = (double)p->plan.out[i].width * p->plan.out[i].height / total;
    int t = (int)lround(1.5 * av_cpu_count() * share);
    return t < 1 ? 1 : t;
}

static void encoder_config(const struct pipeline *p, const struct mf_rendition *r, int w, int h,
                           int tonemap, int threads, struct mf_encoder_config *c)
{
    const AVCodecContext *d = p->in.vdec;
    double fps = av_q2d(p->in.frame_rate);
    *c = (struct mf_encoder_config){
        .codec = p->job->codec, .width = w, .height = h, .pix_fmt = AV_PIX_FMT_YUV420P,
        .time_base = p->tb, .frame_rate = p->in.frame_rate,
        .preset = p->job->preset, .tune = p->job->tune[0] ? p->job->tune : NULL,
        .profile = r->profile[0] ? r->profile : NULL, .level = r->level[0] ? r->level : NULL,
        .crf = r->bitrate > 0 ? -1 : r->crf, .bitrate = r->bitrate,
        .maxrate = r->maxrate, .bufsize = r->bufsize,
        /* IDRs come where the pipeline forces them; the backend's own
         * limit stays out of the way, even for variable frame rates. */
        .gop_frames = (int)fmax(2, 2 * ceil(p->job->gop_seconds * fps)),
        .threads = threads, .global_header = 1,
        .device = p->device, .ffmpeg_error = mf_avlog_take,
        .color_primaries = tonemap ? AVCOL_PRI_BT709 : d->color_primaries,
        .color_trc = tonemap ? AVCOL_TRC_BT709 : d->color_trc,
        .colorspace = tonemap ? AVCOL_SPC_BT709 : d->colorspace,
        .color_range = AVCOL_RANGE_MPEG,
    };
}

/* Which rendition i scales from (cascade), or -1 for the decoded source:
 * the smallest rendition that is scaled from the source itself and at least
 * twice as tall (and as wide), or one of the same size listed before it.
 * Each such step costs a fraction of a scale from the source, and
 * deinterlacing, tone mapping and rotation are done once, in the larger one.
 * Closer steps and chains blur: measured with veryfast CRF 23 on detailed
 * 1080p samples, 720p -> 480p lost 0.2-0.36 dB PSNR (0.16 dB at equal
 * bitrate), 720p -> 480p -> 360p 0.5-0.9 dB, while 720p -> 360p lost
 * 0.1-0.2 dB at 2-3% fewer bits: the same PSNR at equal bitrate. An
 * upscaled rendition carries no detail a smaller one could use. GPU jobs
 * keep their frames on the device and scale each rendition there. */
static int cascade_parent(const struct pipeline *p, int i)
{
    if (p->opts->no_cascade || p->gpu.device)
        return -1;
    int w = p->plan.out[i].width, h = p->plan.out[i].height, best = -1;
    for (int k = 0; k < p->plan.n; k++) {
        int kw = p->plan.out[k].width, kh = p->plan.out[k].height;
        int same = kw == w && kh == h;
        if (k == i || (same && k > i) || p->job->renditions[p->plan.out[k].job_index].upscale)
            continue;
        if (!same && (kw < w || kh < 2 * h))
            continue;
        if (cascade_parent(p, k) >= 0)    /* scaled from the source itself only */
            continue;
        if (best < 0 || (int64_t)kw * kh < (int64_t)p->plan.out[best].width * p->plan.out[best].height)
            best = k;
    }
    return best;
}

/* With nvenc every rendition hands NVENC CUDA NV12 frames of its size, on
 * the job's device: the encoder's frames context says so up front, so the
 * encoder and muxers open before the first frame (session-limit errors
 * come before any decoding) and survive filter-graph rebuilds. */
static int start_rendition(struct pipeline *p, int i, struct mf_rendition_setup *s)
{
    AVBufferRef *frames = NULL;
    int ret;
    if (p->gpu.device && (ret = mf_gpu_job_bind(&p->gpu, s, &frames, p->err, p->err_len)) < 0)
        return ret;
    ret = mf_rendition_start(&p->runs[i], s, p->err, p->err_len);
    av_buffer_unref(&frames);
    if (p->gpu.device)
        mf_gpu_job_started(&p->gpu, &p->runs[i]);
    if (ret == AVERROR(EBUSY) && p->gpu.device) {
        size_t n = strlen(p->err);
        snprintf(p->err + n, p->err_len - n, " (NVENC session %d of the %d this ladder needs)",
                 i + 1, p->plan.n);
    }
    return ret;
}

static int start_renditions(struct pipeline *p)
{
    const AVStream *vst = p->in.fmt->streams[p->in.video_index];
    const AVCodecContext *d = p->in.vdec;
    int tonemap = mf_vfilter_is_hdr(d->color_trc);
    int deint = d->field_order != AV_FIELD_PROGRESSIVE && d->field_order != AV_FIELD_UNKNOWN;
    int order[MF_MAX_RENDITIONS];
    for (int i = 0; i < p->plan.n; i++) {
        p->parent[i] = cascade_parent(p, i);
        order[i] = i;
    }
    /* Smallest first (then last listed first), so that every rendition's
     * feeds are started before it; runs[] stays in plan order. Without a
     * cascade, in plan order. */
    int cascade = 0;
    for (int i = 0; i < p->plan.n; i++)
        cascade |= p->parent[i] >= 0;
    for (int a = 1; cascade && a < p->plan.n; a++) {
        for (int b = a; b > 0; b--) {
            int x = order[b - 1], y = order[b];
            int64_t ax = (int64_t)p->plan.out[x].width * p->plan.out[x].height;
            int64_t ay = (int64_t)p->plan.out[y].width * p->plan.out[y].height;
            if (ax < ay || (ax == ay && x > y))
                break;
            order[b - 1] = y;
            order[b] = x;
        }
    }
    p->n_runs = p->plan.n;    /* runs not started yet are zeroed: free and join skip them */
    for (int n = 0; n < p->plan.n; n++) {
        int i = order[n];
        const struct mf_rendition *r = &p->job->renditions[p->plan.out[i].job_index];
        int from = p->parent[i];
        struct mf_rendition_setup s = {
            .name = r->name, .backend = p->backend,
            .filter = {
                .in_width = d->width, .in_height = d->height, .in_format = d->pix_fmt,
                .in_sar = av_guess_sample_aspect_ratio(p->in.fmt, (AVStream *)vst, NULL),
                .time_base = p->tb,
                .out_width = p->plan.out[i].width, .out_height = p->plan.out[i].height,
                .rotation = p->in.rotation, .deinterlace = deint, .tonemap = tonemap,
                .threads = rendition_threads(p, i),
            },
            .mp4_path = mf_output_files_mp4(&p->files, i),
            .hls_path = mf_output_files_hls(&p->files, i),
            .audio = p->audio_mp4,
            .n_audio = p->job->format & MF_FORMAT_MP4 ? p->n_audio : 0,
            .hls_time = p->job->gop_seconds,
            .hls_chunk = p->chunk, .hls_first_segment = p->opts->chunk_first_segment,
        };
        if (from >= 0) {
            /* Upright, progressive, SDR yuv420p with square pixels already. */
            s.filter.in_width = p->plan.out[from].width;
            s.filter.in_height = p->plan.out[from].height;
            s.filter.in_format = AV_PIX_FMT_YUV420P;
            s.filter.in_sar = (AVRational){ 1, 1 };
            s.filter.rotation = s.filter.deinterlace = s.filter.tonemap = 0;
        }
        for (int k = 0; k < p->plan.n; k++)
            if (p->parent[k] == i)
                s.feeds[s.n_feeds++] = &p->runs[k];
        encoder_config(p, r, s.filter.out_width, s.filter.out_height, tonemap, s.filter.threads, &s.enc);
        int ret = start_rendition(p, i, &s);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Audio rendition k of the selection: a track of the source, or the 5.1
 * twin of the one before it; its HLS playlist; its MP4 stream. */
static int open_audio_rendition(struct pipeline *p, int k)
{
    const struct mf_audio_pick *pk = &p->sel.pick[k];
    int64_t zero_us = av_rescale_q(p->zero, p->tb, AV_TIME_BASE_Q);
    /* The first track's timeline is the job's report; the others' go unreported. */
    struct mf_timeline_report *report = k == 0 ? &p->result->timeline : &p->other_tracks;
    AVCodecContext *dec = NULL;
    int ret;
    p->sinks[k] = (struct audio_sink){ p, k };
    if (pk->surround)
        ret = mf_audio_open_twin(&p->audio[k], &p->audio[k - 1], 6, MF_SURROUND_BITRATE, emit_audio,
                                 &p->sinks[k], p->err, p->err_len);
    else if ((ret = mf_input_add_audio(&p->in, pk->stream, p->job->audio_mode == MF_AUDIO_AAC, &dec,
                                       p->err, p->err_len)) >= 0)
        ret = mf_audio_open_stream(&p->audio[k], &p->in, pk->stream, dec, p->job, zero_us, emit_audio,
                                   &p->sinks[k], report, p->err, p->err_len);
    p->n_audio = k + 1;          /* closed in teardown, even half open */
    if (ret < 0)
        return ret;
    const struct mf_audio *a = &p->audio[k];
    struct mf_mux_stream st = { .par = a->par, .time_base = a->time_base, .frame_rate = { 0, 1 } };
    if (!p->sel.legacy) {
        st.language = pk->iso639[0] ? pk->iso639 : NULL;
        st.disposition = pk->is_default ? AV_DISPOSITION_DEFAULT : 0;
    }
    p->audio_mp4[k] = st;
    if (!(p->job->format & (MF_FORMAT_HLS | MF_FORMAT_DASH)))   /* DASH: the same segments */
        return 0;
    const char *playlist = mf_output_files_add_audio(&p->files, pk->dir, p->err, p->err_len);
    if (!playlist)
        return AVERROR(EIO);
    st.disposition = 0;
    return mf_muxer_open(&p->audio_hls[k], MF_MUX_HLS, playlist, NULL, &st, p->job->gop_seconds,
                         p->err, p->err_len);
}

static int open_audio(struct pipeline *p)
{
    for (int k = 0; k < p->sel.n; k++) {
        int ret = open_audio_rendition(p, k);
        if (ret < 0)
            return ret;
    }
    p->has_audio = p->n_audio > 0;
    if (p->chunk && p->opts->chunk_audio_mp4 && p->n_audio > 0)
        return mf_muxer_open_tracks(&p->chunk_audio, MF_MUX_MP4, p->opts->chunk_audio_mp4, NULL, p->audio_mp4,
                                    p->n_audio, 0, p->err, p->err_len);
    return 0;
}

static int plan_ladder(struct pipeline *p)
{
    const AVStream *vst = p->in.fmt->streams[p->in.video_index];
    struct mf_source_geometry g = {
        .width = vst->codecpar->width, .height = vst->codecpar->height,
        .sar = av_guess_sample_aspect_ratio(p->in.fmt, (AVStream *)vst, NULL),
        .rotation = p->in.rotation,
    };
    return mf_ladder_plan(p->job, &g, &p->plan, p->err, p->err_len);
}

/* A backend on a device (nvenc): the job's device, the one the backend's
 * probe chose, and NVDEC for the decoder when libavcodec has a hwaccel for
 * the codec. Other codecs decode on the CPU; each rendition then uploads
 * its filtered frames once (video_filter.c). */
static int open_gpu(struct pipeline *p, const char *input)
{
    char why[MF_ERR_MAX];
    if (p->backend->hw_device == AV_HWDEVICE_TYPE_NONE)
        return 0;
    int ret = mf_gpu_job_open(&p->gpu, p->backend->hw_device, p->device, &p->in, input,
                              p->opts->max_pixels, why, sizeof(why));
    if (ret < 0)
        mf_errf(p->err, p->err_len, "%s: %s", p->backend->name, why);
    return ret;
}

/* A chunk: keyframes on the unsplit grid (origin 0, the first at the
 * chunk's start), decoding from the source keyframe at or before it. */
static int mf_split_seek(struct pipeline *p, const char *input)
{
    p->origin = 0;
    p->next_keyframe = p->opts->chunk_start;
    if (p->opts->chunk_start <= 0)
        return 0;
    int64_t ts = p->zero + av_rescale_q((int64_t)llround(p->opts->chunk_start * AV_TIME_BASE), AV_TIME_BASE_Q, p->tb);
    int ret = av_seek_frame(p->in.fmt, p->in.video_index, ts, AVSEEK_FLAG_BACKWARD);
    if (ret < 0)
        mf_errf(p->err, p->err_len, "%s: cannot seek to %.3f s for the chunk: %s", input,
                p->opts->chunk_start, av_err2str(ret));
    return ret;
}

static int setup(struct pipeline *p, const char *input, const char *outdir)
{
    struct mf_input_limits lim = { p->opts->max_pixels, p->opts->max_duration, p->opts->cancel };
    int want_audio = p->job->audio_mode == MF_AUDIO_NONE ? 0 : p->job->audio_mode == MF_AUDIO_COPY ? 2 : 1;
    int ret = mf_input_open(&p->in, input, &lim, want_audio, p->err, p->err_len);
    if (ret < 0)
        return ret;
    if ((ret = plan_ladder(p)) < 0)
        return ret;
    if ((ret = select_backend(p)) < 0)
        return ret;
    if ((ret = open_gpu(p, input)) < 0)
        return ret;
    const AVStream *vst = p->in.fmt->streams[p->in.video_index];
    p->tb = vst->time_base;
    p->zero = vst->start_time != AV_NOPTS_VALUE ? vst->start_time : 0;
    p->frame_step = av_rescale_q(1, av_inv_q(p->in.frame_rate), p->tb);
    if (p->frame_step < 1)
        p->frame_step = 1;
    if ((ret = mf_output_files_init(&p->files, outdir, p->job, &p->plan, p->err, p->err_len)) < 0)
        return ret;
    if (p->chunk && (ret = mf_split_seek(p, input)) < 0)
        return ret;
    if ((ret = mf_images_open(&p->images, &p->job->images, outdir, &p->in, p->err, p->err_len)) < 0)
        return ret;
    mf_audio_select(p->in.fmt, p->in.audio_index, p->job, &p->sel);
    mf_splice_init(&p->splice, p->in.fmt, p->in.video_index, p->sel.n ? p->sel.pick[0].stream : -1,
                   &p->result->timeline);
    for (int k = 1; k < p->sel.n; k++)
        mf_splice_add(&p->splice, p->sel.pick[k].stream);
    if ((ret = open_audio(p)) < 0)
        return ret;
    if ((ret = mf_subtitles_open(&p->subs, &p->in, p->job, av_rescale_q(p->zero, p->tb, AV_TIME_BASE_Q),
                                 p->result, p->err, p->err_len)) < 0)
        return ret;
    return start_renditions(p);
}

/* A container that promises more video than it delivers was cut short. */
static int check_truncation(struct pipeline *p, const char *input)
{
    const AVStream *vst = p->in.fmt->streams[p->in.video_index];
    if (p->frames_in == 0) {
        mf_errf(p->err, p->err_len, "%s: no video frame could be decoded (corrupt or truncated file)", input);
        return AVERROR_INVALIDDATA;
    }
    /* A declared duration says nothing across a re-based jump, or for a chunk. */
    if (!p->chunk && vst->duration > 0 && vst->duration != AV_NOPTS_VALUE && !p->result->timeline.discontinuities &&
        p->in.fmt->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE) {
        double declared = vst->duration * av_q2d(vst->time_base);
        if (p->media_seconds + 1.0 < 0.9 * declared) {
            mf_errf(p->err, p->err_len, "%s: truncated: the video stream ends at %.2f s of the declared %.2f s",
                    input, p->media_seconds, declared);
            return AVERROR_INVALIDDATA;
        }
    }
    return 0;
}

static int finish(struct pipeline *p, const char *input)
{
    int ret = check_truncation(p, input);
    /* The renditions fed by others are finished by them, after their last frame. */
    for (int i = 0; i < p->n_runs; i++)
        if (p->parent[i] < 0)
            mf_frame_queue_finish(&p->runs[i].queue);
    ret = join_renditions(p, ret);
    for (int k = 0; k < p->n_audio && ret >= 0; k++)
        if (p->audio_hls[k].oc)
            ret = mf_muxer_finish(&p->audio_hls[k], p->err, p->err_len);
    if (ret >= 0 && p->chunk_audio.oc)
        ret = mf_muxer_finish(&p->chunk_audio, p->err, p->err_len);
    return ret;
}

static void teardown(struct pipeline *p)
{
    /* All threads first: one still running may push into another's queue. */
    for (int i = 0; i < p->n_runs; i++)
        mf_frame_queue_abort(&p->runs[i].queue);
    for (int i = 0; i < p->n_runs; i++)
        mf_rendition_join(&p->runs[i]);
    for (int i = 0; i < p->n_runs; i++)
        mf_rendition_free(&p->runs[i]);
    for (int k = 0; k < p->n_audio; k++) {
        mf_muxer_close(&p->audio_hls[k]);
        mf_audio_close(&p->audio[k]);
    }
    mf_muxer_close(&p->chunk_audio);
    mf_subtitles_close(&p->subs);
    mf_images_close(&p->images);
    mf_input_close(&p->in);
    /* Last: the decoder, the graphs and the encoders held references. */
    mf_gpu_job_close(&p->gpu);
}

int mf_pipeline_run(const char *input, const struct mf_job *job, const char *outdir,
                    const struct mf_pipeline_opts *opts, struct mf_result *result,
                    char *err, size_t err_len)
{
    static const struct mf_pipeline_opts no_opts;
    struct pipeline *p = av_mallocz(sizeof(*p));
    if (!p) {
        mf_errf(err, err_len, "out of memory");
        return AVERROR(ENOMEM);
    }
    *p = (struct pipeline){
        .job = job, .opts = opts ? opts : &no_opts, .result = result, .err = err, .err_len = err_len,
        .last_pts = AV_NOPTS_VALUE, .origin = AV_NOPTS_VALUE, .t0 = mf_now(),
    };
    p->chunk = p->opts->chunk_end > 0;
    if (err && err_len)
        err[0] = '\0';
    memset(result, 0, sizeof(*result));
    int ret = setup(p, input, outdir);
    if (ret >= 0)
        ret = run_decode_loop(p, input);
    if (ret >= 0)
        ret = finish(p, input);
    else
        for (int i = 0; i < p->n_runs; i++)
            mf_frame_queue_abort(&p->runs[i].queue);
    if (ret >= 0) {
        snprintf(result->backend, sizeof(result->backend), "%s", p->backend->name);
        result->frames_in = p->frames_in;
        result->frames_dropped = p->frames_dropped;
        result->timeline.video_frames_dropped = p->frames_dropped;
        result->source_video_stream = p->in.video_index;
        result->source_audio_stream = p->has_audio ? p->sel.pick[0].stream : -1;
        result->duration = p->media_seconds;
        result->has_audio = p->has_audio;
        mf_result_set_source(result, &p->in);
        mf_gpu_job_report(&p->gpu, result);
        ret = mf_subtitles_write(&p->subs, outdir, !!(job->format & MF_FORMAT_MP4),
                                 job->format & MF_FORMAT_HLS ? mf_output_files_hls(&p->files, 0) : NULL,
                                 mf_rendition_duration(&p->runs[0]), err, err_len);
    }
    if (ret >= 0) {
        ret = mf_output_files_finish(&p->files, p->runs, p->n_runs, p->audio, p->n_audio, &p->sel,
                                     p->in.frame_rate, result, err, err_len);
        if (ret >= 0)
            ret = mf_images_finish(&p->images, mf_rendition_duration(&p->runs[0]),
                                   p->files.hls ? p->files.master : NULL, &result->images, err, err_len);
    }
    teardown(p);
    if (ret < 0) {
        if (p->chunk_audio.path[0])
            unlink(p->chunk_audio.path);
        mf_subtitles_remove(&p->subs);
        mf_output_files_remove(&p->files);
        mf_images_remove(&p->images);
        mf_images_remove(&p->images);
    } else {
        report_progress(p, 1);
    }
    result->wall_seconds = mf_now() - p->t0;
    av_free(p);
    return ret;
}
