/*
 * audio.tracks: which of the source's audio tracks a job keeps, and how
 * each is published: its language (BCP 47), name, HLS directory, whether
 * it is the default; and the 5.1 renditions audio.surround adds.
 */
#ifndef MF_AUDIO_TRACKS_H
#define MF_AUDIO_TRACKS_H

#include <libavformat/avformat.h>

#include "mpegflow/job.h"
#include "common/language.h"
#include "mux.h"

#define MF_LANGUAGE_MAX 16                  /* a BCP 47 tag from mf_language_bcp47, with its NUL */
#define MF_MAX_AUDIO_OUT MF_MUX_MAX_AUDIO   /* kept tracks and their 5.1 renditions */
#define MF_SURROUND_BITRATE 384000          /* bits/s of an AAC 5.1 rendition */

struct mf_audio_pick {
    int stream;                        /* the source's stream index */
    int surround;                      /* the AAC 5.1 rendition of that stream */
    int channels;                      /* what is encoded (or copied) */
    int is_default;                    /* DEFAULT=YES; the MP4's enabled audio track */
    char language[MF_LANGUAGE_MAX];    /* BCP 47 ("und" when the source has no tag) */
    char iso639[8];                    /* the source's tag for the MP4, "" when none */
    char name[64];                     /* HLS NAME, unique in the group */
    char dir[MF_LANGUAGE_MAX + 16];    /* hls/<dir>/index.m3u8 */
};

struct mf_audio_selection {
    int legacy;                        /* "best" without surround: one rendition "audio", named
                                          "default", no language: the layout before audio.tracks */
    int n;
    struct mf_audio_pick pick[MF_MAX_AUDIO_OUT];
    int n_skipped;                     /* languages not in the source; tracks past the limit */
    char skipped[MF_MAX_AUDIO_OUT][96];
};

/**
 * Choose the tracks of fmt for job. best is the stream libavformat ranks
 * best (-1: the source has no audio). Languages not found and tracks past
 * MF_MAX_AUDIO_TRACKS are listed in skipped; when no listed language is
 * in the source, the best track is kept (and that is said in skipped).
 */
void mf_audio_select(const AVFormatContext *fmt, int best, const struct mf_job *job,
                     struct mf_audio_selection *sel);

#endif
