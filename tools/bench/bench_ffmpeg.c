/*
 * The two command lines bench compares: our own binary's encode, and the
 * ffmpeg CLI doing the same work in one process. "Same" means: the bicubic
 * scale filter to the sizes we produced, the same preset and CRF/bitrate,
 * IDRs forced every GOP by time with scene cuts off and -g twice the GOP
 * (as the pipeline sets x264), AAC 128k 48 kHz stereo, MP4 with faststart.
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "common/util.h"

struct argv_builder {
    char **argv;
    int n;
    char *store;
    size_t used, len;
    int failed;
};

static void add(struct argv_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct argv_builder *b, const char *fmt, ...)
{
    if (b->failed || b->n + 2 > MF_BENCH_ARGV_MAX) {
        b->failed = 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->store + b->used, b->len - b->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->len - b->used) {
        b->failed = 1;
        return;
    }
    b->argv[b->n++] = b->store + b->used;
    b->argv[b->n] = NULL;
    b->used += (size_t)n + 1;
}

void mf_bench_output_path(char *buf, size_t len, const char *outdir, int side,
                          const struct mf_bench_rung *r)
{
    snprintf(buf, len, "%s/%s/%s.mp4", outdir, side == MF_BENCH_OURS ? "ours" : "ffmpeg", r->name);
}

static int gop_frames(const struct mf_bench_settings *st, const struct mf_bench_file *f)
{
    /* encoder_config() in pipeline.c */
    return (int)fmax(2, 2 * ceil(st->gop * f->fps));
}

int mf_bench_ours_argv(const struct mf_bench_settings *st, const struct mf_bench_file *f,
                       const char *outdir, char **argv, char *store, size_t store_len)
{
    struct argv_builder b = { argv, 0, store, 0, store_len, 0 };
    add(&b, "%s", st->self);
    add(&b, "encode");
    add(&b, "%s", f->path);
    add(&b, "-o");
    add(&b, "%s/ours", outdir);
    add(&b, "-y");                 /* each run writes over the last one's outputs */
    add(&b, "--ladder");
    add(&b, "%s", st->ladder);
    add(&b, "--preset");
    add(&b, "%s", st->preset);
    if (st->bitrate) {
        add(&b, "--bitrate");
        add(&b, "%s", st->bitrate);
    } else {
        add(&b, "--crf");
        add(&b, "%g", st->crf);
    }
    add(&b, "--gop");
    add(&b, "%g", st->gop);
    add(&b, "--format");
    add(&b, "mp4");
    add(&b, "--audio");
    add(&b, "aac");
    if (st->backend) {
        add(&b, "--backend");
        add(&b, "%s", st->backend);
    }
    if (st->threads > 0) {
        add(&b, "--threads");
        add(&b, "%d", st->threads);
    }
    if (st->no_cascade)
        add(&b, "--no-cascade");
    return b.failed ? AVERROR(E2BIG) : 0;
}

/* A path as the ffmpeg CLI sees it: under a chroot, relative to its root. -1 outside it. */
static int ffmpeg_path(const struct mf_bench_settings *st, const char *path, char *out, size_t len)
{
    if (!st->ffmpeg_root) {
        snprintf(out, len, "%s", path);
        return 0;
    }
    char root[1024], real[1024];
    if (!realpath(st->ffmpeg_root, root) || !realpath(path, real)) {
        /* An output does not exist yet: its directory does. */
        char dir[1024];
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        if (!slash || !realpath(st->ffmpeg_root, root))
            return -1;
        *slash = '\0';
        char rdir[1024];
        if (!realpath(dir, rdir))
            return -1;
        if (mf_path_fmt(real, sizeof(real), "%s/%s", rdir, slash + 1) < 0)
            return -1;
    }
    size_t n = strlen(root);
    if (!strcmp(root, "/"))
        n = 0;
    else if (strncmp(real, root, n) || real[n] != '/')
        return -1;
    snprintf(out, len, "%s", real + n);
    return 0;
}

