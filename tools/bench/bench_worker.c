/*
 * bench --worker: the same job end to end through the queue worker — a
 * throwaway redis-server and nginx (DAV PUT, the storage endpoint) on
 * loopback, one `mpegflow worker`, `mpegflow submit --wait` — against the
 * local `mpegflow encode --job` of that job, alternating. The difference is
 * the worker's overhead: fetch, upload, Redis, job pickup and the wake-up of
 * submit --wait on the job's final event.
 */
#include <libavutil/error.h>

#include "bench.h"
#include "nginx_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/fs.h"
#include "common/util.h"

struct servers {
    char dir[1024];
    pid_t redis, nginx, worker;
    int redis_port, nginx_port, http_port;
};

static int free_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int wait_port(int port, pid_t pid, double limit)
{
    double end = mf_now() + limit;
    while (mf_now() < end) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return -ECHILD;
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return 0;
        usleep(50000);
    }
    return -ETIMEDOUT;
}

static void stop(pid_t *pid, int sig)
{
    if (*pid <= 0)
        return;
    kill(*pid, sig);
    double end = mf_now() + 30;
    while (waitpid(*pid, NULL, WNOHANG) == 0 && mf_now() < end)
        usleep(20000);
    if (waitpid(*pid, NULL, WNOHANG) == 0) {
        kill(*pid, SIGKILL);
        waitpid(*pid, NULL, 0);
    }
    *pid = 0;
}

static int copy_file(const char *from, const char *to)
{
    char buf[1 << 16];
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644), ret = 0;
    ssize_t n;
    if (in < 0 || out < 0)
        ret = -errno;
    while (!ret && (n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            ret = -EIO;
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) < 0 && !ret)
        ret = -errno;
    return ret;
}

/* The template with each @KEY@ of vars replaced by its value. */
static int write_template(FILE *f, const char *t, const char *const vars[][2])
{
    while (*t) {
        const char *at = *t == '@' ? strchr(t + 1, '@') : NULL;
        int done = 0;
        for (int i = 0; at && vars[i][0] && !done; i++) {
            size_t n = strlen(vars[i][0]);
            if ((size_t)(at - t - 1) == n && !strncmp(t + 1, vars[i][0], n)) {
                if (fputs(vars[i][1], f) < 0)
                    return -1;
                t = at + 1;
                done = 1;
            }
        }
        if (!done && fputc(*t++, f) == EOF)
            return -1;
    }
    return 0;
}

static int start_servers(struct servers *s, const char *self, char **env, char *err, size_t err_len)
{
    char path[1200], port[16], rdir[1100];
    snprintf(path, sizeof(path), "%s/scratch", s->dir);
    mf_mkdir_p(path);
    snprintf(rdir, sizeof(rdir), "%s/redis", s->dir);
    mf_mkdir_p(rdir);
    snprintf(port, sizeof(port), "%d", s->redis_port);
    char *redis[] = { "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", rdir, "--save", "",
                      "--appendonly", "no", "--protected-mode", "no", NULL };
    int ret = mf_bench_start(redis, NULL, NULL, &s->redis);
    if (ret < 0 || (ret = wait_port(s->redis_port, s->redis, 10)) < 0) {
        mf_errf(err, err_len, "redis-server: did not start (%s)", strerror(-ret));
        return ret;
    }
    char nd[1100];
    snprintf(nd, sizeof(nd), "%s/nginx", s->dir);
    char nport[16], data[1200];
    snprintf(nport, sizeof(nport), "%d", s->nginx_port);
    snprintf(data, sizeof(data), "%s/data", nd);
    const char *const vars[][2] = {
        { "TMP", nd }, { "DATA", data }, { "PORT", nport }, { "USER", "" }, { "MASTER", "off" },
        { "ACCESS_LOG", "off" }, { NULL, NULL },
    };
    snprintf(path, sizeof(path), "%s/nginx.conf", nd);
    FILE *f = fopen(path, "w");
    if (!f || write_template(f, nginx_storage_conf, vars) < 0 || fclose(f) != 0) {
        mf_errf(err, err_len, "%s: cannot write", path);
        return AVERROR(EIO);
    }
    char *nginx[] = { "nginx", "-c", path, "-p", nd, "-e", "/dev/null", NULL };
    ret = mf_bench_start(nginx, NULL, NULL, &s->nginx);
    if (ret < 0 || (ret = wait_port(s->nginx_port, s->nginx, 10)) < 0) {
        mf_errf(err, err_len, "nginx: did not start (%s)", strerror(-ret));
        return ret;
    }
    char *worker[] = { (char *)self, "worker", NULL };
    snprintf(path, sizeof(path), "%s/worker.log", s->dir);
    ret = mf_bench_start(worker, env, path, &s->worker);
    if (ret < 0 || (ret = wait_port(s->http_port, s->worker, 10)) < 0) {
        char tail[300];
        mf_bench_log_tail(path, tail, sizeof(tail));
        mf_errf(err, err_len, "mpegflow worker: did not start: %s", tail[0] ? tail : strerror(-ret));
        return ret;
    }
    return 0;
}

