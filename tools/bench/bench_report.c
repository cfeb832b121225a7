/* The bench table on stdout: per file, per side, per rendition, and totals. */
#include "bench.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const side_name[MF_BENCH_SIDES] = { "mpegflow", "ffmpeg" };

static void print_side(const struct mf_bench_file *f, int side)
{
    const struct mf_bench_side *s = &f->side[side];
    double fps = s->wall.median > 0 ? s->frames / s->wall.median : 0;
    double speed = s->wall.median > 0 ? f->duration / s->wall.median : 0;
    printf("  %-9s %7lld %8.1f %7.2fx %8.2f (%6.2f-%6.2f) %8.2f (%6.2f-%6.2f) %7.1f\n", side_name[side],
           (long long)s->frames, fps, speed, s->wall.median, s->wall.min, s->wall.max,
           s->cpu.median, s->cpu.min, s->cpu.max, s->rss_mb.median);
}

/* 99 dB stands for identical pictures, which ffmpeg prints as inf. */
static const char *psnr_str(char *buf, size_t len, double psnr)
{
    if (psnr >= 99)
        snprintf(buf, len, "inf");
    else
        snprintf(buf, len, "%.3f", psnr);
    return buf;
}

static void print_rungs(const struct mf_bench_file *f, int vs)
{
    const struct mf_bench_side *o = &f->side[MF_BENCH_OURS], *t = &f->side[MF_BENCH_FFMPEG];
    printf("  %-9s %-9s %7s %9s", "rendition", "size", "frames", "kbit/s");
    if (vs)
        printf(" %9s %6s", "ffmpeg", "ratio");
    printf(" %8s", "PSNR dB");
    if (vs)
        printf(" %8s %6s", "ffmpeg", "delta");
    printf(" %7s", "SSIM");
    if (vs)
        printf(" %7s", "ffmpeg");
    printf("\n");
    for (int i = 0; i < o->n_rungs; i++) {
        const struct mf_bench_rung *r = &o->rungs[i], *q = &t->rungs[i];
        char size[24];
        snprintf(size, sizeof(size), "%dx%d", r->width, r->height);
        printf("  %-9s %-9s %7lld %9.1f", r->name, size, (long long)r->frames, r->bitrate / 1e3);
        if (vs)
            printf(" %9.1f %6.3f", q->bitrate / 1e3, mf_bench_ratio(r->bitrate, q->bitrate));
        if (r->psnr < 0) {      /* --no-quality */
            printf("\n");
            continue;
        }
        char a[16], b[16];
        printf(" %8s", psnr_str(a, sizeof(a), r->psnr));
        if (vs)
            printf(" %8s %+6.3f", psnr_str(b, sizeof(b), q->psnr), r->psnr - q->psnr);
        printf(" %7.5f", r->ssim);
        if (vs)
            printf(" %7.5f", q->ssim);
        printf("\n");
    }
}

static void print_ratio(const struct mf_bench_side *o, const struct mf_bench_side *t)
{
    printf("  %-9s %7s %8s %8s %8.3f %17s %8.3f %17s %7.3f\n", "ratio", "", "", "",
           mf_bench_ratio(o->wall.median, t->wall.median), "",
           mf_bench_ratio(o->cpu.median, t->cpu.median), "",
           mf_bench_ratio(o->rss_mb.median, t->rss_mb.median));
}

