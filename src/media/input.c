#include "input.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/display.h>
#include <libavutil/opt.h>

#include "avlog.h"
#include "common/util.h"

/* Demuxers whose job is to open other files or URLs. The io_open refusal
 * below already stops them; naming them gives the user a clear reason. */
static const char *const refused_formats[] = {
    "hls", "dash", "concat", "ffconcat", "image2", "tee", "imf", NULL,
};

static int interrupt_cb(void *opaque)
{
    struct mf_input *in = opaque;
    return in->cancel && atomic_load(in->cancel);
}

/* Every open after the main file is refused: no segment, reference or URL
 * from inside hostile media ever reaches a protocol. */
static int refuse_nested_open(struct AVFormatContext *s, AVIOContext **pb, const char *url,
                              int flags, AVDictionary **options)
{
    (void)pb; (void)flags; (void)options;
    av_log(s, AV_LOG_ERROR, "refused nested open of '%s'\n", url);
    return AVERROR(EPERM);
}

static int display_rotation(const AVStream *st)
{
    const int32_t *matrix = (const int32_t *)av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!matrix)
        return 0;
    double theta = -round(av_display_rotation_get(matrix));
    if (isnan(theta))
        return 0;
    theta -= 360 * floor(theta / 360 + 0.9 / 360);
    int r = (int)lround(theta / 90.0) * 90 % 360;
    return r < 0 ? r + 360 : r;
}

static int open_decoder(AVCodecContext **out, const AVStream *st, int64_t max_pixels,
                        mf_decoder_setup_fn setup, void *opaque,
                        const char *path, char *err, size_t err_len)
{
    const AVCodec *dec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!dec) {
        mf_errf(err, err_len, "%s: no decoder for %s stream %d (codec '%s')", path,
                av_get_media_type_string(st->codecpar->codec_type), st->index,
                avcodec_get_name(st->codecpar->codec_id));
        return AVERROR_DECODER_NOT_FOUND;
    }
    AVCodecContext *c = avcodec_alloc_context3(dec);
    if (!c)
        return AVERROR(ENOMEM);
    int ret = avcodec_parameters_to_context(c, st->codecpar);
    if (ret < 0)
        goto fail;
    c->pkt_timebase = st->time_base;
    c->thread_count = 0;    /* one per core */
    c->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    if (max_pixels > 0)
        av_opt_set_int(c, "max_pixels", max_pixels, 0);
    if (setup && (ret = setup(c, opaque)) < 0)
        goto fail;
    ret = avcodec_open2(c, dec, NULL);
    if (ret < 0)
        goto fail;
    *out = c;
    return 0;
fail:
    mf_errf(err, err_len, "%s: cannot open the %s decoder: %s", path, dec->name, av_err2str(ret));
    avcodec_free_context(&c);
    return ret;
}

static int check_video_stream(struct mf_input *in, const struct mf_input_limits *lim,
                              const char *path, char *err, size_t err_len)
{
    const AVCodecParameters *par = in->fmt->streams[in->video_index]->codecpar;
    unsigned w, h;
    /* The size only the decoder knew, refused by the limit while probing. */
    if ((par->width <= 0 || par->height <= 0) && lim->max_pixels > 0 &&
        sscanf(in->probe_error, "Picture size %ux%u exceeds", &w, &h) == 2) {
        mf_errf(err, err_len, "%s: %ux%u is larger than MPEGFLOW_MAX_PIXELS (%" PRId64 " pixels)",
                path, w, h, lim->max_pixels);
        return AVERROR(EINVAL);
    }
    if (par->width <= 0 || par->height <= 0) {
        mf_errf(err, err_len, "%s: the video stream has no picture size (corrupt or truncated file)", path);
        return AVERROR_INVALIDDATA;
    }
    if (lim->max_pixels > 0 && (int64_t)par->width * par->height > lim->max_pixels) {
        mf_errf(err, err_len, "%s: %dx%d is larger than MPEGFLOW_MAX_PIXELS (%" PRId64 " pixels)",
                path, par->width, par->height, lim->max_pixels);
        return AVERROR(EINVAL);
    }
    if (lim->max_duration > 0 && in->duration > lim->max_duration) {
        mf_errf(err, err_len, "%s: duration %.1f s is longer than MPEGFLOW_MAX_DURATION (%.0f s)",
                path, in->duration, lim->max_duration);
        return AVERROR(EINVAL);
    }
    return 0;
}

