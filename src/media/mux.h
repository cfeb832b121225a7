/*
 * Output files: progressive MP4 (moov first) and HLS media playlists with
 * fMP4 (CMAF) segments, each written by its own libavformat muxer.
 */
#ifndef MF_MUX_H
#define MF_MUX_H

#include <stddef.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

enum mf_mux_kind { MF_MUX_MP4, MF_MUX_HLS };

#define MF_MUX_MAX_AUDIO 16        /* audio streams of one muxer (2 x MF_MAX_AUDIO_TRACKS) */

struct mf_mux_stream {
    const AVCodecParameters *par;
    AVRational time_base;          /* of the packets handed to mf_muxer_write */
    AVRational frame_rate;         /* video only */
    const char *language;          /* NULL: none; else the "language" tag (ISO 639-2) */
    const char *title;             /* NULL: none */
    int disposition;               /* AV_DISPOSITION_* (0: libavformat's choice) */
};

/* Packets held back (decode order) until the next picture in presentation
 * order is known, which gives each its real duration. */
#define MF_MUX_REORDER 32
#define MF_MUX_SEEN (2 * MF_MUX_REORDER)

struct mf_muxer {
    AVFormatContext *oc;
    int hls;
    AVPacket *held[MF_MUX_REORDER];
    int n_held;
    int64_t seen[MF_MUX_SEEN];     /* the PTS of the last packets, held or written */
    int n_seen;
    int64_t start_pts, end_pts;    /* first picture, end of the last, input time base */
    int64_t n_released;
    int64_t last_duration;         /* in the input time base, for the last picture */
    int video_index;               /* -1 when absent */
    int audio_index[MF_MUX_MAX_AUDIO];
    int n_audio;
    AVRational in_tb[1 + MF_MUX_MAX_AUDIO];   /* by our stream index */
    char path[512];
    int open_segment;              /* HLS: header written, trailer not yet */
};

/**
 * Open a muxer at path (for HLS: the media playlist; segments and init.mp4
 * go beside it). video or audio may be NULL, not both. hls_time in seconds.
 */
int  mf_muxer_open(struct mf_muxer *m, enum mf_mux_kind kind, const char *path,
                   const struct mf_mux_stream *video, const struct mf_mux_stream *audio,
                   double hls_time, char *err, size_t err_len);
/** An HLS video muxer whose first segment is seg_<first_segment>, for a
 *  chunk of a split encode; its fragments keep the packets' timestamps
 *  (their tfdt is the first packet's, not 0). */
int  mf_muxer_open_hls_from(struct mf_muxer *m, const char *path, const struct mf_mux_stream *video,
                            double hls_time, int first_segment, char *err, size_t err_len);
/** The same with n_audio (0..MF_MUX_MAX_AUDIO) audio streams, in that order. */
int  mf_muxer_open_tracks(struct mf_muxer *m, enum mf_mux_kind kind, const char *path,
                          const struct mf_mux_stream *video, const struct mf_mux_stream *audio,
                          int n_audio, double hls_time, char *err, size_t err_len);
/** Write a reference to pkt (pkt is left as it was). stream: 0 the video,
 *  k >= 1 the k-th audio stream; one the muxer lacks is ignored. */
int  mf_muxer_write(struct mf_muxer *m, const AVPacket *pkt, int stream, char *err, size_t err_len);
/** Write the trailer (MP4: moves moov to the front). */
int  mf_muxer_finish(struct mf_muxer *m, char *err, size_t err_len);
void mf_muxer_close(struct mf_muxer *m);

#endif
