/* Which id a stream entry's outcome is recorded under (mf_job_id_of in job.h). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "mpegflow/job.h"

int mf_job_id_of(const char *json, size_t len, const char *entry_id, char *id, size_t id_len,
                 char *why, size_t why_len)
{
    snprintf(id, id_len, "%s", entry_id);
    if (why_len)
        why[0] = 0;
    json_t *root = json ? json_loadb(json, len, 0, NULL) : NULL;
    json_t *v = json_object_get(root, "id");
    int refused = 0;
    if (v) {
        const char *s = json_string_value(v);
        size_t n = s ? json_string_length(v) : 0;
        const char *problem = !s ? "must be a string" : mf_job_id_problem(s, n);
        if (!problem && n < id_len) {
            snprintf(id, id_len, "%s", s);
        } else {
            snprintf(why, why_len, "id: %s", problem ? problem : "must be shorter");
            refused = 1;
        }
    }
    json_decref(root);
    return refused;
}