static const char *file_kind(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO" : S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a plain file";
}

/* avformat_find_stream_info decodes frames of streams whose size the
 * container does not declare (a PNG, raw H.264): each of its decoders gets
 * the pixel limit, which libavcodec checks before it allocates a picture
 * (av_image_check_size2 in ff_set_dimensions/ff_get_buffer). A 16000x16000
 * 16-bit PNG is then refused at its header, not after a 2 GB frame. */
static int find_stream_info(AVFormatContext *fmt, int64_t max_pixels)
{
    AVDictionary **opts = NULL;
    unsigned n = fmt->nb_streams;
    if (max_pixels > 0 && n > 0) {
        opts = av_calloc(n, sizeof(*opts));
        if (!opts)
            return AVERROR(ENOMEM);
        for (unsigned i = 0; i < n; i++)
            av_dict_set_int(&opts[i], "max_pixels", max_pixels, 0);
    }
    int ret = avformat_find_stream_info(fmt, opts);
    for (unsigned i = 0; opts && i < n; i++)
        av_dict_free(&opts[i]);
    av_free(opts);
    return ret;
}

static int open_container(struct mf_input *in, const char *path, int64_t max_pixels,
                          char *err, size_t err_len)
{
    AVDictionary *opts = NULL;
    /* Opening a FIFO blocks until a writer comes, a device may never end:
     * only regular files are media here. stat() itself never blocks. */
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        mf_errf(err, err_len, "%s: not a regular file (%s)", path, file_kind(sb.st_mode));
        return AVERROR(EINVAL);
    }
    av_dict_set(&opts, "protocol_whitelist", "file", 0);
    AVIOInterruptCB icb = { interrupt_cb, in };
    int ret = avio_open2(&in->pb, path, AVIO_FLAG_READ, &icb, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        mf_errf(err, err_len, "%s: cannot open: %s", path, av_err2str(ret));
        return ret;
    }
    if (avio_size(in->pb) == 0) {
        mf_errf(err, err_len, "%s: the file is empty", path);
        return AVERROR_INVALIDDATA;
    }
    const AVInputFormat *ifmt = NULL;
    ret = av_probe_input_buffer2(in->pb, &ifmt, path, NULL, 0, 0);
    if (ret < 0) {
        mf_errf(err, err_len, "%s: not a media file FFmpeg recognises (%s)", path, av_err2str(ret));
        return AVERROR_INVALIDDATA;
    }
    for (const char *const *f = refused_formats; *f; f++) {
        if (!strcmp(ifmt->name, *f)) {
            mf_errf(err, err_len, "%s: %s input refused: playlists and formats that open other files are not accepted",
                    path, ifmt->name);
            return AVERROR(EPERM);
        }
    }
    in->fmt = avformat_alloc_context();
    if (!in->fmt)
        return AVERROR(ENOMEM);
    in->fmt->pb = in->pb;
    in->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    in->fmt->interrupt_callback = icb;
    in->fmt->io_open = refuse_nested_open;
    in->fmt->protocol_whitelist = av_strdup("file");
    mf_avlog_take();
    ret = avformat_open_input(&in->fmt, path, ifmt, NULL);
    if (ret < 0) {
        const char *why = mf_avlog_take();
        mf_errf(err, err_len, "%s: cannot read the %s container: %s%s%s%s", path, ifmt->name,
                av_err2str(ret), *why ? " (" : "", why, *why ? ")" : "");
        return ret;
    }
    ret = find_stream_info(in->fmt, max_pixels);
    snprintf(in->probe_error, sizeof(in->probe_error), "%s", mf_avlog_take());
    if (ret < 0) {
        const char *why = in->probe_error;
        mf_errf(err, err_len, "%s: cannot read stream information: %s%s%s%s", path, av_err2str(ret),
                *why ? " (" : "", why, *why ? ")" : "");
        return ret;
    }
    return 0;
}

