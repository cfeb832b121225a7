#include "thumbnails.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <libavutil/error.h>

#include "common/util.h"

#define SPRITE_QSCALE 5

void mf_thumbnails_init(struct mf_thumbnails *t, const struct mf_images_spec *spec, int tile_h,
                        const char *dir)
{
    *t = (struct mf_thumbnails){ .interval = spec->interval, .tile_w = spec->width, .tile_h = tile_h,
                                 .columns = spec->columns, .rows = spec->rows, .dir = dir };
}

int mf_thumbnails_wants(const struct mf_thumbnails *t, double time)
{
    return time >= t->next - 1e-9;
}

static int write_sheet(struct mf_thumbnails *t, int w, int h, char *err, size_t err_len)
{
    char path[MF_PATH_MAX];
    int64_t bytes = 0;
    if (mf_path_fmt(path, sizeof(path), "%s/sprite-%d.jpg", t->dir, t->sheets) < 0) {
        mf_errf(err, err_len, "%s: path too long for the sprites", t->dir);
        return AVERROR(ENAMETOOLONG);
    }
    int ret = mf_image_write_jpeg(t->sheet, w, h, SPRITE_QSCALE, path, &bytes, err, err_len);
    if (ret < 0)
        return ret;
    t->sheets++;
    t->bytes += bytes;
    t->last_w = w;
    t->last_h = h;
    /* A fresh (black) sheet next: the last one's empty cells must not show these tiles. */
    av_frame_free(&t->sheet);
    t->in_sheet = 0;
    return 0;
}

static int place_tile(struct mf_thumbnails *t, char *err, size_t err_len)
{
    int per = t->columns * t->rows;
    if (!t->sheet && !(t->sheet = mf_image_alloc(t->columns * t->tile_w, t->rows * t->tile_h)))
        return AVERROR(ENOMEM);
    mf_image_blit(t->sheet, t->in_sheet % t->columns * t->tile_w, t->in_sheet / t->columns * t->tile_h, t->tile);
    t->in_sheet++;
    t->tiles++;
    if (t->in_sheet == per)
        return write_sheet(t, t->sheet->width, t->sheet->height, err, err_len);
    return 0;
}

int mf_thumbnails_frame(struct mf_thumbnails *t, const AVFrame *f, int rotation, double time,
                        char *err, size_t err_len)
{
    if (!t->tile && !(t->tile = mf_image_alloc(t->tile_w, t->tile_h)))
        return AVERROR(ENOMEM);
    int ret = mf_image_scale(&t->scaler, f, rotation, t->tile);
    if (ret < 0) {
        mf_errf(err, err_len, "%s: cannot scale a frame at %.3f s for the thumbnails: %s", t->dir, time,
                av_err2str(ret));
        return ret;
    }
    /* A gap longer than the interval: this frame stands for every tile it spans. */
    while (ret >= 0 && time >= t->next - 1e-9) {
        ret = place_tile(t, err, err_len);
        t->next = t->tiles * t->interval;
    }
    return ret;
}

