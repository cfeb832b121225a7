/* mpegflow encode: one local file to an ABR ladder, no Redis. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <jansson.h>
#include <libavutil/error.h>

#include "commands.h"
#include "cmd_encode_split.h"
#include "media/pipeline.h"
#include "media/result.h"
#include "mpegflow/encoder.h"
#include "common/fs.h"
#include "common/quantity.h"
#include "common/suggest.h"
#include "common/util.h"

static atomic_int cancel_flag;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&cancel_flag, 1);
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: mpegflow encode INPUT -o OUTDIR [options]\n\n"
        "  -o, --output DIR      output directory (created if missing)\n"
        "      --job FILE        job spec JSON (DESIGN section 4); flags below override it\n"
        "      --backend NAME    x264 | nvenc | x265 | auto (default: the job's, else auto:\n"
        "                        x264 for h264, x265 for hevc)\n"
        "      --codec C         h264 | hevc (default: the job's, else the backend's:\n"
        "                        hevc for x265, h264 otherwise)\n"
        "      --fallback NAME   backend to use when the chosen one is unusable on this host\n"
        "                        (e.g. x264; 'none' = fail); default $MPEGFLOW_BACKEND_FALLBACK\n"
        "      --ladder H,H,...  rendition heights, e.g. 1080,720,480 (names become 1080p, ...)\n"
        "      --preset P        x264 preset name (default veryfast)\n"
        "      --crf N           constant quality for every rendition (default 23)\n"
        "      --bitrate R       average bitrate for every rendition, e.g. 2500k\n"
        "      --format F        mp4 | hls | both | dash | cmaf (hls + dash) | all (mp4 + hls\n"
        "                        + dash); default both; with --job, the job's format, whose\n"
        "                        default is hls as for the worker\n"
        "      --audio MODE      aac | copy | none (default aac)\n"
        "      --audio-tracks T  best | all | LANG,LANG,... (ISO 639 or BCP 47, e.g. en,fra): the\n"
        "                        source's audio tracks to keep, each its own HLS rendition and an\n"
        "                        MP4 track (default best: one; at most 8)\n"
        "      --audio-surround  also an AAC 5.1 rendition of each kept 5.1 track\n"
        "      --subtitles S     all | none | LANG,LANG,... (e.g. en,fre): text subtitle tracks\n"
        "                        to WebVTT (default all, at most 16 tracks)\n"
        "      --gop SECONDS     keyframe interval and HLS segment length (default 2)\n"
        "      --threads N       encoder threads per rendition (default: automatic)\n"
        "      --upscale         also encode renditions taller than the source\n"
        "      --no-cascade      scale every rendition from the source, not from the next\n"
        "                        larger rendition\n"
        "      --poster          write images/poster.jpg: a frame that is not black or a fade\n"
        "      --thumbnails [S]  write thumbnail sprites (a tile every S seconds, default 10) and\n"
        "                        images/thumbnails.vtt; sizes and grid: the job's images field\n"
        "      --progress[=lines] show progress even when stderr is not a terminal; =lines:\n"
        "                        one 'progress=... fps=... speed=... eta=...' line per percent\n"
        "      --json            print the result manifest (JSON) on stdout\n"
        "      --max-pixels N    refuse sources larger than N pixels: a count or WxH such as\n"
        "                        8192x4320 (0 = no limit)\n"
        "      --max-duration S  refuse sources longer than S seconds (0 = no limit)\n"
        "      --progress-fd FD  write 'PERCENT FPS' lines to file descriptor FD (used by the worker)\n"
        "      --split S         split and stitch: encode chunks of S seconds (rounded to the GOP)\n"
        "                        in child processes, audio once, and stitch the HLS output\n"
        "      --workers N       with --split: child encodes at a time (default 2)\n"
        "      --pin             with --split: pin worker slot i to CPU i (one core each)\n"
        "      --chunk S,E[,F]   encode only [S, E) seconds (multiples of --gop) with the unsplit\n"
        "                        timestamps, HLS segments numbered from F; video only unless S is 0\n"
        "  -y, --overwrite       replace the outputs of an earlier run in OUTDIR (and remove\n"
        "                        what that run wrote that this one does not)\n"
        "  -h, --help            this help\n\n"
        "Outputs: OUTDIR/<rendition>.mp4, OUTDIR/hls/master.m3u8, OUTDIR/hls/<rendition>/index.m3u8,\n"
        "OUTDIR/hls/audio/index.m3u8 (with --audio-tracks other than best: hls/audio_<lang>/...),\n"
        "OUTDIR/hls/manifest.mpd (DASH; dash alone: OUTDIR/dash/),\n"
        "OUTDIR/images/ (--poster, --thumbnails) and OUTDIR/result.json.\n"
        "Exit status 0 only on success; 75 when the host ran short (memory, disk, NVENC sessions)\n"
        "and another try may work.\n");
}

static char *read_file(const char *path, size_t *len, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        mf_errf(err, err_len, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 > cap) {
            char *nb = realloc(buf, cap = cap * 2 + 8192);
            if (!nb)
                break;
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int set_ladder(struct mf_job *job, const char *spec, char *err, size_t err_len)
{
    job->n_renditions = 0;
    const char *p = spec;
    while (*p) {
        char *end;
        long h = strtol(p, &end, 10);
        if (end == p || (*end && *end != ',')) {
            mf_errf(err, err_len, "--ladder: expected heights like 1080,720,480, got '%s'", spec);
            return -1;
        }
        if (job->n_renditions == MF_MAX_RENDITIONS) {
            mf_errf(err, err_len, "--ladder: at most %d renditions", MF_MAX_RENDITIONS);
            return -1;
        }
        struct mf_rendition *r = &job->renditions[job->n_renditions++];
        *r = (struct mf_rendition){ .height = (int)h, .crf = 23 };
        snprintf(r->name, sizeof(r->name), "%ldp", h);
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* --max-pixels: a pixel count, or WxH (8192x4320 = 35389440 pixels). */
static int parse_pixels(const char *v, long long *out)
{
    long long w, h;
    int len = 0;
    if (sscanf(v, "%lld%*[xX]%lld%n", &w, &h, &len) == 2 && !v[len]) {
        if (w <= 0 || h <= 0 || w >= 1 << 20 || h >= 1 << 20)
            return -1;
        *out = w * h;
        return 0;
    }
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (end == v || *end || errno || n < 0)
        return -1;
    *out = n;
    return 0;
}

