/*
 * mpegflow-worker: the worker loop on its own, linking no FFmpeg library.
 * `mpegflow worker` execs it (same pid, same arguments); every job's encode
 * runs as a child `mpegflow encode` (src/encode_child.c).
 */
#include <string.h>

#include "commands.h"

int main(int argc, char **argv)
{
    /* As exec'd by `mpegflow worker ...`, or run directly with the options. */
    if (argc > 1 && !strcmp(argv[1], "worker"))
        return mf_cmd_worker(argc - 1, argv + 1);
    return mf_cmd_worker(argc, argv);
}
