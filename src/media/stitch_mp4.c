#include "stitch_mp4.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#include "common/util.h"

#define PATH_LEN 4096

/* init.mp4 and the playlist's segments, end to end, into one fragmented
 * file the mov demuxer reads with each fragment's tfdt. */
static int concat_fragments(const char *dir, const char *out, char *err, size_t err_len)
{
    char path[PATH_LEN], line[2048];
    snprintf(path, sizeof(path), "%s/index.m3u8", dir);
    FILE *pl = fopen(path, "r");
    FILE *o = pl ? fopen(out, "wb") : NULL;
    if (!o) {
        mf_errf(err, err_len, "%s: %s", pl ? out : path, strerror(errno));
        if (pl)
            fclose(pl);
        return AVERROR(errno);
    }
    int ret = 0, first = 1;
    while (ret == 0) {
        const char *name;
        if (first) {
            name = "init.mp4";
            first = 0;
        } else {
            if (!fgets(line, sizeof(line), pl))
                break;
            line[strcspn(line, "\r\n")] = '\0';
            if (!line[0] || line[0] == '#')
                continue;
            name = line;
        }
        if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
            ret = AVERROR(ENAMETOOLONG);
            break;
        }
        FILE *in = fopen(path, "rb");
        if (!in) {
            mf_errf(err, err_len, "%s: %s", path, strerror(errno));
            ret = AVERROR(errno);
            break;
        }
        char buf[1 << 16];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
            if (fwrite(buf, 1, n, o) != n)
                ret = AVERROR(EIO);
        fclose(in);
    }
    fclose(pl);
    if (fclose(o) && ret == 0)
        ret = AVERROR(errno);
    if (ret < 0 && !err[0])
        mf_errf(err, err_len, "%s: cannot write: %s", out, av_err2str(ret));
    return ret;
}

static int open_in(AVFormatContext **fmt, const char *path, char *err, size_t err_len)
{
    int ret = avformat_open_input(fmt, path, NULL, NULL);
    if (ret >= 0)
        ret = avformat_find_stream_info(*fmt, NULL);
    if (ret < 0)
        mf_errf(err, err_len, "%s: cannot read: %s", path, av_err2str(ret));
    return ret;
}

int mf_stitch_mp4(const char *hls_dir, const char *audio_mp4, const char *mp4_path, char *err, size_t err_len)
{
    char cat[PATH_LEN];
    AVFormatContext *in[2] = { NULL, NULL }, *oc = NULL;
    AVPacket *pkt[2] = { av_packet_alloc(), av_packet_alloc() };
    AVDictionary *opts = NULL;
    int have[2] = { 0, 0 }, n_in = audio_mp4 ? 2 : 1;
    err[0] = '\0';
    snprintf(cat, sizeof(cat), "%s/.fragments.mp4", hls_dir);
    int ret = pkt[0] && pkt[1] ? 0 : AVERROR(ENOMEM);
    if (ret >= 0)
        ret = concat_fragments(hls_dir, cat, err, err_len);
    if (ret >= 0)
        ret = open_in(&in[0], cat, err, err_len);
    if (ret >= 0 && audio_mp4)
        ret = open_in(&in[1], audio_mp4, err, err_len);
    if (ret >= 0)
        ret = avformat_alloc_output_context2(&oc, NULL, "mp4", mp4_path);
    /* Output streams: the video, then every audio track of audio_mp4 in its order. */
    if (ret >= 0 && in[0]->nb_streams != 1) {
        mf_errf(err, err_len, "%s: %u streams, expected one", in[0]->url, in[0]->nb_streams);
        ret = AVERROR_INVALIDDATA;
    }
    for (unsigned k = 0; ret >= 0 && k < 1 + (in[1] ? in[1]->nb_streams : 0); k++) {
        const AVStream *is = k == 0 ? in[0]->streams[0] : in[1]->streams[k - 1];
        AVStream *st = avformat_new_stream(oc, NULL);
        if (!st || (ret = avcodec_parameters_copy(st->codecpar, is->codecpar)) < 0) {
            ret = st ? ret : AVERROR(ENOMEM);
            break;
        }
        /* As mux.c: HEVC as hvc1, other tags the muxer's default. */
        st->codecpar->codec_tag = is->codecpar->codec_id == AV_CODEC_ID_HEVC ? MKTAG('h', 'v', 'c', '1') : 0;
        st->time_base = is->time_base;
        st->avg_frame_rate = is->avg_frame_rate;
        st->disposition = is->disposition;
        av_dict_copy(&st->metadata, is->metadata, 0);   /* language */
    }
    if (ret >= 0 && (ret = avio_open(&oc->pb, mp4_path, AVIO_FLAG_WRITE)) >= 0) {
        av_dict_set(&opts, "movflags", "+faststart", 0);
        ret = avformat_write_header(oc, &opts);
    }
    /* Merge the inputs by time, so audio and video are interleaved as in
     * the unsplit MP4. */
    while (ret >= 0) {
        for (int i = 0; i < n_in && ret >= 0; i++)
            if (have[i] == 0) {
                int r = av_read_frame(in[i], pkt[i]);
                have[i] = r >= 0 ? 1 : -1;
                if (r < 0 && r != AVERROR_EOF)
                    ret = r;
                if (r < 0)
                    continue;
                /* FFmpeg's fMP4 reader adds the largest negative composition
                 * offset to every time (the fragments present the first
                 * picture at 0, the output timeline's origin): take it off
                 * again, as the unsplit MP4 has the first picture at 0 and
                 * the B-frame delay in its DTS. */
                const AVStream *is = in[i]->streams[0];
                if (i == 0 && is->start_time != AV_NOPTS_VALUE) {
                    if (pkt[i]->pts != AV_NOPTS_VALUE)
                        pkt[i]->pts -= is->start_time;
                    if (pkt[i]->dts != AV_NOPTS_VALUE)
                        pkt[i]->dts -= is->start_time;
                }
            }
        int pick = -1;
        for (int i = 0; i < n_in; i++)
            if (have[i] > 0 && (pick < 0 || av_compare_ts(pkt[i]->dts, in[i]->streams[pkt[i]->stream_index]->time_base,
                                                         pkt[pick]->dts,
                                                         in[pick]->streams[pkt[pick]->stream_index]->time_base) < 0))
                pick = i;
        if (ret < 0 || pick < 0)
            break;
        int out_index = pick == 0 ? 0 : 1 + pkt[pick]->stream_index;
        av_packet_rescale_ts(pkt[pick], in[pick]->streams[pkt[pick]->stream_index]->time_base,
                             oc->streams[out_index]->time_base);
        pkt[pick]->stream_index = out_index;
        pkt[pick]->pos = -1;
        ret = av_write_frame(oc, pkt[pick]);
        av_packet_unref(pkt[pick]);
        have[pick] = 0;
    }
    if (ret >= 0)
        ret = av_write_trailer(oc);
    if (ret < 0 && !err[0])
        mf_errf(err, err_len, "%s: cannot stitch the MP4: %s", mp4_path, av_err2str(ret));
    av_dict_free(&opts);
    for (int i = 0; i < 2; i++) {
        av_packet_free(&pkt[i]);
        avformat_close_input(&in[i]);
    }
    if (oc) {
        if (oc->pb)
            avio_closep(&oc->pb);
        avformat_free_context(oc);
    }
    unlink(cat);
    if (ret < 0)
        unlink(mp4_path);
    return ret;
}
