/*
 * worker/scratch.c (issue 16 item 6): a sweep removes the job dirs of dead
 * processes, keeps those of live ones (another process, or this one through
 * another fd), and leaves alone what is not a worker's job dir.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fs.h"
#include "worker/scratch.h"
#include "unit.h"

static char root[] = "/tmp/mpegflow-test-scratch-XXXXXX";

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void fill(const char *dir, const char *name, size_t bytes)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL, "fopen %s: %s", path, strerror(errno));
    if (!f)
        return;
    char block[4096];
    memset(block, 'x', sizeof(block));
    for (size_t n = 0; n < bytes; n += sizeof(block))
        fwrite(block, 1, sizeof(block), f);
    fclose(f);
}

/* A child makes a job dir, fills it, reports the path, and waits to be killed. */
static pid_t child_with_dir(const char *id, char *path, size_t len)
{
    int p[2];
    if (pipe(p))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        char err[256], dir[512];
        close(p[0]);
        if (mf_scratch_make(root, id, dir, sizeof(dir), err, sizeof(err)) < 0)
            _exit(1);
        fill(dir, "input.bin", 1 << 20);
        ssize_t w = write(p[1], dir, strlen(dir) + 1);
        (void)w;
        for (;;)
            pause();
    }
    close(p[1]);
    ssize_t n = read(p[0], path, len);
    close(p[0]);
    if (n <= 0) {
        path[0] = 0;
        return -1;
    }
    return pid;
}

int main(void)
{
    char err[256];
    if (!mkdtemp(root)) {
        UNIT_SKIP("mkdtemp in /tmp: %s", strerror(errno));
        return UNIT_DONE();
    }

    /* Our own live dir: its name is the job id made safe, and a sweep keeps it. */
    char mine[512];
    int lock = mf_scratch_make(root, "job 1/../x", mine, sizeof(mine), err, sizeof(err));
    CHECK(lock >= 0, "mf_scratch_make: %s", err);
    CHECK(strstr(mine, "/mpegflow-job_1____x-") != NULL, "dir name %s", mine);

    /* A dead worker's dir (killed with SIGKILL) and a live one's (still running). */
    char dead[512], live[512];
    pid_t d = child_with_dir("dead", dead, sizeof(dead));
    pid_t l = child_with_dir("live", live, sizeof(live));
    CHECK(d > 0 && l > 0 && exists(dead) && exists(live), "children made their dirs");
    kill(d, SIGKILL);
    waitpid(d, NULL, 0);

    /* Not ours: an mpegflow-* dir without an owner file (another program's, or an
     * older worker's), a symlink to a dead dir's twin, a plain file. */
    char foreign[600], link_path[600], target[600], file[600];
    snprintf(foreign, sizeof(foreign), "%s/mpegflow-worker-test-abc", root);
    mkdir(foreign, 0700);
    fill(foreign, "keep.txt", 10);
    snprintf(target, sizeof(target), "%s/elsewhere", root);
    mkdir(target, 0700);
    fill(target, ".mpegflow-owner", 1);
    snprintf(link_path, sizeof(link_path), "%s/mpegflow-link-XXXXXX", root);
    CHECK(symlink(target, link_path) == 0, "symlink");
    snprintf(file, sizeof(file), "%s/mpegflow-file", root);
    fill(root, "mpegflow-file", 10);

    int removed = -1;
    int64_t bytes = -1;
    CHECK_INT_EQ(mf_scratch_sweep(root, &removed, &bytes, err, sizeof(err)), 0);
    CHECK_INT_EQ(removed, 1);
    CHECK(bytes >= 1 << 20, "bytes freed %lld", (long long)bytes);
    CHECK(!exists(dead), "the dead worker's dir %s is still there", dead);
    CHECK(exists(live), "the live worker's dir %s was removed", live);
    CHECK(exists(mine), "this process's own dir %s was removed", mine);
    CHECK(exists(foreign) && exists(link_path) && exists(target) && exists(file),
          "something that is not a job dir was removed");

    /* The live worker dies too: the next sweep takes its dir. */
    kill(l, SIGKILL);
    waitpid(l, NULL, 0);
    CHECK_INT_EQ(mf_scratch_sweep(root, &removed, NULL, err, sizeof(err)), 0);
    CHECK_INT_EQ(removed, 1);
    CHECK(!exists(live), "the second dead dir %s is still there", live);

    /* Removing our own dir drops it and its lock. */
    mf_scratch_remove(mine, lock);
    CHECK(!exists(mine), "mf_scratch_remove left %s", mine);

    /* A scratch dir that is gone: the make says mkdtemp and why, the sweep fails cleanly. */
    char gone[600], path[512];
    snprintf(gone, sizeof(gone), "%s/gone", root);
    CHECK(mf_scratch_make(gone, "x", path, sizeof(path), err, sizeof(err)) == -ENOENT, "make in a missing dir");
    CHECK_STR_CONTAINS(err, "mkdtemp");
    CHECK(path[0] == 0, "path set on failure: %s", path);
    CHECK(mf_scratch_sweep(gone, &removed, NULL, err, sizeof(err)) < 0, "sweep of a missing dir");

    mf_remove_tree(root);
    return UNIT_DONE();
}
