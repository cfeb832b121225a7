/* Error and path formatting every layer uses. */
#ifndef MF_UTIL_H
#define MF_UTIL_H

#include <stddef.h>

/** snprintf into err (when err is non-NULL and err_len > 0). */
void mf_errf(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** snprintf for paths: 0, or AVERROR(ENAMETOOLONG) when it does not fit. */
int mf_path_fmt(char *dst, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));




#endif
