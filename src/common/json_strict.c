/*
 * Strict JSON getters: a field of the wrong type, an unknown field or a value
 * outside a list is refused with a message that names the field's path.
 */
#include "json_strict.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "suggest.h"

/* Write "obj.key: message" (or "key: ...", "obj: ...") and return -EINVAL. */
int mf_fail(struct mf_errbuf *e, const char *obj, const char *key, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!e->buf || !e->len)
        return -EINVAL;
    if (obj && *obj && key)
        snprintf(e->buf, e->len, "%s.%s: %s", obj, key, msg);
    else
        snprintf(e->buf, e->len, "%s: %s", key ? key : obj, msg);
    return -EINVAL;
}

int mf_list_index(const char *const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(list[i], s))
            return i;
    return -1;
}

void mf_list_join(const char *const *list, char *out, size_t out_len)
{
    size_t used = 0;

    out[0] = '\0';
    for (int i = 0; list[i] && used < out_len; i++)
        used += snprintf(out + used, out_len - used, "%s%s", i ? ", " : "", list[i]);
}

int mf_fail_choice(struct mf_errbuf *e, const char *obj, const char *key,
                       const char *const *list)
{
    char names[256];

    mf_list_join(list, names, sizeof(names));
    return mf_fail(e, obj, key, "must be one of %s", names);
}

/* --- parsing helpers: each returns 1 when the field is present and read,
 *     0 when absent, -EINVAL on a type error. ------------------------------ */

int mf_json_string(struct mf_errbuf *e, json_t *obj, const char *path, const char *key,
                      const char **s, size_t *len)
{
    json_t *v = json_object_get(obj, key);

    if (!v)
        return 0;
    if (!json_is_string(v))
        return mf_fail(e, path, key, "must be a string");
    *s = json_string_value(v);
    *len = json_string_length(v);
    /* The text is loaded with JSON_ALLOW_NUL so that this names the field. */
    if (strlen(*s) != *len)
        return mf_fail(e, path, key, "must not contain NUL or control characters");
    return 1;
}

int mf_json_number(struct mf_errbuf *e, json_t *obj, const char *path, const char *key,
                      double *d)
{
    json_t *v = json_object_get(obj, key);

    if (!v)
        return 0;
    if (!json_is_number(v))
        return mf_fail(e, path, key, "must be a number");
    *d = json_number_value(v);
    return 1;
}

int mf_json_integer(struct mf_errbuf *e, json_t *obj, const char *path, const char *key,
                       long long *i)
{
    json_t *v = json_object_get(obj, key);

    if (!v)
        return 0;
    if (!json_is_integer(v))
        return mf_fail(e, path, key, "must be an integer");
    *i = json_integer_value(v);
    return 1;
}

int mf_json_bool(struct mf_errbuf *e, json_t *obj, const char *path, const char *key, int *b)
{
    json_t *v = json_object_get(obj, key);

    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return mf_fail(e, path, key, "must be true or false");
    *b = json_is_true(v);
    return 1;
}

/* Choice fields land in small fixed buffers: check before copying. */
int mf_json_choice(struct mf_errbuf *e, json_t *obj, const char *path, const char *key,
                      const char *const *list, int *index)
{
    const char *s = NULL;
    size_t len = 0;
    int ret = mf_json_string(e, obj, path, key, &s, &len);

    if (ret <= 0)
        return ret;
    *index = mf_list_index(list, s);
    return *index < 0 ? mf_fail_choice(e, path, key, list) : 1;
}

int mf_json_choice_copy(struct mf_errbuf *e, json_t *obj, const char *path, const char *key,
                           const char *const *list, char *out, size_t out_len)
{
    int index = 0;
    int ret = mf_json_choice(e, obj, path, key, list, &index);

    if (ret > 0)
        snprintf(out, out_len, "%s", list[index]);
    return ret;
}

/* Field names from the job go into logs: keep them short and printable. */
static void printable_key(const char *key, char *out, size_t out_len)
{
    size_t i = 0;

    for (; key[i] && i + 4 < out_len; i++)
        out[i] = (key[i] >= 0x20 && key[i] < 0x7f) ? key[i] : '?';
    if (key[i]) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
}

int mf_json_reject_unknown(struct mf_errbuf *e, json_t *obj, const char *path,
                          const char *const *known)
{
    const char *key;
    json_t *value;

    json_object_foreach(obj, key, value) {
        char shown[48];
        const char *hint = NULL;

        if (mf_list_index(known, key) >= 0)
            continue;
        hint = mf_suggest(key, known);
        printable_key(key, shown, sizeof(shown));
        if (hint)
            return mf_fail(e, path, shown, "unknown field (did you mean \"%s\"?)", hint);
        return mf_fail(e, path, shown, "unknown field");
    }
    return 0;
}
