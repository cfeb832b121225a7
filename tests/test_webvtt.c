/*
 * Unit tests of the WebVTT writer and segmenter (src/media/webvtt.c) and of
 * the language tags (src/common/language.c): timestamps, cue text, open
 * cues, the whole-track file, and segments that hold exactly the cues
 * overlapping each video segment, with X-TIMESTAMP-MAP and the video's
 * EXTINFs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/language.h"
#include "media/webvtt.h"
#include "unit.h"

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_time(void)
{
    char t[24];
    mf_vtt_time(0, t);
    CHECK_STR_EQ(t, "00:00:00.000");
    mf_vtt_time(3723004, t);
    CHECK_STR_EQ(t, "01:02:03.004");
    mf_vtt_time(360000000, t);      /* 100 h */
    CHECK_STR_EQ(t, "100:00:00.000");
    mf_vtt_time(-5, t);
    CHECK_STR_EQ(t, "00:00:00.000");
}

static void test_text(void)
{
    char out[64];
    mf_vtt_escape("a < b & c > d\r\n", out, sizeof(out));
    CHECK_STR_EQ(out, "a &lt; b &amp; c &gt; d\n");
    mf_vtt_escape("<<<<<<<<<<", out, 12);       /* whole entities only */
    CHECK_STR_EQ(out, "&lt;&lt;");
    mf_vtt_escape("\xc3\xa9\xc3\xa9\xc3\xa9", out, 4);   /* never half a UTF-8 character */
    CHECK_STR_EQ(out, "\xc3\xa9");

    /* libavcodec's webvtt encoder: its tags kept, the text between them escaped */
    char big[128];
    mf_vtt_escape_markup("<i>a < b</i> & <b>c</b> <c.red>d</c> x > y <u>", big, sizeof(big));
    CHECK_STR_EQ(big, "<i>a &lt; b</i> &amp; <b>c</b> &lt;c.red&gt;d&lt;/c&gt; x &gt; y <u>");
    mf_vtt_escape_markup("<i>\xc3\xa9</i>", big, 6);
    CHECK_STR_EQ(big, "<i>\xc3\xa9");

    struct mf_vtt_track t = { 0 };
    CHECK_INT_EQ(mf_vtt_add(&t, 0, 1000, "  one  \n\n\n two --> three \n"), 0);
    CHECK_INT_EQ(t.n, 1);
    CHECK_STR_EQ(t.cues[0].text, "one\ntwo -- three");   /* a blank line would end the cue */
    CHECK_INT_EQ(mf_vtt_add(&t, 0, 1000, " \n \n"), 0);  /* nothing to show */
    CHECK_INT_EQ(mf_vtt_add(&t, -500, 0, "before the video"), 0);
    CHECK_INT_EQ(mf_vtt_add(&t, 500, 400, "ends before it starts"), 0);
    CHECK_INT_EQ(t.n, 1);
    CHECK_INT_EQ(t.dropped, 3);
    CHECK_INT_EQ(mf_vtt_add(&t, -500, 700, "starts before the video"), 0);
    CHECK_INT_EQ(t.cues[1].start, 0);
    mf_vtt_free(&t);
}

/* Captions come without an end: each lasts until the next, the last until the video ends. */
static void test_open_cues(void)
{
    struct mf_vtt_track t = { 0 };
    mf_vtt_add(&t, 3000, MF_VTT_OPEN_END, "c");
    mf_vtt_add(&t, 1000, MF_VTT_OPEN_END, "a");
    mf_vtt_add(&t, 2000, 2500, "b");
    mf_vtt_add(&t, 9000, 9500, "after the end");
    mf_vtt_finish(&t, 5000);
    CHECK_INT_EQ(t.n, 3);
    CHECK_STR_EQ(t.cues[0].text, "a");
    CHECK_INT_EQ(t.cues[0].end, 2000);
    CHECK_STR_EQ(t.cues[1].text, "b");
    CHECK_STR_EQ(t.cues[2].text, "c");
    CHECK_INT_EQ(t.cues[2].end, 5000);
    CHECK_INT_EQ(t.dropped, 1);
    mf_vtt_free(&t);
}

