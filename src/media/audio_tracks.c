#include "audio_tracks.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>

_Static_assert(MF_LANGUAGE_MAX <= sizeof(((struct mf_audio_pick *)0)->name), "a language fits a name");

static const char *tag_of(const AVStream *st, const char *key)
{
    const AVDictionaryEntry *e = av_dict_get(st->metadata, key, NULL, 0);
    return e && e->value[0] ? e->value : NULL;
}

static int channels_of(const AVStream *st)
{
    return st->codecpar->ch_layout.nb_channels;
}

/* A title fit for a quoted HLS attribute: no quotes, no control characters. */
static void clean_name(char *dst, size_t len, const char *src)
{
    size_t n = 0;
    for (; *src && n + 1 < len; src++)
        dst[n++] = (unsigned char)*src < 0x20 || *src == '"' ? ' ' : *src;
    dst[n] = '\0';
}

static int taken(const struct mf_audio_selection *sel, int stream)
{
    for (int i = 0; i < sel->n; i++)
        if (sel->pick[i].stream == stream)
            return 1;
    return 0;
}

static void __attribute__((format(printf, 2, 3))) skip(struct mf_audio_selection *sel, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (sel->n_skipped < MF_MAX_AUDIO_OUT)
        vsnprintf(sel->skipped[sel->n_skipped++], sizeof(sel->skipped[0]), fmt, ap);
    va_end(ap);
}

static void add(struct mf_audio_selection *sel, const AVStream *st, const struct mf_job *job)
{
    struct mf_audio_pick *p = &sel->pick[sel->n++];
    const char *lang = tag_of(st, "language"), *title = tag_of(st, "title");
    *p = (struct mf_audio_pick){ .stream = st->index };
    mf_language_bcp47(lang, p->language, sizeof(p->language));
    snprintf(p->iso639, sizeof(p->iso639), "%s", lang && strlen(lang) == 3 ? lang : "");
    p->channels = job->audio_mode == MF_AUDIO_COPY ? channels_of(st) : job->audio_channels;
    if (title)
        clean_name(p->name, sizeof(p->name), title);
    else if (strcmp(p->language, "und"))
        memcpy(p->name, p->language, strlen(p->language) + 1);   /* MF_LANGUAGE_MAX < sizeof(name) */
    else
        snprintf(p->name, sizeof(p->name), "audio %d", sel->n);   /* untagged: by its place */
}

/* The usual case: one stream per language asked for, the default one of
 * those in that language first, else the first. */
static void pick_languages(struct mf_audio_selection *sel, const AVFormatContext *fmt,
                           const struct mf_job *job)
{
    for (int l = 0; l < job->n_audio_languages; l++) {
        int found = -1;
        for (unsigned i = 0; i < fmt->nb_streams; i++) {
            const AVStream *st = fmt->streams[i];
            if (st->codecpar->codec_type != AVMEDIA_TYPE_AUDIO || taken(sel, (int)i) ||
                !mf_language_matches(job->audio_languages[l], tag_of(st, "language")))
                continue;
            if (found < 0 || (!(fmt->streams[found]->disposition & AV_DISPOSITION_DEFAULT) &&
                              (st->disposition & AV_DISPOSITION_DEFAULT)))
                found = (int)i;
        }
        if (found >= 0)
            add(sel, fmt->streams[found], job);
        else
            skip(sel, "audio.tracks: no %s audio track in the source", job->audio_languages[l]);
    }
}

/* Each 5.1 (or larger) track gets an AAC 5.1 rendition right after it. */
static void add_surround(struct mf_audio_selection *sel, const AVFormatContext *fmt)
{
    for (int i = sel->n - 1; i >= 0; i--) {
        if (channels_of(fmt->streams[sel->pick[i].stream]) < 6 || sel->n == MF_MAX_AUDIO_OUT)
            continue;
        memmove(&sel->pick[i + 2], &sel->pick[i + 1], (sel->n - i - 1) * sizeof(sel->pick[0]));
        struct mf_audio_pick *s = &sel->pick[i + 1];
        *s = sel->pick[i];
        s->surround = 1;
        s->channels = 6;
        s->is_default = 0;
        size_t n = strlen(s->name);
        snprintf(s->name + (n < sizeof(s->name) - 5 ? n : sizeof(s->name) - 5), 5, " 5.1");
        sel->n++;
    }
}

