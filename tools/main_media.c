/*
 * mpegflow-media: the commands that need FFmpeg (encode, bench, probe).
 * `mpegflow` execs it for them; the worker runs it as each job's encode
 * child. Other commands go back to `mpegflow`.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libavutil/avutil.h>
#include <libavutil/log.h>

#include "media/avlog.h"
#include "commands.h"
#include "common/media_exec.h"

static const struct mf_command commands[] = {
    { "encode", NULL, mf_cmd_encode },
    { "bench", NULL, mf_cmd_bench },
    { "probe", NULL, mf_cmd_probe },
    { NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
        printf("mpegflow %s (FFmpeg %s)\n", MPEGFLOW_VERSION, av_version_info());
        return MF_EXIT_OK;
    }
    /* FFmpeg's own lines would drown our one-line errors: keep its last
     * error per thread for our messages, print nothing of it. */
    av_log_set_level(AV_LOG_ERROR);
    mf_avlog_capture();
    for (const struct mf_command *c = commands; argc > 1 && c->name; c++)
        if (!strcmp(argv[1], c->name))
            return c->run(argc - 1, argv + 1);
    return mf_exec_sibling("mpegflow", argv);
}