static void test_segments(const char *dir)
{
    struct mf_vtt_track t = { 0 };
    char text[32], path[512];
    /* cue i from i s to i s + 0.5 s; a long one from 1.5 s to 6.5 s */
    for (int i = 0; i < 8; i++) {
        snprintf(text, sizeof(text), "cue %d", i);
        mf_vtt_add(&t, i * 1000, i * 1000 + 500, text);
    }
    mf_vtt_add(&t, 1500, 6500, "long");
    mf_vtt_finish(&t, 8000);
    double durs[] = { 2.0, 2.0, 2.0, 2.0 };
    int64_t bytes = -1;
    CHECK_INT_EQ(mf_vtt_write_segments(&t, dir, durs, 4, 2, 0, &bytes), 0);
    CHECK(bytes > 0);
    const char *want[4][4] = {
        { "cue 0", "cue 1", "long", NULL },
        { "cue 2", "cue 3", "long", NULL },
        { "cue 4", "cue 5", "long", NULL },
        { "cue 6", "cue 7", "long", NULL },    /* it ends at 6.5 s */
    };
    for (int s = 0; s < 4; s++) {
        snprintf(path, sizeof(path), "%s/seg_%05d.vtt", dir, s);
        const char *v = unit_slurp(path);
        if (!CHECK(v, "%s missing", path))
            continue;
        CHECK(!strncmp(v, "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n", 52), "segment %d header: %.60s", s, v);
        int n = 0;
        for (int k = 0; want[s][k]; k++, n++)
            CHECK(strstr(v, want[s][k]), "segment %d lacks %s", s, want[s][k]);
        CHECK_INT_EQ(count(v, " --> "), n);
    }
    /* The long cue keeps its own times in every segment it overlaps. */
    snprintf(path, sizeof(path), "%s/seg_%05d.vtt", dir, 2);
    CHECK_STR_CONTAINS(unit_slurp(path), "00:00:01.500 --> 00:00:06.500\nlong\n\n");
    snprintf(path, sizeof(path), "%s/seg_%05d.vtt", dir, 1);
    CHECK_STR_CONTAINS(unit_slurp(path), "00:00:03.000 --> 00:00:03.500\ncue 3\n\n");
    snprintf(path, sizeof(path), "%s/index.m3u8", dir);
    const char *pl = unit_slurp(path);
    CHECK_STR_CONTAINS(pl, "#EXT-X-TARGETDURATION:2\n");
    CHECK_STR_CONTAINS(pl, "#EXT-X-PLAYLIST-TYPE:VOD\n");
    CHECK_STR_CONTAINS(pl, "#EXTINF:2.000000,\nseg_00003.vtt\n#EXT-X-ENDLIST\n");
    CHECK_INT_EQ(count(pl, "#EXTINF:"), 4);

    /* Uneven segments, as a video playlist has them, and a cue on a boundary. */
    double uneven[] = { 1.001, 0.999, 3.5 };
    struct mf_vtt_track u = { 0 };
    mf_vtt_add(&u, 1001, 1500, "second");       /* starts where segment 1 does */
    mf_vtt_add(&u, 900, 1001, "first");         /* ends where segment 1 starts */
    mf_vtt_finish(&u, 5500);
    CHECK_INT_EQ(mf_vtt_write_segments(&u, dir, uneven, 3, 4, 126000, NULL), 0);
    snprintf(path, sizeof(path), "%s/seg_%05d.vtt", dir, 0);
    const char *v = unit_slurp(path);
    CHECK_STR_CONTAINS(v, "MPEGTS:126000,");
    CHECK(strstr(v, "first") && !strstr(v, "second"), "%s", v);
    snprintf(path, sizeof(path), "%s/seg_%05d.vtt", dir, 1);
    v = unit_slurp(path);
    CHECK(!strstr(v, "first") && strstr(v, "second"), "%s", v);
    snprintf(path, sizeof(path), "%s/seg_%05d.vtt", dir, 2);
    CHECK_INT_EQ(count(unit_slurp(path), " --> "), 0);
    mf_vtt_free(&u);

    /* The sidecar: every cue once, in order. */
    snprintf(path, sizeof(path), "%s/all.vtt", dir);
    CHECK_INT_EQ(mf_vtt_write_file(&t, path), 0);
    v = unit_slurp(path);
    CHECK(!strncmp(v, "WEBVTT\n\n00:00:00.000 --> 00:00:00.500\ncue 0\n\n", 45), "%.60s", v);
    CHECK_INT_EQ(count(v, " --> "), 9);
    CHECK(strstr(v, "cue 1") < strstr(v, "long") && strstr(v, "long") < strstr(v, "cue 2"));
    mf_vtt_free(&t);
}

