/* The refusal and kbit helpers of the backends (backend_util.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include <libavutil/error.h>

#include "backend_util.h"

int mf_backend_errf(int ret, char *err, size_t err_len, const char *fmt, ...)
{
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return ret;
}

int mf_backend_kbit(int64_t bits, const char *who, const char *field, int *kbit,
                    char *err, size_t err_len)
{
    /* checked before rounding, so that the + 500 cannot overflow; below 500
     * bits would round to 0 kbit, which both encoders read as "unset" */
    if (bits < 500 || bits > (int64_t)INT_MAX * 1000)
        return mf_backend_errf(AVERROR(EINVAL), err, err_len, "%s: %s %lld out of range (500 .. %lld000)",
                               who, field, (long long)bits, (long long)INT_MAX);
    *kbit = (int)((bits + 500) / 1000);
    return 0;
}
