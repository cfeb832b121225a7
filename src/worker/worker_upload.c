/* The upload listing (worker_upload.h): fts(3), no globals, so job threads list at once. */
#include "worker_upload.h"

#include <errno.h>
#include <fts.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
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
    qsort(list, count, sizeof(*list), cmp_str);
    *files = list;
    *n = count;
    return 0;
}
