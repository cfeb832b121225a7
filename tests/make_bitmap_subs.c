/*
 * Makes a bitmap subtitle track, which the ffmpeg CLI cannot make from text:
 * DVD (VobSub) subtitles from AVSubtitle bitmaps through libavcodec's dvdsub
 * encoder, alone in a Matroska file (mux it with a video with ffmpeg -c:s copy).
 * Subtitle i is a 64x16 box shown from i s to i + 0.8 s.
 *
 *   make_bitmap_subs OUT.mkv COUNT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make_bitmap_subs OUT.mkv COUNT\n");
        return 2;
    }
    int count = atoi(argv[2]), ret;
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_DVD_SUBTITLE);
    AVFormatContext *oc = NULL;
    avformat_alloc_output_context2(&oc, NULL, "matroska", argv[1]);
    AVCodecContext *enc = codec ? avcodec_alloc_context3(codec) : NULL;
    AVStream *st = oc ? avformat_new_stream(oc, NULL) : NULL;
    AVPacket *pkt = av_packet_alloc();
    if (!enc || !st || !pkt) {
        fprintf(stderr, "make_bitmap_subs: no dvdsub encoder or out of memory\n");
        return 77;
    }
    enc->width = 320;
    enc->height = 240;
    enc->time_base = (AVRational){ 1, 1000 };
    if ((ret = avcodec_open2(enc, codec, NULL)) < 0 || (ret = avcodec_parameters_from_context(st->codecpar, enc)) < 0)
        goto fail;
    st->time_base = enc->time_base;
    av_dict_set(&st->metadata, "language", "eng", 0);
    if ((ret = avio_open(&oc->pb, argv[1], AVIO_FLAG_WRITE)) < 0 || (ret = avformat_write_header(oc, NULL)) < 0)
        goto fail;
    static uint8_t pixels[64 * 16];
    static uint32_t palette[4] = { 0x00000000, 0xffffffff, 0xff000000, 0xff808080 };
    for (int i = 0; i < 64 * 16; i++)
        pixels[i] = (uint8_t)(i % 64 < 2 || i % 64 > 61 || i < 128 || i > 64 * 14 ? 2 : 1);
    for (int i = 1; i <= count; i++) {
        AVSubtitleRect rect = { .x = 128, .y = 200, .w = 64, .h = 16, .nb_colors = 4, .type = SUBTITLE_BITMAP };
        rect.data[0] = pixels;
        rect.linesize[0] = 64;
        rect.data[1] = (uint8_t *)palette;
        rect.linesize[1] = 4 * 4;
        AVSubtitleRect *rects[1] = { &rect };
        AVSubtitle sub = { .start_display_time = 0, .end_display_time = 800, .num_rects = 1, .rects = rects,
                           .pts = (int64_t)i * AV_TIME_BASE };
        uint8_t buf[65536];
        int n = avcodec_encode_subtitle(enc, buf, sizeof(buf), &sub);
        if (n < 0) {
            ret = n;
            goto fail;
        }
        if ((ret = av_new_packet(pkt, n)) < 0)
            goto fail;
        memcpy(pkt->data, buf, n);
        pkt->pts = pkt->dts = (int64_t)i * 1000;
        pkt->duration = 800;
        pkt->stream_index = st->index;
        if ((ret = av_interleaved_write_frame(oc, pkt)) < 0)
            goto fail;
    }
    if ((ret = av_write_trailer(oc)) < 0)
        goto fail;
    avio_closep(&oc->pb);
    avformat_free_context(oc);
    avcodec_free_context(&enc);
    av_packet_free(&pkt);
    return 0;
fail:
    fprintf(stderr, "make_bitmap_subs: %s\n", av_err2str(ret));
    return 1;
}
