/*
 * mpegflow: command dispatch. This executable links no FFmpeg library: the
 * worker, submit and status run here, so an idle worker stays small and the
 * CLI starts in milliseconds. encode, bench and probe exec mpegflow-media
 * (installed next to it; same pid, same arguments), which links FFmpeg.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "common/media_exec.h"

static int media(int argc, char **argv)
{
    (void)argc;
    return mf_exec_sibling("mpegflow-media", argv - 1);   /* argv is main()'s argv + 1 */
}

static const struct mf_command commands[] = {
    { "encode", "encode one local file to an ABR ladder (MP4 and/or HLS)", media },
    { "bench",  "benchmark the pipeline, optionally against the ffmpeg CLI", media },
    { "probe",  "list the encoder backends usable on this host, and why not", media },
    { "worker", "run jobs from the Redis queue (configured from the environment)", mf_cmd_worker },
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
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))
        return mf_exec_sibling("mpegflow-media", argv);   /* it names the FFmpeg it runs on */
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return MF_EXIT_OK;
    }
    for (const struct mf_command *c = commands; c->name; c++)
        if (!strcmp(argv[1], c->name))
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "mpegflow: unknown command '%s' (try 'mpegflow --help')\n", argv[1]);
    return MF_EXIT_USAGE;
}
