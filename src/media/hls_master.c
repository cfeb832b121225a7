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

/* RFC 8216 4.3.4.2: the peak segment bit rate is the largest bit rate of
 * any contiguous run of segments whose total duration is between 0.5 and
 * 1.5 times the target duration. With no such run (a playlist shorter than
 * half the target), the whole playlist's rate. A short last segment alone
 * does not count, which is what kept BANDWIDTH from lying high. */
int64_t mf_hls_peak_bps(const double *dur, const int64_t *bytes, int n, double target)
{
    double peak = 0, all_d = 0;
    int64_t all_b = 0;
    for (int i = 0; i < n; i++) {
        double d = 0;
        int64_t b = 0;
        all_d += dur[i];
        all_b += bytes[i];
        for (int j = i; j < n; j++) {
            d += dur[j];
            b += bytes[j];
            if (d > 1.5 * target + 1e-9)
                break;
            if (d >= 0.5 * target - 1e-9 && b * 8 / d > peak)
                peak = b * 8 / d;
        }
    }
    if (peak <= 0 && all_d > 0)
        peak = all_b * 8 / all_d;
    return (int64_t)(peak + 0.5);
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
    double extinf = -1, target = 0, *durs = NULL;
    int64_t seg_bytes = 0, *sizes = NULL;
    int ret = 0, cap = 0;
    *st = (struct mf_hls_stats){ 0 };
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        const char *uri;
        if (!strncmp(line, "#EXTINF:", 8)) {
            extinf = strtod(line + 8, NULL);
            continue;
        }
        if (!strncmp(line, "#EXT-X-TARGETDURATION:", 22)) {
            target = strtod(line + 22, NULL);
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
        if (st->segments == cap) {
            cap = cap ? 2 * cap : 64;
            double *d = realloc(durs, cap * sizeof(*durs));
            int64_t *b = d ? realloc(sizes, cap * sizeof(*sizes)) : NULL;
            if (d)
                durs = d;
            if (!b) {
                ret = -ENOMEM;
                break;
            }
            sizes = b;
        }
        durs[st->segments] = extinf;
        sizes[st->segments] = sz;
        st->segments++;
        st->duration += extinf;
        st->bytes += sz;
        seg_bytes += sz;
        extinf = -1;
    }
    fclose(f);
    if (ret == 0)
        st->peak_bps = mf_hls_peak_bps(durs, sizes, st->segments, target);
    free(durs);
    free(sizes);
    if (st->duration > 0)
        st->avg_bps = (int64_t)(seg_bytes * 8 / st->duration);
    return ret;
}

int mf_hls_write_master(const char *path, const struct mf_hls_variant *v, int n,
                        const struct mf_hls_audio *audio, const struct mf_hls_text *text, int n_text)
{
    return mf_hls_write_master_groups(path, v, n, audio, audio ? 1 : 0, text, n_text);
}

/* ",codec" for each audio codec of the group not listed before. */
static void audio_codecs(const struct mf_hls_audio *a, int n, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= !strcmp(a[j].codecs, a[i].codecs);
        if (!seen && used < len)
            used += snprintf(out + used, len - used, ",%s", a[i].codecs);
    }
}

int mf_hls_write_master_groups(const char *path, const struct mf_hls_variant *v, int n,
                               const struct mf_hls_audio *audio, int n_audio,
                               const struct mf_hls_text *text, int n_text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    int64_t audio_peak = 0, audio_avg = 0;
    char codecs[256];
    audio_codecs(audio, n_audio, codecs, sizeof(codecs));
    fprintf(f, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for (int i = 0; i < n_audio; i++) {
        const struct mf_hls_audio *a = &audio[i];
        fprintf(f, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\"");
        if (a->language)
            fprintf(f, ",LANGUAGE=\"%s\"", a->language);
        fprintf(f, ",NAME=\"%s\",DEFAULT=%s,AUTOSELECT=YES,CHANNELS=\"%d\",URI=\"%s\"\n",
                a->name ? a->name : "default", a->not_default ? "NO" : "YES", a->channels, a->uri);
        if (a->stats.peak_bps > audio_peak)
            audio_peak = a->stats.peak_bps;
        if (a->stats.avg_bps > audio_avg)
            audio_avg = a->stats.avg_bps;
    }
    for (int i = 0; i < n_text; i++)
        fprintf(f, "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"%s\"%s%s%s,DEFAULT=%s,AUTOSELECT=YES,"
                   "FORCED=%s%s,URI=\"%s\"\n", text[i].name,
                strcmp(text[i].language, "und") ? ",LANGUAGE=\"" : "",
                strcmp(text[i].language, "und") ? text[i].language : "",
                strcmp(text[i].language, "und") ? "\"" : "",
                text[i].is_default ? "YES" : "NO", text[i].forced ? "YES" : "NO",
                text[i].captions ? ",CHARACTERISTICS=\"public.accessibility.transcribes-spoken-dialog,"
                                   "public.accessibility.describes-music-and-sound\"" : "",
                text[i].uri);
    for (int i = 0; i < n; i++) {
        int64_t peak = v[i].stats.peak_bps + audio_peak;
        int64_t avg = v[i].stats.avg_bps + audio_avg;
        fprintf(f, "#EXT-X-STREAM-INF:BANDWIDTH=%lld,AVERAGE-BANDWIDTH=%lld,RESOLUTION=%dx%d,"
                   "FRAME-RATE=%.3f,CODECS=\"%s%s\"%s%s\n%s\n",
                (long long)peak, (long long)avg, v[i].width, v[i].height, v[i].frame_rate,
                v[i].codecs, codecs, n_audio ? ",AUDIO=\"audio\"" : "", n_text ? ",SUBTITLES=\"subs\"" : "",
                v[i].uri);
    }
    for (int i = 0; i < n; i++)     /* trick play: the variants' I-frame playlists */
        if (v[i].iframes_uri)
            fprintf(f, "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=%lld,AVERAGE-BANDWIDTH=%lld,RESOLUTION=%dx%d,"
                       "CODECS=\"%s\",URI=\"%s\"\n", (long long)v[i].iframes_peak_bps,
                    (long long)v[i].iframes_avg_bps, v[i].width, v[i].height, v[i].codecs, v[i].iframes_uri);
    return fclose(f) ? -errno : 0;
}
