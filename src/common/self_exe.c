#include "self_exe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int mf_sibling_exe(const char *name, char *path, size_t len)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return n < 0 ? -errno : -ENOENT;
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (!slash)
        return -ENOENT;
    *slash = 0;
    int w = snprintf(path, len, "%s/%s", self, name);
    return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}
