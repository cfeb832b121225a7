#include "dash_mpd.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define ROLE_SCHEME "urn:mpeg:dash:role:2011"
#define CHANNELS_SCHEME "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"
#define TRICKMODE_SCHEME "http://dashif.org/guidelines/trickmode"

/* An attribute value or text, XML-escaped. */
static void put_esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void attr(FILE *f, const char *name, const char *value)
{
    if (!value || !value[0])
        return;
    fprintf(f, " %s=\"", name);
    put_esc(f, value);
    fputc('"', f);
}

/* xs:duration, rounded up to the microsecond (never short of the media:
 * dash.js stops at mediaPresentationDuration, and one cut to the millisecond
 * below the last picture's end left the element short of "ended"), without
 * trailing zeros. */
static void put_duration(FILE *f, const char *name, double s)
{
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "%.6f", s > 0 ? ceil(s * 1e6 - 1e-3) / 1e6 : 0);
    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.')
        buf[--n] = '\0';
    fprintf(f, " %s=\"PT%sS\"", name, buf);
}

/* S elements: a run of equal durations that follow each other is one S
 * with @r; @t only where a segment does not start where the one before
 * ended (and on the first). */
static void put_timeline(FILE *f, const char *ind, const struct mf_dash_track *t)
{
    fprintf(f, "%s<SegmentTimeline>\n", ind);
    for (int i = 0; i < t->n_spans;) {
        const struct mf_dash_span *s = &t->spans[i];
        int r = 0;
        while (i + r + 1 < t->n_spans && t->spans[i + r + 1].duration == s->duration
               && t->spans[i + r + 1].start == t->spans[i + r].start + s->duration)
            r++;
        fprintf(f, "%s  <S", ind);
        if (i == 0 || s->start != t->spans[i - 1].start + t->spans[i - 1].duration)
            fprintf(f, " t=\"%lld\"", (long long)s->start);
        fprintf(f, " d=\"%lld\"", (long long)s->duration);
        if (r)
            fprintf(f, " r=\"%d\"", r);
        fputs("/>\n", f);
        i += r + 1;
    }
    fprintf(f, "%s</SegmentTimeline>\n", ind);
}

static void put_template(FILE *f, const struct mf_dash_track *t)
{
    fprintf(f, "        <SegmentTemplate timescale=\"%u\"", t->timescale);
    attr(f, "initialization", t->init);
    attr(f, "media", t->media);
    fprintf(f, " startNumber=\"%d\">\n", t->start_number);
    put_timeline(f, "          ", t);
    fputs("        </SegmentTemplate>\n", f);
}

static void rep_open(FILE *f, const struct mf_dash_track *t, const char *id_suffix)
{
    fputs("      <Representation", f);
    fputs(" id=\"", f);
    put_esc(f, t->id);
    put_esc(f, id_suffix);
    fputc('"', f);
    fprintf(f, " bandwidth=\"%lld\"", (long long)(t->bandwidth > 0 ? t->bandwidth : 1));
    attr(f, "codecs", t->codecs);
}

static void put_role(FILE *f, const char *value)
{
    fprintf(f, "      <Role schemeIdUri=\"%s\" value=\"%s\"/>\n", ROLE_SCHEME, value);
}

static void put_label(FILE *f, const char *label)
{
    if (!label || !label[0])
        return;
    fputs("      <Label>", f);
    put_esc(f, label);
    fputs("</Label>\n", f);
}

static void put_video_attrs(FILE *f, const struct mf_dash_video *v, int fps_num, int fps_den)
{
    fprintf(f, " width=\"%d\" height=\"%d\"", v->width, v->height);
    if (fps_num > 0 && fps_den > 0) {
        if (fps_den == 1)
            fprintf(f, " frameRate=\"%d\"", fps_num);
        else
            fprintf(f, " frameRate=\"%d/%d\"", fps_num, fps_den);
    }
    fprintf(f, " sar=\"%d:%d\"", v->sar_num > 0 ? v->sar_num : 1, v->sar_den > 0 ? v->sar_den : 1);
}

