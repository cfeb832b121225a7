#include "media_exec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exit_codes.h"
#include "self_exe.h"

int mf_exec_sibling(const char *name, char **argv)
{
    static char exe[4096];
    int ret = mf_sibling_exe(name, exe, sizeof(exe));
    if (!ret) {
        argv[0] = exe;
        execv(exe, argv);
        ret = -errno;
    }
    fprintf(stderr, "mpegflow: cannot run %s: %s (it is installed next to mpegflow)\n", exe[0] ? exe : name,
            strerror(-ret));
    return MF_EXIT_FAIL;
}