/* Thousands of cues on screen at once are not repeated in full in every segment. */
static void test_segment_bound(const char *dir)
{
    struct mf_vtt_track t = { 0 };
    char text[64], path[512];
    for (int i = 0; i < 5000; i++) {
        snprintf(text, sizeof(text), "everywhere %d", i);
        mf_vtt_add(&t, 0, 100000, text);
    }
    mf_vtt_finish(&t, 100000);
    double durs[50];
    for (int i = 0; i < 50; i++)
        durs[i] = 2;
    int64_t bytes = 0;
    CHECK_INT_EQ(mf_vtt_write_segments(&t, dir, durs, 50, 2, 0, &bytes), 0);
    CHECK(bytes < 50 * (MF_VTT_MAX_SEGMENT_BYTES + 4096), "%lld bytes", (long long)bytes);
    snprintf(path, sizeof(path), "%s/seg_%05d.vtt", dir, 49);
    CHECK_STR_CONTAINS(unit_slurp(path), "everywhere 0\n");
    mf_vtt_free(&t);
}

static void test_language(void)
{
    static const char *const cases[][2] = {
        { "eng", "en" }, { "ger", "de" }, { "deu", "de" }, { "fre", "fr" }, { "fra", "fr" },
        { "chi", "zh" }, { "zho", "zh" }, { "ENG", "en" }, { "en", "en" }, { "haw", "haw" },
        { "fil", "fil" }, { "pt-br", "pt-BR" }, { "por-BR", "pt-BR" }, { "zh_hant", "zh-Hant" },
        { "spa-419", "es-419" }, { "nob", "nb" }, { "heb", "he" }, { "ind", "id" },
    };
    char out[16];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_INT_EQ(mf_language_bcp47(cases[i][0], out, sizeof(out)), 0);
        CHECK_STR_EQ(out, cases[i][1]);
    }
    static const char *const bad[] = { NULL, "", "und", "mul", "zxx", "qaa", "xx", "e", "english", "en-",
                                       "en-toolongsubtag", "e1g" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(mf_language_bcp47(bad[i], out, sizeof(out)) < 0, "%s", bad[i] ? bad[i] : "NULL");
        CHECK_STR_EQ(out, "und");
    }
    CHECK(mf_language_matches("eng", "en"));
    CHECK(mf_language_matches("en", "en-GB"));
    CHECK(mf_language_matches("fre", "fra"));
    CHECK(!mf_language_matches("en-GB", "en"));
    CHECK(!mf_language_matches("en-GB", "en-US"));
    CHECK(!mf_language_matches("de", "en"));
    CHECK(!mf_language_matches("en", "und"));
}

int main(void)
{
    char dir[] = "/tmp/mf-test-webvtt-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_time();
    test_text();
    test_open_cues();
    test_segments(dir);
    test_segment_bound(dir);
    test_language();
    mf_remove_tree(dir);
    return UNIT_DONE();
}
