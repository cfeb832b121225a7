#include "segment_index.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static int add_uri(struct mf_segment_index *x, const char *uri, int *cap)
{
    if (x->n == *cap) {
        int c = *cap ? 2 * *cap : 64;
        void *u = realloc(x->uris, c * sizeof(*x->uris));
        if (!u)
            return -ENOMEM;
        x->uris = u;
        *cap = c;
    }
    if (snprintf(x->uris[x->n], MF_SEG_URI_MAX, "%s", uri) >= MF_SEG_URI_MAX)
        return -ENAMETOOLONG;
    x->n++;
    return 0;
}

static int read_uris(FILE *f, struct mf_segment_index *x)
{
    char line[1024];
    int cap = 0, ret = 0;
    while (ret == 0 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        const char *map = strstr(line, "#EXT-X-MAP:URI=\"");
        if (map) {
            if (sscanf(map + 16, "%63[^\"]", x->init) != 1)
                ret = -EINVAL;
        } else if (line[0] && line[0] != '#') {
            ret = add_uri(x, line, &cap);
        }
    }
    return ret;
}

static void join_dir(char *dst, size_t len, const char *playlist, const char *name)
{
    const char *slash = strrchr(playlist, '/');
    snprintf(dst, len, "%.*s%s%s", slash ? (int)(slash - playlist) : 0, playlist, slash ? "/" : "", name);
}

int mf_segment_index_read(const char *playlist, struct mf_segment_index *x, char *err, size_t err_len)
{
    memset(x, 0, sizeof(*x));
    FILE *f = fopen(playlist, "r");
    if (!f) {
        int e = errno;
        mf_errf(err, err_len, "%s: cannot read: %s", playlist, strerror(e));
        return -e;
    }
    int ret = read_uris(f, x);
    fclose(f);
    char path[2048];
    if (ret == 0 && (!x->init[0] || !x->n))
        ret = -EINVAL;
    if (ret < 0) {
        mf_errf(err, err_len, "%s: not an fMP4 media playlist with segments", playlist);
        goto fail;
    }
    join_dir(path, sizeof(path), playlist, x->init);
    if ((ret = mf_fmp4_read_init(path, &x->track)) < 0) {
        mf_errf(err, err_len, "%s: not a fragmented MP4 init segment: %s", path, strerror(-ret));
        goto fail;
    }
    x->segs = calloc(x->n, sizeof(*x->segs));
    x->spans = calloc(x->n, sizeof(*x->spans));
    if (!x->segs || !x->spans) {
        ret = -ENOMEM;
        mf_errf(err, err_len, "%s: out of memory", playlist);
        goto fail;
    }
    x->numbered = 1;
    for (int i = 0; i < x->n; i++) {
        int num, used = 0;
        if (sscanf(x->uris[i], "seg_%5d.m4s%n", &num, &used) != 1 || used != (int)strlen(x->uris[i])
            || strlen(x->uris[i]) != 13 || (i == 0 ? (x->start_number = num, 0) : num != x->start_number + i))
            x->numbered = 0;
        join_dir(path, sizeof(path), playlist, x->uris[i]);
        if ((ret = mf_fmp4_scan_segment(path, &x->track, &x->segs[i])) < 0) {
            mf_errf(err, err_len, "%s: cannot read its fragments: %s", path, strerror(-ret));
            goto fail;
        }
    }
    for (int i = 0; i < x->n; i++) {
        const struct mf_fmp4_segment *s = &x->segs[i];
        int64_t next = i + 1 < x->n ? x->segs[i + 1].ept : s->end;
        x->spans[i] = (struct mf_dash_span){ s->ept, next > s->ept ? next - s->ept : 0 };
    }
    return 0;
fail:
    mf_segment_index_free(x);
    return ret;
}

double mf_segment_index_duration(const struct mf_segment_index *x)
{
    int64_t d = 0;
    for (int i = 0; i < x->n; i++)
        d += x->spans[i].duration;
    return x->track.timescale ? (double)d / x->track.timescale : 0;
}

void mf_segment_index_free(struct mf_segment_index *x)
{
    free(x->uris);
    free(x->segs);
    free(x->spans);
    x->uris = NULL;
    x->segs = NULL;
    x->spans = NULL;
    x->n = 0;
}
