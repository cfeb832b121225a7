/*
 * Images from the frames the pipeline decodes anyway (no second decode):
 * a poster (poster.c) and thumbnail sprite sheets with a WebVTT track
 * (thumbnails.c), in OUTDIR/images/. The decode thread hands each frame
 * over after its timestamp is fixed; only frames at sample times are
 * touched (downloaded from the GPU, scaled small with libswscale, JPEG
 * encoded with libavcodec's mjpeg), so the cost does not grow with the
 * frame rate or the ladder.
 */
#ifndef MF_IMAGES_H
#define MF_IMAGES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libavutil/frame.h>

#include "images_report.h"
#include "input.h"
#include "poster.h"
#include "thumbnails.h"
#include "mpegflow/job.h"


struct mf_images {
    int on;
    char dir[512];
    int made_dir;
    int poster_on, thumbs_on, thumbs_hls;
    int rotation;
    struct mf_poster poster;
    struct mf_thumbnails thumbs;
    struct mf_images_report report;
};

/** Set up what spec asks for (nothing when it asks for nothing); makes OUTDIR/images. */
int mf_images_open(struct mf_images *im, const struct mf_images_spec *spec, const char *outdir,
                   const struct mf_input *in, char *err, size_t err_len);
/** One decoded frame, t seconds after the first; most return at once. */
int mf_images_frame(struct mf_images *im, const AVFrame *f, double t, char *err, size_t err_len);
/**
 * After the last frame: the poster if still due, the last sheet, the VTT
 * (cues up to end s); with hls_master (NULL: no HLS), the image playlist,
 * listed in that master.
 */
int mf_images_finish(struct mf_images *im, double end, const char *hls_master,
                     struct mf_images_report *rep, char *err, size_t err_len);
/** Remove what was written (a failed job). */
void mf_images_remove(struct mf_images *im);
void mf_images_close(struct mf_images *im);

/** result.json's "images" object; NULL when nothing was written. */
json_t *mf_images_report_json(const struct mf_images_report *r);

#endif
