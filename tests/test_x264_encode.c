/*
 * Unit test: the x264 backend through the vtable. Encodes synthetic frames
 * with forced IDRs and checks what the muxer will rely on: one packet per
 * frame, key packets exactly at the forced frames, Annex B extradata with
 * SPS/PPS, timestamps, and the send/receive state machine.
 *
 * MF_X264_DUMP=file.h264 writes the stream for a look with ffprobe.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>
#include <libavutil/log.h>

#include "mpegflow/encoder.h"
#include "unit.h"

#define N_FRAMES 75
#define GOP 25

static const struct mf_encoder_backend *x264;

static struct mf_encoder_config base(void)
{
    return (struct mf_encoder_config){
        .codec = MF_CODEC_H264,
        .width = 320, .height = 240,
        .pix_fmt = AV_PIX_FMT_YUV420P,
        .time_base = { 1, 25 },
        .frame_rate = { 25, 1 },
        .preset = "fast",           /* B-frames and a lookahead: reordering */
        .crf = 28,
        .gop_frames = GOP,
        .threads = 2,
        .global_header = 1,
        .color_primaries = AVCOL_PRI_BT709,
        .color_trc = AVCOL_TRC_BT709,
        .colorspace = AVCOL_SPC_BT709,
        .color_range = AVCOL_RANGE_MPEG,
    };
}

static AVFrame *new_frame(int w, int h, enum AVPixelFormat fmt)
{
    AVFrame *f = av_frame_alloc();

    if (!f)
        abort();
    f->width = w;
    f->height = h;
    f->format = fmt;
    if (av_frame_get_buffer(f, 0) < 0)
        abort();
    return f;
}

/* A diagonal gradient moving 3 px per frame, plus a moving square. */
static void paint(AVFrame *f, int i)
{
    if (av_frame_make_writable(f) < 0)
        abort();
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++) {
            int in_sq = x >= 2 * i % f->width && x < 2 * i % f->width + 40 && y >= 100 && y < 140;
            f->data[0][y * f->linesize[0] + x] = (uint8_t)(in_sq ? 235 : x + y + 3 * i);
        }
    for (int y = 0; y < f->height / 2; y++)
        for (int x = 0; x < f->width / 2; x++) {
            f->data[1][y * f->linesize[1] + x] = (uint8_t)(128 + (x - i) / 4);
            f->data[2][y * f->linesize[2] + x] = (uint8_t)(128 + (y + i) / 4);
        }
    f->pts = i;
    f->pict_type = i % GOP == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
}

/* Bit mask of the NAL unit types in an Annex B buffer. */
static unsigned nal_types(const uint8_t *b, int size)
{
    unsigned mask = 0;

    for (int i = 0; i + 3 < size; i++)
        if (b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1) {
            mask |= 1u << (b[i + 3] & 0x1f);
            i += 3;
        }
    return mask;
}

struct tally {
    int packets, keys_ok, eagain_sends;
    int seen[N_FRAMES];
    int64_t last_dts;
    FILE *dump;
};

static void record(struct tally *t, const AVPacket *pkt)
{
    unsigned types = nal_types(pkt->data, pkt->size);
    int key = !!(pkt->flags & AV_PKT_FLAG_KEY);

    CHECK(pkt->pts >= 0 && pkt->pts < N_FRAMES);
    if (pkt->pts < 0 || pkt->pts >= N_FRAMES)
        return;
    t->seen[pkt->pts]++;
    /* key exactly at the forced frames, and key means an IDR slice */
    CHECK(key == (pkt->pts % GOP == 0));
    CHECK(key == !!(types & (1u << 5)));
    if (t->packets == 0)
        CHECK(types & (1u << 6));   /* x264's SEI moved out of the extradata */
    if (t->packets > 0)
        CHECK(pkt->dts > t->last_dts);
    CHECK(pkt->dts <= pkt->pts);
    CHECK(pkt->time_base.num == 1 && pkt->time_base.den == 25);
    t->last_dts = pkt->dts;
    if (getenv("MF_X264_VERBOSE"))
        fprintf(stderr, "pts %3lld dts %3lld%s\n", (long long)pkt->pts, (long long)pkt->dts,
                key ? " key" : "");
    t->packets++;
    if (t->dump)
        fwrite(pkt->data, 1, (size_t)pkt->size, t->dump);
}

