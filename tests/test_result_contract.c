/* result.json written by the media side (media/result.c) and read back by the worker
 * (worker/worker_result.c), both on mpegflow/result.h: what one writes the other reads. */
#include <stdlib.h>
#include <string.h>

#include "media/result.h"
#include "worker/worker_result.h"
#include "unit.h"

int main(void)
{
    struct mf_job job;
    mf_job_defaults(&job);
    snprintf(job.id, sizeof(job.id), "contract-1");
    struct mf_result *w = calloc(1, sizeof(*w)), *r = calloc(1, sizeof(*r));
    if (!w || !r)
        return 1;
    snprintf(w->backend, sizeof(w->backend), "x264");
    w->frames_in = 1234;
    w->wall_seconds = 2.5;
    w->n_outputs = 1;
    snprintf(w->outputs[0].rendition, sizeof(w->outputs[0].rendition), "360p");
    snprintf(w->outputs[0].kind, sizeof(w->outputs[0].kind), "mp4");
    snprintf(w->outputs[0].path, sizeof(w->outputs[0].path), "360p.mp4");

    char *json = mf_result_to_json(&job, w);
    CHECK(json != NULL, "mf_result_to_json");
    CHECK_INT_EQ(mf_result_read(json, r), 0);
    CHECK_INT_EQ(r->frames_in, 1234);
    CHECK(r->wall_seconds == 2.5, "wall_seconds %f", r->wall_seconds);
    CHECK_STR_EQ(r->backend, "x264");
    CHECK_STR_EQ(r->fallback_from, "");
    CHECK_STR_EQ(r->decode, "");
    free(json);

    /* The fallback and nvenc objects, only written when they happened. */
    snprintf(w->backend, sizeof(w->backend), "x264");
    snprintf(w->fallback_from, sizeof(w->fallback_from), "nvenc");
    snprintf(w->fallback_reason, sizeof(w->fallback_reason), "no CUDA device");
    w->nvenc_sessions = 3;
    snprintf(w->decode, sizeof(w->decode), "nvdec+cpu");
    snprintf(w->decode_note, sizeof(w->decode_note), "NVDEC gave up at frame 10");
    json = mf_result_to_json(&job, w);
    CHECK_INT_EQ(mf_result_read(json, r), 0);
    CHECK_STR_EQ(r->fallback_from, "nvenc");
    CHECK_STR_EQ(r->backend, "x264");
    CHECK_STR_EQ(r->fallback_reason, "no CUDA device");
    CHECK_INT_EQ(r->nvenc_sessions, 3);
    CHECK_STR_EQ(r->decode, "nvdec+cpu");
    CHECK_STR_EQ(r->decode_note, "NVDEC gave up at frame 10");
    free(json);

    CHECK_INT_EQ(mf_result_read("[1]", r), -1);
    CHECK_INT_EQ(mf_result_read("not json", r), -1);
    CHECK_INT_EQ(mf_result_read(NULL, r), -1);
    free(w);
    free(r);
    return UNIT_DONE();
}