struct progress_state {
    int show;                      /* a bar redrawn with \r (a terminal, or --progress) */
    int lines;                     /* --progress=lines: one key=value line per step, for logs */
    int fd;                        /* --progress-fd, or -1 */
    int last_step;                 /* lines: the last whole percent printed */
};

static int terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    return c && atoi(c) > 0 ? atoi(c) : 80;
}

static void print_progress(const struct mf_progress *p, void *opaque)
{
    struct progress_state *ps = opaque;
    if (ps->fd >= 0)
        dprintf(ps->fd, "%.2f %.2f\n", p->percent, p->fps);
    char eta[32] = "--:--";
    if (p->eta_seconds >= 0)
        snprintf(eta, sizeof(eta), "%d:%02d", (int)p->eta_seconds / 60, (int)p->eta_seconds % 60);
    if (ps->lines) {
        int step = (int)p->percent;
        if (step > ps->last_step) {
            ps->last_step = step;
            fprintf(stderr, "progress=%.1f frames=%lld fps=%.1f speed=%.2fx eta=%s\n", p->percent,
                    (long long)p->frames, p->fps, p->speed, p->percent >= 100 ? "0:00" : eta);
        }
        return;
    }
    if (!ps->show)
        return;
    char text[96];
    int n = snprintf(text, sizeof(text), " %5.1f%%  %6.1f fps  %5.2fx  ETA %s", p->percent, p->fps,
                     p->speed, p->percent >= 100 ? "0:00" : eta);
    /* the bar takes what the terminal has left, so the line never wraps */
    int bar = terminal_width() - 1 - n - 2;
    if (bar > 40)
        bar = 40;
    if (bar >= 8) {
        int filled = (int)(p->percent / 100 * bar + 0.5);
        char cells[41];
        memset(cells, '#', (size_t)filled);
        memset(cells + filled, ' ', (size_t)(bar - filled));
        cells[bar] = '\0';
        fprintf(stderr, "\r[%s]%s\033[K", cells, text);
    } else {                       /* too narrow for a bar: the figures that fit */
        snprintf(text, sizeof(text), "%.1f%% %.1fx ETA %s", p->percent, p->speed,
                 p->percent >= 100 ? "0:00" : eta);
        fprintf(stderr, "\r%.*s\033[K", terminal_width() - 1, text);
    }
    fflush(stderr);
}

