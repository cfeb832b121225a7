/*
 * Splices in the source's timeline: clips joined by stream copy or the
 * concat demuxer, edited files, broadcast TS with discontinuities and the
 * 33-bit PTS wrap. Packets are re-based here, per stream, before decoding,
 * so that every later stage sees one timeline that moves forward:
 *   - a backward jump of more than MF_SPLICE_BACK_S (a clip whose clock
 *     restarts, a wrap libavformat did not unwrap) and, in formats whose
 *     timestamps may be discontinuous (MPEG-TS), a forward jump of more than
 *     MF_SPLICE_FWD_TS_S (MF_SPLICE_FWD_S elsewhere) past both streams
 *     continue the stream where it was (audio that comes back where the
 *     video is after a long dropout only had a gap);
 *   - a stream that jumps shortly after another one did takes the same
 *     offset when that lands it near where it was, so audio and video keep
 *     the sync they had in the new segment;
 *   - smaller overlaps and gaps are left to the decoded timelines: the
 *     pipeline drops video frames that do not move forward and keeps video
 *     gaps (the previous frame is shown for longer), the audio path trims
 *     overlapping samples and fills gaps with silence (src/media/audio.c).
 */
#ifndef MF_TIMELINE_H
#define MF_TIMELINE_H

#include <stdint.h>

#include <libavformat/avformat.h>

#include "pipeline.h"

#define MF_SPLICE_BACK_S 1.0
#define MF_SPLICE_FWD_TS_S 10.0
#define MF_SPLICE_FWD_S 60.0


struct mf_splice_stream {
    int index;                     /* stream index, -1 unused */
    int64_t offset;                /* added to every timestamp, in AV_TIME_BASE */
    int64_t next;                  /* where the next packet should start, AV_TIME_BASE; NOPTS at first */
    int64_t last_duration;
    int segment;                   /* the segment whose offset it has */
};

struct mf_splice {
    double fwd_limit_s;
    int64_t segment_offset;        /* the offset of the latest re-based segment */
    int segment;
    struct mf_splice_stream s[1 + MF_MAX_AUDIO_TRACKS];   /* s[0] the video, then audio */
    int n;
    struct mf_timeline_report *report;
};

/** Watch streams a and b (-1 for none) of fmt; counts go to report. */
void mf_splice_init(struct mf_splice *sp, const AVFormatContext *fmt, int a, int b,
                    struct mf_timeline_report *report);
/** Watch one more stream (another audio track): it is re-based like b, against a. */
void mf_splice_add(struct mf_splice *sp, int index);
/** Re-base one demuxed packet of stream tb in place (others are left alone). */
void mf_splice_packet(struct mf_splice *sp, AVPacket *pkt, AVRational tb);

#endif
