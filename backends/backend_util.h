/*
 * The small helpers every backend's option mapping and probe share: one
 * printf-style refusal that fills the caller's error buffer, and one bits
 * to kbit conversion (x264 and x265 both count rates in kbit/s).
 */
#ifndef MF_BACKENDS_BACKEND_UTIL_H
#define MF_BACKENDS_BACKEND_UTIL_H

#include <stddef.h>
#include <stdint.h>

/**
 * Write the message into err (when err and err_len are set) and return ret,
 * so that a refusal is one line: `return mf_backend_errf(AVERROR(EINVAL), ...)`.
 */
int mf_backend_errf(int ret, char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/**
 * bits (per second, or a buffer size in bits) -> kbit, rounded to the
 * nearest, for the backend called who ("x264") and the setting called field
 * ("maxrate").
 * @return 0 with *kbit set, or AVERROR(EINVAL) with err naming field when
 *         bits is below 500 or above what an int of kbit can hold.
 */
int mf_backend_kbit(int64_t bits, const char *who, const char *field, int *kbit,
                    char *err, size_t err_len);

#endif