void mf_bench_print_table(const struct mf_bench_settings *st, const struct mf_bench_file *files,
                          int n_files, const double load[2][4])
{
    int vs = st->vs_ffmpeg;
    char rate[64];
    if (st->bitrate)
        snprintf(rate, sizeof(rate), "bitrate %s", st->bitrate);
    else
        snprintf(rate, sizeof(rate), "crf %g", st->crf);
    printf("mpegflow bench: ladder %s, preset %s, %s, gop %g s, %d run(s) per side%s\n", st->ladder,
           st->preset, rate, st->gop, st->runs, vs ? ", alternating with the ffmpeg CLI" : "");
    printf("host: %ld cores; load average %.2f %.2f %.2f before, %.2f %.2f %.2f after; "
           "CPU pressure (some, avg60) %.0f%% before, %.0f%% after\n",
           sysconf(_SC_NPROCESSORS_ONLN), load[0][0], load[0][1], load[0][2], load[1][0], load[1][1],
           load[1][2], load[0][3], load[1][3]);
    if (vs)
        printf("ffmpeg CLI: %s (%s)\n", st->ffmpeg_version[0] ? st->ffmpeg_version : "version unknown",
               st->ffmpeg_root ? st->ffmpeg_root : "this system's");
    printf("wall and CPU: median (min-max) seconds; rss: median peak MB; ratio: mpegflow / ffmpeg\n");
    /* The two sides do not scale alike then: say so next to the PSNR. */
    if (vs && !st->no_cascade && strchr(st->ladder, ','))
        printf("mpegflow scales a rung at most half as tall as another from that rung (cascade),\n"
               "ffmpeg every rung from the source; --no-cascade compares like for like\n");
    printf("\n");
    double tot[MF_BENCH_SIDES][3] = { { 0 } }, dur = 0, rss[MF_BENCH_SIDES] = { 0 };
    int64_t frames[MF_BENCH_SIDES] = { 0 };
    int counted = 0;
    for (int i = 0; i < n_files; i++) {
        const struct mf_bench_file *f = &files[i];
        printf("%s  (%dx%d, %.2f fps, %.1f s)\n", f->name, f->width, f->height, f->fps, f->duration);
        if (!f->ok) {
            printf("  FAILED: %s\n\n", f->error);
            continue;
        }
        printf("  %-9s %7s %8s %8s %26s %26s %7s\n", "", "frames", "fps", "speed", "wall s", "cpu s", "rss MB");
        for (int side = 0; side < (vs ? 2 : 1); side++) {
            const struct mf_bench_side *s = &f->side[side];
            print_side(f, side);
            tot[side][0] += s->wall.median;
            tot[side][1] += s->cpu.median;
            frames[side] += s->frames;
            if (s->rss_mb.median > rss[side])
                rss[side] = s->rss_mb.median;
        }
        if (vs)
            print_ratio(&f->side[MF_BENCH_OURS], &f->side[MF_BENCH_FFMPEG]);
        print_rungs(f, vs);
        if (f->worker.ok) {
            const struct mf_bench_worker *w = &f->worker;
            printf("  worker: encode --job %.2f s (%.2f-%.2f), submit --wait through the worker %.2f s "
                   "(%.2f-%.2f): overhead %+.1f%%\n", w->local_wall.median, w->local_wall.min,
                   w->local_wall.max, w->e2e_wall.median, w->e2e_wall.min, w->e2e_wall.max,
                   100 * (mf_bench_ratio(w->e2e_wall.median, w->local_wall.median) - 1));
            printf("          CPU per job: worker %.2f s, encode %.2f s; idle worker RSS %.1f MB; "
                   "job pickup %.0f ms (%.0f-%.0f)\n", w->worker_cpu.median, w->local_cpu.median,
                   w->idle_rss_mb, 1e3 * w->pickup.median, 1e3 * w->pickup.min, 1e3 * w->pickup.max);
        }
        if (f->split.ok)
            mf_bench_split_print(st, f);
        printf("\n");
        dur += f->duration;
        counted++;
    }
    if (counted < 1)
        return;
    printf("TOTAL (%d file(s), %.1f s of media)\n", counted, dur);
    for (int side = 0; side < (vs ? 2 : 1); side++) {
        double w = tot[side][0];
        printf("  %-9s %7lld %8.1f %7.2fx %8.2f %17s %8.2f %17s %7.1f\n", side_name[side],
               (long long)frames[side], w > 0 ? frames[side] / w : 0, w > 0 ? dur / w : 0, w, "",
               tot[side][1], "", rss[side]);
    }
    if (vs)
        printf("  %-9s %7s %8s %8s %8.3f %17s %8.3f %17s %7.3f\n", "ratio", "", "", "",
               mf_bench_ratio(tot[0][0], tot[1][0]), "", mf_bench_ratio(tot[0][1], tot[1][1]), "",
               mf_bench_ratio(rss[0], rss[1]));
}
