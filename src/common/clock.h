/* The clocks: monotonic for timeouts and rates, UTC wall time for what people read. */
#ifndef MF_CLOCK_H
#define MF_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/** Monotonic seconds. */
double mf_now(void);
/** CPU seconds the calling thread has used (what one step of a pipeline costs). */
double mf_thread_cpu(void);
/** Monotonic milliseconds. */
int64_t mf_mono_ms(void);
/** ts = CLOCK_MONOTONIC now + ms, for pthread_cond_timedwait on a monotonic condvar. */
void mf_mono_deadline(struct timespec *ts, int64_t ms);
/** Now as ISO 8601 UTC with milliseconds, "2026-12-02T07:14:50.123Z" (len >= 25). */
void mf_now_iso(char *buf, size_t len);

#endif
