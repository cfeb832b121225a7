/* mpegflow worker: configuration, backend choice, then the worker loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "worker/encode_child.h"
#include "common/log.h"
#include "worker/worker_config.h"
#include "worker/worker.h"

/* The backend called name ("auto" when any is usable: the encode then picks
 * one per job by codec); NULL with why when unusable. The probe runs in a
 * child `mpegflow probe`, so this process never loads FFmpeg or a driver. */
static const char *usable_backend(const char *name, char *why, size_t why_len)
{
    static char chosen[32];
    char out[4096], *save = NULL;
    int auto_ = !strcmp(name, "auto");
    int st = mf_probe_child(auto_ ? NULL : name, out, sizeof(out));
    if (st < 0) {
        snprintf(why, why_len, "%.500s", out);
        return NULL;
    }
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = 0;
        const char *verdict = colon + 1 + strspn(colon + 1, " ");
        if (!auto_ && strcmp(line, name))
            continue;
        if (!strcmp(verdict, "usable")) {
            if (auto_)
                return "auto";
            snprintf(chosen, sizeof(chosen), "%s", line);
            return chosen;
        }
        if (!auto_) {
            const char *reason = !strncmp(verdict, "unusable: ", 10) ? verdict + 10 : verdict;
            snprintf(why, why_len, "%s: unusable: %s", name, reason);
            return NULL;
        }
    }
    if (auto_)
        snprintf(why, why_len, "no encoder backend is usable on this host (see 'mpegflow probe')");
    else
        snprintf(why, why_len, "%s: mpegflow probe said nothing about it (exit status %d)", name, st);
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mpegflow worker [OPTIONS]\n\n"
               "Runs jobs from the Redis stream <prefix>queue:<pool> until SIGTERM/SIGINT:\n"
               "the first signal drains (no new jobs, in-flight jobs get the drain timeout,\n"
               "then are handed back), a second one cancels and hands back at once.\n\n");
    mf_config_usage(MF_CONFIG_WORKER, f);
}

int mf_cmd_worker(int argc, char **argv)
{
    static struct mf_config cfg;
    char err[512], why[1200];
    char **restp = calloc((size_t)argc + 1, sizeof(*restp));
    int n_rest = 0;
    if (!restp)
        return MF_EXIT_FAIL;
    int r = mf_config_load(&cfg, MF_CONFIG_WORKER, argc, argv, restp, &n_rest, err, sizeof(err));
    if (r == 1 || r) {
        if (r == 1)
            usage(stdout);
        else
            fprintf(stderr, "mpegflow worker: %s\n", err);
        free(restp);
        return r == 1 ? MF_EXIT_OK : MF_EXIT_USAGE;
    }
    if (n_rest) {
        fprintf(stderr, "mpegflow worker: unexpected argument '%s' (try --help)\n", restp[0]);
        free(restp);
        return MF_EXIT_USAGE;
    }
    free(restp);
    mf_log_init(cfg.log_json, "worker");
    const char *backend = usable_backend(cfg.backend, why, sizeof(why));
    if (!backend && strcmp(cfg.backend_fallback, "none")) {
        char why2[512];
        backend = usable_backend(cfg.backend_fallback, why2, sizeof(why2));
        if (backend)
            mf_log(MF_LOG_WARN, NULL, "backend unusable; using the fallback", "error", why,
                   "backend", backend, NULL);
        else
            snprintf(why + strlen(why), sizeof(why) - strlen(why), "; fallback %s", why2);
    }
    if (!backend) {
        char unusable[sizeof(why) + 32];
        snprintf(unusable, sizeof(unusable), "MPEGFLOW_BACKEND: %s", why);
        return mf_worker_run(&cfg, cfg.backend, unusable);
    }
    return mf_worker_run(&cfg, backend, NULL);
}
