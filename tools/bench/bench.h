/*
 * mpegflow bench (DESIGN section 8): the pipeline against the ffmpeg CLI on
 * the same work. Every encode runs as a child process so that wait4() gives
 * its CPU time and peak RSS exactly, for us and for ffmpeg alike.
 */
#ifndef MF_BENCH_H
#define MF_BENCH_H

#include <stdint.h>
#include <sys/types.h>

#include "mpegflow/job.h"

#define MF_BENCH_MAX_RUNS 64
#define MF_BENCH_FFMPEG_WORDS 16

enum { MF_BENCH_OURS = 0, MF_BENCH_FFMPEG = 1, MF_BENCH_SIDES = 2 };

struct mf_bench_settings {
    char ladder[128];              /* "720,480,360" */
    int heights[MF_MAX_RENDITIONS];
    int n_heights;
    const char *preset;
    double crf;                    /* < 0 when --bitrate */
    const char *bitrate;           /* NULL when --crf */
    const char *backend;           /* NULL: the encode default */
    double gop;                    /* seconds */
    int threads;                   /* passed to encode --threads; 0 = automatic */
    int no_cascade;                /* passed to encode --no-cascade */
    int runs;
    int vs_ffmpeg;
    int quality;                   /* compute PSNR/SSIM */
    int worker;                    /* also end to end through the queue worker */
    double split;                  /* bench --split S: also encode --split S (0: not) */
    int split_workers;             /* --workers N (default 2) */
    int split_pin;                 /* --pin: one core per worker, and 1 pinned worker too */
    const char *self;              /* our binary (mpegflow-media): encode */
    const char *cli;               /* mpegflow next to it: worker, submit, status */
    const char *workdir;           /* temp outputs go below */
    /* The ffmpeg CLI we compare with: --ffmpeg 'CMD' split at spaces, e.g. "chroot DIR ffmpeg"
     * for FFmpeg 7.1 in a Debian 13 root. Under chroot, ffmpeg_root is DIR: the files ffmpeg
     * reads and writes must lie inside it, and it is given their paths as seen from there. */
    char *ffmpeg[MF_BENCH_FFMPEG_WORDS];
    int n_ffmpeg;
    const char *ffmpeg_root;       /* NULL: no chroot */
    char ffmpeg_version[160];      /* first line of `CMD -version` */
};

/* One child process. */
struct mf_bench_sample {
    double wall, cpu;              /* seconds; cpu = user + system */
    double user, sys;
    int64_t max_rss_kb;
};

struct mf_bench_stat {
    double median, min, max;
};

struct mf_bench_rung {
    char name[MF_NAME_MAX];
    int width, height;
    int64_t frames;                /* video packets in the output */
    int64_t video_bytes;
    double duration;               /* seconds of video in the output */
    double bitrate;                /* video bits/s */
    double psnr, ssim;             /* < 0 when not computed */
};

struct mf_bench_side {
    int ok;
    char error[MF_ERR_MAX];
    int n_samples;
    struct mf_bench_sample samples[MF_BENCH_MAX_RUNS];
    struct mf_bench_stat wall, cpu, rss_mb;
    int64_t frames;                /* frames of the first rung */
    int n_rungs;
    struct mf_bench_rung rungs[MF_MAX_RENDITIONS];
};

/* bench --worker: the same job through the queue worker vs encode --job. */
struct mf_bench_worker {
    int ran, ok;
    char error[MF_ERR_MAX];
    int n;
    struct mf_bench_stat local_wall, e2e_wall;   /* encode --job; submit --wait */
    struct mf_bench_stat local_cpu, worker_cpu;  /* encode child; worker's CPU per job */
    struct mf_bench_stat pickup;                 /* job hash started_at - created_at */
    double idle_rss_mb;                          /* the worker before its first job */
};

/* bench --split: encode --split S --workers N against the unsplit encode (side ours). */
struct mf_bench_split {
    int ok;
    char error[MF_ERR_MAX];
    int n, chunks;                               /* runs; chunks of the plan */
    int frames_equal;                            /* every rung: the unsplit's frame count */
    struct mf_bench_stat wall, cpu;              /* N workers */
    struct mf_bench_stat one_wall, one_cpu;      /* 1 pinned worker (--pin, N > 1) */
    struct mf_bench_stat chunks_s, stitch_s;     /* N workers: all chunks done; the stitch */
    struct mf_bench_stat one_chunks_s;           /* 1 pinned worker: all chunks done */
};

