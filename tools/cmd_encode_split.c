/*
 * encode --chunk and --split: the local split and stitch of issue 13.
 * The parent plans chunks at multiples of gop_seconds, runs each as a child
 * `mpegflow-media encode INPUT --chunk START,END,FIRST_SEGMENT` (N at a
 * time), the first chunk also encoding the whole audio (audio once), and
 * stitches the HLS output from the chunks' segment lists.
 */
#include "cmd_encode_split.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "media/split_plan.h"
#include "media/stitch.h"
#include "media/stitch_mp4.h"
#include "common/clock.h"
#include "common/fs.h"
#include "common/util.h"

static int on_grid(double t, double gop)
{
    double k = t / gop;
    return fabs(k - round(k)) < 1e-6;
}

int mf_encode_chunk_parse(const char *arg, struct mf_job *job, struct mf_encode_chunk *c,
                          char *err, size_t err_len)
{
    char *end;
    *c = (struct mf_encode_chunk){ 0 };
    c->start = strtod(arg, &end);
    if (end == arg || *end != ',')
        goto bad;
    const char *p = end + 1;
    c->end = strtod(p, &end);
    if (end == p || (*end && *end != ','))
        goto bad;
    if (*end == ',') {
        p = end + 1;
        long f = strtol(p, &end, 10);
        if (end == p || *end || f < 0 || f > 1000000)
            goto bad;
        c->first_segment = (int)f;
    }
    if (!(c->start >= 0) || !(c->end > c->start)) {
        mf_errf(err, err_len, "'%s': needs 0 <= START < END", arg);
        return -1;
    }
    if (!on_grid(c->start, job->gop_seconds) || (c->end < 1e8 && !on_grid(c->end, job->gop_seconds))) {
        mf_errf(err, err_len, "'%s': START and END must be multiples of the GOP (%g s)", arg, job->gop_seconds);
        return -1;
    }
    /* A chunk writes the HLS video of its range; the audio only the chunk
     * at 0 (for the whole source, once); subtitles and images not at all. */
    job->format = MF_FORMAT_HLS;
    job->subtitles = MF_SUBTITLES_NONE;
    job->images = (struct mf_images_spec){ 0 };
    if (c->start > 0)
        job->audio_mode = MF_AUDIO_NONE;
    return 0;
bad:
    mf_errf(err, err_len, "'%s': expected START,END[,FIRST_SEGMENT] in seconds", arg);
    return -1;
}

/* Encode's arguments without those the parent handles or sets itself. */
static int child_args(int argc, char **argv, char **out, int max)
{
    static const char *with_value[] = { "-o", "--output", "--split", "--workers", "--chunk", NULL };
    static const char *alone[] = { "-y", "--overwrite", "--json", "--pin", NULL };
    int n = 0;
    for (int i = 1; i < argc && n < max; i++) {
        const char *a = argv[i];
        int skip = 0;
        for (int k = 0; with_value[k] && !skip; k++) {
            size_t l = strlen(with_value[k]);
            if (!strcmp(a, with_value[k]))
                skip = 2;
            else if (!strncmp(a, with_value[k], l) && (a[l] == '=' || (l == 2 && a[l])))
                skip = 1;
        }
        for (int k = 0; alone[k] && !skip; k++)
            skip = !strcmp(a, alone[k]);
        if (!strncmp(a, "--progress", 10))
            skip = 1;
        if (skip == 2)
            i++;
        else if (!skip)
            out[n++] = argv[i];
    }
    return n;
}

struct child {
    pid_t pid;
    int chunk, slot;
};