/* One closing line, as ffmpeg and HandBrakeCLI end: what, where, how long, how fast. */
static void print_summary(const char *outdir, const struct mf_result *r, int bar)
{
    int mp4 = 0, hls = 0, mpd = 0;
    int64_t bytes = 0;
    for (int i = 0; i < r->n_outputs; i++) {
        mp4 += !strcmp(r->outputs[i].kind, "mp4");
        hls += !strcmp(r->outputs[i].kind, "master");
        mpd += !strcmp(r->outputs[i].kind, "mpd");
        bytes += r->outputs[i].bytes;
    }
    if (bar)
        fputc('\n', stderr);
    fprintf(stderr, "mpegflow encode: wrote %d MP4%s%s%s to %s/ (%.1f MB) in %.1f s, %.2fx realtime, %s\n",
            mp4, mp4 == 1 ? "" : "s", hls ? (mpd ? ", an HLS master playlist" : " and an HLS master playlist") : "",
            mpd ? " and a DASH MPD" : "", outdir, bytes / 1e6,
            r->wall_seconds, r->wall_seconds > 0 ? r->duration / r->wall_seconds : 0, r->backend);
}

static int write_result(const char *outdir, const struct mf_job *job, const struct mf_result *res,
                        int print_json)
{
    char *json = mf_result_to_json(job, res);
    char path[MF_PATH_MAX + 16];
    if (!json)
        return -1;
    snprintf(path, sizeof(path), "%s/result.json", outdir);
    FILE *f = fopen(path, "w");
    int ok = f && fputs(json, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0)
        ok = 0;
    if (print_json)
        printf("%s\n", json);
    free(json);
    return ok ? 0 : -1;
}

/* --audio-tracks best | all | LANG,LANG,...; the languages are checked with the job. */
static int set_audio_tracks(struct mf_job *job, const char *v, char *err, size_t err_len)
{
    job->n_audio_languages = 0;
    if (!strcmp(v, "best") || !strcmp(v, "all")) {
        job->audio_tracks = !strcmp(v, "all") ? MF_AUDIO_TRACKS_ALL : MF_AUDIO_TRACKS_BEST;
        return 0;
    }
    job->audio_tracks = MF_AUDIO_TRACKS_LANGUAGES;
    for (const char *p = v; ; p++) {
        size_t n = strcspn(p, ",");
        if (job->n_audio_languages == MF_MAX_AUDIO_TRACKS || n == 0 || n >= MF_AUDIO_LANG_MAX) {
            mf_errf(err, err_len, "--audio-tracks: best, all or up to %d languages such as en,fra "
                    "(comma-separated), not '%s'", MF_MAX_AUDIO_TRACKS, v);
            return -1;
        }
        snprintf(job->audio_languages[job->n_audio_languages++], MF_AUDIO_LANG_MAX, "%.*s", (int)n, p);
        p += n;
        if (!*p)
            return 0;
    }
}

enum { OPT_JOB = 256, OPT_BACKEND, OPT_CODEC, OPT_FALLBACK, OPT_LADDER, OPT_PRESET, OPT_CRF, OPT_BITRATE, OPT_FORMAT,
       OPT_AUDIO, OPT_GOP, OPT_THREADS, OPT_PROGRESS, OPT_JSON, OPT_MAX_PIXELS, OPT_MAX_DURATION,
       OPT_PROGRESS_FD, OPT_NO_CASCADE, OPT_UPSCALE, OPT_AUDIO_TRACKS, OPT_AUDIO_SURROUND, OPT_SUBTITLES,
       OPT_POSTER, OPT_THUMBNAILS,
       OPT_CHUNK, OPT_SPLIT, OPT_WORKERS, OPT_PIN };

