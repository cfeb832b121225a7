/*
 * Logging: one JSON object per line on stderr in worker mode
 * ({"ts","level","msg","job",...}), or plain text for a terminal.
 */
#ifndef MF_LOG_H
#define MF_LOG_H

enum mf_log_level { MF_LOG_DEBUG, MF_LOG_INFO, MF_LOG_WARN, MF_LOG_ERROR };

/** json: 1 for JSON lines, 0 for text. Call once, before threads start. */
void mf_log_init(int json, const char *component);

/**
 * Log msg for job (NULL: none) with extra key/value string pairs, NULL-terminated:
 * mf_log(MF_LOG_INFO, id, "job finished", "outcome", "succeeded", NULL).
 * Values that look like numbers are written as JSON numbers.
 */
void mf_log(enum mf_log_level level, const char *job, const char *msg, ...)
    __attribute__((sentinel));

#endif
