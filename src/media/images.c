#include "images.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <libavutil/hwcontext.h>

#include "common/clock.h"
#include "common/fs.h"
#include "common/util.h"

#define MF_SHEET_MAX 8192

int mf_images_open(struct mf_images *im, const struct mf_images_spec *spec, const char *outdir,
                   const struct mf_input *in, char *err, size_t err_len)
{
    memset(im, 0, sizeof(*im));
    if (!spec->poster && !spec->thumbnails)
        return 0;
    AVStream *vst = in->fmt->streams[in->video_index];
    const struct mf_image_source source = {
        .width = vst->codecpar->width, .height = vst->codecpar->height,
        .sar = av_guess_sample_aspect_ratio(in->fmt, vst, NULL),
        .rotation = in->rotation, .duration = in->duration,
    }, *src = &source;
    if (mf_path_fmt(im->dir, sizeof(im->dir), "%s/" MF_IMAGES_DIR, outdir) < 0) {
        mf_errf(err, err_len, "%s: path too long for the images", outdir);
        return AVERROR(ENAMETOOLONG);
    }
    im->made_dir = access(im->dir, F_OK) < 0;
    struct stat st;
    int e = mf_mkdir_p(im->dir) < 0 || stat(im->dir, &st) < 0 ? errno
          : !S_ISDIR(st.st_mode) ? ENOTDIR : access(im->dir, W_OK | X_OK) < 0 ? errno : 0;
    if (e) {
        mf_errf(err, err_len, "%s: cannot create the images directory: %s", im->dir, strerror(e));
        im->made_dir = 0;
        return AVERROR(e);
    }
    im->on = 1;
    im->rotation = src->rotation;
    im->poster_on = spec->poster;
    im->thumbs_on = spec->thumbnails;
    im->thumbs_hls = spec->hls;
    /* Never wider than the source as shown: an upscaled poster only blurs. */
    int pw = mf_image_display_width(src);
    pw = spec->poster_width < pw ? spec->poster_width : pw;
    mf_poster_init(&im->poster, pw, mf_image_height(src, pw), src->duration);
    im->poster.done = !spec->poster;
    if (spec->thumbnails) {
        mf_thumbnails_init(&im->thumbs, spec, mf_image_height(src, spec->width), im->dir);
        /* A sheet stays within 8192 pixels down too (portrait sources have tall
         * tiles): fewer rows, reported as the rows used. */
        while (im->thumbs.rows > 1 && im->thumbs.rows * im->thumbs.tile_h > MF_SHEET_MAX)
            im->thumbs.rows--;
    }
    return 0;
}

static int write_poster(struct mf_images *im, char *err, size_t err_len)
{
    char path[MF_PATH_MAX];
    if (mf_path_fmt(path, sizeof(path), "%s/poster.jpg", im->dir) < 0) {
        mf_errf(err, err_len, "%s: path too long for the poster", im->dir);
        return AVERROR(ENAMETOOLONG);
    }
    return mf_poster_write(&im->poster, im->rotation, path, &im->report, err, err_len);
}

int mf_images_frame(struct mf_images *im, const AVFrame *f, double t, char *err, size_t err_len)
{
    int ret;
    if (!im->on)
        return 0;
    int due = mf_poster_due(&im->poster, t);
    int poster = mf_poster_wants(&im->poster, t);
    int thumbs = im->thumbs_on && mf_thumbnails_wants(&im->thumbs, t);
    if (!due && !poster && !thumbs)
        return 0;
    double cpu = mf_thread_cpu();
    ret = due ? write_poster(im, err, err_len) : 0;
    if (ret < 0 || (!poster && !thumbs)) {
        im->report.cpu_seconds += mf_thread_cpu() - cpu;
        return ret;
    }
    /* A sample: the frame itself, or (NVDEC) this one frame downloaded. */
    AVFrame *sw = av_frame_alloc();
    if (!sw)
        return AVERROR(ENOMEM);
    if (f->hw_frames_ctx) {
        ret = av_hwframe_transfer_data(sw, f, 0);
        if (ret >= 0)
            ret = av_frame_copy_props(sw, f);
        if (ret < 0)
            mf_errf(err, err_len, "images: cannot download the frame at %.3f s from the GPU: %s", t,
                    av_err2str(ret));
    } else {
        ret = av_frame_ref(sw, f);
    }
    if (ret >= 0 && poster && (ret = mf_poster_candidate(&im->poster, sw, t)) < 0)
        mf_errf(err, err_len, "images: cannot measure the frame at %.3f s for the poster: %s", t,
                av_err2str(ret));
    if (ret >= 0 && thumbs)
        ret = mf_thumbnails_frame(&im->thumbs, sw, im->rotation, t, err, err_len);
    av_frame_free(&sw);
    im->report.cpu_seconds += mf_thread_cpu() - cpu;
    return ret;
}

