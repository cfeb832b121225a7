/* What a job uploads: the files its encode left in the output dir. */
#ifndef MF_WORKER_UPLOAD_H
#define MF_WORKER_UPLOAD_H

#include <stddef.h>

/**
 * Every regular file under outdir, as paths relative to it, in upload order: media
 * files, then media playlists (*.m3u8), then the manifests (master.m3u8, *.mpd),
 * each group sorted bytewise; the top-level result.json is left out (the result
 * manifest is uploaded last, on its own).
 * Symlinks are not followed. *files is malloc'd (free with mf_upload_list_free).
 * 0, or -errno when the tree cannot be read (a file would be missed).
 */
int mf_upload_list(const char *outdir, char ***files, size_t *n);
void mf_upload_list_free(char **files, size_t n);

#endif
