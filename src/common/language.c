/*
 * ISO 639 language tags to BCP 47 (RFC 5646 section 2.2.1: the shortest
 * ISO 639 code, so ISO 639-1 where one exists). The table is every ISO
 * 639-2 code that has an ISO 639-1 equivalent (184, from Debian's
 * iso-codes), with its bibliographic (B) form where it differs from the
 * terminology (T) one (20: fre/fra, ger/deu, chi/zho, ...).
 */
#include "language.h"

#include <stdio.h>
#include <string.h>

static const struct { char t[4], b[4], two[3]; } iso639[] = {
    { "aar", "", "aa" }, { "abk", "", "ab" }, { "afr", "", "af" }, { "aka", "", "ak" },
    { "amh", "", "am" }, { "ara", "", "ar" }, { "arg", "", "an" }, { "asm", "", "as" },
    { "ava", "", "av" }, { "ave", "", "ae" }, { "aym", "", "ay" }, { "aze", "", "az" },
    { "bak", "", "ba" }, { "bam", "", "bm" }, { "bel", "", "be" }, { "ben", "", "bn" },
    { "bih", "", "bh" }, { "bis", "", "bi" }, { "bod", "tib", "bo" }, { "bos", "", "bs" },
    { "bre", "", "br" }, { "bul", "", "bg" }, { "cat", "", "ca" }, { "ces", "cze", "cs" },
    { "cha", "", "ch" }, { "che", "", "ce" }, { "chu", "", "cu" }, { "chv", "", "cv" },
    { "cor", "", "kw" }, { "cos", "", "co" }, { "cre", "", "cr" }, { "cym", "wel", "cy" },
    { "dan", "", "da" }, { "deu", "ger", "de" }, { "div", "", "dv" }, { "dzo", "", "dz" },
    { "ell", "gre", "el" }, { "eng", "", "en" }, { "epo", "", "eo" }, { "est", "", "et" },
    { "eus", "baq", "eu" }, { "ewe", "", "ee" }, { "fao", "", "fo" }, { "fas", "per", "fa" },
    { "fij", "", "fj" }, { "fin", "", "fi" }, { "fra", "fre", "fr" }, { "fry", "", "fy" },
    { "ful", "", "ff" }, { "gla", "", "gd" }, { "gle", "", "ga" }, { "glg", "", "gl" },
    { "glv", "", "gv" }, { "grn", "", "gn" }, { "guj", "", "gu" }, { "hat", "", "ht" },
    { "hau", "", "ha" }, { "heb", "", "he" }, { "her", "", "hz" }, { "hin", "", "hi" },
    { "hmo", "", "ho" }, { "hrv", "", "hr" }, { "hun", "", "hu" }, { "hye", "arm", "hy" },
    { "ibo", "", "ig" }, { "ido", "", "io" }, { "iii", "", "ii" }, { "iku", "", "iu" },
    { "ile", "", "ie" }, { "ina", "", "ia" }, { "ind", "", "id" }, { "ipk", "", "ik" },
    { "isl", "ice", "is" }, { "ita", "", "it" }, { "jav", "", "jv" }, { "jpn", "", "ja" },
    { "kal", "", "kl" }, { "kan", "", "kn" }, { "kas", "", "ks" }, { "kat", "geo", "ka" },
    { "kau", "", "kr" }, { "kaz", "", "kk" }, { "khm", "", "km" }, { "kik", "", "ki" },
    { "kin", "", "rw" }, { "kir", "", "ky" }, { "kom", "", "kv" }, { "kon", "", "kg" },
    { "kor", "", "ko" }, { "kua", "", "kj" }, { "kur", "", "ku" }, { "lao", "", "lo" },
    { "lat", "", "la" }, { "lav", "", "lv" }, { "lim", "", "li" }, { "lin", "", "ln" },
    { "lit", "", "lt" }, { "ltz", "", "lb" }, { "lub", "", "lu" }, { "lug", "", "lg" },
    { "mah", "", "mh" }, { "mal", "", "ml" }, { "mar", "", "mr" }, { "mkd", "mac", "mk" },
    { "mlg", "", "mg" }, { "mlt", "", "mt" }, { "mon", "", "mn" }, { "mri", "mao", "mi" },
    { "msa", "may", "ms" }, { "mya", "bur", "my" }, { "nau", "", "na" }, { "nav", "", "nv" },
    { "nbl", "", "nr" }, { "nde", "", "nd" }, { "ndo", "", "ng" }, { "nep", "", "ne" },
    { "nld", "dut", "nl" }, { "nno", "", "nn" }, { "nob", "", "nb" }, { "nor", "", "no" },
    { "nya", "", "ny" }, { "oci", "", "oc" }, { "oji", "", "oj" }, { "ori", "", "or" },
    { "orm", "", "om" }, { "oss", "", "os" }, { "pan", "", "pa" }, { "pli", "", "pi" },
    { "pol", "", "pl" }, { "por", "", "pt" }, { "pus", "", "ps" }, { "que", "", "qu" },
    { "roh", "", "rm" }, { "ron", "rum", "ro" }, { "run", "", "rn" }, { "rus", "", "ru" },
    { "sag", "", "sg" }, { "san", "", "sa" }, { "sin", "", "si" }, { "slk", "slo", "sk" },
    { "slv", "", "sl" }, { "sme", "", "se" }, { "smo", "", "sm" }, { "sna", "", "sn" },
    { "snd", "", "sd" }, { "som", "", "so" }, { "sot", "", "st" }, { "spa", "", "es" },
    { "sqi", "alb", "sq" }, { "srd", "", "sc" }, { "srp", "", "sr" }, { "ssw", "", "ss" },
    { "sun", "", "su" }, { "swa", "", "sw" }, { "swe", "", "sv" }, { "tah", "", "ty" },
    { "tam", "", "ta" }, { "tat", "", "tt" }, { "tel", "", "te" }, { "tgk", "", "tg" },
    { "tgl", "", "tl" }, { "tha", "", "th" }, { "tir", "", "ti" }, { "ton", "", "to" },
    { "tsn", "", "tn" }, { "tso", "", "ts" }, { "tuk", "", "tk" }, { "tur", "", "tr" },
    { "twi", "", "tw" }, { "uig", "", "ug" }, { "ukr", "", "uk" }, { "urd", "", "ur" },
    { "uzb", "", "uz" }, { "ven", "", "ve" }, { "vie", "", "vi" }, { "vol", "", "vo" },
    { "wln", "", "wa" }, { "wol", "", "wo" }, { "xho", "", "xh" }, { "yid", "", "yi" },
    { "yor", "", "yo" }, { "zha", "", "za" }, { "zho", "chi", "zh" }, { "zul", "", "zu" },
};

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static int is_alpha(char c)
{
    c = lower(c);
    return c >= 'a' && c <= 'z';
}