static const struct option long_opts[] = {
    { "output", required_argument, NULL, 'o' },   { "job", required_argument, NULL, OPT_JOB },
    { "backend", required_argument, NULL, OPT_BACKEND }, { "ladder", required_argument, NULL, OPT_LADDER },
    { "codec", required_argument, NULL, OPT_CODEC },   { "fallback", required_argument, NULL, OPT_FALLBACK },
    { "preset", required_argument, NULL, OPT_PRESET }, { "crf", required_argument, NULL, OPT_CRF },
    { "bitrate", required_argument, NULL, OPT_BITRATE }, { "format", required_argument, NULL, OPT_FORMAT },
    { "audio", required_argument, NULL, OPT_AUDIO },   { "gop", required_argument, NULL, OPT_GOP },
    { "threads", required_argument, NULL, OPT_THREADS }, { "progress", optional_argument, NULL, OPT_PROGRESS },
    { "json", no_argument, NULL, OPT_JSON },           { "help", no_argument, NULL, 'h' },
    { "max-pixels", required_argument, NULL, OPT_MAX_PIXELS },
    { "max-duration", required_argument, NULL, OPT_MAX_DURATION },
    { "progress-fd", required_argument, NULL, OPT_PROGRESS_FD },
    { "no-cascade", no_argument, NULL, OPT_NO_CASCADE },
    { "upscale", no_argument, NULL, OPT_UPSCALE },
    { "audio-tracks", required_argument, NULL, OPT_AUDIO_TRACKS },
    { "audio-surround", no_argument, NULL, OPT_AUDIO_SURROUND },
    { "subtitles", required_argument, NULL, OPT_SUBTITLES },
    { "poster", no_argument, NULL, OPT_POSTER },
    { "thumbnails", optional_argument, NULL, OPT_THUMBNAILS },
    { "overwrite", no_argument, NULL, 'y' },
    { "chunk", required_argument, NULL, OPT_CHUNK },
    { "split", required_argument, NULL, OPT_SPLIT },
    { "workers", required_argument, NULL, OPT_WORKERS },
    { "pin", no_argument, NULL, OPT_PIN },
    { NULL, 0, NULL, 0 },
};

struct encode_args {
    const char *input, *outdir, *job_file, *backend, *codec, *fallback, *ladder, *preset, *bitrate,
               *format, *audio, *audio_tracks, *subtitles, *chunk;
    double split;                               /* --split S: chunk length, 0 = no split */
    int workers, pin;
    double crf, gop, max_duration, thumbnails;  /* thumbnails: the interval, 0 = the job's */
    long long max_pixels;
    int threads, progress, json, progress_fd, no_cascade, upscale, overwrite, poster, want_thumbnails,
        audio_surround;
};

/* getopt has said what was wrong; add the nearest option, not the whole usage. */
static void unknown_option(const char *arg)
{
    const char *name = arg;
    while (*name == '-')
        name++;
    char word[64];
    snprintf(word, sizeof(word), "%.*s", (int)strcspn(name, "="), name);
    const char *names[sizeof(long_opts) / sizeof(long_opts[0])];
    size_t n = 0;
    for (const struct option *o = long_opts; o->name; o++)
        names[n++] = o->name;
    names[n] = NULL;
    const char *best = mf_suggest(word, names);
    if (best && strncmp(arg, "--", 2) == 0 && strcmp(word, best))
        fprintf(stderr, "mpegflow encode: did you mean --%s?\n", best);
    fprintf(stderr, "mpegflow encode: see 'mpegflow encode --help'\n");
}

