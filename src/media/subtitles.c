#include "subtitles.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/opt.h>

#include "common/fs.h"
#include "common/language.h"
#include "common/util.h"

#define CUE_BUF 16384

static void skip(struct mf_result *r, int stream, const char *lang, const char *codec, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void skip(struct mf_result *r, int stream, const char *lang, const char *codec, const char *fmt, ...)
{
    r->text_skipped_total++;
    if (r->n_text_skipped >= MF_MAX_TEXT_SKIPPED)
        return;
    struct mf_text_skipped *s = &r->text_skipped[r->n_text_skipped++];
    s->stream = stream;
    snprintf(s->language, sizeof(s->language), "%s", lang);
    snprintf(s->codec, sizeof(s->codec), "%s", codec);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
    va_end(ap);
}

/* HLS NAME is a quoted-string: no '"', CR or LF; cut at a UTF-8 boundary. */
static void set_label(char *dst, size_t len, const char *src)
{
    size_t o = 0;
    for (const char *p = src; *p && o + 1 < len; p++)
        dst[o++] = *p == '"' ? '\'' : (unsigned char)*p < 0x20 ? ' ' : *p;
    while (o > 0 && ((unsigned char)dst[o] & 0xC0) == 0x80 && src[o])
        o--;
    dst[o] = '\0';
}

static int label_used(const struct mf_result *r, const char *label)
{
    for (int i = 0; i < r->n_text_tracks; i++)
        if (!strcmp(r->text_tracks[i].label, label))
            return 1;
    return 0;
}

/* The ASS events text decoders give, as WebVTT cue text. */
static int open_codecs(struct mf_subtitle_stream *st, enum AVCodecID id, const AVCodecParameters *par,
                       AVRational tb)
{
    const AVCodec *dec = avcodec_find_decoder(id), *enc = avcodec_find_encoder(AV_CODEC_ID_WEBVTT);
    if (!dec || !enc)
        return AVERROR_DECODER_NOT_FOUND;
    if (!(st->dec = avcodec_alloc_context3(dec)) || !(st->enc = avcodec_alloc_context3(enc)))
        return AVERROR(ENOMEM);
    int ret = par ? avcodec_parameters_to_context(st->dec, par) : 0;
    if (ret < 0)
        return ret;
    st->dec->pkt_timebase = tb;
    if ((ret = avcodec_open2(st->dec, dec, NULL)) < 0)
        return ret;
    st->enc->time_base = (AVRational){ 1, 1000 };
    if (st->dec->subtitle_header) {
        st->enc->subtitle_header = av_mallocz(st->dec->subtitle_header_size + 1);
        if (!st->enc->subtitle_header)
            return AVERROR(ENOMEM);
        memcpy(st->enc->subtitle_header, st->dec->subtitle_header, st->dec->subtitle_header_size);
        st->enc->subtitle_header_size = st->dec->subtitle_header_size;
    }
    return avcodec_open2(st->enc, enc, NULL);
}

static void free_stream(struct mf_subtitle_stream *st)
{
    avcodec_free_context(&st->dec);
    avcodec_free_context(&st->enc);
    mf_vtt_free(&st->vtt);
}

/* A kept track's slot in the result: name, language, label, kind. */
static struct mf_text_track *add_track(struct mf_subtitles *ss, int stream, const char *lang,
                                       const char *title, const char *codec, int disposition, int captions)
{
    struct mf_result *r = ss->result;
    struct mf_text_track *t = &r->text_tracks[r->n_text_tracks];
    memset(t, 0, sizeof(*t));
    t->stream = stream;
    snprintf(t->language, sizeof(t->language), "%s", lang);
    snprintf(t->name, sizeof(t->name), "sub%d-%.16s", r->n_text_tracks, lang);
    snprintf(t->codec, sizeof(t->codec), "%s", codec);
    snprintf(t->kind, sizeof(t->kind), "%s",
             captions || (disposition & AV_DISPOSITION_HEARING_IMPAIRED) ? "captions" : "subtitles");
    t->is_default = !!(disposition & AV_DISPOSITION_DEFAULT);
    t->forced = !!(disposition & AV_DISPOSITION_FORCED);
    char base[64];
    if (title && title[0])
        set_label(base, sizeof(base), title);
    else if (captions)
        snprintf(base, sizeof(base), "Captions");
    else if (strcmp(lang, "und"))
        snprintf(base, sizeof(base), "%s", lang);
    else
        snprintf(base, sizeof(base), "Subtitles");
    snprintf(t->label, sizeof(t->label), "%s", base);
    for (int k = 2; label_used(r, t->label); k++)   /* NAMEs are unique in a group (RFC 8216 4.3.4.1.1) */
        snprintf(t->label, sizeof(t->label), "%.50s (%d)", base, k);
    /* One DEFAULT=YES per group. */
    for (int i = 0; i < r->n_text_tracks && t->is_default; i++)
        if (r->text_tracks[i].is_default)
            t->is_default = 0;
    return t;
}

int mf_subtitles_open(struct mf_subtitles *ss, struct mf_input *in, const struct mf_job *job,
                      int64_t zero_us, struct mf_result *result, char *err, size_t err_len)
{
    *ss = (struct mf_subtitles){ .captions = -1, .zero_us = zero_us, .result = result,
                                 .want_captions = job->subtitles == MF_SUBTITLES_ALL, .job_mode = job->subtitles };
    for (unsigned i = 0; i < in->fmt->nb_streams; i++) {
        AVStream *st = in->fmt->streams[i];
        if (st->codecpar->codec_type != AVMEDIA_TYPE_SUBTITLE)
            continue;
        const AVCodecDescriptor *d = avcodec_descriptor_get(st->codecpar->codec_id);
        const char *codec = avcodec_get_name(st->codecpar->codec_id);
        const AVDictionaryEntry *le = av_dict_get(st->metadata, "language", NULL, 0);
        const AVDictionaryEntry *te = av_dict_get(st->metadata, "title", NULL, 0);
        char lang[16];
        mf_language_bcp47(le ? le->value : NULL, lang, sizeof(lang));
        int captions = st->codecpar->codec_id == AV_CODEC_ID_EIA_608;
        if (job->subtitles == MF_SUBTITLES_NONE) {
            skip(result, (int)i, lang, codec, "not asked for (subtitles: \"none\")");
            continue;
        }
        if (job->subtitles == MF_SUBTITLES_LANGS) {
            int match = 0;
            for (int k = 0; k < job->n_subtitle_langs && !match; k++)
                match = mf_language_matches(job->subtitle_langs[k], lang);
            if (!match) {
                skip(result, (int)i, lang, codec, "language \"%s\" is not in the job's subtitles", lang);
                continue;
            }
        }
        if (d && (d->props & AV_CODEC_PROP_BITMAP_SUB)) {
            skip(result, (int)i, lang, codec, "bitmap subtitles (pictures, no text) cannot become WebVTT");
            continue;
        }
        if (!d || !(d->props & AV_CODEC_PROP_TEXT_SUB) || !avcodec_find_decoder(st->codecpar->codec_id)) {
            skip(result, (int)i, lang, codec, "no text decoder for %s subtitles", codec);
            continue;
        }
        if (ss->n >= MF_MAX_TEXT_TRACKS) {
            skip(result, (int)i, lang, codec, "over the limit of %d subtitle tracks per job", MF_MAX_TEXT_TRACKS);
            continue;
        }
        struct mf_subtitle_stream *s = &ss->s[ss->n];
        *s = (struct mf_subtitle_stream){ .index = (int)i, .slot = result->n_text_tracks };
        int ret = open_codecs(s, st->codecpar->codec_id, st->codecpar, st->time_base);
        if (ret == AVERROR(ENOMEM)) {
            free_stream(s);
            mf_errf(err, err_len, "out of memory opening subtitle stream %u", i);
            return ret;
        }
        if (ret < 0) {
            free_stream(s);
            skip(result, (int)i, lang, codec, "cannot open its decoder: %s", av_err2str(ret));
            continue;
        }
        add_track(ss, (int)i, lang, te ? te->value : NULL, codec, st->disposition, captions);
        result->n_text_tracks++;
        ss->n++;
        st->discard = AVDISCARD_DEFAULT;    /* input.c discards what it did not pick */
    }
    return 0;
}

int mf_subtitles_wants(const struct mf_subtitles *ss, int stream_index)
{
    for (int i = 0; i < ss->n; i++)
        if (ss->s[i].index == stream_index)
            return 1;
    return 0;
}

/* One decoded AVSubtitle as cues: each rect's ASS event through the webvtt
 * encoder (or plain text escaped). An earlier cue left open (captions)
 * ends where this one starts. */
static int add_subtitle(struct mf_subtitles *ss, struct mf_subtitle_stream *s, const AVSubtitle *sub,
                        int64_t fallback_ms)
{
    struct mf_text_track *t = &ss->result->text_tracks[s->slot];
    if (sub->pts == AV_NOPTS_VALUE) {
        s->vtt.dropped++;
        return 0;
    }
    int64_t base = (sub->pts - ss->zero_us) / 1000;
    int64_t start = base + sub->start_display_time;
    int64_t end = sub->end_display_time == UINT32_MAX ? MF_VTT_OPEN_END
                : sub->end_display_time > sub->start_display_time ? base + sub->end_display_time
                : fallback_ms > 0 ? start + fallback_ms : MF_VTT_OPEN_END;
    if (s->vtt.n && s->vtt.cues[s->vtt.n - 1].end == MF_VTT_OPEN_END) {
        struct mf_vtt_cue *c = &s->vtt.cues[s->vtt.n - 1];
        c->end = start;
        if (c->end <= c->start) {     /* cleared before it was shown */
            free(c->text);
            s->vtt.n--;
            s->vtt.dropped++;
        }
    }
    if (!sub->num_rects)
        return 0;
    char *text = malloc(CUE_BUF), *cue = malloc(CUE_BUF);
    int ret = text && cue ? 0 : AVERROR(ENOMEM);
    for (unsigned i = 0; ret >= 0 && i < sub->num_rects; i++) {
        const AVSubtitleRect *r = sub->rects[i];
        int n = -1;
        if (r->type == SUBTITLE_ASS && r->ass) {
            AVSubtitle one = *sub;
            AVSubtitleRect *rects[1] = { (AVSubtitleRect *)r };
            one.rects = rects;
            one.num_rects = 1;
            n = avcodec_encode_subtitle(s->enc, (uint8_t *)text, CUE_BUF - 1, &one);
            if (n >= 0) {
                text[n] = '\0';
                mf_vtt_escape_markup(text, cue, CUE_BUF);
                n = (int)strlen(cue);
            }
        } else if (r->type == SUBTITLE_TEXT && r->text) {
            mf_vtt_escape(r->text, cue, CUE_BUF);
            n = (int)strlen(cue);
        }
        if (n <= 0) {
            s->vtt.dropped++;
            continue;
        }
        ret = mf_vtt_add(&s->vtt, start, end, cue);
    }
    free(text);
    free(cue);
    t->cues = s->vtt.n;
    return ret < 0 ? AVERROR(ENOMEM) : 0;
}

static int decode(struct mf_subtitles *ss, struct mf_subtitle_stream *s, const AVPacket *pkt, int64_t dur_ms)
{
    AVSubtitle sub;
    int got = 0;
    int ret = avcodec_decode_subtitle2(s->dec, &sub, &got, (AVPacket *)pkt);
    if (ret < 0 || !got) {
        if (ret < 0)
            s->vtt.dropped++;
        return 0;
    }
    ret = add_subtitle(ss, s, &sub, dur_ms);
    avsubtitle_free(&sub);
    return ret;
}

int mf_subtitles_packet(struct mf_subtitles *ss, AVPacket *pkt, AVRational tb, int64_t offset_us)
{
    int64_t shift = av_rescale_q(offset_us, AV_TIME_BASE_Q, tb);
    if (pkt->pts != AV_NOPTS_VALUE)
        pkt->pts += shift;
    if (pkt->dts != AV_NOPTS_VALUE)
        pkt->dts += shift;
    for (int i = 0; i < ss->n; i++)
        if (ss->s[i].index == pkt->stream_index)
            return decode(ss, &ss->s[i], pkt, pkt->duration > 0 ? av_rescale_q(pkt->duration, tb, (AVRational){ 1, 1000 }) : 0);
    return 0;
}

int mf_subtitles_frame(struct mf_subtitles *ss, const AVFrame *f, int64_t pts_us)
{
    const AVFrameSideData *sd = av_frame_get_side_data(f, AV_FRAME_DATA_A53_CC);
    if (!sd || !sd->size)
        return 0;
    if (!ss->want_captions) {
        if (!ss->captions_seen++)
            skip(ss->result, -1, "und", "eia_608", "%s", ss->job_mode == MF_SUBTITLES_NONE
                 ? "not asked for (subtitles: \"none\")"
                 : "captions in the video carry no language: kept only with subtitles \"all\"");
        return 0;
    }
    if (ss->captions < 0) {
        if (ss->n >= MF_MAX_TEXT_TRACKS) {
            ss->want_captions = 0;
            ss->captions_seen = 1;
            skip(ss->result, -1, "und", "eia_608", "over the limit of %d subtitle tracks per job", MF_MAX_TEXT_TRACKS);
            return 0;
        }
        struct mf_subtitle_stream *s = &ss->s[ss->n];
        *s = (struct mf_subtitle_stream){ .index = -1, .slot = ss->result->n_text_tracks };
        int ret = open_codecs(s, AV_CODEC_ID_EIA_608, NULL, AV_TIME_BASE_Q);
        if (ret < 0) {
            free_stream(s);
            ss->want_captions = 0;
            ss->captions_seen = 1;
            if (ret == AVERROR(ENOMEM))
                return ret;
            skip(ss->result, -1, "und", "eia_608", "cannot open the caption decoder: %s", av_err2str(ret));
            return 0;
        }
        add_track(ss, -1, "und", NULL, "eia_608", 0, 1);
        ss->result->n_text_tracks++;
        ss->captions = ss->n++;
    }
    AVPacket *pkt = av_packet_alloc();
    if (!pkt)
        return AVERROR(ENOMEM);
    int ret = av_new_packet(pkt, (int)sd->size);
    if (ret >= 0) {
        memcpy(pkt->data, sd->data, sd->size);
        pkt->pts = pkt->dts = pts_us + ss->zero_us;
        ret = decode(ss, &ss->s[ss->captions], pkt, 0);
    }
    av_packet_free(&pkt);
    return ret;
}

/* The video playlist's EXTINFs and target duration. */
static int read_segments(const char *playlist, double **durs, int *n, int *target)
{
    FILE *f = fopen(playlist, "r");
    if (!f)
        return -errno;
    char line[1024];
    int cap = 0;
    *durs = NULL;
    *n = *target = 0;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "#EXT-X-TARGETDURATION:", 22))
            *target = atoi(line + 22);
        if (strncmp(line, "#EXTINF:", 8))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            double *d = realloc(*durs, (size_t)cap * sizeof(**durs));
            if (!d) {
                fclose(f);
                return -ENOMEM;
            }
            *durs = d;
        }
        (*durs)[(*n)++] = strtod(line + 8, NULL);
    }
    fclose(f);
    return 0;
}

