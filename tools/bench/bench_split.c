/*
 * bench --split S --workers N [--pin]: the same encode as side "ours" run
 * as `encode --split S --workers N` (local processes), against the unsplit
 * run: wall and CPU (wait4 of the split parent counts its chunk children),
 * the chunks' and the stitch's share (the parent's "split:" line), and the
 * frame count of every rung, which must equal the unsplit one. With --pin
 * each worker has one core, and the split also runs with 1 pinned worker:
 * the N-vs-1 wall ratio is the scaling a 2-core machine can show.
 *
 * The model: a pod is one pinned worker. For a film of D seconds in chunks
 * of L (S rounded to whole GOPs), T(P) = plan + ceil(ceil(D/L) / P) * L * c + D * stitch, with c the
 * 1-pinned-worker chunk wall per media second, stitch the stitch seconds
 * per media second and plan the split's remainder (probe, planning, child
 * start), all measured in this run. It stops scaling at P = ceil(D/L).
 */
#include "bench.h"
#include "common/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MODEL_FILM 7200.0          /* the 2-hour film of the issue */

static const int model_pods[] = { 1, 10, 50, 200 };

/* The parent's summary: "split: N chunks of up to S s with ...: chunks X s, stitch Y s; ...". */
static int read_split_line(const char *log, int *chunks, double *chunk_s, double *stitch_s)
{
    FILE *fp = fopen(log, "r");
    char line[1024];
    int found = 0;
    while (fp && fgets(line, sizeof(line), fp)) {
        const char *c = strstr(line, ": chunks ");
        if (strncmp(line, "split: ", 7) || !c)
            continue;
        found = sscanf(line + 7, "%d", chunks) == 1 && sscanf(c, ": chunks %lf s, stitch %lf s", chunk_s, stitch_s) == 2;
    }
    if (fp)
        fclose(fp);
    return found ? 0 : -1;
}

static int run_split(const struct mf_bench_settings *st, struct mf_bench_file *f, const char *outdir,
                     int workers, struct mf_bench_sample *sample, double *chunk_s, double *stitch_s)
{
    static char store[16384];
    char *argv[MF_BENCH_ARGV_MAX], log[1200];
    struct mf_bench_split *sp = &f->split;
    int n = 0, ret = mf_bench_ours_argv(st, f, outdir, argv, store, sizeof(store));
    while (ret == 0 && argv[n])
        n++;
    static char spec[2][32];
    snprintf(spec[0], sizeof(spec[0]), "%g", st->split);
    snprintf(spec[1], sizeof(spec[1]), "%d", workers);
    if (ret < 0 || n + 6 >= MF_BENCH_ARGV_MAX) {
        mf_errf(sp->error, sizeof(sp->error), "split: command line too long");
        return -1;
    }
    argv[n++] = "--split";
    argv[n++] = spec[0];
    argv[n++] = "--workers";
    argv[n++] = spec[1];
    if (st->split_pin)
        argv[n++] = "--pin";
    argv[n] = NULL;
    snprintf(log, sizeof(log), "%s/split.log", outdir);
    ret = mf_bench_spawn(argv, log, sample);
    if (ret != 0) {
        char tail[300];
        mf_bench_log_tail(log, tail, sizeof(tail));
        mf_errf(sp->error, sizeof(sp->error), "encode --split %g --workers %d %s: %s", st->split, workers,
                ret < 0 ? "could not start" : "failed", ret < 0 ? strerror(-ret) : tail);
        return -1;
    }
    if (read_split_line(log, &sp->chunks, chunk_s, stitch_s) < 0) {
        mf_errf(sp->error, sizeof(sp->error), "encode --split: no 'split:' summary in its log");
        return -1;
    }
    fprintf(stderr, "bench: %s split %g s x %d%s wall %7.2f s  cpu %7.2f s  (chunks %.2f s, stitch %.3f s)\n",
            f->name, st->split, workers, st->split_pin ? " pinned" : "", sample->wall, sample->cpu,
            *chunk_s, *stitch_s);
    return 0;
}

/* Every rung of the split output has the unsplit one's frame count. */
static int check_frames(struct mf_bench_file *f, const char *outdir)
{
    const struct mf_bench_side *ours = &f->side[MF_BENCH_OURS];
    for (int i = 0; i < ours->n_rungs; i++) {
        struct mf_bench_rung r = ours->rungs[i];
        char path[1200];
        mf_bench_output_path(path, sizeof(path), outdir, MF_BENCH_OURS, &r);
        if (mf_bench_probe_output(path, &r) < 0 || r.frames != ours->rungs[i].frames) {
            mf_errf(f->split.error, sizeof(f->split.error), "split: %s has %lld frames, unsplit %lld",
                    ours->rungs[i].name, (long long)r.frames, (long long)ours->rungs[i].frames);
            return -1;
        }
    }
    return 0;
}

