/*
 * mpegflow bench: each file through our pipeline and, with --vs-ffmpeg,
 * through the ffmpeg CLI doing the same work, alternating run by run.
 * Both run as child processes (ours: this very binary's encode) so CPU
 * seconds and peak RSS come from wait4() the same way for both.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "bench/bench.h"
#include "commands.h"
#include "common/self_exe.h"
#include "common/quantity.h"
#include "common/fs.h"
#include "common/util.h"

#define MAX_FILES 256

static void usage(FILE *f)
{
    fprintf(f,
        "usage: mpegflow bench [FILES... | --media DIR] [options]\n\n"
        "  --media DIR       every media file in DIR (files without video are left out)\n"
        "  --ladder H,H,...  rendition heights (default 720,480,360)\n"
        "  --preset P        x264 preset (default veryfast)\n"
        "  --crf N           constant quality (default 23)\n"
        "  --bitrate R       average bitrate per rendition instead of CRF, e.g. 2500k\n"
        "  --gop SECONDS     keyframe interval (default 2)\n"
        "  --backend NAME    our encoder backend (default: encode's automatic choice)\n"
        "  --threads N       our encoder threads per rendition (default: automatic)\n"
        "  --no-cascade      ours scales every rung from the source (encode --no-cascade)\n"
        "  --runs N          runs per side and file; medians with min/max (default 3)\n"
        "  --vs-ffmpeg       also run the ffmpeg CLI on the same work, alternating with ours\n"
        "  --ffmpeg 'CMD'    the ffmpeg CLI to compare with (default ffmpeg), split at spaces;\n"
        "                    'chroot DIR ffmpeg' runs it in DIR, where the files must lie\n"
        "  --no-quality      skip PSNR/SSIM (they take one extra decode per side and file)\n"
        "  --json FILE       write every figure as JSON\n"
        "  --chart FILE.svg  write a chart: wall/CPU time of every run, PSNR vs bitrate per rendition\n"
        "  --workdir DIR     where outputs are written and removed (default $TMPDIR or /tmp)\n"
        "  --worker          also the same job end to end through `mpegflow worker` (redis-server and\n"
        "                    nginx started on loopback) against `encode --job`: the worker's overhead\n"
        "  --split S         also encode --split S (local chunk processes) against the unsplit run:\n"
        "                    wall, CPU, frames per rung; --workers N (default 2) --pin (one core per\n"
        "                    worker, and 1 pinned worker too, with the scaling model of a 2-hour film)\n"
        "  -h, --help        this help\n\n"
        "Each encode is a child process measured with wait4(): wall and CPU seconds, peak RSS.\n"
        "PSNR/SSIM are computed by ffmpeg's psnr/ssim filters against the source scaled with\n"
        "the same bicubic scaler. Ratios are ours / ffmpeg's (below 1 is better for time).\n");
}

enum { OPT_MEDIA = 256, OPT_LADDER, OPT_PRESET, OPT_CRF, OPT_BITRATE, OPT_GOP, OPT_BACKEND,
       OPT_THREADS, OPT_RUNS, OPT_VS, OPT_NOQ, OPT_JSON, OPT_CHART, OPT_WORKDIR, OPT_WORKER,
       OPT_NO_CASCADE, OPT_FFMPEG, OPT_SPLIT, OPT_WORKERS, OPT_PIN };

static const struct option long_opts[] = {
    { "media", required_argument, NULL, OPT_MEDIA },     { "ladder", required_argument, NULL, OPT_LADDER },
    { "preset", required_argument, NULL, OPT_PRESET },   { "crf", required_argument, NULL, OPT_CRF },
    { "bitrate", required_argument, NULL, OPT_BITRATE }, { "gop", required_argument, NULL, OPT_GOP },
    { "backend", required_argument, NULL, OPT_BACKEND }, { "threads", required_argument, NULL, OPT_THREADS },
    { "runs", required_argument, NULL, OPT_RUNS },       { "vs-ffmpeg", no_argument, NULL, OPT_VS },
    { "no-quality", no_argument, NULL, OPT_NOQ },        { "json", required_argument, NULL, OPT_JSON },
    { "chart", required_argument, NULL, OPT_CHART },     { "workdir", required_argument, NULL, OPT_WORKDIR },
    { "worker", no_argument, NULL, OPT_WORKER },         { "help", no_argument, NULL, 'h' },
    { "no-cascade", no_argument, NULL, OPT_NO_CASCADE }, { "ffmpeg", required_argument, NULL, OPT_FFMPEG },
    { "split", required_argument, NULL, OPT_SPLIT },     { "workers", required_argument, NULL, OPT_WORKERS },
    { "pin", no_argument, NULL, OPT_PIN },
    { NULL, 0, NULL, 0 },
};

struct bench_args {
    struct mf_bench_settings st;
    const char *media, *json, *chart, *ffmpeg;
    const char *files[MAX_FILES];
    int n_files;
};

static int parse_ladder(struct mf_bench_settings *st, const char *spec)
{
    const char *p = spec;
    st->n_heights = 0;
    while (*p) {
        char *end;
        long h = strtol(p, &end, 10);
        if (end == p || h < 16 || h > 4320 || (*end && *end != ',') || st->n_heights == MF_MAX_RENDITIONS)
            return -1;
        st->heights[st->n_heights++] = (int)h;
        p = *end ? end + 1 : end;
    }
    snprintf(st->ladder, sizeof(st->ladder), "%s", spec);
    return st->n_heights ? 0 : -1;
}

static int parse_number(const char *s, double lo, double hi, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return end != s && !*end && *v >= lo && *v <= hi ? 0 : -1;
}

/* A number flag in [lo, hi]; the message names the flag. */
static int number_flag(const char *flag, const char *s, double lo, double hi, double *v)
{
    if (parse_number(s, lo, hi, v) == 0)
        return 0;
    fprintf(stderr, "mpegflow bench: --%s: must be a number from %g to %g, not '%s'\n", flag, lo, hi, s);
    return -1;
}