static double track_max_segment(const struct mf_dash_track *t)
{
    double m = 0;
    for (int i = 0; i < t->n_spans; i++)
        m = fmax(m, (double)t->spans[i].duration / t->timescale);
    return m;
}

static int track_ok(const struct mf_dash_track *t)
{
    return t->id && t->id[0] && t->timescale > 0 && t->n_spans > 0 && t->spans;
}

static void put_video_set(FILE *f, const struct mf_dash_mpd *m, int *next_id)
{
    int maxw = 0, maxh = 0;
    for (int i = 0; i < m->n_video; i++) {
        maxw = m->video[i].width > maxw ? m->video[i].width : maxw;
        maxh = m->video[i].height > maxh ? m->video[i].height : maxh;
    }
    fprintf(f, "    <AdaptationSet id=\"%d\" contentType=\"video\" mimeType=\"video/mp4\" "
               "segmentAlignment=\"true\" startWithSAP=\"1\" maxWidth=\"%d\" maxHeight=\"%d\">\n",
            (*next_id)++, maxw, maxh);
    put_role(f, "main");
    for (int i = 0; i < m->n_video; i++) {
        const struct mf_dash_video *v = &m->video[i];
        rep_open(f, &v->t, "");
        put_video_attrs(f, v, v->fps_num, v->fps_den);
        fputs(">\n", f);
        put_template(f, &v->t);
        fputs("      </Representation>\n", f);
    }
    fputs("    </AdaptationSet>\n", f);
}

/* DASH-IF IOP 3.2.9: a trick-mode AdaptationSet that names the main video
 * one. Its Representations are the I-frames only: each segment's first
 * sample (moof + the sample's data), by byte range into the same files. */
static void put_trick_set(FILE *f, const struct mf_dash_mpd *m, int main_id, int *next_id)
{
    for (int i = 0; i < m->n_video; i++)
        if (!m->video[i].iframes || !m->video[i].iframe_uris)
            return;
    fprintf(f, "    <AdaptationSet id=\"%d\" contentType=\"video\" mimeType=\"video/mp4\" "
               "segmentAlignment=\"true\" startWithSAP=\"1\">\n", (*next_id)++);
    fprintf(f, "      <EssentialProperty schemeIdUri=\"%s\" value=\"%d\"/>\n", TRICKMODE_SCHEME, main_id);
    for (int i = 0; i < m->n_video; i++) {
        const struct mf_dash_video *v = &m->video[i];
        const struct mf_dash_track *t = &v->t;
        double dur = 0;
        for (int k = 0; k < t->n_spans; k++)
            dur += (double)t->spans[k].duration / t->timescale;
        /* one picture per segment: frames per second of the I-frames, and
         * the rate at which they play as often as the full rate's pictures */
        double fps = v->fps_den > 0 ? (double)v->fps_num / v->fps_den : 0;
        int rate = dur > 0 && fps > 0 ? (int)lround(fps * dur / t->n_spans) : 1;
        struct mf_dash_track trick = *t;
        trick.bandwidth = v->iframe_bandwidth;
        rep_open(f, &trick, "_iframes");
        int num = 0, den = 1;
        if (dur > 0) {     /* n / dur as a fraction of milliseconds */
            num = t->n_spans * 1000;
            den = (int)lround(dur * 1000);
        }
        put_video_attrs(f, v, num, den);
        fprintf(f, " maxPlayoutRate=\"%d\" codingDependency=\"false\">\n", rate > 1 ? rate : 1);
        fprintf(f, "        <SegmentList timescale=\"%u\">\n", t->timescale);
        fputs("          <Initialization", f);
        attr(f, "sourceURL", t->init);
        fputs("/>\n", f);
        put_timeline(f, "          ", t);
        for (int k = 0; k < t->n_spans; k++) {
            fputs("          <SegmentURL", f);
            attr(f, "media", v->iframe_uris[k]);
            fprintf(f, " mediaRange=\"%lld-%lld\"/>\n", (long long)v->iframes[k].first,
                    (long long)v->iframes[k].last);
        }
        fputs("        </SegmentList>\n      </Representation>\n", f);
    }
    fputs("    </AdaptationSet>\n", f);
}

