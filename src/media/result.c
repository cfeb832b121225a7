#include "result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "images.h"

static json_t *output_json(const struct mf_output *o)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:f, s:I}",
                          MF_RK_OUT_RENDITION, o->rendition, MF_RK_OUT_KIND, o->kind, MF_RK_OUT_PATH, o->path,
                          MF_RK_OUT_BYTES, (json_int_t)o->bytes, MF_RK_OUT_DURATION, o->duration,
                          MF_RK_OUT_BITRATE, (json_int_t)o->bitrate);
    if (j && o->width > 0) {
        json_object_set_new(j, MF_RK_OUT_WIDTH, json_integer(o->width));
        json_object_set_new(j, MF_RK_OUT_HEIGHT, json_integer(o->height));
    }
    if (j && o->peak_bitrate > 0)
        json_object_set_new(j, MF_RK_OUT_PEAK_BITRATE, json_integer(o->peak_bitrate));
    if (j && o->codecs[0])
        json_object_set_new(j, MF_RK_OUT_CODECS, json_string(o->codecs));
    return j;
}

/* Each audio rendition: language, name, channels, codec, and the files that
 * carry it (its HLS playlist, every MP4). */
static json_t *audio_tracks_json(const struct mf_result *r)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < r->n_audio_tracks; i++) {
        const struct mf_audio_track_out *t = &r->audio_tracks[i];
        json_t *files = json_array();
        if (t->hls[0])
            json_array_append_new(files, json_string(t->hls));
        for (int k = 0; k < r->n_outputs; k++)
            if (!strcmp(r->outputs[k].kind, "mp4"))
                json_array_append_new(files, json_string(r->outputs[k].path));
        json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:s, s:s, s:b, s:b, s:i, s:o}",
                                             MF_RK_AT_LANGUAGE, t->language, MF_RK_AT_NAME, t->name,
                                             MF_RK_AT_CHANNELS, t->channels, MF_RK_AT_CODEC, t->codec,
                                             MF_RK_AT_CODECS, t->codecs, MF_RK_AT_DEFAULT, t->is_default,
                                             MF_RK_AT_SURROUND, t->surround, MF_RK_AT_SOURCE_STREAM,
                                             t->source_stream, MF_RK_AT_FILES, files));
    }
    return arr;
}

void mf_result_set_source(struct mf_result *r, const struct mf_input *in)
{
    const AVCodecParameters *v = in->fmt->streams[in->video_index]->codecpar;
    snprintf(r->source_codec, sizeof(r->source_codec), "%s", avcodec_get_name(v->codec_id));
    r->source_width = v->width;
    r->source_height = v->height;
    r->source_duration = in->duration;
    r->source_audio_codec[0] = '\0';
    if (r->source_audio_stream >= 0)
        snprintf(r->source_audio_codec, sizeof(r->source_audio_codec), "%s",
                 avcodec_get_name(in->fmt->streams[r->source_audio_stream]->codecpar->codec_id));
}

