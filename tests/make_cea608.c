/*
 * Makes a test clip with CEA-608 captions in H.264 SEI, which the ffmpeg CLI
 * cannot make (FFmpeg 5.1 has no 608 encoder): gray 320x240 frames at 30 fps
 * through libavcodec's libx264, each carrying AV_FRAME_DATA_A53_CC side data
 * (its a53cc option writes them as ATSC A/53 user data SEI). Channel 1
 * pop-on captions: "CAP i" is built off screen before i s, shown at i s (End
 * Of Caption) and erased at i + 0.8 s.
 *
 *   make_cea608 OUT.mp4 SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>

#define FPS 30

static uint8_t parity(uint8_t b)
{
    int ones = 0;
    for (int i = 0; i < 7; i++)
        ones += (b >> i) & 1;
    return (uint8_t)((b & 0x7f) | (ones % 2 ? 0 : 0x80));   /* odd parity */
}

/* The byte pair frame n carries: a caption's commands and text in the 20
 * frames before its second, EOC on it, EDM 0.8 s later, else padding. */
static void pair_for(int n, int seconds, uint8_t out[2])
{
    out[0] = out[1] = 0x80;                                   /* null padding */
    int i = (n + 20) / FPS, k = n - (i * FPS - 20);           /* caption i, step k */
    if (i >= 1 && i < seconds && k >= 0 && k < 20) {
        char text[16];
        snprintf(text, sizeof(text), "CAP %d", i);
        size_t len = strlen(text);
        static const uint8_t cmds[][2] = { { 0x14, 0x20 }, { 0x14, 0x20 }, { 0x14, 0x2e }, { 0x14, 0x2e },
                                          { 0x14, 0x70 }, { 0x14, 0x70 } };   /* RCL, ENM, PAC row 15 */
        if (k < 6) {
            out[0] = parity(cmds[k][0]);
            out[1] = parity(cmds[k][1]);
        } else if ((size_t)(k - 6) * 2 < len) {
            size_t c = (size_t)(k - 6) * 2;
            out[0] = parity((uint8_t)text[c]);
            out[1] = parity(c + 1 < len ? (uint8_t)text[c + 1] : 0);
        }
        return;
    }
    int m = n % FPS, s = n / FPS;
    if (s >= 1 && s < seconds && (m == 0 || m == 1)) {        /* EOC, twice: shown at s */
        out[0] = parity(0x14);
        out[1] = parity(0x2f);
    } else if (s >= 1 && s < seconds && (m == 24 || m == 25)) {  /* EDM: erased at s + 0.8 */
        out[0] = parity(0x14);
        out[1] = parity(0x2c);
    }
}

static int drain(AVCodecContext *enc, AVFormatContext *oc, AVStream *st, AVPacket *pkt)
{
    int ret;
    while ((ret = avcodec_receive_packet(enc, pkt)) >= 0) {
        av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
        pkt->stream_index = st->index;
        if ((ret = av_interleaved_write_frame(oc, pkt)) < 0)
            return ret;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make_cea608 OUT.mp4 SECONDS\n");
        return 2;
    }
    int seconds = atoi(argv[2]), ret;
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec) {
        fprintf(stderr, "make_cea608: this libavcodec has no libx264 encoder\n");
        return 77;
    }
    AVFormatContext *oc = NULL;
    avformat_alloc_output_context2(&oc, NULL, "mp4", argv[1]);
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    AVStream *st = oc ? avformat_new_stream(oc, NULL) : NULL;
    AVFrame *f = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    if (!oc || !enc || !st || !f || !pkt)
        return 1;
    enc->width = 320;
    enc->height = 240;
    enc->pix_fmt = AV_PIX_FMT_YUV420P;
    enc->time_base = (AVRational){ 1, FPS };
    enc->framerate = (AVRational){ FPS, 1 };
    enc->gop_size = 2 * FPS;
    enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    av_opt_set(enc->priv_data, "preset", "ultrafast", 0);
    av_opt_set_int(enc->priv_data, "a53cc", 1, 0);
    if ((ret = avcodec_open2(enc, codec, NULL)) < 0 || (ret = avcodec_parameters_from_context(st->codecpar, enc)) < 0)
        goto fail;
    st->time_base = enc->time_base;
    if ((ret = avio_open(&oc->pb, argv[1], AVIO_FLAG_WRITE)) < 0 || (ret = avformat_write_header(oc, NULL)) < 0)
        goto fail;
    for (int n = 0; n < seconds * FPS; n++) {
        f->format = enc->pix_fmt;    /* av_frame_unref cleared them */
        f->width = enc->width;
        f->height = enc->height;
        if ((ret = av_frame_get_buffer(f, 0)) < 0)
            goto fail;
        for (int p = 0; p < 3; p++)
            memset(f->data[p], p ? 128 : 16 + (n * 4) % 200, (size_t)f->linesize[p] * (p ? f->height / 2 : f->height));
        f->pts = n;
        AVFrameSideData *sd = av_frame_new_side_data(f, AV_FRAME_DATA_A53_CC, 3);
        if (!sd) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        sd->data[0] = 0xfc;      /* cc_valid, NTSC field 1 (CEA-608 channel 1) */
        pair_for(n, seconds, sd->data + 1);
        if ((ret = avcodec_send_frame(enc, f)) < 0 || (ret = drain(enc, oc, st, pkt)) < 0)
            goto fail;
        av_frame_unref(f);
    }
    if ((ret = avcodec_send_frame(enc, NULL)) < 0 || (ret = drain(enc, oc, st, pkt)) < 0 ||
        (ret = av_write_trailer(oc)) < 0)
        goto fail;
    avio_closep(&oc->pb);
    avformat_free_context(oc);
    avcodec_free_context(&enc);
    av_frame_free(&f);
    av_packet_free(&pkt);
    return 0;
fail:
    fprintf(stderr, "make_cea608: %s\n", av_err2str(ret));
    return 1;
}
