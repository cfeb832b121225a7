/*
 * The audio path: decode, resample to 48 kHz and downmix, encode AAC-LC
 * once for every output; or copy the source packets as they are.
 */
#ifndef MF_AUDIO_H
#define MF_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>

#include "mpegflow/job.h"
#include "timeline.h"

struct mf_input;

/* Receives every output packet; returns 0 or a negative AVERROR. */
typedef int (*mf_audio_emit_fn)(const AVPacket *pkt, void *opaque);

struct mf_audio {
    int copy;                       /* packets copied, no transcode */
    AVCodecContext *dec;            /* borrowed from the input */
    AVCodecContext *enc;
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    AVFrame *frame;                 /* decoded */
    AVFrame *out;                   /* filtered, to the encoder */
    AVCodecParameters *par;         /* of the output stream, for the muxers */
    AVRational time_base;           /* of the output packets */
    AVRational in_tb;               /* of the input stream */
    int64_t zero;                   /* timeline origin, in in_tb */
    /* The decoded timeline, in samples at the decoder's rate: the first
     * frame's start and the samples sent on since (transcode); the end of
     * the last packet sent (copy, in in_tb). */
    int started;
    int64_t base, pos, copy_end;
    struct mf_timeline_report *report;
    mf_audio_emit_fn emit;
    void *opaque;
    struct mf_audio *twin;          /* fed the same decoded frames (the 5.1 rendition) */
};

/**
 * Set up audio for the input's selected audio stream. zero_us is the
 * timeline origin (the first video frame) in microseconds. Overlaps and
 * gaps between decoded frames are trimmed and filled with silence (copy:
 * overlapping packets dropped, gaps kept) and counted in report.
 */
int  mf_audio_open(struct mf_audio *a, struct mf_input *in, const struct mf_job *job,
                   int64_t zero_us, mf_audio_emit_fn emit, void *opaque,
                   struct mf_timeline_report *report, char *err, size_t err_len);
/** The same for stream of the input, decoded by dec (NULL for copy). */
int  mf_audio_open_stream(struct mf_audio *a, struct mf_input *in, int stream, AVCodecContext *dec,
                          const struct mf_job *job, int64_t zero_us, mf_audio_emit_fn emit, void *opaque,
                          struct mf_timeline_report *report, char *err, size_t err_len);
/**
 * A second AAC encode of a's decoded frames (a transcodes), with channels
 * (1, 2 or 6) at bitrate: a feeds it every frame it places on its timeline
 * and flushes it with its own flush. Close it with mf_audio_close too.
 */
int  mf_audio_open_twin(struct mf_audio *twin, struct mf_audio *a, int channels, int64_t bitrate,
                        mf_audio_emit_fn emit, void *opaque, char *err, size_t err_len);
/** Feed one demuxed packet of the audio stream; NULL flushes. */
int  mf_audio_packet(struct mf_audio *a, const AVPacket *pkt, char *err, size_t err_len);
void mf_audio_close(struct mf_audio *a);

#endif
