/*
 * The output directory's layout, and its clean-up on failure:
 *   <rendition>.mp4                  progressive MP4, video + audio
 *   hls/master.m3u8                  master playlist
 *   hls/<rendition>/index.m3u8       video media playlist, init.mp4, seg_NNNNN.m4s
 *   hls/audio/index.m3u8             the audio rendition (AAC), same layout
 *   hls/audio_<lang>[_51]/index.m3u8 instead, one per kept track and 5.1 rendition
 *                                    when audio.tracks is not "best" (or with surround)
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
    int made_hls_root;              /* we created outdir/hls */
    char path[MF_MAX_RENDITIONS][2][MF_PATH_MAX];   /* [i][0] mp4, [i][1] hls playlist */
    char audio_playlist[MF_RESULT_MAX_AUDIO][MF_PATH_MAX];
    int n_audio;
    char master[MF_PATH_MAX];
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

/** Remove everything this encode wrote. */
void mf_output_files_remove(struct mf_output_files *f);

#endif
