#include "quantity.h"

#include <string.h>

/* The multiplier a suffix stands for, 0 when it is not one. */
static int64_t suffix_scale(const char *s)
{
    /* Kubernetes writes decimal kilo "k" and binary "Ki"; "K" alone is taken
     * as 1000 too, since "800K" is never anything but 800000. */
    static const char decimal[] = "KMGTPE";
    int64_t scale = 1;
    char unit = *s == 'k' ? 'K' : *s;
    if (!*s)
        return 1;
    const char *p = strchr(decimal, unit);
    if (!p)
        return 0;
    int power = (int)(p - decimal) + 1;
    int binary = s[1] == 'i' && *s != 'k';
    if (s[binary ? 2 : 1])
        return 0;
    for (int i = 0; i < power; i++)
        scale *= binary ? 1024 : 1000;
    return scale;
}

int64_t mf_parse_quantity(const char *s)
{
    const char *p = s;
    unsigned __int128 num = 0, den = 1;
    size_t n_int = 0, n_frac = 0;

    if (!s)
        return -1;
    for (; *p >= '0' && *p <= '9'; p++, n_int++) {
        num = num * 10 + (unsigned)(*p - '0');
        if (num > INT64_MAX)
            return -1;
    }
    if (!n_int)
        return -1;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, n_frac++) {
            if (n_frac >= 18)
                return -1;
            num = num * 10 + (unsigned)(*p - '0');
            den *= 10;
        }
        if (!n_frac)
            return -1;
    }
    int64_t scale = suffix_scale(p);
    if (!scale)
        return -1;
    unsigned __int128 v = num * (unsigned __int128)scale;
    if (v % den)
        return -1;                 /* a fraction of a bit or a byte */
    v /= den;
    return v > INT64_MAX ? -1 : (int64_t)v;
}
