/*
 * The worker's encode, run as a child `mpegflow-media encode` process: the worker
 * itself links no FFmpeg library (small when idle), and a crash or runaway
 * allocation on hostile media ends one child, not the worker and its other jobs.
 */
#ifndef MF_ENCODE_CHILD_H
#define MF_ENCODE_CHILD_H

#include <stdatomic.h>
#include <stdint.h>
#include <stddef.h>

enum mf_child_outcome {
    MF_CHILD_OK,
    MF_CHILD_FAILED,               /* the input or the job: trying again gives the same */
    MF_CHILD_RETRY,                /* the host: memory, disk, GPU sessions, killed, could not start */
    MF_CHILD_CANCELLED,            /* *cancel was set and the child stopped */
    MF_CHILD_KILLED,               /* SIGKILL not sent by the worker (the OOM killer): err has its last line */
};

struct mf_encode_child {
    const char *input, *outdir;
    const char *job_file;          /* the job JSON as received */
    const char *log_file;          /* the child's stdout and stderr */
    const char *backend;           /* NULL: the job's own */
    const char *fallback;          /* NULL: none */
    int threads;                   /* 0: automatic */
    int64_t max_pixels;            /* 0: no limit */
    double max_duration;           /* 0: no limit */
    atomic_int *cancel;            /* nonzero: SIGTERM the child, SIGKILL after a grace period */
    void (*progress)(double percent, double fps, void *opaque);
    void *opaque;
};

/** Run the encode; err gets one line a person can act on when it is not MF_CHILD_OK. */
enum mf_child_outcome mf_encode_child_run(const struct mf_encode_child *c, char *err, size_t err_len);

/**
 * Run `mpegflow-media probe [name]` (name NULL: every backend) and put its stdout
 * in out ("<backend>: usable" or "<backend>: unusable: <reason>" lines).
 * Its exit status, or -1 (with the reason in out) when it could not run.
 */
int mf_probe_child(const char *name, char *out, size_t len);

/** The last non-empty line of a file, with a leading "mpegflow encode: " removed. */
void mf_last_line(const char *path, char *line, size_t len);

#endif