/* CPU seconds of a live process and of its children it has waited for (the
 * worker runs each encode as a child process); and its resident set, MB. */
static double proc_cpu(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    long cut = 0, cst = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %ld %ld", &ut, &st, &cut, &cst) != 4)
        return -1;
    return (double)(ut + st + (unsigned long)(cut + cst)) / (double)sysconf(_SC_CLK_TCK);
}

static double proc_rss_mb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb / 1024.0;
}

static double iso_seconds(const char *s)
{
    struct tm tm = { 0 };
    double sec;
    if (!s || sscanf(s, "%d-%d-%dT%d:%d:%lf", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                     &tm.tm_min, &sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) + sec;
}

/* Job pickup: the job hash's started_at (the worker took it) minus its
 * created_at (submit's XADD), as `mpegflow status` prints them; ms steps. */
static double pickup_seconds(const char *self, char **env, const char *dir, int run)
{
    char id[32], log[1200];
    snprintf(id, sizeof(id), "bench-%d", run);
    snprintf(log, sizeof(log), "%s/status.json", dir);
    char *argv[] = { (char *)self, "status", id, NULL };
    struct mf_bench_sample sm;
    pid_t pid;
    if (mf_bench_start(argv, env, log, &pid) < 0 || mf_bench_reap(pid, mf_now(), &sm) != 0)
        return -1;
    json_t *j = json_load_file(log, 0, NULL);
    double t = -1;
    if (j) {
        double c = iso_seconds(json_string_value(json_object_get(j, "created_at")));
        double s = iso_seconds(json_string_value(json_object_get(j, "started_at")));
        t = c >= 0 && s >= 0 ? s - c : -1;
        json_decref(j);
    }
    return t;
}

static int write_job(const struct mf_bench_settings *st, const struct mf_bench_file *f, const char *path,
                     int run)
{
    FILE *j = fopen(path, "w");
    if (!j)
        return -errno;
    fprintf(j, "{\"id\": \"bench-%d\", \"input\": \"uploads/source\", \"output_prefix\": \"out/%d/\", "
               "\"format\": \"mp4\", \"video\": {\"preset\": \"%s\", \"gop_seconds\": %g, %s%s%s\"renditions\": [",
            run, run, st->preset, st->gop, st->backend ? "\"backend\": \"" : "", st->backend ? st->backend : "",
            st->backend ? "\", " : "");
    for (int i = 0; i < st->n_heights; i++) {
        fprintf(j, "%s{\"name\": \"%dp\", \"height\": %d, ", i ? ", " : "", st->heights[i], st->heights[i]);
        if (st->bitrate)
            fprintf(j, "\"bitrate\": \"%s\"}", st->bitrate);
        else
            fprintf(j, "\"crf\": %g}", st->crf);
    }
    fprintf(j, "]}, \"audio\": {\"mode\": \"%s\", \"bitrate\": \"128k\", \"channels\": 2}}\n",
            f->has_audio ? "aac" : "none");
    return fclose(j) == 0 ? 0 : -errno;
}

static void fill_env(char **env, char store[][1280], const struct servers *s)
{
    extern char **environ;
    int n = 0, k = 0;
    for (char **e = environ; *e && n < 200; e++)
        if (strncmp(*e, "MPEGFLOW_", 9))
            env[n++] = *e;
    snprintf(store[k], 1280, "MPEGFLOW_REDIS_URL=redis://127.0.0.1:%d/0", s->redis_port);
    env[n++] = store[k++];
    snprintf(store[k], 1280, "MPEGFLOW_STORAGE_URL=http://127.0.0.1:%d/media", s->nginx_port);
    env[n++] = store[k++];
    snprintf(store[k], 1280, "MPEGFLOW_HTTP_ADDR=127.0.0.1:%d", s->http_port);
    env[n++] = store[k++];
    snprintf(store[k], 1280, "MPEGFLOW_SCRATCH_DIR=%s/scratch", s->dir);
    env[n++] = store[k++];
    env[n++] = "MPEGFLOW_LOG_FORMAT=text";
    env[n] = NULL;
}

int mf_bench_worker(const struct mf_bench_settings *st, struct mf_bench_file *f)
{
    struct mf_bench_worker *w = &f->worker;
    struct servers s = { .redis = 0 };
    static char *env[256];
    static char env_store[8][1280];
    char path[1200], job[1200], out[1200], log[1200];
    double local_wall[MF_BENCH_MAX_RUNS], e2e_wall[MF_BENCH_MAX_RUNS], local_cpu[MF_BENCH_MAX_RUNS],
           worker_cpu[MF_BENCH_MAX_RUNS], pickup[MF_BENCH_MAX_RUNS];
    int ret;
    *w = (struct mf_bench_worker){ .ran = 1 };
    snprintf(s.dir, sizeof(s.dir), "%s/mpegflow-bench-worker-XXXXXX", st->workdir);
    if (!mkdtemp(s.dir)) {
        mf_errf(w->error, sizeof(w->error), "%s: %s", s.dir, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/nginx/data/media/uploads", s.dir);
    mf_mkdir_p(path);
    snprintf(path, sizeof(path), "%s/nginx/data/media/uploads/source", s.dir);
    if ((ret = copy_file(f->path, path)) < 0) {
        mf_errf(w->error, sizeof(w->error), "cannot place the source in storage: %s", strerror(-ret));
        goto done;
    }
    s.redis_port = free_port();
    s.nginx_port = free_port();
    s.http_port = free_port();
    fill_env(env, env_store, &s);
    if (start_servers(&s, st->cli, env, w->error, sizeof(w->error)) < 0)
        goto done;
    usleep(300000);     /* let the worker reach its read loop before the idle reading */
    w->idle_rss_mb = proc_rss_mb(s.worker);
    for (int run = 0; run < st->runs; run++) {
        struct mf_bench_sample sm;
        snprintf(job, sizeof(job), "%s/job-%d.json", s.dir, run);
        if ((ret = write_job(st, f, job, run)) < 0) {
            mf_errf(w->error, sizeof(w->error), "%s: %s", job, strerror(-ret));
            goto done;
        }
        snprintf(out, sizeof(out), "%s/local", s.dir);
        snprintf(log, sizeof(log), "%s/local.log", s.dir);
        char *local[] = { (char *)st->self, "encode", f->path, "-o", out, "--job", job, NULL };
        if ((ret = mf_bench_spawn(local, log, &sm)) != 0) {
            mf_bench_log_tail(log, w->error, sizeof(w->error));
            goto done;
        }
        local_wall[run] = sm.wall;
        local_cpu[run] = sm.cpu;
        double c0 = proc_cpu(s.worker);
        snprintf(log, sizeof(log), "%s/submit.log", s.dir);
        char *submit[] = { (char *)st->cli, "submit", job, "--wait", "--timeout", "36000", NULL };
        double t0 = mf_now();
        pid_t pid;
        if ((ret = mf_bench_start(submit, env, log, &pid)) < 0 || (ret = mf_bench_reap(pid, t0, &sm)) != 0) {
            mf_bench_log_tail(log, w->error, sizeof(w->error));
            goto done;
        }
        e2e_wall[run] = sm.wall;
        worker_cpu[run] = proc_cpu(s.worker) - c0;
        pickup[run] = pickup_seconds(st->cli, env, s.dir, run);
        fprintf(stderr, "bench: %s run %d/%d local encode %7.2f s, through the worker %7.2f s\n", f->name,
                run + 1, st->runs, local_wall[run], e2e_wall[run]);
        mf_remove_tree(out);
    }
    w->n = st->runs;
    w->local_wall = mf_bench_stat_of(local_wall, w->n);
    w->e2e_wall = mf_bench_stat_of(e2e_wall, w->n);
    w->local_cpu = mf_bench_stat_of(local_cpu, w->n);
    w->worker_cpu = mf_bench_stat_of(worker_cpu, w->n);
    w->pickup = mf_bench_stat_of(pickup, w->n);
    w->ok = 1;
done:
    stop(&s.worker, SIGTERM);
    stop(&s.nginx, SIGTERM);
    stop(&s.redis, SIGTERM);
    mf_remove_tree(s.dir);
    return w->ok ? 0 : -1;
}