int mf_images_finish(struct mf_images *im, double end, const char *hls_master,
                     struct mf_images_report *rep, char *err, size_t err_len)
{
    int ret = 0;
    if (!im->on)
        return 0;
    double cpu = mf_thread_cpu();
    if (im->poster_on && !im->poster.done)
        ret = write_poster(im, err, err_len);
    if (ret >= 0 && im->thumbs_on)
        ret = mf_thumbnails_finish(&im->thumbs, end, &im->report, err, err_len);
    /* The master is in OUTDIR/hls/, the sprites in OUTDIR/images/. */
    if (ret >= 0 && im->thumbs_on && im->thumbs_hls && hls_master && im->thumbs.tiles &&
        (ret = mf_thumbnails_write_hls(&im->thumbs, end, hls_master, "../" MF_IMAGES_DIR "/", err, err_len)) >= 0)
        im->report.hls = 1;
    im->report.cpu_seconds += mf_thread_cpu() - cpu;
    if (ret >= 0)
        *rep = im->report;
    return ret;
}

void mf_images_remove(struct mf_images *im)
{
    char path[MF_PATH_MAX];
    if (!im->on)
        return;
    if (im->made_dir) {
        mf_remove_tree(im->dir);
        return;
    }
    if (mf_path_fmt(path, sizeof(path), "%s/poster.jpg", im->dir) >= 0)
        unlink(path);
    if (mf_path_fmt(path, sizeof(path), "%s/thumbnails.vtt", im->dir) >= 0)
        unlink(path);
    if (mf_path_fmt(path, sizeof(path), "%s/thumbnails.m3u8", im->dir) >= 0)
        unlink(path);
    for (int i = 0; i < im->thumbs.sheets; i++)
        if (mf_path_fmt(path, sizeof(path), "%s/sprite-%d.jpg", im->dir, i) >= 0)
            unlink(path);
}

void mf_images_close(struct mf_images *im)
{
    mf_poster_free(&im->poster);
    mf_thumbnails_free(&im->thumbs);
}

json_t *mf_images_report_json(const struct mf_images_report *r)
{
    if (!r->poster && !r->thumbnails)
        return NULL;
    json_t *j = json_pack("{s:f}", "cpu_seconds", r->cpu_seconds);
    if (j && r->poster)
        json_object_set_new(j, "poster", json_pack(
            "{s:s, s:i, s:i, s:I, s:f, s:f, s:f, s:i, s:b}",
            "path", MF_IMAGES_DIR "/poster.jpg", "width", r->poster_width, "height", r->poster_height,
            "bytes", (json_int_t)r->poster_bytes, "time", r->poster_time, "entropy", r->poster_entropy,
            "stddev", r->poster_stddev,
            "candidates", r->poster_candidates, "fallback", r->poster_fallback));
    if (j && r->thumbnails) {
        json_t *sprites = json_array();
        for (int i = 0; sprites && i < r->sheets; i++) {
            char path[64];
            snprintf(path, sizeof(path), MF_IMAGES_DIR "/sprite-%d.jpg", i);
            int last = i == r->sheets - 1;
            json_array_append_new(sprites, json_pack("{s:s, s:i, s:i}", "path", path,
                                                     "width", last ? r->last_width : r->sheet_width,
                                                     "height", last ? r->last_height : r->sheet_height));
        }
        json_object_set_new(j, "thumbnails", json_pack(
            "{s:s, s:I, s:f, s:i, s:i, s:i, s:i, s:I, s:i, s:I, s:o}",
            "path", MF_IMAGES_DIR "/thumbnails.vtt", "bytes", (json_int_t)r->vtt_bytes,
            "interval", r->interval, "tile_width", r->tile_width, "tile_height", r->tile_height,
            "columns", r->columns, "rows", r->rows, "tiles", (json_int_t)r->tiles,
            "sheets", r->sheets, "sprite_bytes", (json_int_t)r->sprite_bytes, "sprites", sprites));
        json_t *t = json_object_get(j, "thumbnails");
        if (t && r->hls)
            json_object_set_new(t, "hls", json_string(MF_IMAGES_DIR "/thumbnails.m3u8"));
    }
    return j;
}
