#include "output_files.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audio.h"
#include "audio_tracks.h"
#include "codec_string.h"
#include "hls_master.h"
#include "rendition.h"
#include "common/fs.h"
#include "common/util.h"

static int join(char *dst, const char *a, const char *b)
{
    return mf_path_fmt(dst, MF_PATH_MAX, "%s/%s", a, b);
}

int mf_output_files_init(struct mf_output_files *f, const char *outdir, const struct mf_job *job,
                         const struct mf_plan *plan, char *err, size_t err_len)
{
    struct stat st;
    *f = (struct mf_output_files){ .job = job, .plan = plan,
                                   .mp4 = !!(job->format & MF_FORMAT_MP4),
                                   .hls = !!(job->format & MF_FORMAT_HLS),
                                   .dash = !!(job->format & MF_FORMAT_DASH) };
    int seg = f->hls || f->dash;    /* fMP4 segments and their playlists */
    snprintf(f->outdir, sizeof(f->outdir), "%s", outdir);
    if (stat(outdir, &st) < 0 || !S_ISDIR(st.st_mode) || access(outdir, W_OK | X_OK) < 0) {
        mf_errf(err, err_len, "%s: output directory is not a writable directory: %s", outdir,
                errno ? strerror(errno) : "not a directory");
        return AVERROR(errno ? errno : ENOTDIR);
    }
    char hls_root[MF_PATH_MAX], dir[MF_PATH_MAX];
    int ret = join(hls_root, outdir, f->hls || !f->dash ? "hls" : "dash");
    if (seg) {
        f->made_hls_root = access(hls_root, F_OK) < 0;
        if (ret >= 0 && f->hls)
            ret = join(f->master, hls_root, "master.m3u8");
        if (ret >= 0 && f->dash)
            ret = join(f->mpd, hls_root, "manifest.mpd");
    }
    for (int i = 0; ret >= 0 && i < plan->n; i++) {
        const char *name = job->renditions[plan->out[i].job_index].name;
        if (f->mp4)
            ret = mf_path_fmt(f->path[i][0], MF_PATH_MAX, "%s/%s.mp4", outdir, name);
        if (seg && ret >= 0)
            ret = join(dir, hls_root, name);
        if (seg && ret >= 0)
            ret = join(f->path[i][1], dir, "index.m3u8");
        if (seg && ret >= 0)
            ret = mf_mkdir_p(dir);
    }
    if (ret < 0)
        goto fail;
    return 0;
fail:
    mf_errf(err, err_len, "%s: cannot create the HLS directories: %s", outdir, strerror(-ret));
    mf_output_files_remove(f);
    return AVERROR(-ret);
}

const char *mf_output_files_mp4(const struct mf_output_files *f, int i)
{
    return f->mp4 ? f->path[i][0] : NULL;
}

const char *mf_output_files_hls(const struct mf_output_files *f, int i)
{
    return f->hls || f->dash ? f->path[i][1] : NULL;
}

const char *mf_output_files_add_audio(struct mf_output_files *f, const char *name, char *err, size_t err_len)
{
    char hls_root[MF_PATH_MAX], dir[MF_PATH_MAX];
    if (!(f->hls || f->dash) || f->n_audio == MF_RESULT_MAX_AUDIO)
        return NULL;
    char *playlist = f->audio_playlist[f->n_audio];
    int ret = join(hls_root, f->outdir, f->hls ? "hls" : "dash");
    if (ret >= 0)
        ret = join(dir, hls_root, name);
    if (ret >= 0)
        ret = join(playlist, dir, "index.m3u8");
    if (ret >= 0)
        ret = mf_mkdir_p(dir);
    if (ret < 0) {
        mf_errf(err, err_len, "%s: cannot create the HLS directory %s: %s", f->outdir, name, strerror(-ret));
        return NULL;
    }
    f->n_audio++;
    return playlist;
}

static void remove_parent(const char *playlist)
{
    char dir[MF_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", playlist);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        mf_remove_tree(dir);
    }
}

void mf_output_files_remove(struct mf_output_files *f)
{
    if (!f->plan)
        return;     /* failed before any output was laid out */
    for (int i = 0; i < f->plan->n; i++) {
        if (f->mp4)
            unlink(f->path[i][0]);
        if (f->hls || f->dash)
            remove_parent(f->path[i][1]);
    }
    if (!f->hls && !f->dash)
        return;
    for (int i = 0; i < f->n_audio; i++)
        remove_parent(f->audio_playlist[i]);
    unlink(f->master);
    if (f->dash)
        unlink(f->mpd);
    char hls_root[MF_PATH_MAX];
    if (f->made_hls_root && join(hls_root, f->outdir, f->hls ? "hls" : "dash") >= 0)
        rmdir(hls_root);
}