struct mf_bench_file {
    char path[1024];
    const char *name;              /* basename of path */
    int ok;
    char error[MF_ERR_MAX];
    /* source, from libavformat */
    int width, height;
    double fps, duration;
    int has_audio;
    int interlaced;                /* the pipeline deinterlaces these */
    struct mf_bench_side side[MF_BENCH_SIDES];
    struct mf_bench_worker worker;
    struct mf_bench_split split;
};

/* bench_proc.c */
/** Run argv (argv[0] searched in PATH) with stdout and stderr going to
 *  log_path (or /dev/null), measure it with wait4(). Returns the exit
 *  status (0 = success), 128+signal, or a negative errno when it could not
 *  start. */
int mf_bench_spawn(char *const argv[], const char *log_path, struct mf_bench_sample *s);
/** Start argv (with envp, or our environment when NULL) without waiting. */
int mf_bench_start(char *const argv[], char *const envp[], const char *log_path, pid_t *pid);
/** Wait for pid, started at t0 (mf_now()), and measure it; returns as mf_bench_spawn. */
int mf_bench_reap(pid_t pid, double t0, struct mf_bench_sample *s);
/** The last line of a log file that is not empty, for error messages. */
void mf_bench_log_tail(const char *log_path, char *buf, size_t len);
/**
 * Split --ffmpeg's command into st->ffmpeg (at spaces; no quoting), find a chroot's
 * root, and read the version line. 0, or -1 with a message in err.
 */
int mf_bench_ffmpeg_setup(struct mf_bench_settings *st, const char *cmd, const char *workdir,
                          char *err, size_t err_len);

/* bench_media.c */
/** Size, frame rate (as the pipeline guesses it), duration, audio presence. */
int mf_bench_probe_source(struct mf_bench_file *f);
/** Frames, bytes and bitrate of the first video stream of an output. */
int mf_bench_probe_output(const char *path, struct mf_bench_rung *r);

/* bench_ffmpeg.c */
#define MF_BENCH_ARGV_MAX 512
/** argv for our encode (child of our own binary). Strings live in store. */
int mf_bench_ours_argv(const struct mf_bench_settings *st, const struct mf_bench_file *f,
                       const char *outdir, char **argv, char *store, size_t store_len);
/** argv for the ffmpeg CLI doing the same ladder in one process (split
 *  filter); sizes come from the rungs our first run produced. */
int mf_bench_ffmpeg_argv(const struct mf_bench_settings *st, const struct mf_bench_file *f,
                         const struct mf_bench_rung *rungs, int n_rungs, const char *outdir,
                         char **argv, char *store, size_t store_len);
/** Output file of rung i for a side. */
void mf_bench_output_path(char *buf, size_t len, const char *outdir, int side,
                          const struct mf_bench_rung *r);

/* bench_worker.c */
/** Fill f->worker; 0, or -1 with f->worker.error set. */
int mf_bench_worker(const struct mf_bench_settings *st, struct mf_bench_file *f);

/* bench_split.c */
/** Fill f->split; 0, or -1 with f->split.error set. */
int mf_bench_split(const struct mf_bench_settings *st, struct mf_bench_file *f, const char *outdir);
/** The split's report and the scaling model it feeds (stdout). */
void mf_bench_split_print(const struct mf_bench_settings *st, const struct mf_bench_file *f);

/* bench_quality.c */
/** PSNR (dB, from the average MSE, as ffmpeg's psnr filter prints it) and
 *  SSIM (All) of every rung against the source scaled with the same bicubic
 *  scaler; one ffmpeg process per side decodes the source once. */
int mf_bench_quality(const struct mf_bench_file *f, const char *outdir, int side,
                     struct mf_bench_rung *rungs, int n_rungs, char *err, size_t err_len);

/* bench_stats.c */
struct mf_bench_stat mf_bench_stat_of(const double *v, int n);
void mf_bench_side_stats(struct mf_bench_side *s);

/* bench_report.c */
void mf_bench_print_table(const struct mf_bench_settings *st, const struct mf_bench_file *files,
                          int n_files, const double load[2][4]);
int mf_bench_write_json(const char *path, const struct mf_bench_settings *st,
                        const struct mf_bench_file *files, int n_files, const double load[2][4]);

/* bench_chart.c */
int mf_bench_write_chart(const char *path, const struct mf_bench_settings *st,
                         const struct mf_bench_file *files, int n_files);

/* Ratios ours/ffmpeg; 0 when either side is missing. */
double mf_bench_ratio(double ours, double theirs);

#endif