/* Unique names ("en", "en (2)") and directories ("audio_en", "audio_en_2", "audio_en_51"). */
static void name_outputs(struct mf_audio_selection *sel)
{
    for (int i = 0; i < sel->n; i++) {
        struct mf_audio_pick *p = &sel->pick[i];
        char base[sizeof(p->dir)];
        snprintf(base, sizeof(base), "audio_%s%s", p->language, p->surround ? "_51" : "");
        snprintf(p->dir, sizeof(p->dir), "%s", base);
        for (int k = 2, clash = 1; clash; k++) {
            clash = 0;
            for (int j = 0; j < i; j++)
                clash |= !strcmp(sel->pick[j].dir, p->dir);
            if (clash)
                snprintf(p->dir, sizeof(p->dir), "%.*s_%d", (int)sizeof(base) - 5, base, k % 100);
        }
        char name[sizeof(p->name)];
        snprintf(name, sizeof(name), "%s", p->name);
        for (int k = 2, clash = 1; clash; k++) {
            clash = 0;
            for (int j = 0; j < i; j++)
                clash |= !strcmp(sel->pick[j].name, p->name);
            if (clash)
                snprintf(p->name, sizeof(p->name), "%.*s (%d)", (int)sizeof(name) - 8, name, k % 100);
        }
    }
}

void mf_audio_select(const AVFormatContext *fmt, int best, const struct mf_job *job,
                     struct mf_audio_selection *sel)
{
    memset(sel, 0, sizeof(*sel));
    if (best < 0 || job->audio_mode == MF_AUDIO_NONE)
        return;
    if (job->audio_tracks == MF_AUDIO_TRACKS_ALL) {
        for (unsigned i = 0; i < fmt->nb_streams; i++) {
            const AVStream *st = fmt->streams[i];
            if (st->codecpar->codec_type != AVMEDIA_TYPE_AUDIO)
                continue;
            if (job->audio_mode == MF_AUDIO_AAC && !avcodec_find_decoder(st->codecpar->codec_id))
                skip(sel, "audio stream %u: no decoder for %s", i, avcodec_get_name(st->codecpar->codec_id));
            else if (sel->n == MF_MAX_AUDIO_TRACKS)
                skip(sel, "audio stream %u: past the limit of %d audio tracks", i, MF_MAX_AUDIO_TRACKS);
            else
                add(sel, st, job);
        }
    } else if (job->audio_tracks == MF_AUDIO_TRACKS_LANGUAGES) {
        pick_languages(sel, fmt, job);
        if (!sel->n)
            skip(sel, "audio.tracks: none of the languages is in the source; kept the best track "
                 "(stream %d)", best);
    }
    if (!sel->n)
        add(sel, fmt->streams[best], job);
    int def = 0;
    for (int i = sel->n - 1; i >= 0; i--)
        if (fmt->streams[sel->pick[i].stream]->disposition & AV_DISPOSITION_DEFAULT)
            def = i;
    sel->pick[def].is_default = 1;
    sel->legacy = job->audio_tracks == MF_AUDIO_TRACKS_BEST && !job->audio_surround;
    if (job->audio_surround && job->audio_mode == MF_AUDIO_AAC)
        add_surround(sel, fmt);
    if (sel->legacy) {
        snprintf(sel->pick[0].dir, sizeof(sel->pick[0].dir), "audio");
        snprintf(sel->pick[0].name, sizeof(sel->pick[0].name), "default");
        return;
    }
    name_outputs(sel);
}
