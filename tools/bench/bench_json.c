/* The bench figures as JSON (--json): everything the table shows, and every run. */
#include "bench.h"

#include <stdio.h>
#include <unistd.h>

#include <jansson.h>

static json_t *stat_json(struct mf_bench_stat s)
{
    return json_pack("{s:f, s:f, s:f}", "median", s.median, "min", s.min, "max", s.max);
}

static json_t *rung_json(const struct mf_bench_rung *r)
{
    json_t *j = json_pack("{s:s, s:i, s:i, s:I, s:I, s:f, s:f}", "name", r->name, "width", r->width,
                          "height", r->height, "frames", (json_int_t)r->frames,
                          "video_bytes", (json_int_t)r->video_bytes, "duration", r->duration,
                          "bitrate", r->bitrate);
    json_object_set_new(j, "psnr", r->psnr >= 0 ? json_real(r->psnr) : json_null());
    json_object_set_new(j, "ssim", r->ssim >= 0 ? json_real(r->ssim) : json_null());
    return j;
}

static json_t *side_json(const struct mf_bench_file *f, const struct mf_bench_side *s)
{
    json_t *runs = json_array(), *rungs = json_array();
    for (int i = 0; i < s->n_samples; i++)
        json_array_append_new(runs, json_pack("{s:f, s:f, s:f, s:f, s:I}", "wall", s->samples[i].wall,
                                              "cpu", s->samples[i].cpu, "user", s->samples[i].user,
                                              "sys", s->samples[i].sys,
                                              "max_rss_kb", (json_int_t)s->samples[i].max_rss_kb));
    for (int i = 0; i < s->n_rungs; i++)
        json_array_append_new(rungs, rung_json(&s->rungs[i]));
    double w = s->wall.median;
    json_t *j = json_pack("{s:b, s:I, s:f, s:f, s:o, s:o, s:o, s:o, s:o}", "ok", s->ok,
                          "frames", (json_int_t)s->frames, "fps", w > 0 ? s->frames / w : 0.0,
                          "speed", w > 0 ? f->duration / w : 0.0, "wall", stat_json(s->wall),
                          "cpu", stat_json(s->cpu), "rss_mb", stat_json(s->rss_mb),
                          "renditions", rungs, "runs", runs);
    if (s->error[0])
        json_object_set_new(j, "error", json_string(s->error));
    return j;
}

static json_t *ratio_json(const struct mf_bench_file *f)
{
    const struct mf_bench_side *o = &f->side[MF_BENCH_OURS], *t = &f->side[MF_BENCH_FFMPEG];
    json_t *rungs = json_array();
    for (int i = 0; i < o->n_rungs && i < t->n_rungs; i++) {
        const struct mf_bench_rung *a = &o->rungs[i], *b = &t->rungs[i];
        json_t *r = json_pack("{s:s, s:f}", "name", a->name, "bitrate", mf_bench_ratio(a->bitrate, b->bitrate));
        json_object_set_new(r, "psnr_delta", a->psnr >= 0 && b->psnr >= 0 ? json_real(a->psnr - b->psnr) : json_null());
        json_object_set_new(r, "ssim_delta", a->ssim >= 0 && b->ssim >= 0 ? json_real(a->ssim - b->ssim) : json_null());
        json_array_append_new(rungs, r);
    }
    return json_pack("{s:f, s:f, s:f, s:o}", "wall", mf_bench_ratio(o->wall.median, t->wall.median),
                     "cpu", mf_bench_ratio(o->cpu.median, t->cpu.median),
                     "rss", mf_bench_ratio(o->rss_mb.median, t->rss_mb.median), "renditions", rungs);
}

