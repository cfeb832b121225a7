/* Field helpers the job parser's parts share (job_fields.h). */
#include "job_fields.h"

#include <string.h>

#include "common/quantity.h"

/* strlen that stops at max, for fixed buffers a caller may have filled. */
size_t mf_job_bounded_len(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

/* ASCII case-insensitive equality, for rendition names (file names). */
int mf_job_same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a + 32) : *a;
        char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b + 32) : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

/* A bitrate is "800k"-style text or a JSON integer of bits per second. */
int mf_job_get_bitrate(struct mf_errbuf *e, json_t *obj, const char *path, const char *key,
                       int64_t *rate)
{
    json_t *v = json_object_get(obj, key);

    if (!v)
        return 0;
    if (json_is_integer(v)) {
        *rate = json_integer_value(v);
        return 1;
    }
    if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v)) {
        *rate = mf_parse_quantity(json_string_value(v));
        if (*rate >= 0)
            return 1;
    }
    return mf_fail(e, path, key, "must be a bitrate such as \"800k\", \"1.5M\" or 800000");
}
