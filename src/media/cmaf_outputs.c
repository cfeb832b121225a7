#include "cmaf_outputs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "common/util.h"

int mf_cmaf_scan(struct mf_cmaf *c, const struct mf_cmaf_video_in *v, int n_video,
                 const struct mf_cmaf_audio_in *a, int n_audio, char *err, size_t err_len)
{
    memset(c, 0, sizeof(*c));
    if (n_video > MF_MAX_RENDITIONS || n_audio > MF_CMAF_MAX_AUDIO) {
        mf_errf(err, err_len, "too many renditions for the MPD");
        return AVERROR(EINVAL);
    }
    for (int i = 0; i < n_video; i++, c->n_video++) {
        int ret = mf_segment_index_read(v[i].playlist, &c->video[i], err, err_len);
        if (ret < 0)
            return AVERROR(-ret);
    }
    for (int i = 0; i < n_audio; i++, c->n_audio++) {
        int ret = mf_segment_index_read(a[i].playlist, &c->audio[i], err, err_len);
        if (ret < 0)
            return AVERROR(-ret);
    }
    return 0;
}

int mf_cmaf_write_iframes(struct mf_cmaf *c, const struct mf_cmaf_video_in *v, char *err, size_t err_len)
{
    for (int i = 0; i < c->n_video; i++) {
        const char *slash = strrchr(v[i].playlist, '/');
        int dl = slash ? (int)(slash - v[i].playlist) : 0;
        if (mf_path_fmt(c->iframes_path[i], MF_PATH_MAX, "%.*s%siframes.m3u8", dl, v[i].playlist,
                        slash ? "/" : "") < 0) {
            mf_errf(err, err_len, "%s: path too long", v[i].playlist);
            return AVERROR(ENAMETOOLONG);
        }
        int ret = mf_hls_write_iframes(c->iframes_path[i], &c->video[i], &c->iframes[i]);
        if (ret < 0) {
            mf_errf(err, err_len, "%s: %s", c->iframes_path[i], ret == -EINVAL
                    ? "a segment does not start with a sync sample: no I-frame playlist" : strerror(-ret));
            return AVERROR(-ret);
        }
    }
    return 0;
}

static double track_end(const struct mf_segment_index *x)
{
    if (!x->n || !x->track.timescale)
        return 0;
    const struct mf_dash_span *s = &x->spans[x->n - 1];
    return (double)(s->start + s->duration) / x->track.timescale;
}

double mf_cmaf_duration(const struct mf_cmaf *c)
{
    double d = 0;
    for (int i = 0; i < c->n_video; i++)
        d = fmax(d, track_end(&c->video[i]));
    for (int i = 0; i < c->n_audio; i++)
        d = fmax(d, track_end(&c->audio[i]));
    return d;
}

/* @frameRate as a fraction: N or N*1000/1001 when the measured rate is
 * within 0.05% of one, else to the thousandth. */
static void frame_rate_fraction(double fps, int *num, int *den)
{
    *num = 0;
    *den = 1;
    if (!(fps > 0))
        return;
    long n = lround(fps), n1001 = lround(fps * 1.001);
    if (n > 0 && fabs(fps - n) <= 5e-4 * fps) {
        *num = (int)n;
    } else if (fabs(fps - n1001 * 1000.0 / 1001) <= 5e-4 * fps) {
        *num = (int)(n1001 * 1000);
        *den = 1001;
    } else {
        *num = (int)lround(fps * 1000);
        *den = 1000;
    }
}

/* The SegmentTemplate of one rendition directory. */
static int track_of(const struct mf_segment_index *x, const char *dir, const char *codecs, int64_t bw,
                    char init[MF_SEG_URI_MAX * 2], char media[MF_SEG_URI_MAX * 2], struct mf_dash_track *t)
{
    if (!x->numbered)
        return -EINVAL;     /* $Number$ needs seg_00000.m4s, seg_00001.m4s, ... */
    snprintf(init, MF_SEG_URI_MAX * 2, "%s/%s", dir, x->init);
    snprintf(media, MF_SEG_URI_MAX * 2, "%s/seg_$Number%%05d$.m4s", dir);
    *t = (struct mf_dash_track){ .id = dir, .init = init, .media = media, .start_number = x->start_number,
                                 .codecs = codecs, .bandwidth = bw, .timescale = x->track.timescale,
                                 .n_spans = x->n, .spans = x->spans };
    return 0;
}

