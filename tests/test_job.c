/*
 * Unit tests of the job spec parser (src/job.c): the DESIGN example, the
 * defaults, and every kind of invalid job, each checked for the exact field
 * path the error message must start with.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mpegflow/job.h"
#include "unit.h"

/* Test JSON is written with ' for " to stay readable; this swaps them back. */
static const char *dq(const char *q)
{
    static char buf[8192];
    size_t i = 0;

    for (; q[i] && i + 1 < sizeof(buf); i++)
        buf[i] = q[i] == '\'' ? '"' : q[i];
    buf[i] = '\0';
    return buf;
}

static int parse(struct mf_job *job, const char *q, int require_io, char *err, size_t err_len)
{
    const char *json = dq(q);
    return mf_job_parse(job, json, strlen(json), require_io, err, err_len);
}

/* A job that must be rejected with a message starting "PATH: " and holding what. */
static void expect_error(const char *q, int require_io, const char *path, const char *what)
{
    struct mf_job job;
    char err[MF_ERR_MAX], prefix[128];
    int ret = parse(&job, q, require_io, err, sizeof(err));

    snprintf(prefix, sizeof(prefix), "%s: ", path);
    CHECK_INT_EQ(ret, -EINVAL);
    if (!CHECK(!strncmp(err, prefix, strlen(prefix))))
        fprintf(stderr, "    for %s\n    got \"%s\", wanted it to start with \"%s\"\n",
                q, err, prefix);
    CHECK_STR_CONTAINS(err, what);
}

static void expect_ok(const char *q, int require_io, struct mf_job *job)
{
    char err[MF_ERR_MAX];
    int ret = parse(job, q, require_io, err, sizeof(err));

    if (!CHECK(ret == 0))
        fprintf(stderr, "    for %s\n    got %d \"%s\"\n", q, ret, err);
}

#define VIDEO_OK "'video':{'renditions':[{'name':'a','height':360}]}"

static const char design_example[] =
    "{\n"
    "  'id': 'b7f3c2',\n"
    "  'input': 'uploads/b7f3c2/source.mov',\n"
    "  'output_prefix': 'renditions/b7f3c2/',\n"
    "  'format': 'hls',\n"
    "  'video': {\n"
    "    'codec': 'h264',\n"
    "    'backend': 'auto',\n"
    "    'preset': 'veryfast',\n"
    "    'gop_seconds': 2,\n"
    "    'renditions': [\n"
    "      {'name': '720p', 'height': 720, 'crf': 23},\n"
    "      {'name': '360p', 'height': 360, 'bitrate': '800k', 'maxrate': '1200k'}\n"
    "    ]\n"
    "  },\n"
    "  'audio': {'mode': 'aac', 'bitrate': '128k', 'channels': 2}\n"
    "}\n";

static void test_design_example(void)
{
    struct mf_job job;

    expect_ok(design_example, 1, &job);
    CHECK_STR_EQ(job.id, "b7f3c2");
    CHECK_STR_EQ(job.input, "uploads/b7f3c2/source.mov");
    CHECK_STR_EQ(job.output_prefix, "renditions/b7f3c2/");
    CHECK_INT_EQ(job.format, MF_FORMAT_HLS);
    CHECK_INT_EQ(job.codec, MF_CODEC_H264);
    CHECK_STR_EQ(job.backend, "auto");
    CHECK_STR_EQ(job.preset, "veryfast");
    CHECK_STR_EQ(job.tune, "");
    CHECK_DBL_EQ(job.gop_seconds, 2.0);
    CHECK_INT_EQ(job.n_renditions, 2);
    CHECK_STR_EQ(job.renditions[0].name, "720p");
    CHECK_INT_EQ(job.renditions[0].height, 720);
    CHECK_DBL_EQ(job.renditions[0].crf, 23.0);
    CHECK_INT_EQ(job.renditions[0].bitrate, 0);
    CHECK_INT_EQ(job.renditions[0].maxrate, 0);
    CHECK_INT_EQ(job.renditions[0].upscale, 0);
    CHECK_STR_EQ(job.renditions[1].name, "360p");
    CHECK_INT_EQ(job.renditions[1].height, 360);
    CHECK(job.renditions[1].crf < 0);
    CHECK_INT_EQ(job.renditions[1].bitrate, 800000);
    CHECK_INT_EQ(job.renditions[1].maxrate, 1200000);
    CHECK_INT_EQ(job.renditions[1].bufsize, 0);
    CHECK_STR_EQ(job.renditions[1].profile, "");
    CHECK_STR_EQ(job.renditions[1].level, "");
    CHECK_INT_EQ(job.audio_mode, MF_AUDIO_AAC);
    CHECK_INT_EQ(job.audio_bitrate, 128000);
    CHECK_INT_EQ(job.audio_channels, 2);
}

