#include "result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"

static json_t *output_json(const struct mf_output *o)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:f, s:I}",
                          "rendition", o->rendition, "kind", o->kind, "path", o->path,
                          "bytes", (json_int_t)o->bytes, "duration", o->duration,
                          "bitrate", (json_int_t)o->bitrate);
    if (j && o->width > 0) {
        json_object_set_new(j, "width", json_integer(o->width));
        json_object_set_new(j, "height", json_integer(o->height));
    }
    if (j && o->peak_bitrate > 0)
        json_object_set_new(j, "peak_bitrate", json_integer(o->peak_bitrate));
    if (j && o->codecs[0])
        json_object_set_new(j, "codecs", json_string(o->codecs));
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
                                             "language", t->language, "name", t->name,
                                             "channels", t->channels, "codec", t->codec,
                                             "codecs", t->codecs, "default", t->is_default,
                                             "surround", t->surround, "source_stream", t->source_stream,
                                             "files", files));
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
        json_array_append_new(skipped, json_pack("{s:s, s:s}", "rendition", r->skipped[i].rendition,
                                                 "reason", r->skipped[i].reason));
    json_t *root = json_pack("{s:s, s:s, s:{s:i, s:i}, s:I, s:I, s:f, s:f, s:b, s:o, s:o}",
                             "id", job->id, "backend", r->backend,
                             "source", "video_stream", r->source_video_stream,
                             "audio_stream", r->source_audio_stream,
                             "input_frames", (json_int_t)r->frames_in,
                             "frames_dropped", (json_int_t)r->frames_dropped, "duration", r->duration,
                             "wall_seconds", r->wall_seconds, "has_audio", r->has_audio,
                             "outputs", outputs, "skipped", skipped);
    json_t *src = root ? json_object_get(root, "source") : NULL;
    if (src && r->source_codec[0]) {   /* added after the stream indexes: readers of those keep working */
        json_object_set_new(src, "codec", json_string(r->source_codec));
        json_object_set_new(src, "width", json_integer(r->source_width));
        json_object_set_new(src, "height", json_integer(r->source_height));
        json_object_set_new(src, "duration", json_real(r->source_duration));
        if (r->source_audio_codec[0])
            json_object_set_new(src, "audio_codec", json_string(r->source_audio_codec));
    }
    if (root)
        json_object_set_new(root, "version", json_string(MPEGFLOW_VERSION));
    if (root && r->fallback_from[0])   /* only when it happened: the usual manifest is unchanged */
        json_object_set_new(root, "fallback", json_pack("{s:s, s:s, s:s}", "from", r->fallback_from,
                                                        "to", r->backend, "reason", r->fallback_reason));
    if (root && r->decode[0]) {   /* nvenc: sessions held and where the frames were decoded */
        json_t *gpu = json_pack("{s:i, s:s}", "sessions", r->nvenc_sessions, "decode", r->decode);
        if (gpu && r->decode_note[0])
            json_object_set_new(gpu, "decode_note", json_string(r->decode_note));
        json_object_set_new(root, "nvenc", gpu);
    }
    if (root && r->n_audio_tracks)   /* every audio rendition, in the master playlist's order */
        json_object_set_new(root, "audio_tracks", audio_tracks_json(r));
    if (root && r->n_audio_skipped) {
        json_t *sk = json_array();
        for (int i = 0; i < r->n_audio_skipped; i++)
            json_array_append_new(sk, json_string(r->audio_skipped[i]));
        json_object_set_new(root, "audio_skipped", sk);
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
        json_object_set_new(root, "subtitles", subs);
        json_object_set_new(root, "subtitles_skipped", skipped_subs);
        if (r->text_skipped_total > r->n_text_skipped)
            json_object_set_new(root, "subtitles_skipped_more", json_integer(r->text_skipped_total - r->n_text_skipped));
    }
    const struct mf_timeline_report *t = &r->timeline;
    if (root)
        json_object_set_new(root, "timeline", json_pack(
            "{s:i, s:I, s:i, s:f, s:i, s:f, s:i, s:f, s:i, s:f}",
            "discontinuities", t->discontinuities,
            "video_frames_dropped", (json_int_t)t->video_frames_dropped,
            "video_gaps_held", t->video_gaps, "video_gaps_held_s", t->video_gaps_s,
            "audio_overlaps_trimmed", t->audio_overlaps_trimmed, "audio_trimmed_s", t->audio_trimmed_s,
            "audio_gaps_filled", t->audio_gaps_filled, "audio_gaps_filled_s", t->audio_gaps_filled_s,
            "audio_gaps_kept", t->audio_gaps_kept, "audio_gaps_kept_s", t->audio_gaps_kept_s));
    if (!root)
        return NULL;
    char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    json_decref(root);
    return s;
}