int mf_cmaf_write_mpd(const struct mf_cmaf *c, const char *path, const struct mf_cmaf_video_in *v,
                      const struct mf_cmaf_audio_in *a, const struct mf_cmaf_text_in *t, int n_text,
                      int trick_mode, char *err, size_t err_len)
{
    char init[MF_MAX_RENDITIONS + MF_CMAF_MAX_AUDIO][MF_SEG_URI_MAX * 2];
    char media[MF_MAX_RENDITIONS + MF_CMAF_MAX_AUDIO][MF_SEG_URI_MAX * 2];
    struct mf_dash_video video[MF_MAX_RENDITIONS];
    struct mf_dash_track audio_reps[MF_CMAF_MAX_AUDIO];
    struct mf_dash_audio audio[MF_CMAF_MAX_AUDIO];
    struct mf_dash_text text[MF_CMAF_MAX_TEXT];
    struct mf_dash_range *ranges[MF_MAX_RENDITIONS] = { 0 };
    const char **uris[MF_MAX_RENDITIONS] = { 0 };
    char (*rel)[MF_SEG_URI_MAX * 2] = NULL;
    int ret = 0, total = 0;
    for (int i = 0; i < c->n_video; i++)
        total += c->video[i].n;
    if (trick_mode && !(rel = calloc(total ? total : 1, sizeof(*rel))))
        return AVERROR(ENOMEM);
    for (int i = 0, k0 = 0; i < c->n_video && ret == 0; i++) {
        const struct mf_segment_index *x = &c->video[i];
        struct mf_dash_video *dv = &video[i];
        memset(dv, 0, sizeof(*dv));
        ret = track_of(x, v[i].dir, v[i].codecs, v[i].peak_bps, init[i], media[i], &dv->t);
        dv->width = v[i].width;
        dv->height = v[i].height;
        frame_rate_fraction(v[i].fps, &dv->fps_num, &dv->fps_den);
        dv->sar_num = v[i].sar.num > 0 && v[i].sar.den > 0 ? v[i].sar.num : 1;
        dv->sar_den = v[i].sar.num > 0 && v[i].sar.den > 0 ? v[i].sar.den : 1;
        if (!trick_mode || ret < 0)
            continue;
        ranges[i] = calloc(x->n, sizeof(*ranges[i]));
        uris[i] = calloc(x->n, sizeof(*uris[i]));
        if (!ranges[i] || !uris[i]) {
            ret = -ENOMEM;
            break;
        }
        int64_t bytes = 0;
        for (int k = 0; k < x->n; k++, k0++) {
            ranges[i][k] = (struct mf_dash_range){ x->segs[k].moof_offset, x->segs[k].first_sample_end - 1 };
            bytes += x->segs[k].first_sample_end - x->segs[k].moof_offset;
            snprintf(rel[k0], sizeof(rel[k0]), "%s/%s", v[i].dir, x->uris[k]);
            uris[i][k] = rel[k0];
        }
        double d = mf_segment_index_duration(x);
        dv->iframes = ranges[i];
        dv->iframe_uris = uris[i];
        dv->iframe_bandwidth = d > 0 ? (int64_t)(bytes * 8 / d) : 0;
    }
    for (int i = 0; i < c->n_audio && ret == 0; i++) {
        int j = MF_MAX_RENDITIONS + i;
        ret = track_of(&c->audio[i], a[i].dir, a[i].codecs, a[i].peak_bps, init[j], media[j], &audio_reps[i]);
        audio[i] = (struct mf_dash_audio){ .lang = a[i].lang, .label = a[i].label, .channels = a[i].channels,
                                           .sample_rate = a[i].sample_rate, .is_default = a[i].is_default,
                                           .n_reps = 1, .reps = &audio_reps[i] };
    }
    for (int i = 0; i < n_text && i < MF_CMAF_MAX_TEXT; i++)
        text[i] = (struct mf_dash_text){ .id = t[i].id, .uri = t[i].uri, .lang = t[i].lang, .label = t[i].label,
                                         .role = t[i].role, .is_default = t[i].is_default };
    if (ret == 0) {
        struct mf_dash_mpd m = { .duration = mf_cmaf_duration(c), .n_video = c->n_video, .video = video,
                                 .n_audio = c->n_audio, .audio = audio,
                                 .n_text = n_text < MF_CMAF_MAX_TEXT ? n_text : MF_CMAF_MAX_TEXT,
                                 .text = text, .trick_mode = trick_mode };
        ret = mf_dash_write_mpd(path, &m);
    }
    if (ret < 0)
        mf_errf(err, err_len, "%s: cannot write the MPD: %s", path,
                ret == -EINVAL ? "segments not named seg_NNNNN.m4s in order" : strerror(-ret));
    for (int i = 0; i < MF_MAX_RENDITIONS; i++) {
        free(ranges[i]);
        free(uris[i]);
    }
    free(rel);
    return ret < 0 ? AVERROR(-ret) : 0;
}

void mf_cmaf_free(struct mf_cmaf *c)
{
    for (int i = 0; i < c->n_video; i++)
        mf_segment_index_free(&c->video[i]);
    for (int i = 0; i < c->n_audio; i++)
        mf_segment_index_free(&c->audio[i]);
    c->n_video = c->n_audio = 0;
}
