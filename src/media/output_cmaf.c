/* The outputs made from the written fMP4 segments: I-frame playlists and the
 * DASH MPD (cmaf_outputs.h), and their entries in result.json. */
#include "output_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audio.h"
#include "audio_tracks.h"
#include "cmaf_outputs.h"
#include "hls_master.h"
#include "rendition.h"
#include "common/util.h"

static int64_t size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

/* dash alone: what the MPD needs stays (init.mp4, seg_NNNNN.m4s), the HLS
 * playlists the muxer wrote go. */
static void drop_playlists(const struct mf_output_files *f, int n, int n_audio)
{
    for (int i = 0; i < n; i++)
        unlink(f->path[i][1]);
    for (int k = 0; k < n_audio; k++)
        unlink(f->audio_playlist[k]);
}

static void dir_of(char *dst, size_t len, const char *playlist)
{
    const char *slash = strrchr(playlist, '/');
    snprintf(dst, len, "%.*s/", slash ? (int)(slash - playlist) : 0, playlist);
}

static void add_dash_entry(struct mf_result *result, const struct mf_output_files *f, const char *name,
                           const char *playlist, const struct mf_segment_index *x, const struct mf_hls_stats *s,
                           const char *codecs, int w, int h)
{
    char dir[MF_PATH_MAX];
    dir_of(dir, sizeof(dir), playlist);
    struct mf_output *o = mf_output_files_add(result, name, "dash", f, dir);
    if (!o)
        return;
    o->width = w;
    o->height = h;
    o->bytes = s->bytes;
    o->duration = mf_segment_index_duration(x);
    o->bitrate = s->avg_bps;
    o->peak_bitrate = s->peak_bps;
    snprintf(o->codecs, sizeof(o->codecs), "%.63s", codecs);
}

int mf_output_files_cmaf(struct mf_output_files *f, const struct mf_rendition_run *runs, int n,
                         struct mf_hls_variant *variants, const struct mf_hls_audio *hls_audio, int n_audio,
                         const struct mf_audio *audio, const struct mf_audio_selection *sel,
                         struct mf_result *result, char *err, size_t err_len)
{
    struct mf_cmaf_video_in v[MF_MAX_RENDITIONS];
    struct mf_cmaf_audio_in a[MF_CMAF_MAX_AUDIO] = { 0 };
    for (int i = 0; i < n; i++)
        v[i] = (struct mf_cmaf_video_in){
            .dir = runs[i].setup.name, .playlist = f->path[i][1], .width = variants[i].width,
            .height = variants[i].height, .fps = variants[i].frame_rate,
            .sar = runs[i].enc->par->sample_aspect_ratio, .codecs = variants[i].codecs,
            .peak_bps = variants[i].stats.peak_bps };
    /* One audio AdaptationSet per rendition: per language, and per channel
     * layout within one (a 5.1 rendition is not seamlessly switchable with
     * the stereo one). "best" keeps the set it always had: no @lang, no Label. */
    if (n_audio > MF_CMAF_MAX_AUDIO)
        n_audio = MF_CMAF_MAX_AUDIO;
    for (int k = 0; k < n_audio; k++) {
        const struct mf_audio_pick *pk = &sel->pick[k];
        a[k] = (struct mf_cmaf_audio_in){ .dir = pk->dir, .playlist = f->audio_playlist[k],
                                          .codecs = hls_audio[k].codecs, .channels = hls_audio[k].channels,
                                          .sample_rate = audio[k].par->sample_rate, .is_default = pk->is_default,
                                          .peak_bps = hls_audio[k].stats.peak_bps };
        if (!sel->legacy) {
            a[k].lang = strcmp(pk->language, "und") ? pk->language : NULL;
            a[k].label = pk->name;
        }
    }
    /* WebVTT text sets: the whole-file sidecars (written with MP4 or DASH),
     * named from the MPD's folder; segmented WebVTT (HLS) is not offered to DASH. */
    struct mf_cmaf_text_in text[MF_CMAF_MAX_TEXT];
    char text_uri[MF_CMAF_MAX_TEXT][MF_PATH_MAX + 4];   /* "../" + the sidecar path */
    int n_text = 0;
    for (int i = 0; i < result->n_text_tracks && n_text < MF_CMAF_MAX_TEXT; i++) {
        const struct mf_text_track *t = &result->text_tracks[i];
        if (!t->vtt[0])
            continue;
        int k = n_text++;
        snprintf(text_uri[k], sizeof(text_uri[k]), "../%s", t->vtt);
        text[k] = (struct mf_cmaf_text_in){
            .id = t->name, .uri = text_uri[k], .lang = strcmp(t->language, "und") ? t->language : NULL,
            .label = t->label, .is_default = t->is_default,
            .role = !strcmp(t->kind, "captions") ? "caption" : t->forced ? "forced-subtitle" : "subtitle" };
    }
    struct mf_cmaf *c = calloc(1, sizeof(*c));
    if (!c)
        return AVERROR(ENOMEM);
    int ret = mf_cmaf_scan(c, v, n, a, n_audio, err, err_len);
    if (ret >= 0 && f->hls && (ret = mf_cmaf_write_iframes(c, v, err, err_len)) >= 0) {
        for (int i = 0; i < n; i++) {
            snprintf(f->iframes_uri[i], sizeof(f->iframes_uri[i]), "%s/iframes.m3u8", v[i].dir);
            variants[i].iframes_uri = f->iframes_uri[i];
            variants[i].iframes_peak_bps = c->iframes[i].peak_bps;
            variants[i].iframes_avg_bps = c->iframes[i].avg_bps;
            struct mf_output *o = mf_output_files_add(result, v[i].dir, "iframes", f, c->iframes_path[i]);
            if (o) {   /* bytes: the playlist's own (its ranges are the segments' bytes) */
                o->width = v[i].width;
                o->height = v[i].height;
                o->bytes = size_of(c->iframes_path[i]);
                o->duration = mf_segment_index_duration(&c->video[i]);
                o->bitrate = c->iframes[i].avg_bps;
                o->peak_bitrate = c->iframes[i].peak_bps;
                snprintf(o->codecs, sizeof(o->codecs), "%.63s", v[i].codecs);
            }
        }
    }
    /* No DASH trick-mode AdaptationSet (the writer has it): its byte ranges
     * cut each mdat short, as the HLS I-frame playlists do (Apple's rule),
     * and MSE refuses such appends. Shaka 4.16's trickPlay() on it failed
     * with 3014/3016 (media decode error), where without it Shaka plays
     * the full stream fast. I-frame-only segment files would fix it, but
     * they are a second copy. */
    if (ret >= 0 && f->dash && (ret = mf_cmaf_write_mpd(c, f->mpd, v, a, text, n_text, 0, err, err_len)) >= 0) {
        if (!f->hls) {
            for (int i = 0; i < n; i++)
                add_dash_entry(result, f, v[i].dir, v[i].playlist, &c->video[i], &variants[i].stats, v[i].codecs,
                               v[i].width, v[i].height);
            for (int k = 0; k < n_audio; k++)
                add_dash_entry(result, f, sel->legacy ? "audio" : a[k].dir, a[k].playlist, &c->audio[k],
                               &hls_audio[k].stats, a[k].codecs, 0, 0);
            drop_playlists(f, n, n_audio);
        }
        struct mf_output *o = mf_output_files_add(result, "", "mpd", f, f->mpd);
        if (o) {
            o->bytes = size_of(f->mpd);
            o->duration = mf_cmaf_duration(c);
        }
    }
    mf_cmaf_free(c);
    free(c);
    return ret;
}
