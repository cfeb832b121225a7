/*
 * Opening untrusted media safely: only the one local file, no nested opens
 * (playlists, references), no network, with limits and a cancel/deadline
 * interrupt. Picks the video and audio streams and opens their decoders.
 */
#ifndef MF_INPUT_H
#define MF_INPUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

struct mf_input_limits {
    int64_t max_pixels;       /* 0 = no limit */
    double max_duration;      /* seconds, 0 = no limit */
    atomic_int *cancel;       /* may be NULL */
};

struct mf_input {
    AVFormatContext *fmt;
    AVIOContext *pb;
    int video_index, audio_index;   /* -1 when absent */
    AVCodecContext *vdec, *adec;    /* adec only when audio is wanted */
    AVCodecContext *more_adec[8];   /* mf_input_add_audio's decoders (audio.tracks) */
    int n_more_adec;
    AVRational frame_rate;          /* best guess, always valid */
    double duration;                /* seconds, 0 when unknown */
    int rotation;                   /* clockwise display rotation: 0/90/180/270 */
    atomic_int *cancel;
    char probe_error[256];          /* libav*'s last error while reading stream info */
};

/**
 * Open path. want_audio: 0 none, 1 decode (adec opened), 2 copy (no decoder).
 * Returns 0, or a negative AVERROR with err naming the file and the cause.
 */
int  mf_input_open(struct mf_input *in, const char *path, const struct mf_input_limits *lim,
                   int want_audio, char *err, size_t err_len);
/** Called on a decoder context before avcodec_open2 (e.g. hardware decoding). */
typedef int (*mf_decoder_setup_fn)(AVCodecContext *c, void *opaque);

/**
 * Replace the video decoder, before any packet was decoded, by one that
 * setup has prepared (limits and threading as mf_input_open's).
 * Returns 0, or a negative AVERROR with err naming the file and the cause;
 * in->vdec is then NULL.
 */
int  mf_input_reopen_video(struct mf_input *in, const char *path, int64_t max_pixels,
                           mf_decoder_setup_fn setup, void *opaque, char *err, size_t err_len);
/**
 * Keep reading audio stream (it was discarded) and, when decode, open a
 * decoder for it (*dec; owned by in). The best stream's is in->adec.
 * Returns 0, or a negative AVERROR with err naming the file and the cause.
 */
int  mf_input_add_audio(struct mf_input *in, int stream, int decode, AVCodecContext **dec,
                        char *err, size_t err_len);
void mf_input_close(struct mf_input *in);

#endif