static json_t *file_json(const struct mf_bench_settings *st, const struct mf_bench_file *f)
{
    json_t *j = json_pack("{s:s, s:s, s:b, s:{s:i, s:i, s:f, s:f, s:b, s:b}}", "file", f->name,
                          "path", f->path, "ok", f->ok, "source", "width", f->width, "height", f->height,
                          "fps", f->fps, "duration", f->duration, "audio", f->has_audio,
                          "interlaced", f->interlaced);
    if (f->error[0])
        json_object_set_new(j, "error", json_string(f->error));
    if (f->side[MF_BENCH_OURS].n_samples)
        json_object_set_new(j, "mpegflow", side_json(f, &f->side[MF_BENCH_OURS]));
    if (st->vs_ffmpeg && f->side[MF_BENCH_FFMPEG].n_samples)
        json_object_set_new(j, "ffmpeg", side_json(f, &f->side[MF_BENCH_FFMPEG]));
    if (st->vs_ffmpeg && f->ok)
        json_object_set_new(j, "ratio", ratio_json(f));
    if (f->worker.ok) {
        const struct mf_bench_worker *w = &f->worker;
        json_object_set_new(j, "worker", json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:f, s:f}", "runs", w->n,
                            "local_wall", stat_json(w->local_wall), "worker_wall", stat_json(w->e2e_wall),
                            "local_cpu", stat_json(w->local_cpu), "worker_cpu", stat_json(w->worker_cpu),
                            "pickup", stat_json(w->pickup), "idle_rss_mb", w->idle_rss_mb,
                            "overhead", mf_bench_ratio(w->e2e_wall.median, w->local_wall.median) - 1));
    }
    if (f->split.ok) {
        const struct mf_bench_split *sp = &f->split;
        json_t *o = json_pack("{s:f, s:i, s:b, s:i, s:i, s:o, s:o, s:o, s:o, s:b}", "seconds", st->split,
                              "workers", st->split_workers, "pin", st->split_pin, "runs", sp->n, "chunks", sp->chunks,
                              "wall", stat_json(sp->wall), "cpu", stat_json(sp->cpu), "chunks_s", stat_json(sp->chunks_s),
                              "stitch_s", stat_json(sp->stitch_s), "frames_equal", sp->frames_equal);
        if (st->split_pin && st->split_workers > 1)
            json_object_set_new(o, "one_pinned", json_pack("{s:o, s:o, s:o}", "wall", stat_json(sp->one_wall),
                                "cpu", stat_json(sp->one_cpu), "chunks_s", stat_json(sp->one_chunks_s)));
        json_object_set_new(j, "split", o);
    }
    return j;
}

static json_t *total_json(const struct mf_bench_settings *st, const struct mf_bench_file *files, int n)
{
    double wall[2] = { 0 }, cpu[2] = { 0 }, rss[2] = { 0 }, dur = 0;
    json_int_t frames[2] = { 0 };
    int counted = 0;
    for (int i = 0; i < n; i++) {
        if (!files[i].ok)
            continue;
        counted++;
        dur += files[i].duration;
        for (int s = 0; s < 2; s++) {
            const struct mf_bench_side *d = &files[i].side[s];
            wall[s] += d->wall.median;
            cpu[s] += d->cpu.median;
            frames[s] += d->frames;
            if (d->rss_mb.median > rss[s])
                rss[s] = d->rss_mb.median;
        }
    }
    json_t *j = json_pack("{s:i, s:f}", "files", counted, "duration", dur);
    for (int s = 0; s < (st->vs_ffmpeg ? 2 : 1); s++)
        json_object_set_new(j, s ? "ffmpeg" : "mpegflow",
                            json_pack("{s:I, s:f, s:f, s:f, s:f, s:f}", "frames", frames[s],
                                      "wall", wall[s], "cpu", cpu[s], "rss_mb", rss[s],
                                      "fps", wall[s] > 0 ? frames[s] / wall[s] : 0.0,
                                      "speed", wall[s] > 0 ? dur / wall[s] : 0.0));
    if (st->vs_ffmpeg)
        json_object_set_new(j, "ratio", json_pack("{s:f, s:f, s:f}", "wall", mf_bench_ratio(wall[0], wall[1]),
                                                  "cpu", mf_bench_ratio(cpu[0], cpu[1]),
                                                  "rss", mf_bench_ratio(rss[0], rss[1])));
    return j;
}

int mf_bench_write_json(const char *path, const struct mf_bench_settings *st,
                        const struct mf_bench_file *files, int n_files, const double load[2][4])
{
    json_t *fl = json_array();
    for (int i = 0; i < n_files; i++)
        json_array_append_new(fl, file_json(st, &files[i]));
    json_t *settings = json_pack("{s:s, s:s, s:f, s:i, s:b, s:s*}", "ladder", st->ladder, "preset", st->preset,
                                 "gop", st->gop, "runs", st->runs, "vs_ffmpeg", st->vs_ffmpeg,
                                 "backend", st->backend);
    if (st->bitrate)
        json_object_set_new(settings, "bitrate", json_string(st->bitrate));
    else
        json_object_set_new(settings, "crf", json_real(st->crf));
    json_object_set_new(settings, "threads", json_integer(st->threads));
    json_object_set_new(settings, "cascade", json_boolean(!st->no_cascade));
    if (st->vs_ffmpeg) {
        json_t *cmd = json_array();
        for (int i = 0; i < st->n_ffmpeg; i++)
            json_array_append_new(cmd, json_string(st->ffmpeg[i]));
        json_object_set_new(settings, "ffmpeg", json_pack("{s:o, s:s}", "command", cmd,
                                                          "version", st->ffmpeg_version));
    }
    json_t *root = json_pack("{s:o, s:{s:I, s:[f,f,f], s:[f,f,f], s:f, s:f}, s:o, s:o}", "settings", settings,
                             "host", "cores", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
                             "load_before", load[0][0], load[0][1], load[0][2],
                             "load_after", load[1][0], load[1][1], load[1][2],
                             "cpu_pressure_before", load[0][3], "cpu_pressure_after", load[1][3],
                             "files", fl, "total", total_json(st, files, n_files));
    if (!root)
        return -1;
    int ret = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    return ret;
}
