/* The job's "subtitles" field: "all", "none" or language tags (schema in job.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "job_fields.h"

#include "common/language.h"

static int check_subtitle_lang(struct mf_errbuf *e, int i, const char *s, size_t len)
{
    char path[24], tag[MF_LANG_MAX];
    snprintf(path, sizeof(path), "subtitles[%d]", i);
    if (len == 0 || len >= MF_LANG_MAX || strlen(s) != len || mf_language_bcp47(s, tag, sizeof(tag)) < 0)
        return mf_fail(e, NULL, path, "must be a language tag such as \"en\", \"fre\" or \"pt-BR\"");
    return 0;
}

int mf_job_subtitles_parse(struct mf_errbuf *e, json_t *root, struct mf_job *job)
{
    json_t *v = json_object_get(root, "subtitles");
    static const char *const what = "must be \"all\", \"none\" or an array of language tags";

    if (!v)
        return 0;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strcmp(s, "all") || !strcmp(s, "none")) {
            job->subtitles = !strcmp(s, "all") ? MF_SUBTITLES_ALL : MF_SUBTITLES_NONE;
            return 0;
        }
        return mf_fail(e, NULL, "subtitles", "%s, not \"%s\"", what, s);
    }
    if (!json_is_array(v))
        return mf_fail(e, NULL, "subtitles", "%s", what);
    size_t n = json_array_size(v);
    if (n < 1 || n > MF_MAX_SUBTITLE_LANGS)
        return mf_fail(e, NULL, "subtitles", "must list between 1 and %d languages", MF_MAX_SUBTITLE_LANGS);
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(v, i);
        int ret;
        if (!json_is_string(x)) {
            char path[24];
            snprintf(path, sizeof(path), "subtitles[%zu]", i);
            return mf_fail(e, NULL, path, "must be a string");
        }
        if ((ret = check_subtitle_lang(e, (int)i, json_string_value(x), json_string_length(x))) < 0)
            return ret;
        memcpy(job->subtitle_langs[i], json_string_value(x), json_string_length(x) + 1);
    }
    job->subtitles = MF_SUBTITLES_LANGS;
    job->n_subtitle_langs = (int)n;
    return 0;
}

int mf_job_subtitles_validate(struct mf_errbuf *e, const struct mf_job *job)
{
    int ret;

    if (job->subtitles != MF_SUBTITLES_ALL && job->subtitles != MF_SUBTITLES_NONE &&
        job->subtitles != MF_SUBTITLES_LANGS)
        return mf_fail(e, NULL, "subtitles", "must be \"all\", \"none\" or an array of language tags");
    if (job->subtitles != MF_SUBTITLES_LANGS)
        return 0;
    if (job->n_subtitle_langs < 1 || job->n_subtitle_langs > MF_MAX_SUBTITLE_LANGS)
        return mf_fail(e, NULL, "subtitles", "must list between 1 and %d languages", MF_MAX_SUBTITLE_LANGS);
    for (int i = 0; i < job->n_subtitle_langs; i++) {
        const char *s = job->subtitle_langs[i];
        if ((ret = check_subtitle_lang(e, i, s, mf_job_bounded_len(s, MF_LANG_MAX))) < 0)
            return ret;
    }
    return 0;
}