static pid_t start_chunk(char **base, int nbase, const char *dir, const struct mf_split_chunk *c,
                         int audio, int slot, int pin, const char *log)
{
    char spec[96];
    snprintf(spec, sizeof(spec), "%.17g,%.17g,%d", c->start, c->end, c->first_segment);
    char *args[256];
    int n = 0;
    args[n++] = "mpegflow-media";
    args[n++] = "encode";
    for (int i = 0; i < nbase && n < 240; i++)
        args[n++] = base[i];
    args[n++] = "-o";
    args[n++] = (char *)dir;
    args[n++] = "--chunk";
    args[n++] = spec;
    args[n++] = "--format";
    args[n++] = "hls";
    if (!audio) {
        args[n++] = "--audio";
        args[n++] = "none";
    }
    args[n] = NULL;
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (pin) {
        cpu_set_t set;
        CPU_ZERO(&set);
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        CPU_SET(slot % (cores > 0 ? cores : 1), &set);
        sched_setaffinity(0, sizeof(set), &set);
    }
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int nul = open("/dev/null", O_WRONLY);
    if (fd >= 0)
        dup2(fd, STDERR_FILENO);
    if (nul >= 0)
        dup2(nul, STDOUT_FILENO);
    execv("/proc/self/exe", args);
    _exit(127);
}

/* Each variant of the stitched master: its MP4 from its fragments and the
 * first chunk's audio. */
static int stitch_mp4s(const char *outdir, const char *first_chunk, char *err, size_t err_len)
{
    char path[MF_PATH_MAX + 64], audio[MF_PATH_MAX + 64], line[1024];
    snprintf(path, sizeof(path), "%s/hls/master.m3u8", outdir);
    snprintf(audio, sizeof(audio), "%s/audio.mp4", first_chunk);
    FILE *f = fopen(path, "r");
    if (!f) {
        mf_errf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    int ret = 0, variant = 0;
    while (ret == 0 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!strncmp(line, "#EXT-X-STREAM-INF:", 18)) {
            variant = 1;
            continue;
        }
        if (!variant || !line[0] || line[0] == '#')
            continue;
        variant = 0;
        char name[256], dir[MF_PATH_MAX + 300], mp4[MF_PATH_MAX + 300];
        const char *slash = strchr(line, '/');
        snprintf(name, sizeof(name), "%.*s", slash ? (int)(slash - line) : 0, line);
        snprintf(dir, sizeof(dir), "%s/hls/%s", outdir, name);
        snprintf(mp4, sizeof(mp4), "%s/%s.mp4", outdir, name);
        if (!name[0] || strstr(name, ".."))
            ret = -1;
        else
            ret = mf_stitch_mp4(dir, access(audio, F_OK) == 0 ? audio : NULL, mp4, err, err_len) < 0 ? -1 : 0;
    }
    fclose(f);
    return ret;
}

static void print_log(const char *log)
{
    FILE *f = fopen(log, "r");
    char line[1024];
    while (f && fgets(line, sizeof(line), f))
        fputs(line, stderr);
    if (f)
        fclose(f);
}

