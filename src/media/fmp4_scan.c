#include "fmp4_scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/* The box of type at [*pos, end): its body in [*body, *body_end). Moves *pos
 * past it. 1 found, 0 none left, -1 malformed. */
static int next_box(const uint8_t *buf, size_t *pos, size_t end, char type[5], size_t *body, size_t *body_end)
{
    if (*pos + 8 > end)
        return 0;
    uint64_t size = rd32(buf + *pos);
    size_t hdr = 8;
    memcpy(type, buf + *pos + 4, 4);
    type[4] = '\0';
    if (size == 1) {
        if (*pos + 16 > end)
            return -1;
        size = rd64(buf + *pos + 8);
        hdr = 16;
    } else if (size == 0) {
        size = end - *pos;
    }
    if (size < hdr || size > end - *pos)
        return -1;
    *body = *pos + hdr;
    *body_end = *pos + size;
    *pos += size;
    return 1;
}

/* The first child of type in [start, end), by a path of nested types. */
static int find_box(const uint8_t *buf, size_t start, size_t end, const char *const *path,
                    size_t *body, size_t *body_end)
{
    char type[5];
    size_t pos = start, b, e;
    int r;
    while ((r = next_box(buf, &pos, end, type, &b, &e)) > 0) {
        if (strcmp(type, path[0]))
            continue;
        if (!path[1]) {
            *body = b;
            *body_end = e;
            return 1;
        }
        return find_box(buf, b, e, path + 1, body, body_end);
    }
    return r;
}

static int slurp(FILE *f, size_t len, uint8_t **out)
{
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    if (fread(buf, 1, len, f) != len) {
        free(buf);
        return -EIO;
    }
    *out = buf;
    return 0;
}

int mf_fmp4_read_init(const char *path, struct mf_fmp4_track *t)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    uint8_t *buf = NULL;
    long len = -1;
    int ret = fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ? -errno
              : slurp(f, (size_t)len, &buf);
    fclose(f);
    if (ret < 0)
        return ret;
    *t = (struct mf_fmp4_track){ 0 };
    size_t b, e;
    static const char *const mdhd[] = { "moov", "trak", "mdia", "mdhd", NULL };
    static const char *const tkhd[] = { "moov", "trak", "tkhd", NULL };
    static const char *const trex[] = { "moov", "mvex", "trex", NULL };
    ret = -EINVAL;
    if (find_box(buf, 0, (size_t)len, mdhd, &b, &e) == 1 && e - b >= 24) {
        t->timescale = rd32(buf + b + (buf[b] == 1 ? 20 : 12));
        ret = t->timescale ? 0 : -EINVAL;
    }
    if (ret == 0 && find_box(buf, 0, (size_t)len, tkhd, &b, &e) == 1 && e - b >= 24)
        t->track_id = rd32(buf + b + (buf[b] == 1 ? 20 : 12));
    if (ret == 0 && find_box(buf, 0, (size_t)len, trex, &b, &e) == 1 && e - b >= 24) {
        t->default_duration = rd32(buf + b + 12);
        t->default_size = rd32(buf + b + 16);
        t->default_flags = rd32(buf + b + 20);
    }
    if (ret == 0 && find_box(buf, 0, (size_t)len, (const char *const[]){ "moov", "mvex", NULL }, &b, &e) != 1)
        ret = -EINVAL;     /* not fragmented */
    free(buf);
    return ret;
}

/* One traf: add its samples' times to s. moof_start is the file offset of
 * its moof, base the default data offset base (the moof, as FFmpeg's
 * fragments say with default-base-is-moof). first: take the first sample. */
