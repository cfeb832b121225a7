/*
 * The job's "images" field.
 *
 *   images         object, optional; every part is off by default:
 *     poster       boolean, or an object (which turns it on):
 *       width      even integer 16..3840; default 1280 (never wider than the
 *                  source as displayed); the height follows the display aspect
 *     thumbnails   boolean, or an object (which turns it on):
 *       interval   number of seconds between tiles, 0.5..3600; default 10
 *       width      even integer 16..1280, a tile's width; default 160
 *       columns    integer 1..20, tiles across a sprite sheet; default 5
 *       rows       integer 1..20, tiles down a sprite sheet; default 5
 *                  columns x width must be at most 8192 pixels
 *       hls        boolean; default true: with HLS output, the master playlist
 *                  lists the sprites as an image stream (EXT-X-IMAGE-STREAM-INF,
 *                  Roku's and Shaka's image playlists; other players ignore it)
 */
#include "job_images.h"

#include <errno.h>

#define POSTER_WIDTH 1280
#define TILE_WIDTH 160
#define TILE_GRID 5
#define TILE_INTERVAL 10.0
#define SHEET_MAX_WIDTH 8192

static const char *const images_fields[] = { "poster", "thumbnails", NULL };
static const char *const poster_fields[] = { "width", NULL };
static const char *const thumbnail_fields[] = { "interval", "width", "columns", "rows", "hls", NULL };

void mf_job_images_defaults(struct mf_images_spec *im)
{
    *im = (struct mf_images_spec){
        .poster_width = POSTER_WIDTH, .interval = TILE_INTERVAL, .width = TILE_WIDTH,
        .columns = TILE_GRID, .rows = TILE_GRID, .hls = 1,
    };
}

static int check_even(struct mf_errbuf *e, const char *obj, const char *key, long long v, int max)
{
    if (v < 16 || v > max || v % 2)
        return mf_fail(e, obj, key, "must be an even number between 16 and %d", max);
    return 0;
}

static int check_grid(struct mf_errbuf *e, const char *key, long long v)
{
    if (v < 1 || v > 20)
        return mf_fail(e, "images.thumbnails", key, "must be between 1 and 20");
    return 0;
}

static int check_thumbnails(struct mf_errbuf *e, const struct mf_images_spec *im)
{
    int ret;
    if (!(im->interval >= 0.5 && im->interval <= 3600))
        return mf_fail(e, "images.thumbnails", "interval", "must be between 0.5 and 3600 seconds");
    if ((ret = check_even(e, "images.thumbnails", "width", im->width, 1280)) < 0 ||
        (ret = check_grid(e, "columns", im->columns)) < 0 || (ret = check_grid(e, "rows", im->rows)) < 0)
        return ret;
    if ((long long)im->columns * im->width > SHEET_MAX_WIDTH)
        return mf_fail(e, "images.thumbnails", "columns", "%d columns of %d pixels make a sheet wider "
                       "than %d pixels", im->columns, im->width, SHEET_MAX_WIDTH);
    return 0;
}

/* true/false, or an object of fields (which means true). 1 with *obj set
 * when it is an object, 0 otherwise; -EINVAL for anything else. */
static int on_or_object(struct mf_errbuf *e, json_t *images, const char *key, int *on, json_t **obj,
                        const char *path, const char *const *fields)
{
    json_t *v = json_object_get(images, key);
    *obj = NULL;
    if (!v)
        return 0;
    if (json_is_boolean(v)) {
        *on = json_is_true(v);
        return 0;
    }
    if (!json_is_object(v))
        return mf_fail(e, "images", key, "must be true, false or an object");
    *on = 1;
    *obj = v;
    int ret = mf_json_reject_unknown(e, v, path, fields);
    return ret < 0 ? ret : 1;
}

static int get_int(struct mf_errbuf *e, json_t *obj, const char *path, const char *key, int *out)
{
    long long v;
    int ret = mf_json_integer(e, obj, path, key, &v);
    if (ret > 0) {
        if (v < -1000000 || v > 1000000)
            v = -1;      /* out of every range: refused by the check with its message */
        *out = (int)v;
    }
    return ret;
}

int mf_job_images_parse(struct mf_errbuf *e, json_t *root, struct mf_images_spec *im)
{
    json_t *images = json_object_get(root, "images"), *obj;
    int ret;

    if (!images)
        return 0;
    if (!json_is_object(images))
        return mf_fail(e, NULL, "images", "must be an object");
    if ((ret = mf_json_reject_unknown(e, images, "images", images_fields)) < 0)
        return ret;

    if ((ret = on_or_object(e, images, "poster", &im->poster, &obj, "images.poster", poster_fields)) < 0)
        return ret;
    if (ret && (ret = get_int(e, obj, "images.poster", "width", &im->poster_width)) < 0)
        return ret;
    if (ret && (ret = check_even(e, "images.poster", "width", im->poster_width, 3840)) < 0)
        return ret;

    if ((ret = on_or_object(e, images, "thumbnails", &im->thumbnails, &obj, "images.thumbnails",
                            thumbnail_fields)) < 0)
        return ret;
    if (!ret)
        return 0;
    if ((ret = mf_json_number(e, obj, "images.thumbnails", "interval", &im->interval)) < 0 ||
        (ret = get_int(e, obj, "images.thumbnails", "width", &im->width)) < 0 ||
        (ret = get_int(e, obj, "images.thumbnails", "columns", &im->columns)) < 0 ||
        (ret = get_int(e, obj, "images.thumbnails", "rows", &im->rows)) < 0 ||
        (ret = mf_json_bool(e, obj, "images.thumbnails", "hls", &im->hls)) < 0)
        return ret;
    return check_thumbnails(e, im);
}

int mf_job_images_validate(struct mf_errbuf *e, const struct mf_images_spec *im)
{
    int ret;
    if (im->poster && (ret = check_even(e, "images.poster", "width", im->poster_width, 3840)) < 0)
        return ret;
    if (im->thumbnails)
        return check_thumbnails(e, im);
    return 0;
}