static void check_par(const struct mf_encoder *enc)
{
    const AVCodecParameters *par = enc->par;
    const uint8_t *x = par->extradata;
    unsigned types = nal_types(x, par->extradata_size);

    CHECK(par->codec_type == AVMEDIA_TYPE_VIDEO && par->codec_id == AV_CODEC_ID_H264);
    CHECK(par->width == 320 && par->height == 240 && par->format == AV_PIX_FMT_YUV420P);
    CHECK(par->profile == FF_PROFILE_H264_HIGH);
    CHECK(par->level > 0);
    CHECK(par->color_primaries == AVCOL_PRI_BT709 && par->color_space == AVCOL_SPC_BT709);
    CHECK(par->sample_aspect_ratio.num == 1 && par->sample_aspect_ratio.den == 1);
    CHECK(enc->time_base.num == 1 && enc->time_base.den == 25);
    CHECK(par->extradata_size > 8);
    if (par->extradata_size <= 8)
        return;
    CHECK(!memcmp(x, "\0\0\0\1", 4) || !memcmp(x, "\0\0\1", 3));
    CHECK(types & (1u << 7));
    CHECK(types & (1u << 8));
    CHECK(!(types & (1u << 6)));
}

static void test_encode(void)
{
    struct mf_encoder_config cfg = base();
    struct mf_encoder *enc = NULL;
    struct tally t = { 0 };
    AVFrame *f = new_frame(320, 240, AV_PIX_FMT_YUV420P);
    AVPacket *pkt = av_packet_alloc();
    const char *dump = getenv("MF_X264_DUMP");
    int ret, keys = 0;

    CHECK(mf_encoder_open(x264, &enc, &cfg, NULL, 0) == 0);
    if (!enc)
        goto done;
    check_par(enc);
    if (dump && (t.dump = fopen(dump, "wb")))
        fwrite(enc->par->extradata, 1, (size_t)enc->par->extradata_size, t.dump);

    for (int i = 0; i < N_FRAMES; i++) {
        paint(f, i);
        ret = x264->send_frame(enc, f);
        if (ret == AVERROR(EAGAIN)) {   /* a packet is pending: take it first */
            t.eagain_sends++;
            CHECK(x264->receive_packet(enc, pkt) == 0);
            record(&t, pkt);
            ret = x264->send_frame(enc, f);
        }
        CHECK(ret == 0);
        if (i == 0)     /* the lookahead holds the first frame back */
            CHECK(x264->receive_packet(enc, pkt) == AVERROR(EAGAIN));
    }
    CHECK(t.eagain_sends > 0);

    CHECK(x264->send_frame(enc, NULL) == 0);
    while ((ret = x264->receive_packet(enc, pkt)) == 0)
        record(&t, pkt);
    CHECK(ret == AVERROR_EOF);
    CHECK(x264->receive_packet(enc, pkt) == AVERROR_EOF);
    CHECK(x264->send_frame(enc, f) == AVERROR_EOF);

    CHECK(t.packets == N_FRAMES);
    for (int i = 0; i < N_FRAMES; i++) {
        CHECK(t.seen[i] == 1);
        keys += i % GOP == 0;
    }
    CHECK(keys == 3);
done:
    if (t.dump)
        fclose(t.dump);
    x264->close(&enc);
    CHECK(enc == NULL);
    av_packet_free(&pkt);
    av_frame_free(&f);
}

