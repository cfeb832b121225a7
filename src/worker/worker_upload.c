/* The upload listing (worker_upload.h): fts(3), no globals, so job threads list at once. */
#include "worker_upload.h"

#include <errno.h>
#include <fts.h>
#include <stdlib.h>
#include <string.h>

/* Where a file goes in the upload order: media first, then the playlists that list
 * it, then the manifests that list those (a player that finds a manifest finds what
 * it names), and result.json after all of them (uploaded on its own). */
static int upload_rank(const char *rel)
{
    const char *dot = strrchr(rel, '.'), *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    if (dot && !strcmp(dot, ".mpd"))
        return 2;
    if (!strcmp(base, "master.m3u8"))
        return 2;
    if (dot && !strcmp(dot, ".m3u8"))
        return 1;
    return 0;
}

static int cmp_upload(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int rx = upload_rank(x), ry = upload_rank(y);
    return rx != ry ? rx - ry : strcmp(x, y);
}

void mf_upload_list_free(char **files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
}

int mf_upload_list(const char *outdir, char ***files, size_t *n)
{
    char *roots[] = { (char *)outdir, NULL };
    char **list = NULL;
    size_t count = 0, root_len = strlen(outdir);
    int ret = 0;
    *files = NULL;
    *n = 0;
    FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
    if (!fts)
        return -errno;
    for (;;) {
        errno = 0;
        FTSENT *e = fts_read(fts);
        if (!e) {
            ret = errno ? -errno : 0;      /* NULL with errno 0: the walk is done */
            break;
        }
        if (e->fts_info == FTS_DNR || e->fts_info == FTS_ERR || e->fts_info == FTS_NS) {
            ret = -(e->fts_errno ? e->fts_errno : EIO);
            break;
        }
        if (e->fts_info != FTS_F || e->fts_pathlen <= root_len)
            continue;
        const char *rel = e->fts_path + root_len + 1;
        if (e->fts_level == 1 && !strcmp(rel, "result.json"))
            continue;
        char **grown = realloc(list, (count + 1) * sizeof(*list));
        if (!grown) {
            ret = -ENOMEM;
            break;
        }
        list = grown;
        if (!(list[count] = strdup(rel))) {
            ret = -ENOMEM;
            break;
        }
        count++;
    }
    fts_close(fts);
    if (ret) {
        mf_upload_list_free(list, count);
        return ret;
    }
    qsort(list, count, sizeof(*list), cmp_upload);
    *files = list;
    *n = count;
    return 0;
}