int mf_subtitles_write(struct mf_subtitles *ss, const char *outdir, int mp4, const char *video_playlist,
                       double end_s, char *err, size_t err_len)
{
    double *durs = NULL;
    int n_segs = 0, target = 1, ret = 0;
    snprintf(ss->outdir, sizeof(ss->outdir), "%s", outdir);
    if (!ss->n)
        return 0;
    if (video_playlist && (ret = read_segments(video_playlist, &durs, &n_segs, &target)) < 0) {
        mf_errf(err, err_len, "%s: cannot read the segment durations: %s", video_playlist, strerror(-ret));
        return AVERROR(-ret);
    }
    for (int i = 0; i < ss->n; i++) {
        struct mf_subtitle_stream *s = &ss->s[i];
        if (s->dec && (s->dec->codec->capabilities & AV_CODEC_CAP_DELAY)) {
            AVPacket *flush = av_packet_alloc();
            int got = 1, r = 0;
            for (int k = 0; flush && got && r >= 0 && k < 16; k++) {   /* empty packets drain it */
                AVSubtitle sub;
                got = 0;
                r = avcodec_decode_subtitle2(s->dec, &sub, &got, flush);
                if (r >= 0 && got) {
                    r = add_subtitle(ss, s, &sub, 0);
                    avsubtitle_free(&sub);
                }
            }
            av_packet_free(&flush);
        }
    }
    /* Captions are opened at the first frame with A53 side data, and many
     * streams carry only padding there: a captions track without a cue is
     * not published. It is the last track (added after the source's). */
    if (ss->captions >= 0 && ss->captions == ss->n - 1 && !ss->s[ss->captions].vtt.n &&
        ss->s[ss->captions].slot == ss->result->n_text_tracks - 1) {
        free_stream(&ss->s[ss->captions]);
        ss->n--;
        ss->result->n_text_tracks--;
        ss->captions = -1;
        skip(ss->result, -1, "und", "eia_608", "the video's caption data held no text");
        if (!ss->n) {
            free(durs);
            return 0;
        }
    }
    ss->wrote = 1;
    double total = 0;       /* the playlist may say a little more than the MP4 */
    for (int i = 0; i < n_segs; i++)
        total += durs[i];
    if (total > end_s)
        end_s = total;
    char path[MF_PATH_MAX];
    for (int i = 0; i < ss->n && ret >= 0; i++) {
        struct mf_subtitle_stream *s = &ss->s[i];
        struct mf_text_track *t = &ss->result->text_tracks[s->slot];
        mf_vtt_finish(&s->vtt, (int64_t)(end_s * 1000 + 0.5));
        t->cues = s->vtt.n;
        t->cues_dropped = s->vtt.dropped;
        char name[MF_NAME_MAX];
        memcpy(name, t->name, sizeof(name));
        if (mp4) {
            snprintf(t->vtt, sizeof(t->vtt), "%s.vtt", name);
            if ((ret = mf_path_fmt(path, sizeof(path), "%s/%s", outdir, t->vtt)) >= 0 &&
                (ret = mf_vtt_write_file(&s->vtt, path)) >= 0) {
                struct stat sb;
                if (!stat(path, &sb))
                    t->bytes += sb.st_size;
            }
        }
        if (ret >= 0 && video_playlist) {
            snprintf(t->playlist, sizeof(t->playlist), "hls/subtitles/%s/index.m3u8", name);
            int64_t bytes = 0;
            if ((ret = mf_path_fmt(path, sizeof(path), "%s/hls/subtitles/%s", outdir, t->name)) >= 0 &&
                (ret = mf_mkdir_p(path)) >= 0 &&
                (ret = mf_vtt_write_segments(&s->vtt, path, durs, n_segs, target, 0, &bytes)) >= 0) {
                t->segments = n_segs;
                t->bytes += bytes;
            }
        }
        if (ret < 0)
            mf_errf(err, err_len, "%s: cannot write the subtitle track %s: %s", outdir, t->name, strerror(-ret));
    }
    free(durs);
    return ret < 0 ? AVERROR(-ret) : 0;
}

void mf_subtitles_remove(struct mf_subtitles *ss)
{
    char path[MF_PATH_MAX];
    if (!ss->wrote)
        return;
    for (int i = 0; i < ss->n; i++) {
        const struct mf_text_track *t = &ss->result->text_tracks[ss->s[i].slot];
        if (t->vtt[0] && mf_path_fmt(path, sizeof(path), "%s/%s", ss->outdir, t->vtt) >= 0)
            unlink(path);
    }
    if (mf_path_fmt(path, sizeof(path), "%s/hls/subtitles", ss->outdir) >= 0)
        mf_remove_tree(path);
}

void mf_subtitles_close(struct mf_subtitles *ss)
{
    for (int i = 0; i < ss->n; i++)
        free_stream(&ss->s[i]);    /* n stays: mf_subtitles_remove may follow */
}