static void test_defaults(void)
{
    struct mf_job job;

    /* Garbage first, so that only the parser can have set the defaults. */
    memset(&job, 0x5a, sizeof(job));
    expect_ok("{" VIDEO_OK "}", 0, &job);
    CHECK_STR_EQ(job.id, "");
    CHECK_STR_EQ(job.input, "");
    CHECK_STR_EQ(job.output_prefix, "");
    CHECK_INT_EQ(job.format, MF_FORMAT_HLS);
    CHECK_INT_EQ(job.codec, MF_CODEC_H264);
    CHECK_STR_EQ(job.backend, "auto");
    CHECK_STR_EQ(job.preset, "veryfast");
    CHECK_STR_EQ(job.tune, "");
    CHECK_DBL_EQ(job.gop_seconds, 2.0);
    CHECK_INT_EQ(job.n_renditions, 1);
    CHECK_DBL_EQ(job.renditions[0].crf, 23.0);
    CHECK_INT_EQ(job.renditions[0].bitrate, 0);
    CHECK_INT_EQ(job.renditions[0].maxrate, 0);
    CHECK_INT_EQ(job.renditions[0].bufsize, 0);
    CHECK_STR_EQ(job.renditions[0].profile, "");
    CHECK_STR_EQ(job.renditions[0].level, "");
    CHECK_INT_EQ(job.renditions[0].upscale, 0);
    CHECK_INT_EQ(job.audio_mode, MF_AUDIO_AAC);
    CHECK_INT_EQ(job.audio_bitrate, 128000);
    CHECK_INT_EQ(job.audio_channels, 2);

    memset(&job, 0x5a, sizeof(job));
    mf_job_defaults(&job);
    CHECK_INT_EQ(job.n_renditions, 0);
    CHECK_INT_EQ(job.format, MF_FORMAT_HLS);
    CHECK_STR_EQ(job.preset, "veryfast");
    CHECK(job.renditions[0].crf < 0);
}

static void test_every_field_set(void)
{
    struct mf_job job;

    expect_ok("{'id':'job-1.a:b_c','format':'both','video':{'codec':'hevc','backend':'x265',"
              "'preset':'slow','tune':'grain','gop_seconds':4.5,'upscale':true,'renditions':["
              "{'name':'UHD_2160','height':2160,'bitrate':20000000,'maxrate':'25M',"
              "'bufsize':'50M','profile':'main','level':'5.1'},"
              "{'name':'hd-720','height':720,'crf':20.5,'maxrate':'3M','upscale':false,"
              "'level':'4.0'}]},"
              "'audio':{'mode':'copy','bitrate':96000,'channels':1}}", 0, &job);
    CHECK_STR_EQ(job.id, "job-1.a:b_c");
    CHECK_INT_EQ(job.format, MF_FORMAT_BOTH);
    CHECK_INT_EQ(job.codec, MF_CODEC_HEVC);
    CHECK_STR_EQ(job.backend, "x265");
    CHECK_STR_EQ(job.preset, "slow");
    CHECK_STR_EQ(job.tune, "grain");
    CHECK_DBL_EQ(job.gop_seconds, 4.5);
    CHECK_INT_EQ(job.renditions[0].bitrate, 20000000);
    CHECK_INT_EQ(job.renditions[0].maxrate, 25000000);
    CHECK_INT_EQ(job.renditions[0].bufsize, 50000000);
    CHECK_STR_EQ(job.renditions[0].profile, "main");
    CHECK_STR_EQ(job.renditions[0].level, "5.1");
    CHECK_INT_EQ(job.renditions[0].upscale, 1);     /* from video.upscale */
    CHECK_DBL_EQ(job.renditions[1].crf, 20.5);
    CHECK_INT_EQ(job.renditions[1].maxrate, 3000000);
    CHECK_INT_EQ(job.renditions[1].upscale, 0);     /* its own overrides */
    CHECK_STR_EQ(job.renditions[1].level, "4.0");
    CHECK_INT_EQ(job.audio_mode, MF_AUDIO_COPY);
    CHECK_INT_EQ(job.audio_bitrate, 96000);
    CHECK_INT_EQ(job.audio_channels, 1);

    expect_ok("{'format':'mp4','audio':{'mode':'none'}," VIDEO_OK "}", 0, &job);
    CHECK_INT_EQ(job.format, MF_FORMAT_MP4);
    CHECK_INT_EQ(job.audio_mode, MF_AUDIO_NONE);
}

static void test_unknown_fields(void)
{
    expect_error("{'idd':'x'," VIDEO_OK "}", 0, "idd", "unknown field (did you mean \"id\"?)");
    expect_error("{'priority':1," VIDEO_OK "}", 0, "priority", "unknown field");
    expect_error("{'video':{'renditons':[]}}", 0, "video.renditons",
                 "unknown field (did you mean \"renditions\"?)");
    expect_error("{'video':{'renditions':[{'name':'a','height':360},"
                 "{'name':'b','heigth':360}]}}", 0, "video.renditions[1].heigth",
                 "unknown field");
    expect_error("{'audio':{'chanels':2}," VIDEO_OK "}", 0, "audio.chanels", "unknown field");
    /* Control characters in a key do not reach the message. */
    expect_error("{'a\\nb':1," VIDEO_OK "}", 0, "a?b", "unknown field");
}