/* One option from getopt_long: 0, 1 for --help, -1 after the message. */
static int take_option(struct bench_args *a, int c, const char *arg)
{
    double v;
    switch (c) {
    case OPT_MEDIA: a->media = arg; return 0;
    case OPT_LADDER:
        if (parse_ladder(&a->st, arg) == 0)
            return 0;
        fprintf(stderr, "mpegflow bench: --ladder: expected heights like 720,480,360 (16..4320), got '%s'\n", arg);
        return -1;
    case OPT_PRESET: a->st.preset = arg; return 0;
    case OPT_CRF:
        a->st.bitrate = NULL;
        return number_flag("crf", arg, 0, 51, &a->st.crf);
    case OPT_BITRATE:
        if (mf_parse_quantity(arg) <= 0) {
            fprintf(stderr, "mpegflow bench: --bitrate: '%s' is not a bitrate like 2500k or 3M\n", arg);
            return -1;
        }
        a->st.bitrate = arg;
        a->st.crf = -1;
        return 0;
    case OPT_GOP: return number_flag("gop", arg, 0.5, 20, &a->st.gop);
    case OPT_BACKEND: a->st.backend = arg; return 0;
    case OPT_THREADS:
        if (number_flag("threads", arg, 0, 128, &v) < 0)
            return -1;
        a->st.threads = (int)v;
        return 0;
    case OPT_RUNS:
        if (number_flag("runs", arg, 1, MF_BENCH_MAX_RUNS, &v) < 0)
            return -1;
        a->st.runs = (int)v;
        return 0;
    case OPT_VS: a->st.vs_ffmpeg = 1; return 0;
    case OPT_NOQ: a->st.quality = 0; return 0;
    case OPT_JSON: a->json = arg; return 0;
    case OPT_CHART: a->chart = arg; return 0;
    case OPT_WORKDIR: a->st.workdir = arg; return 0;
    case OPT_WORKER: a->st.worker = 1; return 0;
    case OPT_NO_CASCADE: a->st.no_cascade = 1; return 0;
    case OPT_FFMPEG: a->ffmpeg = arg; return 0;
    case OPT_SPLIT: return number_flag("split", arg, 0.5, 3600, &a->st.split);
    case OPT_WORKERS:
        if (number_flag("workers", arg, 1, 256, &v) < 0)
            return -1;
        a->st.split_workers = (int)v;
        return 0;
    case OPT_PIN: a->st.split_pin = 1; return 0;
    case 'h': usage(stdout); return 1;
    default: usage(stderr); return -1;
    }
}

