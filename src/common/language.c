#include "language.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ISO 639-1 codes with their ISO 639-2 ones: "T B 1" (B = T for most). */
static const char *const iso639[] = {
    "aar aar aa", "abk abk ab", "afr afr af", "aka aka ak", "sqi alb sq", "amh amh am", "ara ara ar",
    "arg arg an", "hye arm hy", "asm asm as", "ava ava av", "ave ave ae", "aym aym ay", "aze aze az",
    "bak bak ba", "bam bam bm", "eus baq eu", "bel bel be", "ben ben bn", "bis bis bi", "bod tib bo",
    "bos bos bs", "bre bre br", "bul bul bg", "mya bur my", "cat cat ca", "ces cze cs", "cha cha ch",
    "che che ce", "zho chi zh", "chu chu cu", "chv chv cv", "cor cor kw", "cos cos co", "cre cre cr",
    "cym wel cy", "dan dan da", "deu ger de", "div div dv", "nld dut nl", "dzo dzo dz", "ell gre el",
    "eng eng en", "epo epo eo", "est est et", "ewe ewe ee", "fao fao fo", "fas per fa", "fij fij fj",
    "fin fin fi", "fra fre fr", "fry fry fy", "ful ful ff", "kat geo ka", "gla gla gd", "gle gle ga",
    "glg glg gl", "glv glv gv", "grn grn gn", "guj guj gu", "hat hat ht", "hau hau ha", "heb heb he",
    "her her hz", "hin hin hi", "hmo hmo ho", "hrv hrv hr", "hun hun hu", "ibo ibo ig", "isl ice is",
    "ido ido io", "iii iii ii", "iku iku iu", "ile ile ie", "ina ina ia", "ind ind id", "ipk ipk ik",
    "ita ita it", "jav jav jv", "jpn jpn ja", "kal kal kl", "kan kan kn", "kas kas ks", "kau kau kr",
    "kaz kaz kk", "khm khm km", "kik kik ki", "kin kin rw", "kir kir ky", "kom kom kv", "kon kon kg",
    "kor kor ko", "kua kua kj", "kur kur ku", "lao lao lo", "lat lat la", "lav lav lv", "lim lim li",
    "lin lin ln", "lit lit lt", "ltz ltz lb", "lub lub lu", "lug lug lg", "mkd mac mk", "mah mah mh",
    "mal mal ml", "mri mao mi", "mar mar mr", "msa may ms", "mlg mlg mg", "mlt mlt mt", "mon mon mn",
    "nau nau na", "nav nav nv", "nbl nbl nr", "nde nde nd", "ndo ndo ng", "nep nep ne", "nno nno nn",
    "nob nob nb", "nor nor no", "nya nya ny", "oci oci oc", "oji oji oj", "ori ori or", "orm orm om",
    "oss oss os", "pan pan pa", "pli pli pi", "pol pol pl", "por por pt", "pus pus ps", "que que qu",
    "roh roh rm", "ron rum ro", "run run rn", "rus rus ru", "sag sag sg", "san san sa", "sin sin si",
    "slk slo sk", "slv slv sl", "sme sme se", "smo smo sm", "sna sna sn", "snd snd sd", "som som so",
    "sot sot st", "spa spa es", "srd srd sc", "srp srp sr", "ssw ssw ss", "sun sun su", "swa swa sw",
    "swe swe sv", "tah tah ty", "tam tam ta", "tat tat tt", "tel tel te", "tgk tgk tg", "tgl tgl tl",
    "tha tha th", "tir tir ti", "ton ton to", "tsn tsn tn", "tso tso ts", "tuk tuk tk", "tur tur tr",
    "twi twi tw", "uig uig ug", "ukr ukr uk", "urd urd ur", "uzb uzb uz", "ven ven ve", "vie vie vi",
    "vol vol vo", "wln wln wa", "wol wol wo", "xho xho xh", "yid yid yi", "yor yor yo", "zha zha za",
    "zul zul zu", NULL,
};

static int is_alpha(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isalpha((unsigned char)s[i]))
            return 0;
    return 1;
}

/* The primary subtag in lower case, as BCP 47 writes it: 2 letters where
 * ISO 639-1 has them. 0, or -1 when it is not a language. */
static int primary(const char *s, size_t n, char out[4])
{
    char low[4];
    if ((n != 2 && n != 3) || !is_alpha(s, n))
        return -1;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)s[i]);
    low[n] = '\0';
    if (n == 2) {
        for (const char *const *e = iso639; *e; e++)
            if (!strcmp(*e + 8, low)) {
                memcpy(out, low, 3);
                return 0;
            }
        return -1;
    }
    if (!strcmp(low, "und") || !strcmp(low, "mul") || !strcmp(low, "zxx") || !strcmp(low, "mis") ||
        (low[0] == 'q' && low[1] >= 'a' && low[1] <= 't'))
        return -1;
    for (const char *const *e = iso639; *e; e++)
        if (!strncmp(*e, low, 3) || !strncmp(*e + 4, low, 3)) {
            memcpy(out, *e + 8, 3);
            return 0;
        }
    memcpy(out, low, 4);    /* a 639-2 code without a 639-1 one: "haw", "fil" */
    return 0;
}

int mf_language_bcp47(const char *tag, char *out, size_t len)
{
    char lang[4];
    size_t n = tag ? strcspn(tag, "-_") : 0;
    if (len < 4)
        return -1;
    snprintf(out, len, "und");
    if (!tag || primary(tag, n, lang) < 0)
        return -1;
    char buf[16];
    size_t o = (size_t)snprintf(buf, sizeof(buf), "%s", lang);
    /* Subtags: 1-8 alphanumerics each; a region (2 letters) upper case,
     * a script (4 letters) title case, the rest lower case. */
    for (const char *p = tag + n; *p;) {
        p++;
        size_t k = strcspn(p, "-_");
        if (k < 1 || k > 8 || o + 1 + k >= sizeof(buf))
            return -1;
        buf[o++] = '-';
        for (size_t i = 0; i < k; i++) {
            unsigned char c = (unsigned char)p[i];
            if (!isalnum(c))
                return -1;
            buf[o++] = (char)(k == 2 && isalpha(c) ? toupper(c) : k == 4 && i == 0 ? toupper(c) : tolower(c));
        }
        p += k;
    }
    buf[o] = '\0';
    if (o + 1 > len)
        return -1;
    memcpy(out, buf, o + 1);
    return 0;
}

int mf_language_matches(const char *wanted, const char *have)
{
    char w[16], h[16];
    if (mf_language_bcp47(wanted, w, sizeof(w)) < 0 || mf_language_bcp47(have, h, sizeof(h)) < 0)
        return 0;
    size_t n = strlen(w);
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)w[i]) != tolower((unsigned char)h[i]))
            return 0;
    return h[n] == '\0' || h[n] == '-';
}