static void test_wrong_types(void)
{
    expect_error("{'id':7," VIDEO_OK "}", 0, "id", "must be a string");
    expect_error("{'format':null," VIDEO_OK "}", 0, "format", "must be a string");
    expect_error("{'video':[]}", 0, "video", "must be an object");
    expect_error("{'audio':'aac'," VIDEO_OK "}", 0, "audio", "must be an object");
    expect_error("{'video':{'gop_seconds':'2','renditions':[{'name':'a','height':360}]}}", 0,
                 "video.gop_seconds", "must be a number");
    expect_error("{'video':{'upscale':1,'renditions':[{'name':'a','height':360}]}}", 0,
                 "video.upscale", "must be true or false");
    expect_error("{'video':{'renditions':{'name':'a','height':360}}}", 0,
                 "video.renditions", "must be an array");
    expect_error("{'video':{'renditions':['720p']}}", 0, "video.renditions[0]",
                 "must be an object");
    expect_error("{'video':{'renditions':[{'name':'a','height':'720'}]}}", 0,
                 "video.renditions[0].height", "must be an integer");
    expect_error("{'video':{'renditions':[{'name':'a','height':720.5}]}}", 0,
                 "video.renditions[0].height", "must be an integer");
    expect_error("{'video':{'renditions':[{'name':'a','height':720,'crf':'23'}]}}", 0,
                 "video.renditions[0].crf", "must be a number");
    expect_error("{'video':{'renditions':[{'name':'a','height':720,'bitrate':1.5}]}}", 0,
                 "video.renditions[0].bitrate", "must be a bitrate");
    expect_error("{'video':{'renditions':[{'name':5,'height':720}]}}", 0,
                 "video.renditions[0].name", "must be a string");
    expect_error("{'audio':{'channels':2.0}," VIDEO_OK "}", 0, "audio.channels",
                 "must be an integer");
}

static void test_ranges(void)
{
    struct mf_job job;

    expect_error("{'video':{'renditions':[{'name':'a','height':720},{'name':'b','height':10}]}}",
                 0, "video.renditions[1].height", "must be between 16 and 4320");
    expect_error("{'video':{'renditions':[{'name':'a','height':4321}]}}", 0,
                 "video.renditions[0].height", "must be between 16 and 4320");
    /* Far outside int: must not wrap into the range. */
    expect_error("{'video':{'renditions':[{'name':'a','height':4294967656}]}}", 0,
                 "video.renditions[0].height", "must be between 16 and 4320");
    expect_ok("{'video':{'renditions':[{'name':'a','height':16},{'name':'b','height':4320}]}}",
              0, &job);
    expect_error("{'video':{'renditions':[{'name':'a','height':720,'crf':51.5}]}}", 0,
                 "video.renditions[0].crf", "must be between 0 and 51");
    expect_error("{'video':{'renditions':[{'name':'a','height':720,'crf':-1}]}}", 0,
                 "video.renditions[0].crf", "must be between 0 and 51");
    expect_ok("{'video':{'renditions':[{'name':'a','height':720,'crf':0}]}}", 0, &job);
    CHECK_DBL_EQ(job.renditions[0].crf, 0.0);
    expect_error("{'video':{'gop_seconds':0.4,'renditions':[{'name':'a','height':360}]}}", 0,
                 "video.gop_seconds", "must be between 0.5 and 20");
    expect_error("{'video':{'gop_seconds':21,'renditions':[{'name':'a','height':360}]}}", 0,
                 "video.gop_seconds", "must be between 0.5 and 20");
    expect_ok("{'video':{'gop_seconds':0.5,'renditions':[{'name':'a','height':360}]}}", 0, &job);
    CHECK_DBL_EQ(job.gop_seconds, 0.5);
    expect_error("{'video':{'renditions':[{'name':'a','height':720,'bitrate':0}]}}", 0,
                 "video.renditions[0].bitrate", "must be between 10k and 500M");
    expect_error("{'video':{'renditions':[{'name':'a','height':720,'bitrate':'1G'}]}}", 0,
                 "video.renditions[0].bitrate", "must be between 10k and 500M");
    expect_error("{'audio':{'bitrate':'8k'}," VIDEO_OK "}", 0, "audio.bitrate",
                 "must be between 16k and 512k");
    expect_error("{'audio':{'bitrate':-128000}," VIDEO_OK "}", 0, "audio.bitrate",
                 "must be between 16k and 512k");
    expect_error("{'audio':{'bitrate':'640k'}," VIDEO_OK "}", 0, "audio.bitrate",
                 "must be between 16k and 512k");
    expect_error("{'audio':{'channels':6}," VIDEO_OK "}", 0, "audio.channels", "must be 1 or 2");
}

