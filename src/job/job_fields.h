/*
 * What job.c, job_audio.c and job_subtitles.c share: bounded string length, the
 * name comparison, the bitrate getter, and the parts' entry points.
 */
#ifndef MF_JOB_FIELDS_H
#define MF_JOB_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mpegflow/job.h"
#include "common/json_strict.h"

/** strlen that stops at max, for fixed buffers a caller may have filled. */
size_t mf_job_bounded_len(const char *s, size_t max);

/** ASCII case-insensitive equality (rendition names, language tags). */
int mf_job_same_name(const char *a, const char *b);

/** obj's key as a bitrate ("800k", "1.5M" or an integer): 1 set, 0 absent, <0 refused. */
int mf_job_get_bitrate(struct mf_errbuf *e, json_t *obj, const char *path, const char *key, int64_t *rate);

/* The "audio" object (job_audio.c) and "subtitles" (job_subtitles.c): parse from
 * the root, or check a job built by hand; 0, or -EINVAL naming the field. */
int mf_job_audio_parse(struct mf_errbuf *e, json_t *root, struct mf_job *job);
int mf_job_audio_validate(struct mf_errbuf *e, const struct mf_job *job);
int mf_job_subtitles_parse(struct mf_errbuf *e, json_t *root, struct mf_job *job);
int mf_job_subtitles_validate(struct mf_errbuf *e, const struct mf_job *job);

#endif