static int parse_args(int argc, char **argv, struct encode_args *a)
{
    *a = (struct encode_args){ .crf = -1, .gop = -1, .progress_fd = -1 };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:hy", long_opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->outdir = optarg; break;
        case OPT_JOB: a->job_file = optarg; break;
        case OPT_BACKEND: a->backend = optarg; break;
        case OPT_CODEC: a->codec = optarg; break;
        case OPT_FALLBACK: a->fallback = optarg; break;
        case OPT_LADDER: a->ladder = optarg; break;
        case OPT_PRESET: a->preset = optarg; break;
        case OPT_CRF: a->crf = strtod(optarg, NULL); break;
        case OPT_BITRATE: a->bitrate = optarg; break;
        case OPT_FORMAT: a->format = optarg; break;
        case OPT_AUDIO: a->audio = optarg; break;
        case OPT_AUDIO_TRACKS: a->audio_tracks = optarg; break;
        case OPT_AUDIO_SURROUND: a->audio_surround = 1; break;
        case OPT_GOP: a->gop = strtod(optarg, NULL); break;
        case OPT_THREADS: a->threads = atoi(optarg); break;
        case OPT_PROGRESS:
            if (optarg && strcmp(optarg, "lines") && strcmp(optarg, "bar")) {
                fprintf(stderr, "mpegflow encode: --progress: 'bar' or 'lines', not '%s'\n", optarg);
                return -1;
            }
            a->progress = optarg && !strcmp(optarg, "lines") ? 2 : 1;
            break;
        case OPT_JSON: a->json = 1; break;
        case OPT_MAX_PIXELS:
            if (parse_pixels(optarg, &a->max_pixels) < 0) {
                fprintf(stderr, "mpegflow encode: --max-pixels: must be a pixel count or WxH such as "
                        "3840x2160, not '%s'\n", optarg);
                return -1;
            }
            break;
        case OPT_MAX_DURATION: a->max_duration = strtod(optarg, NULL); break;
        case OPT_PROGRESS_FD: a->progress_fd = atoi(optarg); break;
        case OPT_NO_CASCADE: a->no_cascade = 1; break;
        case OPT_UPSCALE: a->upscale = 1; break;
        case OPT_SUBTITLES: a->subtitles = optarg; break;
        case OPT_POSTER: a->poster = 1; break;
        case OPT_THUMBNAILS: {
            /* --thumbnails, --thumbnails=S, or --thumbnails S (the next word, when it is a number) */
            const char *v = optarg;
            char *end = NULL;
            if (!v && optind < argc && strtod(argv[optind], &end) > 0 && end != argv[optind] && !*end)
                v = argv[optind++];
            a->want_thumbnails = 1;
            if (v && (a->thumbnails = strtod(v, &end), end == v || *end || !(a->thumbnails > 0))) {
                fprintf(stderr, "mpegflow encode: --thumbnails: the interval must be a number of seconds, "
                        "not '%s'\n", v);
                return -1;
            }
            break;
        }
        case 'y': a->overwrite = 1; break;
        case OPT_CHUNK: a->chunk = optarg; break;
        case OPT_SPLIT: a->split = strtod(optarg, NULL); break;
        case OPT_WORKERS: a->workers = atoi(optarg); break;
        case OPT_PIN: a->pin = 1; break;
        case 'h': usage(stdout); return 1;
        default: unknown_option(argv[optind - 1]); return -1;
        }
    }
    if (optind != argc - 1 || !a->outdir) {
        fprintf(stderr, "mpegflow encode: need exactly one INPUT and -o OUTDIR\n");
        usage(stderr);
        return -1;
    }
    a->input = argv[optind];
    return 0;
}

/* --subtitles all | none | en,fre,...: the job's "subtitles"; mf_job_validate checks the tags. */
static int set_subtitles(struct mf_job *job, const char *arg, char *err, size_t err_len)
{
    if (!strcmp(arg, "all") || !strcmp(arg, "none")) {
        job->subtitles = !strcmp(arg, "all") ? MF_SUBTITLES_ALL : MF_SUBTITLES_NONE;
        return 0;
    }
    job->n_subtitle_langs = 0;
    for (const char *p = arg; ; p++) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= MF_LANG_MAX || job->n_subtitle_langs == MF_MAX_SUBTITLE_LANGS) {
            mf_errf(err, err_len, "--subtitles: all, none or up to %d language tags such as en,fre, not '%s'",
                    MF_MAX_SUBTITLE_LANGS, arg);
            return -1;
        }
        snprintf(job->subtitle_langs[job->n_subtitle_langs++], MF_LANG_MAX, "%.*s", (int)n, p);
        p += n;
        if (!*p)
            break;
    }
    job->subtitles = MF_SUBTITLES_LANGS;
    return 0;
}