static void test_choices(void)
{
    struct mf_job job;

    expect_error("{'format':'mpd'," VIDEO_OK "}", 0, "format",
                 "must be one of mp4, hls, both, dash, cmaf, all");
    expect_ok("{'format':'dash'," VIDEO_OK "}", 0, &job);
    CHECK_INT_EQ(job.format, MF_FORMAT_DASH);
    expect_ok("{'format':'cmaf'," VIDEO_OK "}", 0, &job);
    CHECK_INT_EQ(job.format, MF_FORMAT_HLS | MF_FORMAT_DASH);
    expect_ok("{'format':'all'," VIDEO_OK "}", 0, &job);
    CHECK_INT_EQ(job.format, MF_FORMAT_MP4 | MF_FORMAT_HLS | MF_FORMAT_DASH);
    expect_error("{'video':{'preset':'superslow','renditions':[{'name':'a','height':360}]}}", 0,
                 "video.preset", "must be one of ultrafast, superfast, veryfast");
    expect_error("{'video':{'codec':'av1','renditions':[{'name':'a','height':360}]}}", 0,
                 "video.codec", "must be one of h264, hevc");
    expect_error("{'video':{'backend':'qsv','renditions':[{'name':'a','height':360}]}}", 0,
                 "video.backend", "must be one of auto, x264, nvenc, x265");
    expect_error("{'video':{'tune':'fast','renditions':[{'name':'a','height':360}]}}", 0,
                 "video.tune", "must be one of film,");
    expect_error("{'audio':{'mode':'opus'}," VIDEO_OK "}", 0, "audio.mode",
                 "must be one of aac, copy, none");
    expect_error("{'video':{'renditions':[{'name':'a','height':360,'profile':'high10'}]}}", 0,
                 "video.renditions[0].profile", "must be one of baseline, main, high");
    /* Profiles and levels depend on the codec, wherever it is written. */
    expect_error("{'video':{'renditions':[{'name':'a','height':360,'profile':'high'}],"
                 "'codec':'hevc'}}", 0, "video.renditions[0].profile", "must be one of main");
    expect_error("{'video':{'renditions':[{'name':'a','height':360,'level':'3.3'}]}}", 0,
                 "video.renditions[0].level", "H.264 level");
    expect_error("{'video':{'codec':'hevc','renditions':[{'name':'a','height':360,"
                 "'level':'1b'}]}}", 0, "video.renditions[0].level", "HEVC level");
    expect_error("{'video':{'renditions':[{'name':'a','height':360,'level':4.1}]}}", 0,
                 "video.renditions[0].level", "must be a string");
    expect_ok("{'video':{'renditions':[{'name':'a','height':360,'level':'1b',"
              "'profile':'baseline'}]}}", 0, &job);
    CHECK_STR_EQ(job.renditions[0].level, "1b");
    CHECK_STR_EQ(job.renditions[0].profile, "baseline");
}

static void test_renditions(void)
{
    static const char nine[] =
        "{'video':{'renditions':[{'name':'a','height':360},{'name':'b','height':360},"
        "{'name':'c','height':360},{'name':'d','height':360},{'name':'e','height':360},"
        "{'name':'f','height':360},{'name':'g','height':360},{'name':'h','height':360},"
        "{'name':'i','height':360}]}}";
    char eight[sizeof(nine)];
    struct mf_job job;

    expect_error("{'input':'x'}", 0, "video", "required");
    expect_error("{'video':{'codec':'h264'}}", 0, "video.renditions", "required");
    expect_error("{'video':{'renditions':[]}}", 0, "video.renditions",
                 "must have between 1 and 8 entries");
    expect_error(nine, 0, "video.renditions", "must have between 1 and 8 entries");
    /* The same ladder less its last entry is fine. */
    snprintf(eight, sizeof(eight), "%s", nine);
    strcpy(strstr(eight, ",{'name':'i'"), "]}}");
    expect_ok(eight, 0, &job);
    CHECK_INT_EQ(job.n_renditions, 8);
    CHECK_STR_EQ(job.renditions[7].name, "h");

    expect_error("{'video':{'renditions':[{'height':360}]}}", 0, "video.renditions[0].name",
                 "required");
    expect_error("{'video':{'renditions':[{'name':'a'}]}}", 0, "video.renditions[0].height",
                 "required");
    expect_error("{'video':{'renditions':[{'name':'','height':360}]}}", 0,
                 "video.renditions[0].name", "must be 1 to 31 characters");
    expect_error("{'video':{'renditions':[{'name':'abcdefghijabcdefghijabcdefghij12',"
                 "'height':360}]}}", 0, "video.renditions[0].name", "must be 1 to 31 characters");
    expect_ok("{'video':{'renditions':[{'name':'abcdefghijabcdefghijabcdefghij1',"
              "'height':360}]}}", 0, &job);
    expect_error("{'video':{'renditions':[{'name':'7 20p','height':360}]}}", 0,
                 "video.renditions[0].name", "letters, digits, _ and -");
    expect_error("{'video':{'renditions':[{'name':'../x','height':360}]}}", 0,
                 "video.renditions[0].name", "letters, digits, _ and -");
    expect_error("{'video':{'renditions':[{'name':'720p','height':720},{'name':'360p','height':"
                 "360},{'name':'720p','height':540}]}}", 0, "video.renditions[2].name",
                 "already used by video.renditions[0]");
    /* Names become file names: case-insensitive file systems would clash. */
    expect_error("{'video':{'renditions':[{'name':'hd','height':720},{'name':'HD','height':"
                 "360}]}}", 0, "video.renditions[1].name", "already used");
}

