/*
 * FFmpeg's log lines, kept off stderr: the last error each thread logged is
 * kept so our one-line messages can quote FFmpeg's reason ("moov atom not
 * found") instead of FFmpeg printing lines of its own.
 */
#ifndef MF_AVLOG_H
#define MF_AVLOG_H

#include <stddef.h>

/** Install the capturing log callback (process-wide, idempotent). */
void mf_avlog_capture(void);

/** The calling thread's last FFmpeg error message ("" if none), then forget it. */
const char *mf_avlog_take(void);

#endif
