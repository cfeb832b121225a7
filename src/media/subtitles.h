/*
 * Subtitles and captions: which text tracks of the source are kept (the
 * job's "subtitles", at most MF_MAX_TEXT_TRACKS), their decoding to WebVTT
 * cue text (libavcodec's text decoders give ASS events, its webvtt encoder
 * turns them into cue text with <i>/<b>/<u>), CEA-608/708 captions from
 * the video decoder's AV_FRAME_DATA_A53_CC side data through cc_dec, and
 * the files: a sidecar <name>.vtt beside the MP4s and an HLS subtitle
 * rendition (hls/subtitles/<name>/) segmented like the video.
 * Bitmap subtitles (PGS, DVB, VobSub) cannot become text: reported skipped.
 */
#ifndef MF_SUBTITLES_H
#define MF_SUBTITLES_H

#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

#include "input.h"
#include "pipeline.h"
#include "webvtt.h"

struct mf_subtitle_stream {
    int index;                     /* source stream; -1 for captions */
    AVCodecContext *dec, *enc;     /* text decoder (or cc_dec), webvtt encoder */
    struct mf_vtt_track vtt;
    int slot;                      /* result->text_tracks[slot] */
};

struct mf_subtitles {
    struct mf_subtitle_stream s[MF_MAX_TEXT_TRACKS];
    int n;
    int want_captions;             /* "all": captions in the video become a track when seen */
    int captions;                  /* s[] index of the captions track, -1 */
    int captions_seen;             /* captions not kept were reported once */
    enum mf_subtitles_mode job_mode;
    int64_t zero_us;               /* the video's start: output time 0 */
    struct mf_result *result;
    char outdir[MF_PATH_MAX];
    int wrote;                     /* files may exist: remove them on failure */
};

/** Pick the tracks, open their decoders, report the skipped ones in result.
 * Errors here are the host's (memory); a track that cannot be opened is skipped. */
int  mf_subtitles_open(struct mf_subtitles *ss, struct mf_input *in, const struct mf_job *job,
                       int64_t zero_us, struct mf_result *result, char *err, size_t err_len);
/** 1 when packets of this stream go to mf_subtitles_packet. */
int  mf_subtitles_wants(const struct mf_subtitles *ss, int stream_index);
/** Decode one packet (timestamps in tb), moved by offset_us: the video's
 * splice offset (timeline.c), so cues follow the picture across a splice.
 * A damaged packet is counted as a dropped cue, not an error. */
int  mf_subtitles_packet(struct mf_subtitles *ss, AVPacket *pkt, AVRational tb, int64_t offset_us);
/** Captions carried by a decoded video frame; pts_us on the output timeline. */
int  mf_subtitles_frame(struct mf_subtitles *ss, const AVFrame *f, int64_t pts_us);
/**
 * Write every kept track: outdir/<name>.vtt when mp4, and when video_playlist
 * (a video rendition's HLS playlist, for the segment durations) is given,
 * outdir/hls/subtitles/<name>/. end_s: the video's duration. Fills the
 * tracks' files in result.
 */
int  mf_subtitles_write(struct mf_subtitles *ss, const char *outdir, int mp4, const char *video_playlist,
                        double end_s, char *err, size_t err_len);
/** Remove what mf_subtitles_write wrote. */
void mf_subtitles_remove(struct mf_subtitles *ss);
void mf_subtitles_close(struct mf_subtitles *ss);

#endif