static void test_rate_control(void)
{
    struct mf_job job;

    expect_error("{'video':{'renditions':[{'name':'a','height':360,'crf':23,"
                 "'bitrate':'800k'}]}}", 0, "video.renditions[0].bitrate",
                 "cannot be combined with crf");
    expect_error("{'video':{'renditions':[{'name':'a','height':360,'bitrate':'2M',"
                 "'maxrate':'1M'}]}}", 0, "video.renditions[0].maxrate",
                 "must be at least the bitrate");
    expect_ok("{'video':{'renditions':[{'name':'a','height':360,'bitrate':'2M',"
              "'maxrate':'2M'}]}}", 0, &job);
    /* Capped CRF: maxrate without bitrate keeps the default crf. */
    expect_ok("{'video':{'renditions':[{'name':'a','height':360,'maxrate':'1M',"
              "'bufsize':'2M'}]}}", 0, &job);
    CHECK_DBL_EQ(job.renditions[0].crf, 23.0);
    CHECK_INT_EQ(job.renditions[0].bitrate, 0);
    CHECK_INT_EQ(job.renditions[0].maxrate, 1000000);
    CHECK_INT_EQ(job.renditions[0].bufsize, 2000000);
    expect_error("{'video':{'renditions':[{'name':'a','height':360,'bitrate':'1M',"
                 "'bufsize':'2M'}]}}", 0, "video.renditions[0].bufsize", "requires maxrate");

    static const char *const bad[] = { "800x", "", "-800k", "1.5", "k", "1.M", " 800k", "800k ",
                                       "8e5", "0x10", "800kk", "99999999999999999999" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char q[256];
        snprintf(q, sizeof(q), "{'video':{'renditions':[{'name':'a','height':360,"
                 "'bitrate':'%s'}]}}", bad[i]);
        expect_error(q, 0, "video.renditions[0].bitrate", "must be a bitrate");
    }
    expect_error("{'video':{'renditions':[{'name':'a','height':360,'maxrate':'fast'}]}}", 0,
                 "video.renditions[0].maxrate", "must be a bitrate");
    expect_error("{'audio':{'bitrate':'128 k'}," VIDEO_OK "}", 0, "audio.bitrate",
                 "must be a bitrate");
}

