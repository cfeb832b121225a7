/* Where this executable lives, to run its siblings (mpegflow <-> mpegflow-media). */
#ifndef MF_SELF_EXE_H
#define MF_SELF_EXE_H

#include <stddef.h>

/**
 * The path of the executable `name` in the directory of the running one
 * (from /proc/self/exe, so symlinks and $PATH do not matter).
 * 0, or -errno when it cannot be resolved or does not fit in len.
 */
int mf_sibling_exe(const char *name, char *path, size_t len);

#endif