static int scan_traf(const uint8_t *buf, size_t b, size_t e, const struct mf_fmp4_track *t,
                     int64_t moof_start, int first, struct mf_fmp4_segment *s)
{
    size_t hb, he, db, de, pos = b, rb, re;
    char type[5];
    if (find_box(buf, b, e, (const char *const[]){ "tfhd", NULL }, &hb, &he) != 1 || he - hb < 8)
        return -EINVAL;
    uint32_t tf = rd32(buf + hb) & 0xffffff, dur = t->default_duration, size = t->default_size,
             flags = t->default_flags;
    size_t p = hb + 8;
    int64_t base = moof_start;
    if (tf & 0x1) {
        if (p + 8 > he)
            return -EINVAL;
        base = (int64_t)rd64(buf + p);
        p += 8;
    }
    if (tf & 0x2)
        p += 4;
    if (tf & 0x8) {
        if (p + 4 > he)
            return -EINVAL;
        dur = rd32(buf + p);
        p += 4;
    }
    if (tf & 0x10) {
        if (p + 4 > he)
            return -EINVAL;
        size = rd32(buf + p);
        p += 4;
    }
    if (tf & 0x20) {
        if (p + 4 > he)
            return -EINVAL;
        flags = rd32(buf + p);
    }
    if (find_box(buf, b, e, (const char *const[]){ "tfdt", NULL }, &db, &de) != 1 || de - db < 8)
        return -EINVAL;
    int64_t dts = buf[db] == 1 ? (de - db >= 12 ? (int64_t)rd64(buf + db + 4) : 0) : rd32(buf + db + 4);
    int r;
    while ((r = next_box(buf, &pos, e, type, &rb, &re)) > 0) {
        if (strcmp(type, "trun"))
            continue;
        if (re - rb < 8)
            return -EINVAL;
        int ver = buf[rb];
        uint32_t fl = rd32(buf + rb) & 0xffffff, n = rd32(buf + rb + 4);
        size_t q = rb + 8;
        int64_t data_offset = 0;
        uint32_t first_flags = flags;
        int has_first_flags = 0;
        if (fl & 0x1) {
            data_offset = (int32_t)rd32(buf + q);
            q += 4;
        }
        if (fl & 0x4) {
            first_flags = rd32(buf + q);
            has_first_flags = 1;
            q += 4;
        }
        size_t per = 4 * (!!(fl & 0x100) + !!(fl & 0x200) + !!(fl & 0x400) + !!(fl & 0x800));
        if (q > re || (per && n > (re - q) / per))
            return -EINVAL;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t d = dur, sz = size, sf = k == 0 && has_first_flags ? first_flags : flags;
            int64_t cto = 0;
            if (fl & 0x100) { d = rd32(buf + q); q += 4; }
            if (fl & 0x200) { sz = rd32(buf + q); q += 4; }
            if (fl & 0x400) { if (!(k == 0 && has_first_flags)) sf = rd32(buf + q); q += 4; }
            if (fl & 0x800) { cto = ver ? (int32_t)rd32(buf + q) : (int64_t)rd32(buf + q); q += 4; }
            int64_t pts = dts + cto;
            if (!s->samples || pts < s->ept)
                s->ept = pts;
            if (!s->samples || pts + d > s->end)
                s->end = pts + d;
            if (first && k == 0) {
                s->first_is_sync = !(sf & 0x10000);
                s->first_sample_end = base + data_offset + sz;
                first = 0;
            }
            s->samples++;
            dts += d;
        }
    }
    return r < 0 ? -EINVAL : 0;
}

int mf_fmp4_scan_segment(const char *path, const struct mf_fmp4_track *t, struct mf_fmp4_segment *s)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    *s = (struct mf_fmp4_segment){ .moof_offset = -1 };
    int ret = 0;
    int64_t off = 0;
    uint8_t hdr[16];
    /* Top-level boxes; only the moofs are read whole. */
    while (ret == 0 && fread(hdr, 1, 8, f) == 8) {
        uint64_t size = rd32(hdr);
        size_t hlen = 8;
        if (size == 1) {
            if (fread(hdr + 8, 1, 8, f) != 8) {
                ret = -EINVAL;
                break;
            }
            size = rd64(hdr + 8);
            hlen = 16;
        }
        if (size == 0 && memcmp(hdr + 4, "mdat", 4) == 0)
            break;       /* to the end of the file */
        if (size < hlen || size > (uint64_t)1 << 40) {
            ret = -EINVAL;
            break;
        }
        if (memcmp(hdr + 4, "moof", 4) == 0) {
            uint8_t *moof = NULL;
            if ((ret = slurp(f, size - hlen, &moof)) < 0)
                break;
            size_t pos = 0, b, e, n = size - hlen;
            char type[5];
            int r, first = s->moof_offset < 0;
            if (first)
                s->moof_offset = off;
            while (ret == 0 && (r = next_box(moof, &pos, n, type, &b, &e)) > 0)
                if (!strcmp(type, "traf")) {
                    ret = scan_traf(moof, b, e, t, off, first, s);
                    first = 0;
                }
            free(moof);
        } else if (fseek(f, (long)(size - hlen), SEEK_CUR)) {
            ret = -errno;
        }
        off += (int64_t)size;
    }
    if (ret == 0 && fseek(f, 0, SEEK_END) == 0)
        s->bytes = ftell(f);
    fclose(f);
    if (ret == 0 && (s->moof_offset < 0 || !s->samples))
        ret = -EINVAL;
    return ret;
}
