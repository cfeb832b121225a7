#include "avlog.h"

#include <stdio.h>
#include <string.h>

#include <libavutil/log.h>

static _Thread_local char last_error[256];

static void capture(void *avcl, int level, const char *fmt, va_list vl)
{
    (void)avcl;
    if (level > AV_LOG_ERROR)
        return;
    vsnprintf(last_error, sizeof(last_error), fmt, vl);
    last_error[strcspn(last_error, "\r\n")] = '\0';
}

void mf_avlog_capture(void)
{
    av_log_set_callback(capture);
}

const char *mf_avlog_take(void)
{
    static _Thread_local char taken[sizeof(last_error)];
    memcpy(taken, last_error, sizeof(taken));
    last_error[0] = '\0';
    return taken;
}
