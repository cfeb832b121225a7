#include "hls_master.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int64_t file_size(const char *dir, int dirlen, const char *name)
{
    char path[2048];
    struct stat st;
    if (snprintf(path, sizeof(path), "%.*s/%s", dirlen, dir, name) >= (int)sizeof(path))
        return -1;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

int mf_hls_playlist_stats(const char *playlist, struct mf_hls_stats *st)
{
    FILE *f = fopen(playlist, "r");
    if (!f)
        return -errno;
    const char *slash = strrchr(playlist, '/');
    int dirlen = slash ? (int)(slash - playlist) : 1;
    const char *dir = slash ? playlist : ".";
    char line[1024];
    double extinf = -1;
    int64_t seg_bytes = 0;
    int ret = 0;
    *st = (struct mf_hls_stats){ 0 };
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        const char *uri;
        if (!strncmp(line, "#EXTINF:", 8)) {
            extinf = strtod(line + 8, NULL);
            continue;
        }
        if ((uri = strstr(line, "#EXT-X-MAP:URI=\""))) {
            char name[512];
            if (sscanf(uri + 16, "%511[^\"]", name) == 1) {
                int64_t sz = file_size(dir, dirlen, name);
                if (sz >= 0)
                    st->bytes += sz;
            }
            continue;
        }
        if (!line[0] || line[0] == '#' || extinf < 0)
            continue;
        int64_t sz = file_size(dir, dirlen, line);
        if (sz < 0) {
            ret = -ENOENT;
            break;
        }
        st->segments++;
        st->duration += extinf;
        st->bytes += sz;
        seg_bytes += sz;
        if (extinf > 0 && sz * 8 / extinf > st->peak_bps)
            st->peak_bps = (int64_t)(sz * 8 / extinf);
        extinf = -1;
    }
    fclose(f);
    if (st->duration > 0)
        st->avg_bps = (int64_t)(seg_bytes * 8 / st->duration);
    return ret;
}

int mf_hls_write_master(const char *path, const struct mf_hls_variant *v, int n,
                        const struct mf_hls_audio *audio)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    if (audio)
        fprintf(f, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"default\",DEFAULT=YES,"
                   "AUTOSELECT=YES,CHANNELS=\"%d\",URI=\"%s\"\n", audio->channels, audio->uri);
    for (int i = 0; i < n; i++) {
        int64_t peak = v[i].stats.peak_bps + (audio ? audio->stats.peak_bps : 0);
        int64_t avg = v[i].stats.avg_bps + (audio ? audio->stats.avg_bps : 0);
        fprintf(f, "#EXT-X-STREAM-INF:BANDWIDTH=%lld,AVERAGE-BANDWIDTH=%lld,RESOLUTION=%dx%d,"
                   "FRAME-RATE=%.3f,CODECS=\"%s%s%s\"%s\n%s\n",
                (long long)peak, (long long)avg, v[i].width, v[i].height, v[i].frame_rate,
                v[i].codecs, audio ? "," : "", audio ? audio->codecs : "",
                audio ? ",AUDIO=\"audio\"" : "", v[i].uri);
    }
    return fclose(f) ? -errno : 0;
}
