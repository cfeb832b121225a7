/*
 * Strict JSON getters for specs people write (the job, DESIGN section 4).
 * Each getter returns 1 when the field is present and read, 0 when absent,
 * -EINVAL on a type error with e holding "path.key: must be ...".
 */
#ifndef MF_JSON_STRICT_H
#define MF_JSON_STRICT_H

#include <stddef.h>

#include <jansson.h>

/* Where the one error message goes. */
struct mf_errbuf {
    char *buf;
    size_t len;
};

/** Write "obj.key: message" (or "key: ...", "obj: ...") and return -EINVAL. */
int mf_fail(struct mf_errbuf *e, const char *obj, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** "obj.key: must be one of a, b, c"; -EINVAL. */
int mf_fail_choice(struct mf_errbuf *e, const char *obj, const char *key, const char *const *list);

/** Index of s in a NULL-terminated list, or -1. */
int mf_list_index(const char *const *list, const char *s);
/** "a, b, c" */
void mf_list_join(const char *const *list, char *out, size_t out_len);

/** A string without NUL bytes (text loaded with JSON_ALLOW_NUL, so this names the field). */
int mf_json_string(struct mf_errbuf *e, json_t *obj, const char *path, const char *key,
                   const char **s, size_t *len);
int mf_json_number(struct mf_errbuf *e, json_t *obj, const char *path, const char *key, double *d);
int mf_json_integer(struct mf_errbuf *e, json_t *obj, const char *path, const char *key,
                    long long *i);
int mf_json_bool(struct mf_errbuf *e, json_t *obj, const char *path, const char *key, int *b);
/** A string that must be one of list; *index is its position. */
int mf_json_choice(struct mf_errbuf *e, json_t *obj, const char *path, const char *key,
                   const char *const *list, int *index);
/** The same, copied into out. */
int mf_json_choice_copy(struct mf_errbuf *e, json_t *obj, const char *path, const char *key,
                        const char *const *list, char *out, size_t out_len);
/** -EINVAL for the first field not in known: "path.key: unknown field (did you mean "x"?)". */
int mf_json_reject_unknown(struct mf_errbuf *e, json_t *obj, const char *path,
                           const char *const *known);

#endif
