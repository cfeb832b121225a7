/* SVG primitives for the bench chart (see bench_svg.h). */
#include "bench_svg.h"

#include <math.h>
#include <string.h>

#define MAX_CHARS 2048

/* A character XML 1.0 allows, encoded in l bytes (not overlong). */
static int xml_char(unsigned cp, int l)
{
    static const unsigned least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < least[l] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
        return 0;
    return cp >= 0x20 || cp == '\t';
}

/* Split s (a file name: any bytes) into UTF-8 characters: start offset and
 * length of each; a byte that does not begin a valid sequence of a character
 * XML allows counts as one character (written as '?'). */
static int split_utf8(const char *s, int *start, int *len, int *valid)
{
    const unsigned char *u = (const unsigned char *)s;
    int n = 0;
    for (int i = 0; u[i] && n < MAX_CHARS; n++) {
        int l = u[i] < 0x80 ? 1 : (u[i] & 0xe0) == 0xc0 ? 2 : (u[i] & 0xf0) == 0xe0 ? 3 : (u[i] & 0xf8) == 0xf0 ? 4 : 0;
        int ok = l > 0;
        unsigned cp = l == 1 ? u[i] : l ? u[i] & (0x7fu >> l) : 0;
        /* stops at the terminating NUL, which is no continuation byte */
        for (int k = 1; ok && k < l; k++) {
            ok = (u[i + k] & 0xc0) == 0x80;
            cp = cp << 6 | (u[i + k] & 0x3fu);
        }
        ok = ok && xml_char(cp, l);
        start[n] = i;
        len[n] = ok ? l : 1;
        valid[n] = ok;
        i += len[n];
    }
    return n;
}

double mf_svg_text_width(const char *s, int size)
{
    int start[MAX_CHARS], len[MAX_CHARS], valid[MAX_CHARS];
    return split_utf8(s, start, len, valid) * MF_SVG_CHAR_EM * size;
}

static void put_char(FILE *f, const char *s, int start, int len, int valid)
{
    char c = s[start];
    if (!valid)
        fputc('?', f);
    else if (c == '<')
        fputs("&lt;", f);
    else if (c == '>')
        fputs("&gt;", f);
    else if (c == '&')
        fputs("&amp;", f);
    else if (c == '"')
        fputs("&quot;", f);
    else
        fwrite(s + start, 1, (size_t)len, f);
}

void mf_svg_text(FILE *f, double x, double y, const char *anchor, int size, double max_w,
                 int keep_end, const char *extra, const char *s)
{
    int start[MAX_CHARS], len[MAX_CHARS], valid[MAX_CHARS];
    int n = split_utf8(s, start, len, valid);
    int fit = (int)floor(max_w / (MF_SVG_CHAR_EM * size));
    int head = n, tail = 0;
    if (n > fit) {
        /* one character goes to the ellipsis */
        int keep = fit > 1 ? fit - 1 : 0;
        tail = keep_end ? keep / 2 : 0;
        head = keep - tail;
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\"%s%s>", x, y, anchor, size,
            extra[0] ? " " : "", extra);
    for (int i = 0; i < head; i++)
        put_char(f, s, start[i], len[i], valid[i]);
    if (head < n) {
        fputs("\xe2\x80\xa6", f);
        for (int i = n - tail; i < n; i++)
            put_char(f, s, start[i], len[i], valid[i]);
    }
    fputs("</text>\n", f);
}

struct mf_svg_axis mf_svg_axis_make(double min, double max, int target, int from_zero)
{
    struct mf_svg_axis a;
    if (!isfinite(min) || !isfinite(max) || max < min)
        min = 0, max = 1;
    if (from_zero && min >= 0)
        min = 0;
    double range = max - min;
    if (range <= 0)
        range = fabs(max) > 0 ? fabs(max) / 2 : 1;
    double raw = range / (target > 0 ? target : 5);
    double p = pow(10, floor(log10(raw)));
    double m = raw / p;
    /* the 1-2-5 step nearest to raw: about target steps, never more than 1.5 times as many */
    a.step = (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
    a.lo = floor(min / a.step + 1e-9) * a.step;
    a.hi = ceil(max / a.step - 1e-9) * a.step;
    if (a.hi <= a.lo)
        a.hi = a.lo + a.step;
    a.n_ticks = (int)lround((a.hi - a.lo) / a.step) + 1;
    int d = (int)-floor(log10(a.step) + 1e-9);
    a.decimals = d > 0 ? d : 0;
    return a;
}

double mf_svg_axis_tick(const struct mf_svg_axis *a, int k)
{
    /* From lo and k, not by adding steps up: no drift; and no "-0". */
    double v = a->lo + k * a->step;
    return fabs(v) < a->step * 1e-9 ? 0 : v;
}

double mf_svg_axis_map(const struct mf_svg_axis *a, double v, double p0, double p1)
{
    return p0 + (p1 - p0) * (v - a->lo) / (a->hi - a->lo);
}

void mf_svg_marker(FILE *f, enum mf_svg_shape shape, double x, double y, double r, const char *colour,
                   int hollow, const char *attrs)
{
    char paint[96];
    if (hollow)
        snprintf(paint, sizeof(paint), "fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"", colour);
    else
        snprintf(paint, sizeof(paint), "fill=\"%s\"", colour);
    if (shape == MF_SVG_CIRCLE)
        fprintf(f, "<circle %s cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" %s/>\n", attrs, x, y, r, paint);
    else
        fprintf(f, "<rect %s x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" %s/>\n", attrs, x - r,
                y - r, 2 * r, 2 * r, paint);
}
