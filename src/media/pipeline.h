/*
 * The transcode pipeline: one local input, one job, one output directory.
 * It knows nothing of Redis or HTTP; worker, encode and bench all call it.
 */
#ifndef MF_PIPELINE_H
#define MF_PIPELINE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mpegflow/job.h"
#include "mpegflow/result.h"    /* struct mf_result: what a run reports */

struct mf_progress {
    double percent;        /* 0..100, of the source duration */
    double fps;            /* decoded frames per wall second */
    double speed;          /* media seconds per wall second */
    double eta_seconds;    /* < 0 when unknown */
    int64_t frames;        /* decoded video frames so far */
};

typedef void (*mf_progress_fn)(const struct mf_progress *p, void *opaque);

struct mf_pipeline_opts {
    const char *backend;           /* NULL/"auto": the job's; "auto" there: x264 (h264), x265 (hevc) */
    const char *fallback_backend;  /* NULL: none; else used when the chosen backend is
                                      unusable here (not built, or its probe fails) */
    int threads;                   /* 0 = all cores */
    int no_cascade;                /* 1: scale every rendition from the source */
    int64_t max_pixels;            /* 0 = no limit: width*height of the source */
    double max_duration;           /* seconds, 0 = no limit */
    atomic_int *cancel;            /* may be NULL; nonzero cancels the encode */
    mf_progress_fn progress;       /* may be NULL; called at most ~4 times a second */
    void *opaque;
    /* A chunk of a split encode (issue 13), on when chunk_end > 0: only
     * [chunk_start, chunk_end) seconds of the video timeline are encoded,
     * with the unsplit encode's timestamps and keyframes; decoding starts
     * at the source keyframe before chunk_start (the frames before it are
     * dropped); HLS segments are numbered from chunk_first_segment. */
    double chunk_start, chunk_end;
    int chunk_first_segment;
    const char *chunk_audio_mp4;   /* NULL, or where a chunk with audio also writes it as MP4 */
};

/**
 * Transcode input into outdir as job says. outdir must exist.
 * Returns 0, or a negative AVERROR with err holding one line that names
 * the file and the cause. AVERROR_EXIT means cancelled; AVERROR(EBUSY)
 * means the backend is busy (NVENC session limit) and a retry may work.
 * On failure every output written so far is removed.
 */
int mf_pipeline_run(const char *input, const struct mf_job *job, const char *outdir,
                    const struct mf_pipeline_opts *opts, struct mf_result *result,
                    char *err, size_t err_len);

#endif