/* The job: --job's file (or defaults), then every flag on top. */
static int build_job(const struct encode_args *a, struct mf_job *job, char *err, size_t err_len)
{
    mf_job_defaults(job);
    job->format = MF_FORMAT_BOTH;
    if (a->job_file) {
        size_t len;
        char *text = read_file(a->job_file, &len, err, err_len);
        if (!text)
            return -1;
        char jerr[MF_ERR_MAX];
        int ret = mf_job_parse(job, text, len, 0, jerr, sizeof(jerr));
        free(text);
        if (ret < 0) {
            mf_errf(err, err_len, "%s: %s", a->job_file, jerr);
            return -1;
        }
    } else if (set_ladder(job, "720,480,360", err, err_len) < 0) {
        return -1;
    }
    if (a->ladder && set_ladder(job, a->ladder, err, err_len) < 0)
        return -1;
    if (a->preset)
        snprintf(job->preset, sizeof(job->preset), "%s", a->preset);
    if (a->backend)
        snprintf(job->backend, sizeof(job->backend), "%s", a->backend);
    if (a->codec) {
        if (strcmp(a->codec, "h264") && strcmp(a->codec, "hevc")) {
            mf_errf(err, err_len, "--codec: must be h264 or hevc, not '%s'", a->codec);
            return -1;
        }
        job->codec = !strcmp(a->codec, "hevc") ? MF_CODEC_HEVC : MF_CODEC_H264;
        job->codec_given = 1;
    }
    /* No codec from the job or --codec: the backend's (--backend x265 alone means hevc). */
    if (!job->codec_given)
        job->codec = mf_encoder_backend_default_codec(job->backend);
    if (a->gop > 0 || a->gop == 0)
        job->gop_seconds = a->gop;
    if (a->format) {
        job->format = !strcmp(a->format, "mp4") ? MF_FORMAT_MP4 : !strcmp(a->format, "hls") ? MF_FORMAT_HLS
                    : !strcmp(a->format, "both") ? MF_FORMAT_BOTH : !strcmp(a->format, "dash") ? MF_FORMAT_DASH
                    : !strcmp(a->format, "cmaf") ? MF_FORMAT_CMAF : !strcmp(a->format, "all") ? MF_FORMAT_ALL : 0;
        if (!job->format) {
            mf_errf(err, err_len, "--format: must be mp4, hls, both, dash, cmaf or all, not '%s'", a->format);
            return -1;
        }
    }
    if (a->audio) {
        int m = !strcmp(a->audio, "aac") ? MF_AUDIO_AAC : !strcmp(a->audio, "copy") ? MF_AUDIO_COPY
              : !strcmp(a->audio, "none") ? MF_AUDIO_NONE : -1;
        if (m < 0) {
            mf_errf(err, err_len, "--audio: must be aac, copy or none, not '%s'", a->audio);
            return -1;
        }
        job->audio_mode = m;
    }
    if (a->audio_tracks && set_audio_tracks(job, a->audio_tracks, err, err_len) < 0)
        return -1;
    if (a->audio_surround)
        job->audio_surround = 1;
    if (a->subtitles && set_subtitles(job, a->subtitles, err, err_len) < 0)
        return -1;
    if (a->crf >= 0 && a->bitrate) {
        mf_errf(err, err_len, "--crf and --bitrate: give one (constant quality or an average bitrate), not both");
        return -1;
    }
    int64_t bitrate = a->bitrate ? mf_parse_quantity(a->bitrate) : 0;
    if (bitrate < 0) {
        mf_errf(err, err_len, "--bitrate: '%s' is not a bitrate like 2500k or 3M", a->bitrate);
        return -1;
    }
    if (a->poster)
        job->images.poster = 1;
    if (a->want_thumbnails)
        job->images.thumbnails = 1;
    if (a->thumbnails > 0)
        job->images.interval = a->thumbnails;
    for (int i = 0; i < job->n_renditions; i++) {
        if (a->upscale)
            job->renditions[i].upscale = 1;
        if (bitrate > 0) {
            job->renditions[i].bitrate = bitrate;
            job->renditions[i].crf = -1;
        } else if (a->crf >= 0) {
            job->renditions[i].crf = a->crf;
            job->renditions[i].bitrate = 0;
        }
    }
    return mf_job_validate(job, 0, err, err_len);
}

/* What an earlier run left in outdir: its result.json, hls/, or an MP4
 * this job would write. */