struct mf_output *mf_output_files_add(struct mf_result *r, const char *rendition, const char *kind,
                                      const struct mf_output_files *f, const char *path)
{
    if (r->n_outputs >= MF_MAX_OUTPUTS)
        return NULL;
    struct mf_output *o = &r->outputs[r->n_outputs++];
    memset(o, 0, sizeof(*o));
    snprintf(o->rendition, sizeof(o->rendition), "%s", rendition);
    snprintf(o->kind, sizeof(o->kind), "%s", kind);
    size_t n = strlen(f->outdir);
    snprintf(o->path, sizeof(o->path), "%s", !strncmp(path, f->outdir, n) && path[n] == '/' ? path + n + 1 : path);
    return o;
}

static double frame_rate_of(AVRational fr)
{
    return fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0;
}

/* Every audio codec of the renditions once, comma-separated ("" without audio). */
static void audio_codec_list(char (*codecs)[64], int n, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= !strcmp(codecs[j], codecs[i]);
        if (!seen && used < len)
            used += snprintf(out + used, len - used, "%s%s", used ? "," : "", codecs[i]);
    }
}

/* The audio renditions' playlists, result.json's audio_tracks, and what the master lists. */
static void describe_audio(struct mf_output_files *f, const struct mf_audio *audio, int n_audio,
                           const struct mf_audio_selection *sel, char (*codecs)[64],
                           struct mf_hls_audio *a, char (*uris)[MF_LANGUAGE_MAX + 32], struct mf_result *result)
{
    for (int k = 0; k < n_audio && k < MF_RESULT_MAX_AUDIO; k++) {
        const struct mf_audio_pick *pk = &sel->pick[k];
        struct mf_audio_track_out *t = &result->audio_tracks[result->n_audio_tracks++];
        *t = (struct mf_audio_track_out){ .channels = audio[k].par->ch_layout.nb_channels,
                                          .is_default = pk->is_default, .surround = pk->surround,
                                          .source_stream = pk->stream };
        snprintf(t->language, sizeof(t->language), "%s", pk->language);
        snprintf(t->name, sizeof(t->name), "%s", pk->name);
        snprintf(t->codec, sizeof(t->codec), "%s", avcodec_get_name(audio[k].par->codec_id));
        snprintf(t->codecs, sizeof(t->codecs), "%s", codecs[k]);
        if (!(f->hls || f->dash) || k >= f->n_audio)
            continue;
        snprintf(uris[k], sizeof(uris[k]), "%s/index.m3u8", pk->dir);
        a[k] = (struct mf_hls_audio){ .uri = uris[k], .codecs = codecs[k], .channels = t->channels };
        if (!sel->legacy) {
            a[k].name = pk->name;
            a[k].language = strcmp(pk->language, "und") ? pk->language : NULL;   /* as subtitles do */
            a[k].not_default = !pk->is_default;
        }
        mf_hls_playlist_stats(f->audio_playlist[k], &a[k].stats);
        struct mf_output *o = f->hls ? mf_output_files_add(result, sel->legacy ? "audio" : pk->dir, "hls", f,
                                                           f->audio_playlist[k]) : NULL;
        if (o) {
            o->bytes = a[k].stats.bytes; o->duration = a[k].stats.duration;
            o->bitrate = a[k].stats.avg_bps; o->peak_bitrate = a[k].stats.peak_bps;
            snprintf(o->codecs, sizeof(o->codecs), "%.63s", codecs[k]);
            snprintf(t->hls, sizeof(t->hls), "%s", o->path);
        }
    }
}

