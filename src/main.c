/* mpegflow: command dispatch. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/avutil.h>
#include <libavutil/log.h>

#include "avlog.h"
#include "commands.h"
#include "self_exe.h"

/* The worker is its own executable that links no FFmpeg library, so an idle
 * pod stays small; it runs each encode as a child `mpegflow encode`. exec
 * keeps the pid, so signals and the pod's PID 1 are unchanged. */
static int exec_worker(int argc, char **argv)
{
    static char exe[4096];
    int ret = mf_sibling_exe("mpegflow-worker", exe, sizeof(exe));
    (void)argc;
    if (!ret) {
        argv[-1] = exe;            /* argv is main()'s argv + 1: its argv[0] slot */
        execv(exe, argv - 1);
        ret = -errno;
    }
    fprintf(stderr, "mpegflow worker: cannot run %s: %s (it is installed next to mpegflow)\n",
            exe[0] ? exe : "mpegflow-worker", strerror(-ret));
    return MF_EXIT_FAIL;
}

static const struct mf_command commands[] = {
    { "encode", "encode one local file to an ABR ladder (MP4 and/or HLS)", mf_cmd_encode },
    { "bench",  "benchmark the pipeline, optionally against the ffmpeg CLI", mf_cmd_bench },
    { "probe",  "list the encoder backends usable on this host, and why not", mf_cmd_probe },
    { "worker", "run jobs from the Redis queue (configured from the environment)", exec_worker },
    { "submit", "enqueue a job; --wait prints its result", mf_cmd_submit },
    { "status", "print a job's state as JSON", mf_cmd_status },
    { NULL, NULL, NULL },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: mpegflow COMMAND [OPTIONS]\n\ncommands:\n");
    for (const struct mf_command *c = commands; c->name; c++)
        fprintf(f, "  %-8s %s\n", c->name, c->summary);
    fprintf(f, "\n'mpegflow COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return MF_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("mpegflow %s (FFmpeg %s)\n", MPEGFLOW_VERSION, av_version_info());
        return MF_EXIT_OK;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return MF_EXIT_OK;
    }
    /* FFmpeg's own lines would drown our one-line errors: keep its last
     * error per thread for our messages, print nothing of it. */
    av_log_set_level(AV_LOG_ERROR);
    mf_avlog_capture();
    for (const struct mf_command *c = commands; c->name; c++)
        if (!strcmp(argv[1], c->name))
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "mpegflow: unknown command '%s' (try 'mpegflow --help')\n", argv[1]);
    return MF_EXIT_USAGE;
}
