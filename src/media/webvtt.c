#include "webvtt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mf_vtt_time(int64_t ms, char out[24])
{
    if (ms < 0)
        ms = 0;
    snprintf(out, 24, "%02" PRId64 ":%02d:%02d.%03d", ms / 3600000, (int)(ms / 60000 % 60),
             (int)(ms / 1000 % 60), (int)(ms % 1000));
}

/* Bytes of the UTF-8 character that starts with c (1 for ASCII and strays). */
static size_t utf8_len(unsigned char c)
{
    return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* Escape the n bytes at in into out (len bytes with its NUL, at least 1):
 * whole characters and entities only. Returns the bytes written; *used
 * gets the input bytes consumed (n unless out filled up). */
static size_t escape_n(const char *in, size_t n, char *out, size_t len, size_t *used)
{
    size_t o = 0, i = 0;
    while (i < n && in[i]) {
        unsigned char c = (unsigned char)in[i];
        const char *rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : NULL;
        size_t k = rep ? strlen(rep) : utf8_len(c), step = rep ? 1 : k;
        if (i + step > n || strnlen(in + i, step) < step)
            break;                 /* a cut UTF-8 sequence at the end */
        if (o + k >= len)
            break;
        if (c != '\r') {
            memcpy(out + o, rep ? rep : in + i, k);
            o += k;
        }
        i += step;
    }
    out[o] = '\0';
    *used = i;
    return o;
}

void mf_vtt_escape(const char *in, char *out, size_t len)
{
    size_t used;
    if (len)
        escape_n(in, strlen(in), out, len, &used);
}

static const char *const vtt_tags[] = { "<i>", "</i>", "<b>", "</b>", "<u>", "</u>", NULL };

void mf_vtt_escape_markup(const char *in, char *out, size_t len)
{
    size_t o = 0;
    if (!len)
        return;
    out[0] = '\0';
    for (const char *p = in; *p;) {
        const char *tag = NULL;
        for (const char *const *t = vtt_tags; *p == '<' && *t && !tag; t++)
            if (!strncmp(p, *t, strlen(*t)))
                tag = *t;
        /* A tag whole, or the text up to the next '<' escaped. */
        size_t n = tag ? strlen(tag) : 1 + strcspn(p + 1, "<"), used = n;
        if (tag && o + n < len) {
            memcpy(out + o, tag, n + 1);
            o += n;
        } else if (!tag) {
            o += escape_n(p, n, out + o, len - o, &used);
        } else {
            break;
        }
        if (used < n)
            break;
        p += n;
    }
}

/* Trim each line, drop empty lines (a blank line ends a cue) and "-->". */
static char *clean_text(const char *text)
{
    size_t n = strlen(text);
    if (n > MF_VTT_MAX_TEXT)
        n = MF_VTT_MAX_TEXT;
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
        n--;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    const char *p = text, *end = text + n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *a = p, *b = eol;
        while (a < b && (*a == ' ' || *a == '\t' || *a == '\r'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
            b--;
        if (b > a) {
            if (o)
                out[o++] = '\n';
            for (const char *c = a; c < b; c++) {
                if (c + 2 < b && c[0] == '-' && c[1] == '-' && c[2] == '>') {
                    out[o++] = '-';
                    out[o++] = '-';
                    c += 2;        /* "-->" becomes "--" */
                    continue;
                }
                out[o++] = *c == '\r' ? ' ' : *c;
            }
        }
        p = eol + 1;
    }
    out[o] = '\0';
    return out;
}

int mf_vtt_add(struct mf_vtt_track *t, int64_t start, int64_t end, const char *text)
{
    if ((end != MF_VTT_OPEN_END && end <= 0) || (end != MF_VTT_OPEN_END && end <= start) ||
        t->n >= MF_VTT_MAX_CUES) {
        t->dropped++;
        return 0;
    }
    char *clean = clean_text(text);
    if (!clean)
        return -ENOMEM;
    if (!clean[0]) {
        free(clean);
        t->dropped++;
        return 0;
    }
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        struct mf_vtt_cue *c = realloc(t->cues, (size_t)cap * sizeof(*c));
        if (!c) {
            free(clean);
            return -ENOMEM;
        }
        t->cues = c;
        t->cap = cap;
    }
    t->cues[t->n++] = (struct mf_vtt_cue){ start < 0 ? 0 : start, end, clean };
    return 0;
}

void mf_vtt_finish(struct mf_vtt_track *t, int64_t end_ms)
{
    /* Insertion sort: cues mostly come in order, and it is stable. */
    for (int i = 1; i < t->n; i++) {
        struct mf_vtt_cue c = t->cues[i];
        int j = i;
        while (j > 0 && t->cues[j - 1].start > c.start) {
            t->cues[j] = t->cues[j - 1];
            j--;
        }
        t->cues[j] = c;
    }
    int k = 0;
    for (int i = 0; i < t->n; i++) {
        struct mf_vtt_cue *c = &t->cues[i];
        if (c->end == MF_VTT_OPEN_END) {
            int64_t next = end_ms;
            for (int j = i + 1; j < t->n; j++)
                if (t->cues[j].start > c->start) {
                    next = t->cues[j].start;
                    break;
                }
            c->end = next < end_ms ? next : end_ms;
        }
        if (c->start >= end_ms || c->end <= c->start) {
            free(c->text);
            t->dropped++;
            continue;
        }
        if (c->end > end_ms)
            c->end = end_ms;
        t->cues[k++] = *c;
    }
    t->n = k;
}

static int write_cue(FILE *f, const struct mf_vtt_cue *c)
{
    char a[24], b[24];
    mf_vtt_time(c->start, a);
    mf_vtt_time(c->end, b);
    return fprintf(f, "%s --> %s\n%s\n\n", a, b, c->text) < 0 ? -1 : 0;
}

static int close_file(FILE *f, int64_t *bytes)
{
    long size = ftell(f);
    int bad = ferror(f);
    if (fclose(f) || bad)
        return errno ? -errno : -EIO;
    if (bytes && size > 0)
        *bytes += size;
    return 0;
}

int mf_vtt_write_file(const struct mf_vtt_track *t, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    fputs("WEBVTT\n\n", f);
    for (int i = 0; i < t->n; i++)
        write_cue(f, &t->cues[i]);
    return close_file(f, NULL);
}

int mf_vtt_write_segments(const struct mf_vtt_track *t, const char *dir, const double *durations,
                          int n, int target_duration, int64_t mpegts, int64_t *bytes)
{
    char path[1024];
    double start = 0;
    int next = 0, n_active = 0, ret = 0;
    int *active = t->n ? malloc((size_t)t->n * sizeof(*active)) : NULL;   /* cues on screen, by start */
    if (t->n && !active)
        return -ENOMEM;
    if (bytes)
        *bytes = 0;
    for (int s = 0; s < n && ret == 0; s++) {
        int64_t a = (int64_t)(start * 1000 + 0.5);
        int64_t b = s == n - 1 ? INT64_MAX : (int64_t)((start + durations[s]) * 1000 + 0.5);
        start += durations[s];
        int k = 0;
        for (int i = 0; i < n_active; i++)
            if (t->cues[active[i]].end > a)
                active[k++] = active[i];
        n_active = k;
        while (next < t->n && t->cues[next].start < b) {
            if (t->cues[next].end > a)
                active[n_active++] = next;
            next++;
        }
        if (snprintf(path, sizeof(path), "%s/seg_%05d.vtt", dir, s) >= (int)sizeof(path)) {
            ret = -ENAMETOOLONG;
            break;
        }
        FILE *f = fopen(path, "w");
        if (!f) {
            ret = -errno;
            break;
        }
        fprintf(f, "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:%" PRId64 ",LOCAL:00:00:00.000\n\n", mpegts);
        /* A hostile track with thousands of cues on screen at once would
         * repeat them in every segment: each segment holds at most
         * MF_VTT_MAX_SEGMENT_BYTES of cues. */
        size_t written = 0;
        for (int i = 0; i < n_active && written < MF_VTT_MAX_SEGMENT_BYTES; i++) {
            written += strlen(t->cues[active[i]].text) + 32;
            write_cue(f, &t->cues[active[i]]);
        }
        ret = close_file(f, bytes);
    }
    free(active);
    if (ret < 0)
        return ret;
    if (snprintf(path, sizeof(path), "%s/index.m3u8", dir) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:0\n"
               "#EXT-X-PLAYLIST-TYPE:VOD\n", target_duration);
    for (int s = 0; s < n; s++)
        fprintf(f, "#EXTINF:%f,\nseg_%05d.vtt\n", durations[s], s);
    fputs("#EXT-X-ENDLIST\n", f);
    return close_file(f, bytes);
}

void mf_vtt_free(struct mf_vtt_track *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->cues[i].text);
    free(t->cues);
    *t = (struct mf_vtt_track){ 0 };
}
