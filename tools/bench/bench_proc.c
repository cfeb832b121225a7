/* Child processes measured with wait4(): wall, user+system CPU, peak RSS. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/util.h"

static double tv_seconds(struct timeval tv)
{
    return tv.tv_sec + tv.tv_usec / 1e6;
}

int mf_bench_start(char *const argv[], char *const envp[], const char *log_path, pid_t *pid)
{
    /* Open the log before forking so a bad path fails here, not silently. */
    int out = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0)
        return -errno;
    *pid = fork();
    if (*pid < 0) {
        int e = errno;
        close(out);
        return -e;
    }
    if (*pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        if (in >= 0)
            dup2(in, STDIN_FILENO);
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
        if (envp)
            execvpe(argv[0], argv, envp);
        else
            execvp(argv[0], argv);
        dprintf(STDERR_FILENO, "%s: cannot run: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out);
    return 0;
}

int mf_bench_spawn(char *const argv[], const char *log_path, struct mf_bench_sample *s)
{
    double t0 = mf_now();
    pid_t pid;
    int ret = mf_bench_start(argv, NULL, log_path, &pid);
    return ret < 0 ? ret : mf_bench_reap(pid, t0, s);
}

int mf_bench_reap(pid_t pid, double t0, struct mf_bench_sample *s)
{
    int status;
    struct rusage ru;
    pid_t r;
    while ((r = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return -errno;
    *s = (struct mf_bench_sample){
        .wall = mf_now() - t0,
        .user = tv_seconds(ru.ru_utime),
        .sys = tv_seconds(ru.ru_stime),
        .max_rss_kb = ru.ru_maxrss,     /* Linux: kilobytes */
    };
    s->cpu = s->user + s->sys;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

void mf_bench_log_tail(const char *log_path, char *buf, size_t len)
{
    char line[1024];
    buf[0] = '\0';
    FILE *f = log_path ? fopen(log_path, "r") : NULL;
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0])
            snprintf(buf, len, "%s", line);
    }
    fclose(f);
}