static void test_invalid_json(void)
{
    struct mf_job job;
    char err[MF_ERR_MAX];

    expect_error("{\n  'video': {\n    'renditions': [,]\n  }\n}", 0, "job",
                 "invalid JSON at line 3, column 20: ");
    expect_error("{'video':{}} trailing", 0, "job", "invalid JSON at line 1");
    expect_error("{'id':'a','id':'b'," VIDEO_OK "}", 0, "job", "duplicate");
    expect_error("", 0, "job", "invalid JSON");
    expect_error("[1,2]", 0, "job", "must be a JSON object");
    expect_error("42", 0, "job", "must be a JSON object");
    CHECK_INT_EQ(mf_job_parse(&job, NULL, 0, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "job: ");
    /* The length is honoured: the text past it is not read. */
    {
        const char *json = dq("{" VIDEO_OK "}garbage");
        CHECK_INT_EQ(mf_job_parse(&job, json, strlen(json) - 7, 0, err, sizeof(err)), 0);
    }
}

static void test_io(void)
{
    struct mf_job job;

    expect_error("{'output_prefix':'out/'," VIDEO_OK "}", 1, "input", "required");
    expect_error("{'input':'in.mov'," VIDEO_OK "}", 1, "output_prefix", "required");
    expect_ok("{" VIDEO_OK "}", 0, &job);
    expect_ok("{'input':'in.mov','output_prefix':'out/'," VIDEO_OK "}", 1, &job);
    expect_error("{'input':''," VIDEO_OK "}", 0, "input", "must not be empty");
    expect_error("{'input':'a','output_prefix':'a/../b/'," VIDEO_OK "}", 1, "output_prefix",
                 "must not contain \"..\" segments");
    expect_error("{'input':'a','output_prefix':'../b/'," VIDEO_OK "}", 1, "output_prefix",
                 "\"..\" segments");
    expect_error("{'input':'a','output_prefix':'b/..'," VIDEO_OK "}", 1, "output_prefix",
                 "\"..\" segments");
    expect_error("{'input':'up/../../etc/x','output_prefix':'b/'," VIDEO_OK "}", 1, "input",
                 "\"..\" segments");
    /* Dots inside a segment are just names. */
    expect_ok("{'input':'a..b/c.mov','output_prefix':'..x/y../...'," VIDEO_OK "}", 1, &job);
    CHECK_STR_EQ(job.output_prefix, "..x/y../...");
    expect_error("{'input':'a\\u0000b'," VIDEO_OK "}", 0, "input", "must not contain NUL");
    /* A NUL must not cut a value short into a valid one. */
    expect_error("{'format':'hls\\u0000x'," VIDEO_OK "}", 0, "format", "must not contain NUL");
    expect_error("{'video':{'renditions':[{'name':'a','height':360,'bitrate':'1M\\u0000x'}]}}",
                 0, "video.renditions[0].bitrate", "must be a bitrate");
    expect_error("{'output_prefix':'a\\tb'," VIDEO_OK "}", 0, "output_prefix",
                 "control characters");

    static char big[MF_KEY_MAX + 64];
    char *p = big + snprintf(big, sizeof(big), "{'input':'");
    memset(p, 'k', MF_KEY_MAX);
    snprintf(p + MF_KEY_MAX, sizeof(big) - (size_t)(p - big) - MF_KEY_MAX, "'," VIDEO_OK "}");
    expect_error(big, 0, "input", "must be shorter than 1024 bytes");
    /* 1023 bytes fit. */
    memmove(p + MF_KEY_MAX - 1, p + MF_KEY_MAX, strlen(p + MF_KEY_MAX) + 1);
    expect_ok(big, 0, &job);
    CHECK_INT_EQ(strlen(job.input), MF_KEY_MAX - 1);
}

static void test_id(void)
{
    char q[512];
    struct mf_job job;

    expect_error("{'id':''," VIDEO_OK "}", 0, "id", "must be 1 to 127 characters");
    expect_error("{'id':'a b'," VIDEO_OK "}", 0, "id", "letters, digits");
    expect_error("{'id':'a/b'," VIDEO_OK "}", 0, "id", "letters, digits");
    snprintf(q, sizeof(q), "{'id':'%0127d'," VIDEO_OK "}", 7);
    expect_ok(q, 0, &job);
    CHECK_INT_EQ(strlen(job.id), 127);
    snprintf(q, sizeof(q), "{'id':'%0128d'," VIDEO_OK "}", 7);
    expect_error(q, 0, "id", "must be 1 to 127 characters");
    expect_ok("{'id':'1700000000000-0'," VIDEO_OK "}", 0, &job);
    CHECK_STR_EQ(job.id, "1700000000000-0");
}

/* mf_job_id_of: the id a worker records an entry under (README, Redis contract). */
static void test_id_of(void)
{
    char id[128], why[128], long_id[300];
    static const char *refused[] = {
        "{\"id\":\"x:*:queue:default\"}", "{\"id\":\"\xf0\x9f\x98\x80id\"}", "{\"id\":\"a b\"}",
        "{\"id\":\"\"}", "{\"id\":5}", "{\"id\":null}",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
        CHECK_INT_EQ(mf_job_id_of(refused[i], strlen(refused[i]), "17-0", id, sizeof(id), why, sizeof(why)), 1);
        CHECK_STR_EQ(id, "17-0");
        CHECK(!strncmp(why, "id: ", 4), "%s: why %s", refused[i], why);
    }
    snprintf(long_id, sizeof(long_id), "{\"id\":\"%0200d\"}", 1);
    CHECK_INT_EQ(mf_job_id_of(long_id, strlen(long_id), "17-0", id, sizeof(id), why, sizeof(why)), 1);
    CHECK_STR_CONTAINS(why, "1 to 127");
    /* Kept, whatever else is wrong with the job. */
    const char *kept = "{\"id\":\"job-1.a_b:c\",\"format\":\"avi\",\"nope\":1}";
    CHECK_INT_EQ(mf_job_id_of(kept, strlen(kept), "17-0", id, sizeof(id), why, sizeof(why)), 0);
    CHECK_STR_EQ(id, "job-1.a_b:c");
    CHECK_STR_EQ(why, "");
    /* No id, not an object, not JSON, no job: the entry id, nothing refused. */
    static const char *none[] = { "{\"format\":\"mp4\"}", "[1,2]", "{not json", "", "{\"id\":\"a\\u0000b\"}" };
    for (size_t i = 0; i < sizeof(none) / sizeof(*none); i++) {
        CHECK_INT_EQ(mf_job_id_of(none[i], strlen(none[i]), "17-0", id, sizeof(id), why, sizeof(why)), 0);
        CHECK_STR_EQ(id, "17-0");
    }
    CHECK_INT_EQ(mf_job_id_of(NULL, 0, "17-0", id, sizeof(id), why, sizeof(why)), 0);
    CHECK_STR_EQ(id, "17-0");
    CHECK(mf_job_id_problem("ok", 2) == NULL, "a valid id refused");
}

static void test_validate(void)
{
    struct mf_job job;
    char err[MF_ERR_MAX];

    mf_job_defaults(&job);
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "video.renditions: must have between 1 and 8 entries");

    job.n_renditions = 1;
    snprintf(job.renditions[0].name, sizeof(job.renditions[0].name), "720p");
    job.renditions[0].height = 720;
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "video.renditions[0].crf: required when bitrate is not set");
    job.renditions[0].crf = 21;
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), 0);
    CHECK_STR_EQ(err, "");

    CHECK_INT_EQ(mf_job_validate(&job, 1, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "input: required");

    job.renditions[0].bitrate = 3000000;
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "video.renditions[0].bitrate: cannot be combined with crf");
    job.renditions[0].crf = -1;
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), 0);

    snprintf(job.preset, sizeof(job.preset), "turbo");
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "video.preset: must be one of");
    snprintf(job.preset, sizeof(job.preset), "medium");

    /* A buffer filled to the brim is an error, not a read past its end. */
    memset(job.backend, 'x', sizeof(job.backend));
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "video.backend: must be one of");
    snprintf(job.backend, sizeof(job.backend), "nvenc");

    job.format = 0;
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "format: must be one of");
    job.format = MF_FORMAT_BOTH;

    job.codec = MF_CODEC_HEVC;
    snprintf(job.renditions[0].profile, sizeof(job.renditions[0].profile), "high");
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "video.renditions[0].profile: must be one of main");
    snprintf(job.renditions[0].profile, sizeof(job.renditions[0].profile), "main");
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), 0);

    job.audio_channels = 0;
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "audio.channels: must be 1 or 2");
}

