/* Filesystem helpers: scratch and output trees. */
#ifndef MF_FS_H
#define MF_FS_H

/** Remove path and everything below it, never following symlinks; missing paths are fine. 0 or -errno. */
int mf_remove_tree(const char *path);
/** mkdir -p. 0 or -errno. */
int mf_mkdir_p(const char *path);

#endif