int mf_output_files_finish(struct mf_output_files *f, const struct mf_rendition_run *runs, int n,
                           const struct mf_audio *audio, int n_audio, const struct mf_audio_selection *sel,
                           AVRational frame_rate, struct mf_result *result, char *err, size_t err_len)
{
    struct mf_hls_variant variants[MF_MAX_RENDITIONS];
    char codecs[MF_MAX_RENDITIONS][64], audio_codecs[MF_RESULT_MAX_AUDIO][64], all_audio[96];
    char uris[MF_MAX_RENDITIONS][MF_NAME_MAX + 16], audio_uris[MF_RESULT_MAX_AUDIO][MF_LANGUAGE_MAX + 32];
    struct mf_hls_audio hls_audio[MF_RESULT_MAX_AUDIO];
    if (n_audio > MF_RESULT_MAX_AUDIO)
        n_audio = MF_RESULT_MAX_AUDIO;
    for (int k = 0; k < n_audio; k++)
        if (mf_codec_string(audio[k].par, audio_codecs[k], sizeof(audio_codecs[k])) < 0)
            snprintf(audio_codecs[k], sizeof(audio_codecs[k]), "%s", avcodec_get_name(audio[k].par->codec_id));
    audio_codec_list(audio_codecs, n_audio, all_audio, sizeof(all_audio));
    for (int i = 0; i < n; i++) {
        const struct mf_rendition_run *r = &runs[i];
        const char *name = r->setup.name;
        int w = r->setup.enc.width, h = r->setup.enc.height;
        double dur = mf_rendition_duration(r);
        if (mf_codec_string(r->enc->par, codecs[i], sizeof(codecs[i])) < 0)
            snprintf(codecs[i], sizeof(codecs[i]), "%s", avcodec_get_name(r->enc->par->codec_id));
        if (f->mp4) {
            struct stat st;
            struct mf_output *o = mf_output_files_add(result, name, "mp4", f, f->path[i][0]);
            if (o)
                snprintf(o->codecs, sizeof(o->codecs), "%.63s%s%.31s", codecs[i], n_audio ? "," : "",
                         all_audio);
            if (o) {
                o->width = w; o->height = h; o->duration = dur;
                o->bytes = stat(f->path[i][0], &st) == 0 ? st.st_size : 0;
                o->bitrate = dur > 0 ? (int64_t)(o->bytes * 8 / dur) : 0;
            }
        }
        if (f->hls || f->dash) {
            struct mf_hls_stats s;
            int ret = mf_hls_playlist_stats(f->path[i][1], &s);
            if (ret < 0) {
                mf_errf(err, err_len, "%s: cannot read the playlist just written: %s", f->path[i][1], strerror(-ret));
                return AVERROR(-ret);
            }
            struct mf_output *o = f->hls ? mf_output_files_add(result, name, "hls", f, f->path[i][1]) : NULL;
            if (o) {
                o->width = w; o->height = h; o->bytes = s.bytes; o->duration = s.duration;
                o->bitrate = s.avg_bps; o->peak_bitrate = s.peak_bps;
            }
            if (o)
                snprintf(o->codecs, sizeof(o->codecs), "%.63s", codecs[i]);
            snprintf(uris[i], sizeof(uris[i]), "%s/index.m3u8", name);
            /* FRAME-RATE: the average (frames over the playlist's duration),
             * not the container's nominal rate (a ms time base reads 1000 or
             * 60; soft telecine 29.97 for 23.976 pictures). */
            double fps = s.duration > 0 && r->frames_out > 0 ? r->frames_out / s.duration
                                                               : frame_rate_of(frame_rate);
            variants[i] = (struct mf_hls_variant){ .uri = uris[i], .width = w, .height = h, .frame_rate = fps,
                                                   .codecs = codecs[i], .stats = s };
        }
    }
    describe_audio(f, audio, n_audio, sel, audio_codecs, hls_audio, audio_uris, result);
    for (int k = 0; k < sel->n_skipped && result->n_audio_skipped < MF_RESULT_MAX_AUDIO; k++)
        snprintf(result->audio_skipped[result->n_audio_skipped++], sizeof(result->audio_skipped[0]), "%s",
                 sel->skipped[k]);
    int n_seg_audio = n_audio < f->n_audio ? n_audio : f->n_audio;   /* the renditions with segments */
    if (f->hls || f->dash) {
        int ret = mf_output_files_cmaf(f, runs, n, variants, hls_audio, n_seg_audio, audio, sel, result,
                                       err, err_len);
        if (ret < 0)
            return ret;
    }
    if (f->hls) {
        struct mf_hls_text text[MF_MAX_TEXT_TRACKS];
        char text_uris[MF_MAX_TEXT_TRACKS][MF_PATH_MAX];
        int n_text = 0;
        for (int i = 0; i < result->n_text_tracks; i++) {
            const struct mf_text_track *t = &result->text_tracks[i];
            if (!t->playlist[0])
                continue;
            char *uri = text_uris[n_text];
            snprintf(uri, MF_PATH_MAX, "%s", t->playlist + strlen("hls/"));
            text[n_text++] = (struct mf_hls_text){ uri, t->label, t->language, t->is_default,
                                                   t->forced, !strcmp(t->kind, "captions") };
        }
        int ret = mf_hls_write_master_groups(f->master, variants, n, hls_audio, n_seg_audio, text, n_text);
        if (ret < 0) {
            mf_errf(err, err_len, "%s: cannot write: %s", f->master, strerror(-ret));
            return AVERROR(-ret);
        }
        mf_output_files_add(result, "", "master", f, f->master);
    }
    for (int i = 0; i < f->plan->n_skipped && i < MF_MAX_RENDITIONS; i++) {
        struct mf_skipped *s = &result->skipped[result->n_skipped++];
        snprintf(s->rendition, sizeof(s->rendition), "%s", f->job->renditions[f->plan->skipped[i].job_index].name);
        snprintf(s->reason, sizeof(s->reason), "%s", f->plan->skipped[i].reason);
    }
    return 0;
}
