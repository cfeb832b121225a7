/*
 * Scratch dirs that outlive no one (scratch.h). Two locks:
 *  - each job dir holds OWNER, flock(LOCK_EX)ed by its worker for the job's life
 *    (the file also says which process, for a person looking);
 *  - the scratch dir itself is flock()ed shared while a job dir is made and locked,
 *    exclusive by a sweep, so a sweep never sees a dir between mkdtemp and its lock.
 * A sweep removes only dirs with an OWNER file: the scratch dir may be /tmp, where
 * other programs' mpegflow-* dirs (or an older worker's, without one) are not ours.
 */
#include "scratch.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"

#define PREFIX "mpegflow-"
#define OWNER ".mpegflow-owner"

/* The scratch-wide guard: the scratch dir itself, flock()ed with how (LOCK_SH or
 * LOCK_EX), so nothing is left in it; -errno on failure. */
static int guard(const char *dir, int how)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    while (flock(fd, how) < 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return -e;
        }
    }
    return fd;
}

int mf_scratch_make(const char *dir, const char *job_id, char *path, size_t len,
                    char *err, size_t err_len)
{
    char safe[48];
    size_t i;
    for (i = 0; job_id[i] && i < 40; i++)
        safe[i] = isalnum((unsigned char)job_id[i]) || job_id[i] == '-' ? job_id[i] : '_';
    safe[i] = 0;
    if (snprintf(path, len, "%s/" PREFIX "%s-XXXXXX", dir, safe) >= (int)len) {
        snprintf(err, err_len, "scratch dir %s: path too long", dir);
        path[0] = 0;
        return -ENAMETOOLONG;
    }
    /* No guard (a missing or read-only scratch dir): mkdtemp says why below. */
    int g = guard(dir, LOCK_SH);
    int fd = -1, ret;
    char owner[4096 + sizeof(OWNER)];
    if (!mkdtemp(path)) {
        ret = -errno;
        snprintf(err, err_len, "mkdtemp in %s: %s", dir, strerror(errno));
        path[0] = 0;
    } else if (snprintf(owner, sizeof(owner), "%s/" OWNER, path) < 0
               || (fd = open(owner, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0
               || flock(fd, LOCK_EX | LOCK_NB) < 0) {
        ret = -errno;
        snprintf(err, err_len, "locking %s: %s", owner, strerror(errno));
        if (fd >= 0)
            close(fd);
        mf_remove_tree(path);
        path[0] = 0;
    } else {
        char host[64] = "";
        gethostname(host, sizeof(host) - 1);
        dprintf(fd, "pid %d on %s\n", (int)getpid(), host);
        ret = fd;
    }
    if (g >= 0)
        close(g);
    return ret;
}

void mf_scratch_remove(const char *path, int lock_fd)
{
    if (path[0])
        mf_remove_tree(path);
    if (lock_fd >= 0)
        close(lock_fd);
}

/* Bytes under path (allocated blocks), symlinks not followed. */
static int64_t tree_bytes(const char *path)
{
    char *roots[] = { (char *)path, NULL };
    FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
    int64_t total = 0;
    FTSENT *e;
    if (!fts)
        return 0;
    while ((e = fts_read(fts)))
        if (e->fts_info == FTS_F && e->fts_statp)
            total += (int64_t)e->fts_statp->st_blocks * 512;
    fts_close(fts);
    return total;
}

int mf_scratch_sweep(const char *dir, int *removed, int64_t *bytes, char *err, size_t err_len)
{
    int n = 0;
    int64_t freed = 0;
    int g = guard(dir, LOCK_EX);
    if (g < 0) {
        snprintf(err, err_len, "scratch dir %s: %s", dir, strerror(-g));
        return g;
    }
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        snprintf(err, err_len, "scratch dir %s: %s", dir, strerror(e));
        close(g);
        return -e;
    }
    struct dirent *de;
    char path[4096];
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, PREFIX, sizeof(PREFIX) - 1))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        struct stat st;
        char owner[4096 + sizeof(OWNER) + 1];
        if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;              /* a symlink or a file of that name is not ours */
        snprintf(owner, sizeof(owner), "%s/" OWNER, path);
        int fd = open(owner, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;              /* not a worker's job dir (or a worker's from before locks) */
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {   /* its owner is dead */
            freed += tree_bytes(path);
            mf_remove_tree(path);
            n++;
        }
        close(fd);
    }
    closedir(d);
    close(g);
    if (removed)
        *removed = n;
    if (bytes)
        *bytes = freed;
    return 0;
}