/* This binary (mpegflow-media) and the mpegflow next to it, which the bench runs. */
static int find_binaries(struct mf_bench_settings *st)
{
    static char self[1024], cli[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        fprintf(stderr, "mpegflow bench: cannot find our own binary (/proc/self/exe): %s\n", strerror(errno));
        return -1;
    }
    self[n] = '\0';
    st->self = self;
    if (mf_sibling_exe("mpegflow", cli, sizeof(cli)) < 0) {
        fprintf(stderr, "mpegflow bench: cannot find mpegflow next to %s\n", self);
        return -1;
    }
    st->cli = cli;
    return 0;
}

static int parse_args(int argc, char **argv, struct bench_args *a)
{
    int c, ret;
    a->st = (struct mf_bench_settings){ .preset = "veryfast", .crf = 23, .gop = 2, .runs = 3, .quality = 1,
                                        .split_workers = 2 };
    parse_ladder(&a->st, "720,480,360");
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1)
        if ((ret = take_option(a, c, optarg)) != 0)
            return ret;
    for (int i = optind; i < argc && a->n_files < MAX_FILES; i++)
        a->files[a->n_files++] = argv[i];
    if (!a->n_files && !a->media) {
        fprintf(stderr, "mpegflow bench: name FILES or --media DIR\n");
        usage(stderr);
        return -1;
    }
    if (find_binaries(&a->st) < 0)
        return -1;
    if (!a->st.workdir)
        a->st.workdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char err[512];
    if (a->st.vs_ffmpeg && mf_bench_ffmpeg_setup(&a->st, a->ffmpeg, a->st.workdir, err, sizeof(err)) < 0) {
        fprintf(stderr, "mpegflow bench: %s\n", err);
        return -1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files of DIR in name order; MANIFEST and the like are left out
 * later, when they turn out to have no video. */
static int list_media(struct bench_args *a)
{
    static char names[MAX_FILES][1024];
    DIR *d = opendir(a->media);
    if (!d) {
        fprintf(stderr, "mpegflow bench: --media %s: %s\n", a->media, strerror(errno));
        return -1;
    }
    const char *found[MAX_FILES];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_FILES) {
        struct stat sb;
        if (e->d_name[0] == '.')
            continue;
        snprintf(names[n], sizeof(names[n]), "%s/%s", a->media, e->d_name);
        if (stat(names[n], &sb) == 0 && S_ISREG(sb.st_mode))
            found[n] = names[n], n++;
    }
    closedir(d);
    qsort(found, (size_t)n, sizeof(found[0]), cmp_str);
    for (int i = 0; i < n && a->n_files < MAX_FILES; i++)
        a->files[a->n_files++] = found[i];
    return 0;
}

/* Load average (1, 5, 15 min) and the CPU pressure stall (PSI "some",
 * avg60: % of time runnable tasks waited for a CPU): how shared the host
 * was. Timings on a busy host are only comparable as ratios. */
static void read_load(double load[4])
{
    FILE *f = fopen("/proc/loadavg", "r");
    load[0] = load[1] = load[2] = load[3] = -1;
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = load[1] = load[2] = -1;
        fclose(f);
    }
    if ((f = fopen("/proc/pressure/cpu", "r"))) {
        if (fscanf(f, "some avg10=%*f avg60=%lf", &load[3]) != 1)
            load[3] = -1;
        fclose(f);
    }
}

/* The rungs our encode produced (renditions taller than the source are
 * skipped by the pipeline, and so by ffmpeg here). */