int mf_encode_split(int argc, char **argv, const char *input, const char *outdir, const struct mf_job *job,
                    double seconds, int workers, int pin, int overwrite)
{
    static struct mf_split_chunk chunks[MF_SPLIT_MAX_CHUNKS];
    char err[MF_ERR_MAX], work[MF_PATH_MAX + 16], hls[MF_PATH_MAX + 16];
    double duration, t0 = mf_now();
    if (job->format & MF_FORMAT_DASH) {
        fprintf(stderr, "mpegflow encode: --split does not write DASH yet: pass --format hls, mp4 or both\n");
        return MF_EXIT_USAGE;
    }
    if (job->images.poster || job->images.thumbnails) {
        fprintf(stderr, "mpegflow encode: --split does not make images yet\n");
        return MF_EXIT_USAGE;
    }
    if (job->subtitles != MF_SUBTITLES_NONE)   /* said, not silently dropped */
        fprintf(stderr, "mpegflow encode: note: --split does not carry subtitle tracks yet "
                "(--subtitles none says so and silences this)\n");
    if (workers <= 0)
        workers = 2;
    if (mf_split_source_duration(input, &duration, err, sizeof(err)) < 0) {
        fprintf(stderr, "mpegflow encode: %s\n", err);
        return MF_EXIT_FAIL;
    }
    int n = mf_split_plan(duration, job->gop_seconds, seconds, chunks, MF_SPLIT_MAX_CHUNKS, err, sizeof(err));
    if (n < 0) {
        fprintf(stderr, "mpegflow encode: %s\n", err);
        return MF_EXIT_USAGE;
    }
    snprintf(hls, sizeof(hls), "%s/hls", outdir);
    snprintf(work, sizeof(work), "%s/.split", outdir);
    if (access(hls, F_OK) == 0 && !overwrite) {
        fprintf(stderr, "mpegflow encode: %s: holds the outputs of an earlier run; pass -y/--overwrite\n", outdir);
        return MF_EXIT_USAGE;
    }
    mf_remove_tree(hls);
    mf_remove_tree(work);
    if (mf_mkdir_p(work) < 0) {
        fprintf(stderr, "mpegflow encode: %s: cannot create: %s\n", work, strerror(errno));
        return MF_EXIT_FAIL;
    }
    char *base[240];
    int nbase = child_args(argc, argv, base, 240);
    char (*dirs)[MF_PATH_MAX + 64] = calloc(n, sizeof(*dirs));
    const char **dirp = calloc(n, sizeof(*dirp));
    struct child *running = calloc(workers, sizeof(*running));
    if (!dirs || !dirp || !running) {
        free(dirs);
        free(dirp);
        free(running);
        return MF_EXIT_FAIL;
    }
    int next = 0, active = 0, failed = -1;
    while ((next < n && failed < 0) || active) {
        while (next < n && active < workers && failed < 0) {
            int slot = 0;
            while (running[slot].pid)
                slot++;
            snprintf(dirs[next], sizeof(dirs[next]), "%s/chunk_%05d", work, next);
            dirp[next] = dirs[next];
            char log[MF_PATH_MAX + 48];
            snprintf(log, sizeof(log), "%s.log", dirs[next]);
            pid_t pid = start_chunk(base, nbase, dirs[next], &chunks[next],
                                    next == 0 && job->audio_mode != MF_AUDIO_NONE, slot, pin, log);
            if (pid < 0) {
                failed = next;
                break;
            }
            running[slot] = (struct child){ pid, next, slot };
            active++;
            next++;
        }
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int s = 0; s < workers; s++) {
            if (running[s].pid != pid)
                continue;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                char log[MF_PATH_MAX + 48];
                snprintf(log, sizeof(log), "%s.log", dirs[running[s].chunk]);
                fprintf(stderr, "mpegflow encode: chunk %d [%g, %g) failed:\n", running[s].chunk,
                        chunks[running[s].chunk].start, chunks[running[s].chunk].end);
                print_log(log);
                if (failed < 0)
                    failed = running[s].chunk;
            }
            running[s].pid = 0;
            active--;
        }
    }
    double t_chunks = mf_now() - t0;
    int ret = failed >= 0 ? -1 : mf_stitch_hls(outdir, dirp, n, err, sizeof(err));
    if (ret == 0 && (job->format & MF_FORMAT_MP4))
        ret = stitch_mp4s(outdir, dirp[0], err, sizeof(err));
    if (ret == 0 && !(job->format & MF_FORMAT_HLS))
        mf_remove_tree(hls);
    if (failed < 0 && ret < 0)
        fprintf(stderr, "mpegflow encode: stitch: %s\n", err);
    if (ret == 0)
        mf_remove_tree(work);
    else
        mf_remove_tree(hls);
    if (ret == 0)
        fprintf(stderr, "split: %d chunks of up to %g s with %d worker%s%s: chunks %.2f s, stitch %.3f s; "
                "%s/hls/master.m3u8\n", n, chunks[0].end - chunks[0].start, workers, workers == 1 ? "" : "s",
                pin ? " (pinned)" : "", t_chunks, mf_now() - t0 - t_chunks, outdir);
    free(dirs);
    free(dirp);
    free(running);
    return ret == 0 ? MF_EXIT_OK : MF_EXIT_FAIL;
}