int mf_input_open(struct mf_input *in, const char *path, const struct mf_input_limits *lim,
                  int want_audio, char *err, size_t err_len)
{
    *in = (struct mf_input){ .video_index = -1, .audio_index = -1, .cancel = lim->cancel };
    int ret = open_container(in, path, lim->max_pixels, err, err_len);
    if (ret < 0)
        return ret;

    ret = av_find_best_stream(in->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (ret < 0 || (in->fmt->streams[ret]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
        mf_errf(err, err_len, "%s: no video stream to encode (the file has %u stream(s): %s)", path,
                in->fmt->nb_streams, in->fmt->nb_streams ? "audio, subtitles or data only" : "none");
        return AVERROR_STREAM_NOT_FOUND;
    }
    in->video_index = ret;
    AVStream *vst = in->fmt->streams[in->video_index];
    if (want_audio) {
        ret = av_find_best_stream(in->fmt, AVMEDIA_TYPE_AUDIO, -1, in->video_index, NULL, 0);
        in->audio_index = ret >= 0 ? ret : -1;
    }
    for (unsigned i = 0; i < in->fmt->nb_streams; i++)
        if ((int)i != in->video_index && (int)i != in->audio_index)
            in->fmt->streams[i]->discard = AVDISCARD_ALL;

    in->frame_rate = av_guess_frame_rate(in->fmt, vst, NULL);
    if (in->frame_rate.num <= 0 || in->frame_rate.den <= 0 || av_q2d(in->frame_rate) > 1000)
        in->frame_rate = (AVRational){ 25, 1 };
    if (in->fmt->duration != AV_NOPTS_VALUE && in->fmt->duration > 0)
        in->duration = in->fmt->duration / (double)AV_TIME_BASE;
    in->rotation = display_rotation(vst);

    ret = check_video_stream(in, lim, path, err, err_len);
    if (ret < 0)
        return ret;
    ret = open_decoder(&in->vdec, vst, lim->max_pixels, NULL, NULL, path, err, err_len);
    if (ret < 0)
        return ret;
    if (want_audio == 1 && in->audio_index >= 0) {
        ret = open_decoder(&in->adec, in->fmt->streams[in->audio_index], 0, NULL, NULL, path, err, err_len);
        if (ret < 0)
            return ret;
    }
    return 0;
}

int mf_input_reopen_video(struct mf_input *in, const char *path, int64_t max_pixels,
                          mf_decoder_setup_fn setup, void *opaque, char *err, size_t err_len)
{
    avcodec_free_context(&in->vdec);
    return open_decoder(&in->vdec, in->fmt->streams[in->video_index], max_pixels, setup, opaque,
                        path, err, err_len);
}

int mf_input_add_audio(struct mf_input *in, int stream, int decode, AVCodecContext **dec,
                       char *err, size_t err_len)
{
    AVStream *st = in->fmt->streams[stream];
    *dec = NULL;
    st->discard = AVDISCARD_DEFAULT;
    if (!decode)
        return 0;
    if (stream == in->audio_index && in->adec) {
        *dec = in->adec;
        return 0;
    }
    int max = (int)(sizeof(in->more_adec) / sizeof(in->more_adec[0]));
    if (in->n_more_adec == max) {
        mf_errf(err, err_len, "%s: more than %d audio decoders", in->fmt->url, max);
        return AVERROR(EINVAL);
    }
    int ret = open_decoder(&in->more_adec[in->n_more_adec], st, 0, NULL, NULL, in->fmt->url, err, err_len);
    if (ret < 0)
        return ret;
    *dec = in->more_adec[in->n_more_adec++];
    return 0;
}

void mf_input_close(struct mf_input *in)
{
    for (int i = 0; i < in->n_more_adec; i++)
        avcodec_free_context(&in->more_adec[i]);
    avcodec_free_context(&in->vdec);
    avcodec_free_context(&in->adec);
    avformat_close_input(&in->fmt);
    /* Custom I/O: the format context leaves our AVIOContext to us. */
    avio_closep(&in->pb);
}