static int find_rungs(const struct mf_bench_settings *st, struct mf_bench_file *f, const char *outdir)
{
    struct mf_bench_side *s = &f->side[MF_BENCH_OURS];
    s->n_rungs = 0;
    for (int i = 0; i < st->n_heights; i++) {
        struct mf_bench_rung *r = &s->rungs[s->n_rungs];
        char path[1200];
        *r = (struct mf_bench_rung){ .psnr = -1, .ssim = -1 };
        snprintf(r->name, sizeof(r->name), "%dp", st->heights[i]);
        mf_bench_output_path(path, sizeof(path), outdir, MF_BENCH_OURS, r);
        if (access(path, F_OK) != 0)
            continue;
        int ret = mf_bench_probe_output(path, r);    /* ffmpeg scales to these sizes */
        if (ret < 0) {
            mf_errf(f->error, sizeof(f->error), "%s: cannot read: %s", path, av_err2str(ret));
            return -1;
        }
        s->n_rungs++;
    }
    if (!s->n_rungs) {
        mf_errf(f->error, sizeof(f->error), "no rendition of the ladder %s was produced", st->ladder);
        return -1;
    }
    return 0;
}

static int run_side(const struct mf_bench_settings *st, struct mf_bench_file *f, int side,
                    const char *outdir, int run)
{
    static char store[16384];
    char *argv[MF_BENCH_ARGV_MAX], log[1200];
    struct mf_bench_side *s = &f->side[side];
    const char *who = side == MF_BENCH_OURS ? "mpegflow" : "ffmpeg";
    int ret = side == MF_BENCH_OURS
        ? mf_bench_ours_argv(st, f, outdir, argv, store, sizeof(store))
        : mf_bench_ffmpeg_argv(st, f, f->side[MF_BENCH_OURS].rungs, f->side[MF_BENCH_OURS].n_rungs,
                               outdir, argv, store, sizeof(store));
    if (ret == AVERROR(EXDEV)) {
        mf_errf(s->error, sizeof(s->error), "ffmpeg: %s or the work folder is outside the --ffmpeg root %s "
                "(bind-mount it there)", f->path, st->ffmpeg_root);
        return ret;
    }
    if (ret < 0) {
        mf_errf(s->error, sizeof(s->error), "%s: command line too long", who);
        return ret;
    }
    snprintf(log, sizeof(log), "%s/%s.log", outdir, who);
    struct mf_bench_sample sample;
    ret = mf_bench_spawn(argv, log, &sample);
    if (ret != 0) {
        char tail[300];
        mf_bench_log_tail(log, tail, sizeof(tail));
        mf_errf(s->error, sizeof(s->error), "%s %s: %s", who, ret < 0 ? "could not start" : "failed",
                 ret < 0 ? strerror(-ret) : tail);
        return -1;
    }
    s->samples[s->n_samples++] = sample;
    fprintf(stderr, "bench: %s run %d/%d %-8s wall %7.2f s  cpu %7.2f s  rss %6.1f MB\n", f->name,
            run + 1, st->runs, who, sample.wall, sample.cpu, sample.max_rss_kb / 1024.0);
    return 0;
}

static void measure_outputs(const struct mf_bench_settings *st, struct mf_bench_file *f,
                            const char *outdir, int side)
{
    struct mf_bench_side *s = &f->side[side];
    const struct mf_bench_side *ours = &f->side[MF_BENCH_OURS];
    s->n_rungs = ours->n_rungs;
    for (int i = 0; i < s->n_rungs; i++) {
        char path[1200];
        if (side != MF_BENCH_OURS) {
            s->rungs[i] = (struct mf_bench_rung){ .psnr = -1, .ssim = -1 };
            snprintf(s->rungs[i].name, sizeof(s->rungs[i].name), "%s", ours->rungs[i].name);
        }
        mf_bench_output_path(path, sizeof(path), outdir, side, &s->rungs[i]);
        int ret = mf_bench_probe_output(path, &s->rungs[i]);
        if (ret < 0) {
            mf_errf(s->error, sizeof(s->error), "%s: cannot read: %s", path, av_err2str(ret));
            s->ok = 0;
            return;
        }
    }
    s->frames = s->n_rungs ? s->rungs[0].frames : 0;
    if (st->quality && mf_bench_quality(f, outdir, side, s->rungs, s->n_rungs, s->error, sizeof(s->error)) < 0)
        s->ok = 0;
}

