#include "fs.h"

#include <errno.h>
#include <fts.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mf_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    char *roots[] = { (char *)path, NULL };
    /* FTS_PHYSICAL: a symlink in the tree is removed, never followed. */
    FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
    if (!fts)
        return -errno;
    int ret = 0;
    FTSENT *e;
    while ((e = fts_read(fts))) {
        switch (e->fts_info) {
        case FTS_D:
            break;                 /* removed on the way back up (FTS_DP) */
        case FTS_DP:
            if (rmdir(e->fts_accpath) < 0 && errno != ENOENT && !ret)
                ret = -errno;
            break;
        case FTS_DNR: case FTS_ERR: case FTS_NS:
            if (e->fts_errno != ENOENT && !ret)
                ret = -e->fts_errno;
            break;
        default:
            if (unlink(e->fts_accpath) < 0 && errno != ENOENT && !ret)
                ret = -errno;
            break;
        }
    }
    if (errno && !ret)
        ret = -errno;
    fts_close(fts);
    return ret;
}

int mf_mkdir_p(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}
