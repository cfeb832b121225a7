#include "stitch.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpegflow/job.h"            /* MF_PATH_MAX */

#include "hls_iframes.h"
#include "hls_master.h"
#include "segment_index.h"
#include "common/fs.h"
#include "common/util.h"

#define LINE_MAX_LEN 2048
#define PATH_LEN 4096

/* out = a/b[/c] (c may be NULL); -1 when it does not fit. */
static int join3(char *out, size_t len, const char *a, const char *b, const char *c)
{
    const char *part[3] = { a, b, c };
    size_t n = 0;
    for (int i = 0; i < 3 && part[i]; i++) {
        size_t l = strlen(part[i]);
        if (n + l + 2 > len)
            return -1;
        if (i)
            out[n++] = '/';
        memcpy(out + n, part[i], l);
        n += l;
    }
    out[n] = '\0';
    return 0;
}
#define join(out, len, a, b) join3(out, len, a, b, NULL)

/* Append one chunk's segments of a rendition to out (the playlist being
 * written) and move the files into dst; keep the largest target duration. */
static int add_chunk(FILE *out, const char *src, const char *dst, long *target, char *err, size_t err_len)
{
    char path[PATH_LEN], line[LINE_MAX_LEN];
    join(path, sizeof(path), src, "index.m3u8");
    FILE *f = fopen(path, "r");
    if (!f) {
        mf_errf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    int ret = 0, segments = 0;
    char extinf[LINE_MAX_LEN] = "";
    while (ret == 0 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!strncmp(line, "#EXT-X-TARGETDURATION:", 22)) {
            long t = strtol(line + 22, NULL, 10);
            if (t > *target)
                *target = t;
        } else if (!strncmp(line, "#EXTINF:", 8)) {
            snprintf(extinf, sizeof(extinf), "%s", line);
        } else if (line[0] && line[0] != '#' && extinf[0]) {
            char from[PATH_LEN], to[PATH_LEN];
            join(from, sizeof(from), src, line);
            join(to, sizeof(to), dst, line);
            if (access(to, F_OK) == 0) {
                mf_errf(err, err_len, "%s: two chunks wrote this segment (overlapping chunks)", to);
                ret = -1;
            } else if (rename(from, to) < 0) {
                mf_errf(err, err_len, "%s: cannot move to %s: %s", from, to, strerror(errno));
                ret = -1;
            } else {
                fprintf(out, "%s\n%s\n", extinf, line);
                segments++;
            }
            extinf[0] = '\0';
        }
    }
    fclose(f);
    if (ret == 0 && !segments) {
        mf_errf(err, err_len, "%s: no segment", path);
        ret = -1;
    }
    return ret;
}

/* One rendition (name: its folder under hls/): init.mp4 of the first chunk,
 * then every chunk's segments in order. The header is the muxer's. */
