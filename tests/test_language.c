/* mf_language_bcp47 and mf_language_matches (src/common/language.c). */
#include "common/language.h"
#include "unit.h"

static void expect(const char *tag, const char *want, int want_ret)
{
    char out[MF_LANGUAGE_MAX];
    int ret = mf_language_bcp47(tag, out, sizeof(out));
    if (!CHECK(!strcmp(out, want) && ret == want_ret))
        fprintf(stderr, "    %s: got \"%s\" (%d), want \"%s\" (%d)\n", tag ? tag : "NULL", out, ret, want, want_ret);
}

int main(void)
{
    expect("eng", "en", 0);          /* ISO 639-2/T with an ISO 639-1 code */
    expect("fre", "fr", 0);          /* ISO 639-2/B */
    expect("fra", "fr", 0);          /* ISO 639-2/T */
    expect("ger", "de", 0);
    expect("chi", "zh", 0);
    expect("ZHO", "zh", 0);          /* case */
    expect("en", "en", 0);           /* already ISO 639-1 */
    expect("gsw", "gsw", 0);         /* no ISO 639-1 code: stays */
    expect("und", "und", 0);
    expect("eng-US", "en-US", 0);    /* subtags kept */
    expect("pt-BR", "pt-BR", 0);
    expect(NULL, "und", -1);
    expect("", "und", -1);
    expect("e", "und", -1);
    expect("english", "und", -1);
    expect("en_US", "und", -1);
    expect("12", "und", -1);
    char small[4];
    CHECK(mf_language_bcp47("eng-Latn-GB", small, sizeof(small)) == 0 && !strcmp(small, "en"));
    CHECK(mf_language_bcp47("eng", small, 3) == -1);

    CHECK(mf_language_matches("en", "eng"));
    CHECK(mf_language_matches("eng", "en"));
    CHECK(mf_language_matches("fra", "fre"));
    CHECK(mf_language_matches("EN", "en-GB"));
    CHECK(!mf_language_matches("en-GB", "en"));
    CHECK(!mf_language_matches("en", "enm"));   /* Middle English is not English */
    CHECK(!mf_language_matches("fr", "eng"));
    CHECK(!mf_language_matches("fr", NULL));
    CHECK(mf_language_matches("und", NULL));    /* an untagged track is "und" */
    return UNIT_DONE();
}