int mf_bench_ffmpeg_setup(struct mf_bench_settings *st, const char *cmd, const char *workdir,
                          char *err, size_t err_len)
{
    static char words[1024];
    snprintf(words, sizeof(words), "%s", cmd ? cmd : "ffmpeg");
    st->n_ffmpeg = 0;
    for (char *save = NULL, *w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (st->n_ffmpeg == MF_BENCH_FFMPEG_WORDS) {
            mf_errf(err, err_len, "--ffmpeg: at most %d words", MF_BENCH_FFMPEG_WORDS);
            return -1;
        }
        st->ffmpeg[st->n_ffmpeg++] = w;
    }
    if (!st->n_ffmpeg) {
        mf_errf(err, err_len, "--ffmpeg: empty command");
        return -1;
    }
    const char *base = strrchr(st->ffmpeg[0], '/');
    st->ffmpeg_root = !strcmp(base ? base + 1 : st->ffmpeg[0], "chroot") && st->n_ffmpeg >= 3
        ? st->ffmpeg[1] : NULL;
    if (st->ffmpeg_root) {
        char probe[1100], seen[1100];
        snprintf(probe, sizeof(probe), "%s/x", workdir);
        if (ffmpeg_path(st, probe, seen, sizeof(seen)) < 0) {
            mf_errf(err, err_len, "--ffmpeg runs in %s: --workdir %s must lie inside it "
                    "(e.g. --workdir %s/work, or mount --bind the folder there)",
                    st->ffmpeg_root, workdir, st->ffmpeg_root);
            return -1;
        }
    }
    /* The version line, for the table and the JSON: CMD -version, its first line. */
    char *argv[MF_BENCH_FFMPEG_WORDS + 3], log[1100];
    int n = 0;
    for (int i = 0; i < st->n_ffmpeg; i++)
        argv[n++] = st->ffmpeg[i];
    argv[n++] = "-hide_banner";
    argv[n++] = "-version";
    argv[n] = NULL;
    snprintf(log, sizeof(log), "%s/ffmpeg-version.txt", workdir);
    struct mf_bench_sample s;
    if (mf_bench_spawn(argv, log, &s) != 0) {
        char tail[300];
        mf_bench_log_tail(log, tail, sizeof(tail));
        mf_errf(err, err_len, "--ffmpeg '%s': '-version' failed: %s", cmd ? cmd : "ffmpeg", tail);
        return -1;
    }
    FILE *fp = fopen(log, "r");
    st->ffmpeg_version[0] = '\0';
    if (fp) {
        if (fgets(st->ffmpeg_version, sizeof(st->ffmpeg_version), fp))
            st->ffmpeg_version[strcspn(st->ffmpeg_version, "\r\n")] = '\0';
        fclose(fp);
    }
    unlink(log);
    return 0;
}

int mf_bench_ffmpeg_argv(const struct mf_bench_settings *st, const struct mf_bench_file *f,
                         const struct mf_bench_rung *rungs, int n_rungs, const char *outdir,
                         char **argv, char *store, size_t store_len)
{
    struct argv_builder b = { argv, 0, store, 0, store_len, 0 };
    char graph[2048];
    size_t g = 0;
    char in[1100];
    if (ffmpeg_path(st, f->path, in, sizeof(in)) < 0)
        return AVERROR(EXDEV);
    for (int i = 0; i < st->n_ffmpeg; i++)
        add(&b, "%s", st->ffmpeg[i]);
    add(&b, "-hide_banner");
    add(&b, "-nostdin");
    add(&b, "-nostats");
    add(&b, "-v");
    add(&b, "error");
    add(&b, "-y");
    add(&b, "-i");
    add(&b, "%s", in);
    /* One decode, split to every rung, as our pipeline does. The pipeline
     * deinterlaces interlaced sources with bwdif before scaling. */
    g += (size_t)snprintf(graph + g, sizeof(graph) - g, "[0:v]%s",
                          f->interlaced ? "bwdif=mode=send_frame:parity=auto:deint=interlaced," : "");
    if (n_rungs > 1) {
        g += (size_t)snprintf(graph + g, sizeof(graph) - g, "split=%d", n_rungs);
        for (int i = 0; i < n_rungs; i++)
            g += (size_t)snprintf(graph + g, sizeof(graph) - g, "[s%d]", i);
    } else {
        g += (size_t)snprintf(graph + g, sizeof(graph) - g, "null[s0]");
    }
    for (int i = 0; i < n_rungs && g < sizeof(graph); i++)
        g += (size_t)snprintf(graph + g, sizeof(graph) - g,
                              ";[s%d]scale=w=%d:h=%d:flags=bicubic,format=yuv420p,setsar=1[v%d]",
                              i, rungs[i].width, rungs[i].height, i);
    if (g >= sizeof(graph))
        return AVERROR(E2BIG);
    add(&b, "-filter_complex");
    add(&b, "%s", graph);
    for (int i = 0; i < n_rungs; i++) {
        add(&b, "-map");
        add(&b, "[v%d]", i);
        if (f->has_audio) {
            add(&b, "-map");
            add(&b, "0:a:0");
            add(&b, "-c:a");
            add(&b, "aac");
            add(&b, "-b:a");
            add(&b, "128k");
            add(&b, "-ar");
            add(&b, "48000");
            add(&b, "-ac");
            add(&b, "2");
        }
        add(&b, "-fps_mode");
        add(&b, "passthrough");
        add(&b, "-c:v");
        add(&b, "libx264");
        add(&b, "-preset");
        add(&b, "%s", st->preset);
        if (st->bitrate) {
            add(&b, "-b:v");
            add(&b, "%s", st->bitrate);
        } else {
            add(&b, "-crf");
            add(&b, "%g", st->crf);
        }
        add(&b, "-force_key_frames");
        add(&b, "expr:gte(t,n_forced*%g)", st->gop);
        add(&b, "-sc_threshold");
        add(&b, "0");
        add(&b, "-g");
        add(&b, "%d", gop_frames(st, f));
        add(&b, "-movflags");
        add(&b, "+faststart");
        char path[1200], seen[1200];
        mf_bench_output_path(path, sizeof(path), outdir, MF_BENCH_FFMPEG, &rungs[i]);
        if (ffmpeg_path(st, path, seen, sizeof(seen)) < 0)
            return AVERROR(EXDEV);
        add(&b, "%s", seen);
    }
    return b.failed ? AVERROR(E2BIG) : 0;
}