static int stitch_rendition(const char *outdir, const char *name, const char *const *dirs, int n,
                            char *err, size_t err_len)
{
    char dst[PATH_LEN], body[PATH_LEN], path[PATH_LEN], from[PATH_LEN];
    join3(dst, sizeof(dst), outdir, "hls", name);
    if (mf_mkdir_p(dst) < 0) {
        mf_errf(err, err_len, "%s: cannot create: %s", dst, strerror(errno));
        return -1;
    }
    { char h_[PATH_LEN]; join(h_, sizeof(h_), dirs[0], "hls"); join3(from, sizeof(from), h_, name, "init.mp4"); }
    join(path, sizeof(path), dst, "init.mp4");
    if (rename(from, path) < 0) {
        mf_errf(err, err_len, "%s: cannot move to %s: %s", from, path, strerror(errno));
        return -1;
    }
    join(body, sizeof(body), dst, ".segments");
    FILE *seg = fopen(body, "w+");
    if (!seg) {
        mf_errf(err, err_len, "%s: %s", body, strerror(errno));
        return -1;
    }
    long target = 0;
    int ret = 0;
    for (int i = 0; i < n && ret == 0; i++) {
        char src[PATH_LEN];
        join3(src, sizeof(src), dirs[i], "hls", name);
        ret = add_chunk(seg, src, dst, &target, err, err_len);
    }
    join(path, sizeof(path), dst, "index.m3u8");
    FILE *out = ret == 0 ? fopen(path, "w") : NULL;
    if (ret == 0 && !out) {
        mf_errf(err, err_len, "%s: %s", path, strerror(errno));
        ret = -1;
    }
    if (out) {
        fprintf(out, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%ld\n#EXT-X-MEDIA-SEQUENCE:0\n"
                     "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"init.mp4\"\n",
                target < 1 ? 1 : target);
        rewind(seg);
        char buf[8192];
        size_t k;
        while ((k = fread(buf, 1, sizeof(buf), seg)) > 0)
            fwrite(buf, 1, k, out);
        fprintf(out, "#EXT-X-ENDLIST\n");
        if (fclose(out)) {
            mf_errf(err, err_len, "%s: %s", path, strerror(errno));
            ret = -1;
        }
    }
    fclose(seg);
    unlink(body);
    return ret;
}

/* The rendition folder of a variant URI ("720p/index.m3u8" -> "720p"). */
static int uri_folder(const char *uri, char *name, size_t len)
{
    const char *slash = strchr(uri, '/');
    if (!slash || slash == uri || strchr(slash + 1, '/') || strstr(uri, ".."))
        return -1;
    snprintf(name, len, "%.*s", (int)(slash - uri), uri);
    return 0;
}

/* The I-frame playlist (trick play) of a stitched rendition, from its
 * segments as written, and its master line with the new figures. */
static int stitch_iframes(const char *outdir, const char *line, FILE *out, char *err, size_t err_len)
{
    char uri[512], name[512], pl[PATH_LEN], path[PATH_LEN], hls[PATH_LEN];
    const char *u = strstr(line, "URI=\"");
    const char *rest = strstr(line, ",RESOLUTION=");
    if (!u || sscanf(u + 5, "%511[^\"]", uri) != 1 || uri_folder(uri, name, sizeof(name)) < 0 || !rest) {
        mf_errf(err, err_len, "master: odd I-frame line %s", line);
        return -1;
    }
    struct mf_segment_index x = { 0 };
    struct mf_hls_iframe_stats st = { 0 };
    join(hls, sizeof(hls), outdir, "hls");
    join3(pl, sizeof(pl), hls, name, "index.m3u8");
    join(path, sizeof(path), hls, uri);
    int ret = mf_segment_index_read(pl, &x, err, err_len);
    if (ret >= 0 && (ret = mf_hls_write_iframes(path, &x, &st)) < 0)
        mf_errf(err, err_len, "%s: %s", path, strerror(-ret));
    mf_segment_index_free(&x);
    if (ret < 0)
        return -1;
    fprintf(out, "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=%" PRId64 ",AVERAGE-BANDWIDTH=%" PRId64 "%s\n",
            st.peak_bps, st.avg_bps, rest);
    return 0;
}

