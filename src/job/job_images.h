/*
 * The job's "images" field: a poster and thumbnail sprites (schema in
 * job_images.c). Called by job.c; the media side reads struct mf_images_spec.
 */
#ifndef MF_JOB_IMAGES_H
#define MF_JOB_IMAGES_H

#include <jansson.h>

#include "mpegflow/job.h"
#include "common/json_strict.h"

/** Off, with the sizes a job gets when it turns a part on without giving them. */
void mf_job_images_defaults(struct mf_images_spec *im);

/** Parse root's "images" (absent: stays off). 0, or -EINVAL naming the field. */
int mf_job_images_parse(struct mf_errbuf *e, json_t *root, struct mf_images_spec *im);

/** The checks the parser makes, on a spec built by hand (the CLI). */
int mf_job_images_validate(struct mf_errbuf *e, const struct mf_images_spec *im);

#endif