int mf_bench_split(const struct mf_bench_settings *st, struct mf_bench_file *f, const char *outdir)
{
    struct mf_bench_split *sp = &f->split;
    int one = st->split_pin && st->split_workers > 1;
    double wall[MF_BENCH_MAX_RUNS], cpu[MF_BENCH_MAX_RUNS], ch[MF_BENCH_MAX_RUNS], sti[MF_BENCH_MAX_RUNS];
    double owall[MF_BENCH_MAX_RUNS], ocpu[MF_BENCH_MAX_RUNS], och[MF_BENCH_MAX_RUNS];
    for (int run = 0; run < st->runs; run++) {
        struct mf_bench_sample s;
        double unused;
        if (run_split(st, f, outdir, st->split_workers, &s, &ch[run], &sti[run]) < 0)
            return -1;
        wall[run] = s.wall;
        cpu[run] = s.cpu;
        if (run == 0 && check_frames(f, outdir) < 0)
            return -1;
        if (one) {
            if (run_split(st, f, outdir, 1, &s, &och[run], &unused) < 0)
                return -1;
            owall[run] = s.wall;
            ocpu[run] = s.cpu;
        }
        sp->n++;
    }
    sp->frames_equal = 1;
    sp->wall = mf_bench_stat_of(wall, sp->n);
    sp->cpu = mf_bench_stat_of(cpu, sp->n);
    sp->chunks_s = mf_bench_stat_of(ch, sp->n);
    sp->stitch_s = mf_bench_stat_of(sti, sp->n);
    if (one) {
        sp->one_wall = mf_bench_stat_of(owall, sp->n);
        sp->one_cpu = mf_bench_stat_of(ocpu, sp->n);
        sp->one_chunks_s = mf_bench_stat_of(och, sp->n);
    }
    sp->ok = 1;
    return 0;
}

void mf_bench_split_print(const struct mf_bench_settings *st, const struct mf_bench_file *f)
{
    const struct mf_bench_split *sp = &f->split;
    const struct mf_bench_side *u = &f->side[MF_BENCH_OURS];
    int one = st->split_pin && st->split_workers > 1;
    printf("  split %g s x %d worker%s%s, %d chunks: wall %.2f s (%.2f-%.2f), cpu %.2f s; unsplit wall %.2f s, "
           "cpu %.2f s: wall x%.3f, CPU %+.1f%%; frames equal per rung\n", st->split, st->split_workers,
           st->split_workers == 1 ? "" : "s", st->split_pin ? " (pinned)" : "", sp->chunks, sp->wall.median,
           sp->wall.min, sp->wall.max, sp->cpu.median, u->wall.median, u->cpu.median,
           mf_bench_ratio(sp->wall.median, u->wall.median), 100 * (mf_bench_ratio(sp->cpu.median, u->cpu.median) - 1));
    printf("          chunks %.2f s, stitch %.3f s", sp->chunks_s.median, sp->stitch_s.median);
    if (one)
        printf("; 1 pinned worker wall %.2f s (%.2f-%.2f), cpu %.2f s: %d vs 1 pinned wall x%.3f",
               sp->one_wall.median, sp->one_wall.min, sp->one_wall.max, sp->one_cpu.median, st->split_workers,
               mf_bench_ratio(sp->wall.median, sp->one_wall.median));
    printf("\n");
    if (!one || f->duration <= 0)
        return;
    /* The model's inputs, per media second, from the 1-pinned-worker run. */
    double c = sp->one_chunks_s.median / f->duration;
    double stitch = sp->stitch_s.median / f->duration;
    double plan = sp->one_wall.median - sp->one_chunks_s.median - stitch * f->duration;
    if (plan < 0)
        plan = 0;
    /* The chunk length the plan uses: S rounded to a whole number of GOPs (split_plan.c). */
    double len = fmax(1, round(st->split / st->gop)) * st->gop;
    int chunks = (int)ceil(MODEL_FILM / len - 1e-9);
    printf("  model, a %.0f s film in %d chunks of %g s (a pod = 1 pinned worker): chunk %.3f s per media s, "
           "stitch %.5f s per media s, plan %.2f s\n", MODEL_FILM, chunks, len, c, stitch, plan);
    for (size_t i = 0; i < sizeof(model_pods) / sizeof(model_pods[0]); i++) {
        int p = model_pods[i], rounds = (chunks + p - 1) / p;
        double t = plan + rounds * len * c + MODEL_FILM * stitch;
        printf("          %4d pod%s: %3d round%s of chunks, %8.1f s (%.1f min)\n", p, p == 1 ? " " : "s",
               rounds, rounds == 1 ? " " : "s", t, t / 60);
    }
    printf("          stops scaling at %d pods (one chunk each): %.1f s\n", chunks,
           plan + len * c + MODEL_FILM * stitch);
}
