/*
 * A job's scratch dir, <scratch>/mpegflow-<id>-XXXXXX, and the sweep that removes
 * what dead workers left there (issue 16 item 6). Each job dir is flock(2)ed by the
 * worker that made it for as long as the job runs: the kernel drops the lock when
 * that process dies, kill -9 included, so a dir whose lock can be taken is dead.
 * Several live workers may share one scratch dir: a sweep takes only dead ones.
 */
#ifndef MF_SCRATCH_H
#define MF_SCRATCH_H

#include <stddef.h>
#include <stdint.h>

/**
 * Make dir/mpegflow-<job_id, sanitised>-XXXXXX (mode 0700) into path and lock it.
 * Returns the lock's fd (keep it open while the dir is in use), or -errno with err set.
 */
int mf_scratch_make(const char *dir, const char *job_id, char *path, size_t len,
                    char *err, size_t err_len);

/** Remove the job dir, then drop its lock (lock_fd < 0: no lock held). */
void mf_scratch_remove(const char *path, int lock_fd);

/**
 * Remove every dir/mpegflow-* dir whose lock no live process holds. removed and
 * bytes (may be NULL) get what went. 0, or -errno with err set when dir cannot be read.
 */
int mf_scratch_sweep(const char *dir, int *removed, int64_t *bytes, char *err, size_t err_len);

#endif
