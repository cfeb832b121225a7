/*
 * One rendition of a ladder: its own thread takes decoded frames (and
 * encoded audio packets) from a queue, filters, encodes and muxes them.
 * Renditions never wait on each other frame by frame, only on the one that
 * feeds them: the shared decoder, or the larger rendition they cascade from.
 */
#ifndef MF_RENDITION_H
#define MF_RENDITION_H

#include <pthread.h>
#include <stdint.h>

#include "frame_queue.h"
#include "mpegflow/encoder.h"
#include "mpegflow/job.h"
#include "mux.h"
#include "video_filter.h"

struct mf_rendition_setup {
    const char *name;
    const struct mf_encoder_backend *backend;
    struct mf_encoder_config enc;           /* size, rate control, colour */
    struct mf_vfilter_params filter;        /* in_* filled from the first frame */
    const char *mp4_path;                   /* NULL: no MP4 */
    const char *hls_path;                   /* NULL: no HLS media playlist */
    const struct mf_mux_stream *audio;      /* the MP4's audio streams (n_audio; 0: none) */
    int n_audio;                            /* audio packets carry their stream (0..) in stream_index */
    double hls_time;
    int hls_chunk, hls_first_segment;       /* a split chunk: its first segment's number */
    /* Renditions scaled from this one's output (cascade): each filtered
     * frame and audio packet is handed on by reference; their queues are
     * finished or aborted when this one ends. Started before this one. */
    struct mf_rendition_run *feeds[MF_MAX_RENDITIONS];
    int n_feeds;
};

struct mf_rendition_run {
    struct mf_rendition_setup setup;
    struct mf_frame_queue queue;
    pthread_t thread;
    int started;
    struct mf_vfilter vf;
    struct mf_encoder *enc;
    struct mf_muxer mp4, hls;
    AVFrame *filtered;
    AVPacket *pkt;
    /* results, valid after join */
    int ret;
    char err[MF_ERR_MAX];
    int64_t frames_out;
    int64_t video_bytes;
    int64_t min_pts, max_pts;               /* of encoded video, enc time base */
};

/** Open the encoder and muxers, then start the thread. */
int  mf_rendition_start(struct mf_rendition_run *r, const struct mf_rendition_setup *s,
                        char *err, size_t err_len);
/** Wait for the thread; returns its result (0 or a negative AVERROR, err in r->err). */
int  mf_rendition_join(struct mf_rendition_run *r);
void mf_rendition_free(struct mf_rendition_run *r);

/** Encoded video duration in seconds (first to last frame plus one frame). */
double mf_rendition_duration(const struct mf_rendition_run *r);

#endif