static const char *earlier_output(const char *outdir, const struct mf_job *job, char *path, size_t len)
{
    snprintf(path, len, "%s/result.json", outdir);
    if (access(path, F_OK) == 0)
        return "result.json";
    snprintf(path, len, "%s/hls", outdir);
    if (access(path, F_OK) == 0)
        return "hls/";
    snprintf(path, len, "%s/dash", outdir);
    if (access(path, F_OK) == 0)
        return "dash/";
    snprintf(path, len, "%s/images/poster.jpg", outdir);
    if (access(path, F_OK) == 0)
        return "images/poster.jpg";
    snprintf(path, len, "%s/images/sprite-0.jpg", outdir);
    if (access(path, F_OK) == 0)
        return "images/sprite-0.jpg";
    for (int i = 0; i < job->n_renditions; i++) {
        snprintf(path, len, "%s/%s.mp4", outdir, job->renditions[i].name);
        if (access(path, F_OK) == 0)
            return strrchr(path, '/') + 1;
    }
    return NULL;
}

/* -y: remove the earlier run's outputs, so that no rendition of it stays
 * beside a master playlist that no longer lists it: the MP4s its
 * result.json names, its .vtt sidecars, hls/ and result.json. */
static int remove_earlier_run(const char *outdir, char *err, size_t err_len)
{
    char path[MF_PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/result.json", outdir);
    json_t *old = json_load_file(path, 0, NULL);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(old, "outputs"), i, o) {
        const char *kind = json_string_value(json_object_get(o, "kind"));
        const char *rel = json_string_value(json_object_get(o, "path"));
        if (kind && rel && !strcmp(kind, "mp4") && !strchr(rel, '/') && rel[0] != '.') {
            char mp4[MF_PATH_MAX + 32];
            snprintf(mp4, sizeof(mp4), "%s/%s", outdir, rel);
            unlink(mp4);
        }
    }
    json_array_foreach(json_object_get(old, "subtitles"), i, o) {
        const char *rel = json_string_value(json_object_get(json_object_get(o, "files"), "vtt"));
        if (rel && !strchr(rel, '/') && rel[0] != '.') {
            char vtt[MF_PATH_MAX + 32];
            snprintf(vtt, sizeof(vtt), "%s/%s", outdir, rel);
            unlink(vtt);
        }
    }
    json_decref(old);
    snprintf(path, sizeof(path), "%s/hls", outdir);
    if (access(path, F_OK) == 0 && mf_remove_tree(path) < 0) {
        mf_errf(err, err_len, "%s: cannot remove the earlier run's HLS output: %s", path, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/dash", outdir);
    if (access(path, F_OK) == 0 && mf_remove_tree(path) < 0) {
        mf_errf(err, err_len, "%s: cannot remove the earlier run's DASH output: %s", path, strerror(errno));
        return -1;
    }
    /* images/: only the names a run writes there, then the folder if that emptied it */
    static const char *const images[] = { "poster.jpg", "thumbnails.vtt", "thumbnails.m3u8", NULL };
    for (int i = 0; images[i]; i++) {
        snprintf(path, sizeof(path), "%s/images/%s", outdir, images[i]);
        unlink(path);
    }
    for (int i = 0;; i++) {
        snprintf(path, sizeof(path), "%s/images/sprite-%d.jpg", outdir, i);
        if (unlink(path) < 0)
            break;
    }
    snprintf(path, sizeof(path), "%s/images", outdir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/result.json", outdir);
    if (unlink(path) < 0 && errno != ENOENT) {
        mf_errf(err, err_len, "%s: cannot remove: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int mf_cmd_encode(int argc, char **argv)
{
    struct encode_args a;
    char err[MF_ERR_MAX] = "";
    int ret = parse_args(argc, argv, &a);
    if (ret)
        return ret > 0 ? MF_EXIT_OK : MF_EXIT_USAGE;
    static struct mf_job job;
    if (build_job(&a, &job, err, sizeof(err)) < 0) {
        fprintf(stderr, "mpegflow encode: %s\n", err);
        return MF_EXIT_USAGE;
    }
    struct mf_encode_chunk chunk = { 0 };
    if (a.chunk && mf_encode_chunk_parse(a.chunk, &job, &chunk, err, sizeof(err)) < 0) {
        fprintf(stderr, "mpegflow encode: --chunk: %s\n", err);
        return MF_EXIT_USAGE;
    }
    if (a.split > 0)
        return mf_encode_split(argc, argv, a.input, a.outdir, &job, a.split, a.workers, a.pin, a.overwrite);
    char found[MF_PATH_MAX + 32];
    const char *earlier = earlier_output(a.outdir, &job, found, sizeof(found));
    if (earlier && !a.overwrite) {
        fprintf(stderr, "mpegflow encode: %s: holds the outputs of an earlier run (%s); "
                "pass -y/--overwrite to replace them\n", a.outdir, earlier);
        return MF_EXIT_USAGE;
    }
    if (earlier && remove_earlier_run(a.outdir, err, sizeof(err)) < 0) {
        fprintf(stderr, "mpegflow encode: %s\n", err);
        return MF_EXIT_FAIL;
    }
    if (access(a.outdir, F_OK) < 0 && mf_mkdir_p(a.outdir) < 0) {
        fprintf(stderr, "mpegflow encode: %s: cannot create the output directory: %s\n", a.outdir, strerror(errno));
        return MF_EXIT_FAIL;
    }
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct progress_state ps = { .lines = a.progress == 2, .fd = a.progress_fd, .last_step = -1,
                                 .show = a.progress == 1 || (!a.progress && isatty(STDERR_FILENO)) };
    if (ps.fd >= 0)
        signal(SIGPIPE, SIG_IGN);  /* a reader gone away must not kill the encode */
    /* --fallback, else the environment the worker also reads; "none" turns it off. */
    const char *fallback = a.fallback ? a.fallback : getenv("MPEGFLOW_BACKEND_FALLBACK");
    if (fallback && (!fallback[0] || !strcmp(fallback, "none")))
        fallback = NULL;
    struct mf_pipeline_opts opts = {
        .backend = a.backend, .fallback_backend = fallback, .threads = a.threads,
        .no_cascade = a.no_cascade,
        .max_pixels = a.max_pixels, .max_duration = a.max_duration, .cancel = &cancel_flag, .progress = print_progress, .opaque = &ps,
        .chunk_start = chunk.start, .chunk_end = chunk.end, .chunk_first_segment = chunk.first_segment,
    };
    char chunk_audio[MF_PATH_MAX + 16];
    if (a.chunk && snprintf(chunk_audio, sizeof(chunk_audio), "%s/audio.mp4", a.outdir) < (int)sizeof(chunk_audio))
        opts.chunk_audio_mp4 = chunk_audio;   /* a chunk at 0 with audio: for the stitched MP4s */
    static struct mf_result result;
    ret = mf_pipeline_run(a.input, &job, a.outdir, &opts, &result, err, sizeof(err));
    if (ret < 0) {
        if (ps.show && !ps.lines)
            fputc('\n', stderr);
        fprintf(stderr, "mpegflow encode: %s\n", err);
        if (atomic_load(&cancel_flag))
            return 128 + SIGINT;
        /* The host ran short, not the input: another try (elsewhere) may work. */
        return ret == AVERROR(ENOMEM) || ret == AVERROR(ENOSPC) || ret == AVERROR(EBUSY) ? MF_EXIT_RETRY
                                                                                         : MF_EXIT_FAIL;
    }
    if (result.fallback_from[0])
        fprintf(stderr, "mpegflow encode: %s unusable (%s); encoded with %s instead\n",
                result.fallback_from, result.fallback_reason, result.backend);
    if (result.decode[0])
        fprintf(stderr, "mpegflow encode: nvenc: %d session%s; frames decoded by %s%s%s%s\n",
                result.nvenc_sessions, result.nvenc_sessions == 1 ? "" : "s",
                !strcmp(result.decode, "cpu") ? "the CPU, uploaded once per rendition" : result.decode,
                result.decode_note[0] ? " (" : "", result.decode_note, result.decode_note[0] ? ")" : "");
    if (write_result(a.outdir, &job, &result, a.json) < 0) {
        fprintf(stderr, "mpegflow encode: %s/result.json: cannot write: %s\n", a.outdir, strerror(errno));
        return MF_EXIT_FAIL;
    }
    for (int i = 0; (ps.show || ps.lines) && i < result.n_skipped; i++)
        fprintf(stderr, "skipped %s: %s\n", result.skipped[i].rendition, result.skipped[i].reason);
    if (ps.show || ps.lines)
        print_summary(a.outdir, &result, ps.show);
    return MF_EXIT_OK;
}
