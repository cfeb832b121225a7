#include "encode_child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/exit_codes.h"
#include "common/self_exe.h"
#include "common/clock.h"

#define PROGRESS_FD 3
#define KILL_GRACE_MS 15000        /* after SIGTERM, before SIGKILL */

void mf_last_line(const char *path, char *line, size_t len)
{
    static const char prefix[] = "mpegflow encode: ";
    char buf[4096];
    line[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0;
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = 0;
    /* Progress bars end lines with \r: treat it as a line end too. */
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = 0;
    char *start = buf + n;
    while (start > buf && start[-1] != '\n' && start[-1] != '\r')
        start--;
    if (!strncmp(start, prefix, sizeof(prefix) - 1))
        start += sizeof(prefix) - 1;
    snprintf(line, len, "%s", start);
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void exec_child(const char *exe, char *const argv[], int log_fd, int null_fd, int progress_fd,
                       pid_t parent)
{
    sigset_t none;
    sigemptyset(&none);
    /* The worker blocks SIGTERM/SIGINT for its signal thread; the mask survives exec. */
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Own process group: a Ctrl-C or a group signal meant for the worker must not
     * cancel encodes that the drain is waiting for. */
    setpgid(0, 0);
    /* Die with the worker's job thread rather than run on unsupervised. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0
        || dup2(progress_fd, PROGRESS_FD) < 0)
        _exit(127);
    /* Redis, storage and health sockets stay with the worker. */
    if (close_range(PROGRESS_FD + 1, ~0U, 0) < 0)
        for (int fd = PROGRESS_FD + 1; fd < 1024; fd++)
            close(fd);
    execv(exe, argv);
    static const char msg[] = "mpegflow encode: cannot start the encoder process\n";
    ssize_t ignored = write(2, msg, sizeof(msg) - 1);
    (void)ignored;
    _exit(127);
}

static void read_progress(const struct mf_encode_child *c, int fd, char *buf, size_t cap, size_t *used, int *eof)
{
    ssize_t n = read(fd, buf + *used, cap - 1 - *used);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        *eof = 1;
        return;
    }
    if (n < 0)
        return;
    *used += (size_t)n;
    buf[*used] = 0;
    char *line = buf, *nl;
    while ((nl = strchr(line, '\n'))) {
        *nl = 0;
        double percent, fps;
        if (c->progress && sscanf(line, "%lf %lf", &percent, &fps) == 2)
            c->progress(percent, fps, c->opaque);
        line = nl + 1;
    }
    *used = strlen(line);
    memmove(buf, line, *used + 1);
    if (*used == cap - 1)          /* a line that long is not ours: drop it */
        *used = 0;
}

static enum mf_child_outcome judge(const struct mf_encode_child *c, int status, int cancelled,
                                   char *err, size_t err_len)
{
    char last[512];
    mf_last_line(c->log_file, last, sizeof(last));
    if (cancelled) {
        snprintf(err, err_len, "encode cancelled");
        return MF_CHILD_CANCELLED;
    }
    if (WIFEXITED(status)) {
        int code = WEXITSTATUS(status);
        if (code == MF_EXIT_OK)
            return MF_CHILD_OK;
        if (code == 127) {
            snprintf(err, err_len, "the encoder process could not start: %s", last[0] ? last : "exec failed");
            return MF_CHILD_RETRY;
        }
        snprintf(err, err_len, "%s", last[0] ? last : "the encoder failed without a message");
        return code == MF_EXIT_RETRY ? MF_CHILD_RETRY : MF_CHILD_FAILED;
    }
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (sig == SIGKILL) {
        /* Nobody here sent it: most likely the kernel's OOM killer (a pod memory limit). */
        snprintf(err, err_len, "%s", last);
        return MF_CHILD_KILLED;
    }
    snprintf(err, err_len, "the encoder process crashed (signal %d, %s) on this input%s%s", sig,
             strsignal(sig), last[0] ? "; its last message: " : "", last);
    return MF_CHILD_FAILED;
}

/* The encode's command line; argv points into the buffers beside it. */
struct child_args {
    char exe[4096], threads[16], pixels[32], duration[32], progress_fd[8];
    char *argv[24];
};

static void build_argv(const struct mf_encode_child *c, struct child_args *a)
{
    snprintf(a->threads, sizeof(a->threads), "%d", c->threads);
    snprintf(a->pixels, sizeof(a->pixels), "%lld", (long long)c->max_pixels);
    snprintf(a->duration, sizeof(a->duration), "%.3f", c->max_duration);
    snprintf(a->progress_fd, sizeof(a->progress_fd), "%d", PROGRESS_FD);
    char **argv = a->argv;
    int n = 0;
    argv[n++] = a->exe;
    argv[n++] = "encode";
    argv[n++] = (char *)c->input;
    argv[n++] = "-o";
    argv[n++] = (char *)c->outdir;
    argv[n++] = "--job";
    argv[n++] = (char *)c->job_file;
    if (c->backend) {
        argv[n++] = "--backend";
        argv[n++] = (char *)c->backend;
    }
    argv[n++] = "--fallback";
    argv[n++] = (char *)(c->fallback ? c->fallback : "none");
    argv[n++] = "--threads";
    argv[n++] = a->threads;
    argv[n++] = "--max-pixels";
    argv[n++] = a->pixels;
    argv[n++] = "--max-duration";
    argv[n++] = a->duration;
    argv[n++] = "--progress-fd";
    argv[n++] = a->progress_fd;
    argv[n] = NULL;
}

/* Fork and exec the encode: stdout and stderr to the log file, progress on a pipe
 * (*progress: its read end). The child's pid, or -1 with err set. */
static pid_t spawn_encode(const struct mf_encode_child *c, const struct child_args *a, int *progress,
                          char *err, size_t err_len)
{
    int pipefd[2];
    int log_fd = open(c->log_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd < 0 || null_fd < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
        snprintf(err, err_len, "starting the encoder: %s: %s", log_fd < 0 ? c->log_file : "pipe",
                 strerror(errno));
        if (log_fd >= 0)
            close(log_fd);
        if (null_fd >= 0)
            close(null_fd);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        exec_child(a->exe, a->argv, log_fd, null_fd, pipefd[1], parent);
    int fork_errno = errno;
    close(log_fd);
    close(null_fd);
    close(pipefd[1]);
    if (pid < 0) {
        close(pipefd[0]);
        snprintf(err, err_len, "starting the encoder: fork: %s", strerror(fork_errno));
        return -1;
    }
    *progress = pipefd[0];
    return pid;
}

/* Read progress until the child closes its end: SIGTERM once *cancel is set, SIGKILL
 * after the grace period. Returns 1 when it was cancelled. */
static int supervise(const struct mf_encode_child *c, pid_t pid, int fd)
{
    char buf[512];
    size_t used = 0;
    int eof = 0, cancelled = 0;
    int64_t term_at = 0;
    while (!eof) {
        if (c->cancel && atomic_load(c->cancel) && !term_at) {
            kill(pid, SIGTERM);
            term_at = mf_mono_ms();
            cancelled = 1;
        }
        if (term_at && mf_mono_ms() - term_at > KILL_GRACE_MS) {
            kill(pid, SIGKILL);
            term_at = INT64_MAX / 2;   /* once */
        }
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r = poll(&pfd, 1, 100);
        if (r > 0)
            read_progress(c, fd, buf, sizeof(buf), &used, &eof);
        else if (r < 0 && errno != EINTR)
            eof = 1;
    }
    return cancelled;
}

enum mf_child_outcome mf_encode_child_run(const struct mf_encode_child *c, char *err, size_t err_len)
{
    struct child_args a;
    int ret = mf_sibling_exe("mpegflow-media", a.exe, sizeof(a.exe));
    if (ret) {
        snprintf(err, err_len, "cannot find mpegflow-media next to mpegflow: %s", strerror(-ret));
        return MF_CHILD_RETRY;
    }
    build_argv(c, &a);
    int fd;
    pid_t pid = spawn_encode(c, &a, &fd, err, err_len);
    if (pid < 0)
        return MF_CHILD_RETRY;
    int cancelled = supervise(c, pid, fd);
    close(fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return judge(c, status, cancelled, err, err_len);
}

int mf_probe_child(const char *name, char *out, size_t len)
{
    char exe[4096];
    int ret = mf_sibling_exe("mpegflow-media", exe, sizeof(exe));
    if (ret) {
        snprintf(out, len, "cannot find mpegflow-media next to mpegflow: %s", strerror(-ret));
        return -1;
    }
    char *argv[] = { exe, "probe", (char *)name, NULL };
    int pipefd[2];
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
        snprintf(out, len, "cannot run mpegflow probe: %s", strerror(errno));
        if (null_fd >= 0)
            close(null_fd);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)   /* stdout and stderr to the pipe */
        exec_child(exe, argv, pipefd[1], null_fd, pipefd[1], parent);
    int fork_errno = errno;
    close(null_fd);
    close(pipefd[1]);
    if (pid < 0) {
        close(pipefd[0]);
        snprintf(out, len, "cannot run mpegflow probe: fork: %s", strerror(fork_errno));
        return -1;
    }
    size_t used = 0;
    ssize_t n;
    char discard[512];
    for (;;) {   /* read to the end, so the child never blocks on a full pipe */
        int full = used == len - 1;
        n = read(pipefd[0], full ? discard : out + used, full ? sizeof(discard) : len - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (!full)
            used += (size_t)n;
    }
    out[used] = 0;
    close(pipefd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) != 127)
        return WEXITSTATUS(status);
    snprintf(out, len, "mpegflow probe did not run (%s %d)", WIFEXITED(status) ? "exit" : "signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return -1;
}