static void put_audio_set(FILE *f, const struct mf_dash_audio *a, int id)
{
    fprintf(f, "    <AdaptationSet id=\"%d\" contentType=\"audio\" mimeType=\"audio/mp4\"", id);
    attr(f, "lang", a->lang);
    fputs(" segmentAlignment=\"true\" startWithSAP=\"1\">\n", f);
    put_label(f, a->label);
    put_role(f, a->is_default ? "main" : "alternate");
    for (int i = 0; i < a->n_reps; i++) {
        rep_open(f, &a->reps[i], "");
        if (a->sample_rate > 0)
            fprintf(f, " audioSamplingRate=\"%d\"", a->sample_rate);
        fputs(">\n", f);
        if (a->channels > 0)
            fprintf(f, "        <AudioChannelConfiguration schemeIdUri=\"%s\" value=\"%d\"/>\n",
                    CHANNELS_SCHEME, a->channels);
        put_template(f, &a->reps[i]);
        fputs("      </Representation>\n", f);
    }
    fputs("    </AdaptationSet>\n", f);
}

static void put_text_set(FILE *f, const struct mf_dash_text *t, int id)
{
    fprintf(f, "    <AdaptationSet id=\"%d\" contentType=\"text\" mimeType=\"text/vtt\"", id);
    attr(f, "lang", t->lang);
    fputs(">\n", f);
    put_label(f, t->label);
    put_role(f, t->role && t->role[0] ? t->role : "subtitle");
    if (t->is_default)
        put_role(f, "main");
    fputs("      <Representation id=\"", f);
    put_esc(f, t->id);
    fprintf(f, "\" bandwidth=\"%lld\"", (long long)(t->bandwidth > 0 ? t->bandwidth : 256));
    if (t->segmented) {
        fputs(">\n", f);
        put_template(f, t->segmented);
    } else {
        fputs(">\n        <BaseURL>", f);
        put_esc(f, t->uri);
        fputs("</BaseURL>\n", f);
    }
    fputs("      </Representation>\n    </AdaptationSet>\n", f);
}

int mf_dash_write_mpd(const char *path, const struct mf_dash_mpd *m)
{
    double max_seg = m->max_segment_duration;
    for (int i = 0; i < m->n_video; i++) {
        if (!track_ok(&m->video[i].t))
            return -EINVAL;
        max_seg = fmax(max_seg, track_max_segment(&m->video[i].t));
    }
    for (int i = 0; i < m->n_audio; i++)
        for (int k = 0; k < m->audio[i].n_reps; k++) {
            if (!track_ok(&m->audio[i].reps[k]))
                return -EINVAL;
            max_seg = fmax(max_seg, track_max_segment(&m->audio[i].reps[k]));
        }
    for (int i = 0; i < m->n_text; i++)
        if (!m->text[i].id || (!m->text[i].uri && !(m->text[i].segmented && track_ok(m->text[i].segmented))))
            return -EINVAL;
    if (m->n_video + m->n_audio == 0)
        return -EINVAL;
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" "
          "profiles=\"urn:mpeg:dash:profile:isoff-live:2011\"", f);
    put_duration(f, "mediaPresentationDuration", m->duration);
    put_duration(f, "maxSegmentDuration", max_seg);
    put_duration(f, "minBufferTime", m->min_buffer_time > 0 ? m->min_buffer_time : 2);
    fputs(">\n  <Period id=\"0\" start=\"PT0S\">\n", f);
    int id = 0, main_video = -1;
    if (m->n_video) {
        main_video = id;
        put_video_set(f, m, &id);
    }
    for (int i = 0; i < m->n_audio; i++)
        put_audio_set(f, &m->audio[i], id++);
    for (int i = 0; i < m->n_text; i++)
        put_text_set(f, &m->text[i], id++);
    if (m->trick_mode && main_video >= 0)
        put_trick_set(f, m, main_video, &id);
    fputs("  </Period>\n</MPD>\n", f);
    return fclose(f) ? -errno : 0;
}