/* Without global headers SPS/PPS travel in-band and extradata stays empty. */
static void test_inband_headers(void)
{
    struct mf_encoder_config cfg = base();
    struct mf_encoder *enc = NULL;
    AVFrame *f = new_frame(320, 240, AV_PIX_FMT_YUV420P);
    AVPacket *pkt = av_packet_alloc();
    int n = 0, ret;

    cfg.global_header = 0;
    cfg.preset = "ultrafast";   /* no B-frames: dts == pts */
    cfg.threads = 1;
    CHECK(mf_encoder_open(x264, &enc, &cfg, NULL, 0) == 0);
    if (!enc)
        goto done;
    CHECK(enc->par->extradata_size == 0);
    CHECK(enc->par->profile == FF_PROFILE_H264_CONSTRAINED_BASELINE);
    for (int i = 0; i < 5; i++) {
        paint(f, i);
        CHECK(x264->send_frame(enc, f) == 0);
        while (x264->receive_packet(enc, pkt) == 0) {
            unsigned types = nal_types(pkt->data, pkt->size);
            CHECK(pkt->dts == pkt->pts);
            if (n++ == 0)
                CHECK((types & (1u << 7)) && (types & (1u << 8)) && (types & (1u << 5)) &&
                      (types & (1u << 6)));
        }
    }
    CHECK(x264->send_frame(enc, NULL) == 0);
    while ((ret = x264->receive_packet(enc, pkt)) == 0)
        n++;
    CHECK(ret == AVERROR_EOF);
    CHECK(n == 5);
done:
    x264->close(&enc);
    av_packet_free(&pkt);
    av_frame_free(&f);
}

/* Profile and level the job asks for reach the SPS, hence par. */
static void test_profile_level(void)
{
    struct mf_encoder_config cfg = base();
    struct mf_encoder *enc = NULL;

    cfg.crf = -1;
    cfg.bitrate = 800000;
    cfg.maxrate = 1000000;
    cfg.profile = "main";
    cfg.level = "3.0";
    CHECK(mf_encoder_open(x264, &enc, &cfg, NULL, 0) == 0);
    if (enc) {
        CHECK(enc->par->profile == FF_PROFILE_H264_MAIN);
        CHECK(enc->par->level == 30);
        CHECK(enc->par->bit_rate == 800000);
    }
    x264->close(&enc);
}

static void test_rejects(void)
{
    struct mf_encoder_config cfg = base();
    struct mf_encoder *enc = (struct mf_encoder *)&cfg;  /* open must reset it */
    AVFrame *big = new_frame(352, 288, AV_PIX_FMT_YUV420P);
    AVFrame *f444 = new_frame(320, 240, AV_PIX_FMT_YUV444P);
    AVFrame *ok = new_frame(320, 240, AV_PIX_FMT_YUV420P);

    cfg.preset = "warpspeed";
    CHECK(mf_encoder_open(x264, &enc, &cfg, NULL, 0) == AVERROR(EINVAL));
    CHECK(enc == NULL);
    x264->close(&enc);          /* after a failed open: a no-op */
    x264->close(NULL);

    cfg = base();
    CHECK(mf_encoder_open(x264, &enc, &cfg, NULL, 0) == 0);
    if (!enc)
        goto done;
    paint(big, 0);
    paint(f444, 0);
    paint(ok, 0);
    CHECK(x264->send_frame(enc, big) == AVERROR(EINVAL));
    CHECK(x264->send_frame(enc, f444) == AVERROR(EINVAL));
    ok->pts = AV_NOPTS_VALUE;
    CHECK(x264->send_frame(enc, ok) == AVERROR(EINVAL));
    ok->pts = 0;
    CHECK(x264->send_frame(enc, ok) == 0);
done:
    x264->close(&enc);          /* with a frame still in the lookahead */
    av_frame_free(&big);
    av_frame_free(&f444);
    av_frame_free(&ok);
}

int main(void)
{
    char why[256] = "";

    if (!getenv("MF_X264_VERBOSE"))
        av_log_set_level(AV_LOG_QUIET); /* the rejections log on purpose */
    x264 = mf_encoder_backend_find("x264");
    CHECK(x264 != NULL);
    if (!x264)
        return 1;
    CHECK(x264->probe(&(struct mf_encoder_probe){ .codec = -1, .device = -1 }, why, sizeof(why)) == 0);
    test_encode();
    test_inband_headers();
    test_profile_level();
    test_rejects();
    return UNIT_DONE();
}
