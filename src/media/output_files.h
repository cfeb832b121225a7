/*
 * The output directory's layout, and its clean-up on failure:
 *   <rendition>.mp4                  progressive MP4, video + audio
 *   hls/master.m3u8                  master playlist
 *   hls/<rendition>/index.m3u8       video media playlist, init.mp4, seg_NNNNN.m4s
 *   hls/audio/index.m3u8             the audio rendition (AAC), same layout
 *   hls/audio_<lang>[_51]/index.m3u8 instead, one per kept track and 5.1 rendition
 *                                    when audio.tracks is not "best" (or with surround)
 *   hls/<rendition>/iframes.m3u8     I-frame playlist: byte ranges into its segments
 *   hls/manifest.mpd                 DASH MPD over the same segments (format dash/cmaf/all);
 *                                    with dash alone the directory is dash/, without playlists
 */
#ifndef MF_OUTPUT_FILES_H
#define MF_OUTPUT_FILES_H

#include <stddef.h>

#include "ladder.h"
#include "pipeline.h"

struct mf_rendition_run;
struct mf_audio;
struct mf_audio_selection;

struct mf_output_files {
    const struct mf_job *job;
    const struct mf_plan *plan;
    char outdir[MF_PATH_MAX];
    int mp4, hls;                   /* formats wanted */
    int dash;                       /* the MPD (and the segments, when hls is not wanted) */
    int made_hls_root;              /* we created outdir/hls (dash/ when only dash) */
    char path[MF_MAX_RENDITIONS][2][MF_PATH_MAX];   /* [i][0] mp4, [i][1] hls playlist */
    char audio_playlist[MF_RESULT_MAX_AUDIO][MF_PATH_MAX];
    int n_audio;
    char master[MF_PATH_MAX];
    char mpd[MF_PATH_MAX];
    char iframes_uri[MF_MAX_RENDITIONS][MF_NAME_MAX + 16];  /* relative to the master */
};

/** Check outdir is a writable directory; make the HLS directories. */
int mf_output_files_init(struct mf_output_files *f, const char *outdir, const struct mf_job *job,
                         const struct mf_plan *plan, char *err, size_t err_len);
const char *mf_output_files_mp4(const struct mf_output_files *f, int i);        /* NULL if none */
const char *mf_output_files_hls(const struct mf_output_files *f, int i);        /* NULL if none */
/** Make hls/<dir>/ for the next audio rendition; its playlist, or NULL without HLS
 *  (or on error: err says why). */
const char *mf_output_files_add_audio(struct mf_output_files *f, const char *dir, char *err, size_t err_len);

/** Write the master playlist and describe every output in result; audio[0..n_audio)
 *  are the renditions of sel, in its order. */
int mf_output_files_finish(struct mf_output_files *f, const struct mf_rendition_run *runs, int n,
                           const struct mf_audio *audio, int n_audio, const struct mf_audio_selection *sel,
                           AVRational frame_rate, struct mf_result *result, char *err, size_t err_len);

struct mf_hls_variant;
struct mf_hls_audio;
/** The outputs made from the written segments (output_cmaf.c): I-frame
 *  playlists (hls: fills each variant's iframes_*) and the MPD (dash);
 *  with dash alone, the media playlists are removed after. */
int mf_output_files_cmaf(struct mf_output_files *f, const struct mf_rendition_run *runs, int n,
                         struct mf_hls_variant *variants, const struct mf_hls_audio *hls_audio, int n_audio,
                         const struct mf_audio *audio, const struct mf_audio_selection *sel,
                         struct mf_result *result, char *err, size_t err_len);
/** Add an entry to result's outputs (path made relative to outdir); NULL when full. */
struct mf_output *mf_output_files_add(struct mf_result *r, const char *rendition, const char *kind,
                                      const struct mf_output_files *f, const char *path);

/** Remove everything this encode wrote. */
void mf_output_files_remove(struct mf_output_files *f);

#endif