static void bench_file(const struct mf_bench_settings *st, struct mf_bench_file *f)
{
    char outdir[1024];
    int sides = st->vs_ffmpeg ? 2 : 1;
    snprintf(outdir, sizeof(outdir), "%s/mpegflow-bench-XXXXXX", st->workdir);
    if (!mkdtemp(outdir)) {
        mf_errf(f->error, sizeof(f->error), "%s: cannot create: %s", outdir, strerror(errno));
        return;
    }
    char sub[1100];
    snprintf(sub, sizeof(sub), "%s/ffmpeg", outdir);
    mkdir(sub, 0755);
    for (int side = 0; side < sides; side++)
        f->side[side].ok = 1;
    /* Alternate, so that a change in the machine's load hits both sides. */
    for (int run = 0; run < st->runs; run++) {
        for (int side = 0; side < sides; side++) {
            if (!f->side[side].ok)
                continue;
            if (run_side(st, f, side, outdir, run) < 0) {
                f->side[side].ok = 0;
                continue;
            }
            if (side == MF_BENCH_OURS && run == 0 && find_rungs(st, f, outdir) < 0) {
                f->side[MF_BENCH_OURS].ok = 0;
                sides = 1;
            }
        }
        if (!f->side[MF_BENCH_OURS].ok)
            break;     /* ffmpeg's sizes come from ours */
    }
    for (int side = 0; side < sides; side++) {
        if (f->side[side].ok)
            measure_outputs(st, f, outdir, side);
        mf_bench_side_stats(&f->side[side]);
    }
    f->ok = f->side[MF_BENCH_OURS].ok && (!st->vs_ffmpeg || f->side[MF_BENCH_FFMPEG].ok);
    if (f->ok && st->split > 0 && mf_bench_split(st, f, outdir) < 0) {
        f->ok = 0;
        mf_errf(f->error, sizeof(f->error), "%s", f->split.error);
    }
    if (f->ok && st->worker && mf_bench_worker(st, f) < 0) {
        f->ok = 0;
        mf_errf(f->error, sizeof(f->error), "worker: %s", f->worker.error);
    }
    if (!f->ok && !f->error[0])
        mf_errf(f->error, sizeof(f->error), "%s",
                 f->side[MF_BENCH_OURS].ok ? f->side[MF_BENCH_FFMPEG].error : f->side[MF_BENCH_OURS].error);
    mf_remove_tree(outdir);
}

int mf_cmd_bench(int argc, char **argv)
{
    static struct bench_args a;
    static struct mf_bench_file files[MAX_FILES];
    int ret = parse_args(argc, argv, &a);
    if (ret)
        return ret > 0 ? MF_EXIT_OK : MF_EXIT_USAGE;
    if (a.media && list_media(&a) < 0)
        return MF_EXIT_USAGE;
    double load[2][4];
    read_load(load[0]);
    int n = 0, failed = 0;
    for (int i = 0; i < a.n_files; i++) {
        struct mf_bench_file *f = &files[n];
        *f = (struct mf_bench_file){ 0 };
        snprintf(f->path, sizeof(f->path), "%s", a.files[i]);
        const char *slash = strrchr(f->path, '/');
        f->name = slash ? slash + 1 : f->path;
        if ((ret = mf_bench_probe_source(f)) < 0) {
            /* In a directory, files without video are not samples. */
            if (a.media) {
                fprintf(stderr, "bench: %s: left out (%s)\n", f->name, av_err2str(ret));
                continue;
            }
            mf_errf(f->error, sizeof(f->error), "cannot read the source: %s", av_err2str(ret));
        } else {
            bench_file(&a.st, f);
        }
        if (!f->ok) {
            fprintf(stderr, "bench: %s: %s\n", f->name, f->error);
            failed++;
        }
        n++;
    }
    read_load(load[1]);
    mf_bench_print_table(&a.st, files, n, (const double (*)[4])load);
    if (a.json && mf_bench_write_json(a.json, &a.st, files, n, (const double (*)[4])load) < 0) {
        fprintf(stderr, "mpegflow bench: %s: cannot write: %s\n", a.json, strerror(errno));
        return MF_EXIT_FAIL;
    }
    if (a.chart && mf_bench_write_chart(a.chart, &a.st, files, n) < 0) {
        fprintf(stderr, "mpegflow bench: %s: cannot write: %s\n", a.chart, strerror(errno));
        return MF_EXIT_FAIL;
    }
    return failed ? MF_EXIT_FAIL : MF_EXIT_OK;
}