static void timestamp(FILE *f, double s)
{
    long long ms = llround(s * 1000);
    fprintf(f, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

int mf_thumbnails_write_vtt(const struct mf_thumbnails *t, double end, FILE *f)
{
    int per = t->columns * t->rows;
    fputs("WEBVTT\n", f);
    for (int64_t k = 0; k < t->tiles; k++) {
        double start = k * t->interval;
        /* Cue k ends where cue k+1 starts (the same product, so the same
         * milliseconds); the last one at the end of the video. */
        double stop = k + 1 < t->tiles ? (k + 1) * t->interval : fmax(end, start + 0.001);
        int pos = (int)(k % per);
        fputc('\n', f);
        timestamp(f, start);
        fputs(" --> ", f);
        timestamp(f, stop);
        fprintf(f, "\nsprite-%lld.jpg#xywh=%d,%d,%d,%d\n", (long long)(k / per), pos % t->columns * t->tile_w,
                pos / t->columns * t->tile_h, t->tile_w, t->tile_h);
    }
    return ferror(f) ? AVERROR(EIO) : 0;
}

int mf_thumbnails_finish(struct mf_thumbnails *t, double end, struct mf_images_report *rep,
                         char *err, size_t err_len)
{
    int ret = 0;
    if (t->in_sheet > 0) {
        int used_rows = (t->in_sheet + t->columns - 1) / t->columns;
        int cols = t->in_sheet < t->columns ? t->in_sheet : t->columns;
        ret = write_sheet(t, cols * t->tile_w, used_rows * t->tile_h, err, err_len);
    }
    if (ret < 0 || !t->tiles)
        return ret;
    char path[MF_PATH_MAX];
    if (mf_path_fmt(path, sizeof(path), "%s/thumbnails.vtt", t->dir) < 0) {
        mf_errf(err, err_len, "%s: path too long for the thumbnail track", t->dir);
        return AVERROR(ENAMETOOLONG);
    }
    FILE *f = fopen(path, "w");
    ret = f ? mf_thumbnails_write_vtt(t, end, f) : AVERROR(errno);
    long size = f && ret >= 0 ? ftell(f) : 0;
    if (f && fclose(f) != 0 && ret >= 0)
        ret = AVERROR(errno);
    if (ret < 0) {
        mf_errf(err, err_len, "%s: cannot write: %s", path, av_err2str(ret));
        return ret;
    }
    rep->thumbnails = 1;
    rep->interval = t->interval;
    rep->tile_width = t->tile_w;
    rep->tile_height = t->tile_h;
    rep->columns = t->columns;
    rep->rows = t->rows;
    rep->tiles = t->tiles;
    rep->sheets = t->sheets;
    rep->sheet_width = t->columns * t->tile_w;
    rep->sheet_height = t->rows * t->tile_h;
    rep->last_width = t->last_w;
    rep->last_height = t->last_h;
    rep->sprite_bytes = t->bytes;
    rep->vtt_bytes = size;
    return 0;
}

int mf_thumbnails_write_hls(const struct mf_thumbnails *t, double end, const char *master,
                            const char *master_dir_uri, char *err, size_t err_len)
{
    char path[MF_PATH_MAX];
    int per = t->columns * t->rows;
    double sheet_s = per * t->interval;
    if (mf_path_fmt(path, sizeof(path), "%s/thumbnails.m3u8", t->dir) < 0) {
        mf_errf(err, err_len, "%s: path too long for the image playlist", t->dir);
        return AVERROR(ENAMETOOLONG);
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        mf_errf(err, err_len, "%s: cannot write: %s", path, strerror(errno));
        return AVERROR(errno);
    }
    /* The same layout on every sheet, the last one too (cut to the rows it
     * fills): a player finds tile i at (i % columns, i / columns) x tile size. */
    double last = end - (t->sheets - 1) * sheet_s, longest = t->sheets > 1 ? fmax(sheet_s, last) : last;
    fprintf(f, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:0\n"
            "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-IMAGES-ONLY\n", (int)ceil(longest - 1e-9));
    for (int k = 0; k < t->sheets; k++) {
        double start = k * sheet_s, stop = k + 1 < t->sheets ? (k + 1) * sheet_s : end;
        fprintf(f, "#EXTINF:%.3f,\n#EXT-X-TILES:RESOLUTION=%dx%d,LAYOUT=%dx%d,DURATION=%.3f\nsprite-%d.jpg\n",
                stop - start, t->tile_w, t->tile_h, t->columns, t->rows, t->interval, k);
    }
    fputs("#EXT-X-ENDLIST\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        mf_errf(err, err_len, "%s: cannot write", path);
        return AVERROR(EIO);
    }
    /* BANDWIDTH: the sheets' bits over the video's duration, as for a media rendition. */
    FILE *m = fopen(master, "a");
    int ok = m && fprintf(m, "#EXT-X-IMAGE-STREAM-INF:BANDWIDTH=%lld,RESOLUTION=%dx%d,CODECS=\"jpeg\","
                          "URI=\"%sthumbnails.m3u8\"\n", (long long)ceil(end > 0 ? t->bytes * 8 / end : 0),
                          t->tile_w, t->tile_h, master_dir_uri) > 0;
    if (m && fclose(m) != 0)
        ok = 0;
    if (!ok) {
        mf_errf(err, err_len, "%s: cannot add the image stream", master);
        return AVERROR(EIO);
    }
    return 0;
}

void mf_thumbnails_free(struct mf_thumbnails *t)
{
    av_frame_free(&t->sheet);
    av_frame_free(&t->tile);
    mf_image_scaler_free(&t->scaler);
}
