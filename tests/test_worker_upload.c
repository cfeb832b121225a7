/* worker/worker_upload.c: the upload listing (fts, no globals). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "worker/worker_upload.h"
#include "unit.h"

static void touch(const char *root, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "fopen %s: %s", path, strerror(errno));
    if (f)
        fclose(f);
}

int main(void)
{
    char root[] = "/tmp/mpegflow-test-upload-XXXXXX", sub[600], path[600];
    if (!mkdtemp(root)) {
        UNIT_SKIP("mkdtemp: %s", strerror(errno));
        return UNIT_DONE();
    }
    snprintf(sub, sizeof(sub), "%s/720p", root);
    mkdir(sub, 0700);
    snprintf(sub, sizeof(sub), "%s/720p/deep", root);
    mkdir(sub, 0700);
    touch(root, "result.json");             /* the manifest: left out, uploaded last */
    touch(root, "master.m3u8");
    touch(root, "720p/index.m3u8");
    touch(root, "manifest.mpd");
    touch(root, "zz.vtt");
    touch(root, "720p/seg_002.m4s");
    touch(root, "720p/seg_001.m4s");
    touch(root, "720p/deep/result.json");   /* not the top-level one: listed */
    touch(root, "240p.mp4");
    snprintf(path, sizeof(path), "%s/link.mp4", root);
    CHECK(symlink("/etc/passwd", path) == 0, "symlink");

    char **files = NULL;
    size_t n = 0;
    CHECK_INT_EQ(mf_upload_list(root, &files, &n), 0);
    /* media first, then media playlists, then the manifests that name them */
    const char *want[] = { "240p.mp4", "720p/deep/result.json", "720p/seg_001.m4s", "720p/seg_002.m4s",
                           "zz.vtt", "720p/index.m3u8", "manifest.mpd", "master.m3u8" };
    CHECK_INT_EQ(n, sizeof(want) / sizeof(*want));
    for (size_t i = 0; i < n && i < sizeof(want) / sizeof(*want); i++)
        CHECK_STR_EQ(files[i], want[i]);
    mf_upload_list_free(files, n);

    /* An unreadable subdir fails the listing instead of leaving outputs out (not as root). */
    if (geteuid() != 0) {
        chmod(sub, 0);
        CHECK(mf_upload_list(root, &files, &n) < 0, "an unreadable dir was skipped");
        chmod(sub, 0700);
    }
    snprintf(path, sizeof(path), "%s/missing", root);
    CHECK(mf_upload_list(path, &files, &n) < 0, "a missing dir listed");
    CHECK(files == NULL && n == 0, "outputs set on failure");
    mf_remove_tree(root);
    return UNIT_DONE();
}