static void test_small_error_buffer(void)
{
    struct mf_job job;
    char err[12];
    const char *json = dq("{'video':{'renditions':[{'name':'a','heigth':360}]}}");

    memset(err, '#', sizeof(err));
    CHECK_INT_EQ(mf_job_parse(&job, json, strlen(json), 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_EQ(err, "video.rendi");
    CHECK_INT_EQ(mf_job_parse(&job, json, strlen(json), 0, NULL, 0), -EINVAL);
}

/* audio.tracks and audio.surround (issue 12): the values read, each refusal by its path. */
static void test_audio_tracks(void)
{
    struct mf_job job;

    expect_ok("{" VIDEO_OK "}", 0, &job);
    CHECK_INT_EQ(job.audio_tracks, MF_AUDIO_TRACKS_BEST);
    CHECK_INT_EQ(job.audio_surround, 0);
    expect_ok("{'audio':{'tracks':'all','surround':true}," VIDEO_OK "}", 0, &job);
    CHECK_INT_EQ(job.audio_tracks, MF_AUDIO_TRACKS_ALL);
    CHECK_INT_EQ(job.audio_surround, 1);
    expect_ok("{'audio':{'tracks':'best'}," VIDEO_OK "}", 0, &job);
    CHECK_INT_EQ(job.audio_tracks, MF_AUDIO_TRACKS_BEST);
    expect_ok("{'audio':{'tracks':['fre','en','pt-BR','zh-Hant-TW']}," VIDEO_OK "}", 0, &job);
    CHECK_INT_EQ(job.audio_tracks, MF_AUDIO_TRACKS_LANGUAGES);
    CHECK_INT_EQ(job.n_audio_languages, 4);
    CHECK_STR_EQ(job.audio_languages[0], "fre");
    CHECK_STR_EQ(job.audio_languages[2], "pt-BR");
    CHECK_STR_EQ(job.audio_languages[3], "zh-Hant-TW");
    expect_ok("{'audio':{'tracks':['aa','ab','ac','ad','ae','af','ag','ah']}," VIDEO_OK "}", 0, &job);

    expect_error("{'audio':{'tracks':'some'}," VIDEO_OK "}", 0, "audio.tracks", "must be one of best, all");
    expect_error("{'audio':{'tracks':3}," VIDEO_OK "}", 0, "audio.tracks", "an array of languages");
    expect_error("{'audio':{'tracks':[]}," VIDEO_OK "}", 0, "audio.tracks", "between 1 and 8");
    expect_error("{'audio':{'tracks':['aa','ab','ac','ad','ae','af','ag','ah','ai']}," VIDEO_OK "}", 0,
                 "audio.tracks", "between 1 and 8");
    expect_error("{'audio':{'tracks':['en',7]}," VIDEO_OK "}", 0, "audio.tracks[1]", "must be a string");
    expect_error("{'audio':{'tracks':['e']}," VIDEO_OK "}", 0, "audio.tracks[0]", "language tag");
    expect_error("{'audio':{'tracks':['english']}," VIDEO_OK "}", 0, "audio.tracks[0]", "language tag");
    expect_error("{'audio':{'tracks':['en','x-']}," VIDEO_OK "}", 0, "audio.tracks[1]", "language tag");
    expect_error("{'audio':{'tracks':['en-']}," VIDEO_OK "}", 0, "audio.tracks[0]", "language tag");
    expect_error("{'audio':{'tracks':['en--US']}," VIDEO_OK "}", 0, "audio.tracks[0]", "language tag");
    expect_error("{'audio':{'tracks':['en-toolongsubtag']}," VIDEO_OK "}", 0, "audio.tracks[0]", "language tag");
    expect_error("{'audio':{'tracks':['en','EN']}," VIDEO_OK "}", 0, "audio.tracks[1]",
                 "already listed as audio.tracks[0]");
    expect_error("{'audio':{'surround':1}," VIDEO_OK "}", 0, "audio.surround", "true or false");
    expect_error("{'audio':{'mode':'copy','surround':true}," VIDEO_OK "}", 0, "audio.surround",
                 "needs audio.mode");
    expect_error("{'audio':{'tracks':'all','surrond':true}," VIDEO_OK "}", 0, "audio.surrond",
                 "did you mean \"surround\"");

    /* A job built by hand (the CLI) is held to the same rules. */
    char err[MF_ERR_MAX];
    expect_ok("{" VIDEO_OK "}", 0, &job);
    job.audio_tracks = MF_AUDIO_TRACKS_LANGUAGES;
    job.n_audio_languages = 0;
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "audio.tracks: must list between 1 and 8 languages");
    job.n_audio_languages = 1;
    snprintf(job.audio_languages[0], sizeof(job.audio_languages[0]), "e,n");
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "audio.tracks[0]: must be a language tag");
}