int mf_stitch_hls(const char *outdir, const char *const *dirs, int n, char *err, size_t err_len)
{
    char path[PATH_LEN], line[LINE_MAX_LEN], name[512];
    join(path, sizeof(path), dirs[0], "hls/master.m3u8");
    FILE *f = fopen(path, "r");
    if (!f) {
        mf_errf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *lines[256];
    int nl = 0, ret = 0;
    while (nl < 256 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!(lines[nl] = strdup(line)))
            ret = -1;
        nl += lines[nl] != NULL;
    }
    fclose(f);
    char audio_uri[512] = "";
    struct mf_hls_stats audio = { 0 };
    char root[PATH_LEN];
    if (ret == 0 && (join(root, sizeof(root), outdir, "hls") < 0 || mf_mkdir_p(root) < 0)) {
        mf_errf(err, err_len, "%s/hls: cannot create: %s", outdir, strerror(errno));
        ret = -1;
    }
    for (int i = 0; i < nl && ret == 0; i++) {
        const char *u = strstr(lines[i], "URI=\"");
        if (!strncmp(lines[i], "#EXT-X-MEDIA:TYPE=AUDIO", 23) && u) {
            sscanf(u + 5, "%511[^\"]", audio_uri);
            char from[PATH_LEN], to[PATH_LEN];
            if (uri_folder(audio_uri, name, sizeof(name)) < 0) {
                mf_errf(err, err_len, "%s: odd audio URI %s", path, audio_uri);
                ret = -1;
                break;
            }
            join3(from, sizeof(from), dirs[0], "hls", name);
            join3(to, sizeof(to), outdir, "hls", name);
            if (rename(from, to) < 0) {
                mf_errf(err, err_len, "%s: cannot move to %s: %s", from, to, strerror(errno));
                ret = -1;
                break;
            }
            join3(to, sizeof(to), outdir, "hls", audio_uri);
            struct mf_hls_stats a;
            if (mf_hls_playlist_stats(to, &a) < 0) {
                mf_errf(err, err_len, "%s: cannot read the stitched audio playlist", to);
                ret = -1;
            }
            /* As hls_master.c: the largest audio rendition's figures. */
            if (a.peak_bps > audio.peak_bps)
                audio.peak_bps = a.peak_bps;
            if (a.avg_bps > audio.avg_bps)
                audio.avg_bps = a.avg_bps;
        } else if (!strncmp(lines[i], "#EXT-X-MEDIA:", 13) && u) {
            mf_errf(err, err_len, "%s: split encodes do not stitch this rendition yet: %s", path, lines[i]);
            ret = -1;
        }
    }
    join(path, sizeof(path), outdir, "hls/master.m3u8");
    FILE *out = ret == 0 ? fopen(path, "w") : NULL;
    if (ret == 0 && !out) {
        mf_errf(err, err_len, "%s: %s", path, strerror(errno));
        ret = -1;
    }
    for (int i = 0; i < nl && ret == 0; i++) {
        if (!strncmp(lines[i], "#EXT-X-I-FRAME-STREAM-INF:", 26)) {
            if ((ret = stitch_iframes(outdir, lines[i], out, err, err_len)) < 0)
                break;
            continue;
        }
        if (strncmp(lines[i], "#EXT-X-STREAM-INF:", 18) || i + 1 >= nl) {
            fprintf(out, "%s\n", lines[i]);
            continue;
        }
        const char *uri = lines[i + 1];
        char pl[PATH_LEN];
        struct mf_hls_stats v;
        if (uri_folder(uri, name, sizeof(name)) < 0) {
            mf_errf(err, err_len, "%s: odd variant URI %s", path, uri);
            ret = -1;
            break;
        }
        if ((ret = stitch_rendition(outdir, name, dirs, n, err, err_len)) < 0)
            break;
        join3(pl, sizeof(pl), outdir, "hls", uri);
        if (mf_hls_playlist_stats(pl, &v) < 0) {
            mf_errf(err, err_len, "%s: cannot read the stitched playlist", pl);
            ret = -1;
            break;
        }
        /* As hls_master.c: the video's peak and average plus the largest audio's. */
        const char *rest = strstr(lines[i], ",RESOLUTION=");
        fprintf(out, "#EXT-X-STREAM-INF:BANDWIDTH=%" PRId64 ",AVERAGE-BANDWIDTH=%" PRId64 "%s\n",
                v.peak_bps + audio.peak_bps, v.avg_bps + audio.avg_bps, rest ? rest : "");
    }
    if (out && fclose(out) && ret == 0) {
        mf_errf(err, err_len, "%s: %s", path, strerror(errno));
        ret = -1;
    }
    for (int i = 0; i < nl; i++)
        free(lines[i]);
    return ret;
}
