/*
 * Ladder planning: from the source's geometry and the job's renditions to
 * the output sizes to encode, and the renditions skipped with a reason.
 */
#ifndef MF_LADDER_H
#define MF_LADDER_H

#include <libavutil/rational.h>

#include "mpegflow/job.h"

struct mf_source_geometry {
    int width, height;      /* coded (stored) picture size */
    AVRational sar;         /* sample aspect ratio; 0/1 or 0/0 means square */
    int rotation;           /* clockwise display rotation: 0, 90, 180 or 270 */
};

struct mf_plan {
    int n;                                      /* renditions to encode */
    struct {
        int job_index;                          /* into job->renditions */
        int width, height;                      /* output, display orientation, even */
    } out[MF_MAX_RENDITIONS];
    int n_skipped;
    struct {
        int job_index;
        char reason[128];
    } skipped[MF_MAX_RENDITIONS];
};

/**
 * Plan the ladder. Output height is the rendition's height (display
 * orientation), width follows the display aspect ratio (SAR and rotation
 * applied), both rounded to even numbers; output pixels are square.
 * Renditions taller than the displayed source are skipped unless upscale.
 * Returns the number of renditions to encode, or -EINVAL with err set
 * when nothing is left to encode.
 */
int mf_ladder_plan(const struct mf_job *job, const struct mf_source_geometry *src,
                   struct mf_plan *plan, char *err, size_t err_len);

#endif