/* subtitles: "all" | "none" | [languages], every refusal naming the field. */
static void test_subtitles(void)
{
    struct mf_job job;
    expect_ok("{" VIDEO_OK "}", 0, &job);
    CHECK_INT_EQ(job.subtitles, MF_SUBTITLES_ALL);
    expect_ok("{'subtitles':'none'," VIDEO_OK "}", 0, &job);
    CHECK_INT_EQ(job.subtitles, MF_SUBTITLES_NONE);
    expect_ok("{'subtitles':'all'," VIDEO_OK "}", 0, &job);
    CHECK_INT_EQ(job.subtitles, MF_SUBTITLES_ALL);
    expect_ok("{'subtitles':['en','fre','pt-BR']," VIDEO_OK "}", 0, &job);
    CHECK_INT_EQ(job.subtitles, MF_SUBTITLES_LANGS);
    CHECK_INT_EQ(job.n_subtitle_langs, 3);
    CHECK_STR_EQ(job.subtitle_langs[1], "fre");
    CHECK_STR_EQ(job.subtitle_langs[2], "pt-BR");
    expect_error("{'subtitles':'some'," VIDEO_OK "}", 0, "subtitles", "must be \"all\", \"none\" or an array");
    expect_error("{'subtitles':true," VIDEO_OK "}", 0, "subtitles", "must be \"all\", \"none\" or an array");
    expect_error("{'subtitles':[]," VIDEO_OK "}", 0, "subtitles", "between 1 and 16");
    expect_error("{'subtitles':['en','xx1']," VIDEO_OK "}", 0, "subtitles[1]", "must be a language tag");
    expect_error("{'subtitles':['und']," VIDEO_OK "}", 0, "subtitles[0]", "must be a language tag");
    expect_error("{'subtitles':['english']," VIDEO_OK "}", 0, "subtitles[0]", "must be a language tag");
    expect_error("{'subtitles':[7]," VIDEO_OK "}", 0, "subtitles[0]", "must be a string");
    expect_error("{'subtitles':['a','b','c','d','e','f','g','h','i','j','k','l','m','n','o','p','q']," VIDEO_OK "}",
                 0, "subtitles", "between 1 and 16");
    expect_error("{'subtitle':'all'," VIDEO_OK "}", 0, "subtitle", "did you mean \"subtitles\"?");
    /* Built by hand (the CLI): the same checks. */
    char err[MF_ERR_MAX];
    expect_ok("{" VIDEO_OK "}", 0, &job);
    job.subtitles = MF_SUBTITLES_LANGS;
    job.n_subtitle_langs = 1;
    snprintf(job.subtitle_langs[0], sizeof(job.subtitle_langs[0]), "e1");
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "subtitles[0]: must be a language tag");
    job.n_subtitle_langs = 0;
    CHECK_INT_EQ(mf_job_validate(&job, 0, err, sizeof(err)), -EINVAL);
    CHECK_STR_CONTAINS(err, "subtitles: must list");
}

int main(void)
{
    test_design_example();
    test_defaults();
    test_every_field_set();
    test_unknown_fields();
    test_wrong_types();
    test_ranges();
    test_choices();
    test_renditions();
    test_rate_control();
    test_invalid_json();
    test_io();
    test_id();
    test_id_of();
    test_validate();
    test_small_error_buffer();
    test_audio_tracks();
    test_subtitles();
    return UNIT_DONE();
}