char *mf_result_to_json(const struct mf_job *job, const struct mf_result *r)
{
    json_t *outputs = json_array(), *skipped = json_array();
    for (int i = 0; i < r->n_outputs; i++)
        json_array_append_new(outputs, output_json(&r->outputs[i]));
    for (int i = 0; i < r->n_skipped; i++)
        json_array_append_new(skipped, json_pack("{s:s, s:s}", MF_RK_SKIPPED_RENDITION, r->skipped[i].rendition,
                                                 MF_RK_SKIPPED_REASON, r->skipped[i].reason));
    json_t *root = json_pack("{s:s, s:s, s:{s:i, s:i}, s:I, s:I, s:f, s:f, s:b, s:o, s:o}",
                             MF_RK_ID, job->id, MF_RK_BACKEND, r->backend,
                             MF_RK_SOURCE, MF_RK_SOURCE_VIDEO_STREAM, r->source_video_stream,
                             MF_RK_SOURCE_AUDIO_STREAM, r->source_audio_stream,
                             MF_RK_INPUT_FRAMES, (json_int_t)r->frames_in,
                             MF_RK_FRAMES_DROPPED, (json_int_t)r->frames_dropped, MF_RK_DURATION, r->duration,
                             MF_RK_WALL_SECONDS, r->wall_seconds, MF_RK_HAS_AUDIO, r->has_audio,
                             MF_RK_OUTPUTS, outputs, MF_RK_SKIPPED, skipped);
    json_t *src = root ? json_object_get(root, MF_RK_SOURCE) : NULL;
    if (src && r->source_codec[0]) {   /* added after the stream indexes: readers of those keep working */
        json_object_set_new(src, MF_RK_SOURCE_CODEC, json_string(r->source_codec));
        json_object_set_new(src, MF_RK_SOURCE_WIDTH, json_integer(r->source_width));
        json_object_set_new(src, MF_RK_SOURCE_HEIGHT, json_integer(r->source_height));
        json_object_set_new(src, MF_RK_SOURCE_DURATION, json_real(r->source_duration));
        if (r->source_audio_codec[0])
            json_object_set_new(src, MF_RK_SOURCE_AUDIO_CODEC, json_string(r->source_audio_codec));
    }
    if (root)
        json_object_set_new(root, MF_RK_VERSION, json_string(MPEGFLOW_VERSION));
    if (root && r->fallback_from[0])   /* only when it happened: the usual manifest is unchanged */
        json_object_set_new(root, MF_RK_FALLBACK, json_pack("{s:s, s:s, s:s}", MF_RK_FALLBACK_FROM, r->fallback_from,
                                                        MF_RK_FALLBACK_TO, r->backend,
                                                        MF_RK_FALLBACK_REASON, r->fallback_reason));
    if (root && r->decode[0]) {   /* nvenc: sessions held and where the frames were decoded */
        json_t *gpu = json_pack("{s:i, s:s}", MF_RK_NVENC_SESSIONS, r->nvenc_sessions,
                                MF_RK_NVENC_DECODE, r->decode);
        if (gpu && r->decode_note[0])
            json_object_set_new(gpu, MF_RK_NVENC_DECODE_NOTE, json_string(r->decode_note));
        json_object_set_new(root, MF_RK_NVENC, gpu);
    }
    if (root && r->n_audio_tracks)   /* every audio rendition, in the master playlist's order */
        json_object_set_new(root, MF_RK_AUDIO_TRACKS, audio_tracks_json(r));
    if (root && r->n_audio_skipped) {
        json_t *sk = json_array();
        for (int i = 0; i < r->n_audio_skipped; i++)
            json_array_append_new(sk, json_string(r->audio_skipped[i]));
        json_object_set_new(root, MF_RK_AUDIO_SKIPPED, sk);
    }
    if (root) {   /* text tracks published as WebVTT, and those left out with the reason */
        json_t *subs = json_array(), *skipped_subs = json_array();
        for (int i = 0; i < r->n_text_tracks; i++) {
            const struct mf_text_track *x = &r->text_tracks[i];
            json_t *files = json_object();
            if (x->vtt[0])
                json_object_set_new(files, "vtt", json_string(x->vtt));
            if (x->playlist[0]) {
                json_object_set_new(files, "playlist", json_string(x->playlist));
                json_object_set_new(files, "segments", json_integer(x->segments));
            }
            json_array_append_new(subs, json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:b, s:b, s:i, s:i, s:o, s:I}",
                "track", x->name, "stream", x->stream, "language", x->language, "name", x->label,
                "kind", x->kind, "codec", x->codec, "default", x->is_default, "forced", x->forced,
                "cues", x->cues, "cues_dropped", x->cues_dropped, "files", files, "bytes", (json_int_t)x->bytes));
        }
        for (int i = 0; i < r->n_text_skipped; i++) {
            const struct mf_text_skipped *x = &r->text_skipped[i];
            json_array_append_new(skipped_subs, json_pack("{s:i, s:s, s:s, s:s}", "stream", x->stream,
                "language", x->language, "codec", x->codec, "reason", x->reason));
        }
        json_object_set_new(root, MF_RK_SUBTITLES, subs);
        json_object_set_new(root, MF_RK_SUBTITLES_SKIPPED, skipped_subs);
        if (r->text_skipped_total > r->n_text_skipped)
            json_object_set_new(root, MF_RK_SUBTITLES_SKIPPED_MORE, json_integer(r->text_skipped_total - r->n_text_skipped));
    }
    const struct mf_timeline_report *t = &r->timeline;
    if (root)
        json_object_set_new(root, MF_RK_TIMELINE, json_pack(
            "{s:i, s:I, s:i, s:f, s:i, s:f, s:i, s:f, s:i, s:f}",
            MF_RK_TL_DISCONTINUITIES, t->discontinuities,
            MF_RK_TL_VIDEO_FRAMES_DROPPED, (json_int_t)t->video_frames_dropped,
            MF_RK_TL_VIDEO_GAPS, t->video_gaps, MF_RK_TL_VIDEO_GAPS_S, t->video_gaps_s,
            MF_RK_TL_AUDIO_OVERLAPS, t->audio_overlaps_trimmed, MF_RK_TL_AUDIO_TRIMMED_S, t->audio_trimmed_s,
            MF_RK_TL_AUDIO_GAPS_FILLED, t->audio_gaps_filled, MF_RK_TL_AUDIO_GAPS_FILLED_S, t->audio_gaps_filled_s,
            MF_RK_TL_AUDIO_GAPS_KEPT, t->audio_gaps_kept, MF_RK_TL_AUDIO_GAPS_KEPT_S, t->audio_gaps_kept_s));
    json_t *images = root ? mf_images_report_json(&r->images) : NULL;
    if (images)    /* only when the job asked for images */
        json_object_set_new(root, MF_RK_IMAGES, images);
    if (!root)
        return NULL;
    char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    json_decref(root);
    return s;
}
