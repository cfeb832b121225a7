/*
 * The two command lines bench compares: our own binary's encode, and the
 * ffmpeg CLI doing the same work in one process. "Same" means: the bicubic
 * scale filter to the sizes we produced, the same preset and CRF/bitrate,
 * IDRs forced every GOP by time with scene cuts off and -g twice the GOP
 * (as the pipeline sets x264), AAC 128k 48 kHz stereo, MP4 with faststart.
 */
#include "bench.h"

#include <libavutil/error.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

int mf_bench_ffmpeg_argv(const struct mf_bench_settings *st, const struct mf_bench_file *f,
                         const struct mf_bench_rung *rungs, int n_rungs, const char *outdir,
                         char **argv, char *store, size_t store_len)
{
    struct argv_builder b = { argv, 0, store, 0, store_len, 0 };
    char graph[2048];
    size_t g = 0;
    add(&b, "ffmpeg");
    add(&b, "-hide_banner");
    add(&b, "-nostdin");
    add(&b, "-nostats");
    add(&b, "-v");
    add(&b, "error");
    add(&b, "-y");
    add(&b, "-i");
    add(&b, "%s", f->path);
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
        char path[1200];
        mf_bench_output_path(path, sizeof(path), outdir, MF_BENCH_FFMPEG, &rungs[i]);
        add(&b, "%s", path);
    }
    return b.failed ? AVERROR(E2BIG) : 0;
}