int mf_language_bcp47(const char *tag, char *out, size_t out_len)
{
    char primary[4] = "";
    size_t n = 0;
    if (!out || out_len < 4)
        return -1;
    while (tag && n < 4 && is_alpha(tag[n]))
        n++;
    /* A primary subtag of 2 or 3 letters, then nothing or "-subtags". */
    if (!tag || n < 2 || n > 3 || (tag[n] && tag[n] != '-')) {
        snprintf(out, out_len, "und");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        primary[i] = lower(tag[i]);
    primary[n] = '\0';
    const char *code = primary;
    for (size_t i = 0; n == 3 && i < sizeof(iso639) / sizeof(iso639[0]); i++)
        if (!strcmp(primary, iso639[i].t) || !strcmp(primary, iso639[i].b))
            code = iso639[i].two;
    if ((size_t)snprintf(out, out_len, "%s%s", code, tag + n) >= out_len)
        snprintf(out, out_len, "%s", code);      /* the subtags do not fit: the language alone */
    return 0;
}

int mf_language_matches(const char *wanted, const char *tag)
{
    char a[MF_LANGUAGE_MAX], b[MF_LANGUAGE_MAX];
    mf_language_bcp47(wanted, a, sizeof(a));
    mf_language_bcp47(tag, b, sizeof(b));
    size_t n = 0;
    for (; a[n]; n++)
        if (lower(a[n]) != lower(b[n]))
            return 0;
    return b[n] == '\0' || b[n] == '-';
}
