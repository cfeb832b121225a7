#include "dash_thumbnails.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/error.h>

#include "images_report.h"
#include "common/util.h"

#define TILE_SCHEME "http://dashif.org/thumbnail_tile"
#define MPD_MAX (64 << 20)

static int read_all(const char *path, char **buf, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    int ret = 0;
    if (fseek(f, 0, SEEK_END) < 0 || (*len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0)
        ret = -errno;
    else if (*len > MPD_MAX)
        ret = -EFBIG;
    else if (!(*buf = malloc(*len + 1)))
        ret = -ENOMEM;
    else if (fread(*buf, 1, *len, f) != (size_t)*len)
        ret = -EIO;
    else
        (*buf)[*len] = '\0';
    fclose(f);
    if (ret < 0 && *buf) {
        free(*buf);
        *buf = NULL;
    }
    return ret;
}

/* The image set; the sheet span in microseconds (intervals are 0.5 s to
 * 1 h, so any interval the job can give is exact to 1 us). */
static void put_set(FILE *f, const struct mf_images_report *r, const char *images, double duration, int id)
{
    int64_t tiles = (int64_t)r->columns * r->rows;
    int64_t span = llround(r->interval * tiles * 1e6);
    int64_t bw = duration > 0 ? (int64_t)(r->sprite_bytes * 8 / duration) : 0;
    fprintf(f, "    <AdaptationSet id=\"%d\" contentType=\"image\" mimeType=\"image/jpeg\">\n"
               "      <SegmentTemplate media=\"%ssprite-$Number$.jpg\" startNumber=\"0\" "
               "timescale=\"1000000\" duration=\"%lld\"/>\n"
               "      <Representation id=\"thumbnails\" bandwidth=\"%lld\" width=\"%d\" height=\"%d\">\n"
               "        <EssentialProperty schemeIdUri=\"" TILE_SCHEME "\" value=\"%dx%d\"/>\n"
               "      </Representation>\n"
               "    </AdaptationSet>\n",
            id, images, (long long)span, (long long)(bw > 0 ? bw : 1), r->columns * r->tile_width,
            r->rows * r->tile_height, r->columns, r->rows);
}

int mf_dash_add_thumbnails(const char *mpd, struct mf_result *result, char *err, size_t err_len)
{
    const struct mf_images_report *r = &result->images;
    if (!r->thumbnails || !r->sheets || r->columns < 1 || r->rows < 1 || !(r->interval > 0))
        return 0;
    char *buf = NULL, tmp[MF_PATH_MAX];
    long len = 0;
    int ret = read_all(mpd, &buf, &len);
    char *at = NULL;
    for (char *p = buf; ret == 0 && (p = strstr(p, "</Period>")); p++)
        at = p;
    if (ret == 0 && !at)
        ret = -EINVAL;
    int id = 0;     /* after the sets dash_mpd.c numbered */
    for (const char *p = buf; ret == 0 && (p = strstr(p, "<AdaptationSet id=\"")); p++) {
        int n = atoi(p + strlen("<AdaptationSet id=\""));
        id = n >= id ? n + 1 : id;
    }
    while (at && at > buf && at[-1] == ' ')
        at--;
    if (ret == 0 && mf_path_fmt(tmp, sizeof(tmp), "%s.tmp", mpd) < 0)
        ret = -ENAMETOOLONG;
    if (ret == 0) {
        FILE *f = fopen(tmp, "wb");
        if (!f) {
            ret = -errno;
        } else {
            fwrite(buf, 1, (size_t)(at - buf), f);
            put_set(f, r, "../" MF_IMAGES_DIR "/", (double)r->tiles * r->interval, id);
            fputs(at, f);
            if (ferror(f))
                ret = -EIO;
            if (fclose(f) && !ret)
                ret = -errno;
            if (!ret && rename(tmp, mpd) < 0)
                ret = -errno;
            if (ret)
                remove(tmp);
        }
    }
    free(buf);
    struct stat st;
    for (int i = 0; ret == 0 && i < result->n_outputs; i++)
        if (!strcmp(result->outputs[i].kind, "mpd") && stat(mpd, &st) == 0)
            result->outputs[i].bytes = st.st_size;
    if (ret < 0) {
        mf_errf(err, err_len, "%s: cannot add the thumbnails: %s", mpd,
                ret == -EINVAL ? "no </Period> in the MPD" : strerror(-ret));
        return AVERROR(-ret);
    }
    return 0;
}
