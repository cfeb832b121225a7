/* mpegflow worker: configuration, backend choice, then the worker loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "worker_config.h"
#include "log.h"
#include "mpegflow/encoder.h"
#include "worker.h"

/* The backend called name ("auto" when any is usable: the pipeline then
 * picks one per job by codec); NULL with why when unusable. */
static const char *usable_backend(const char *name, char *why, size_t why_len)
{
    if (!strcmp(name, "auto")) {
        for (const struct mf_encoder_backend *const *b = mf_encoder_backends(); *b; b++)
            if ((*b)->probe(why, why_len) == 0)
                return "auto";
        snprintf(why, why_len, "no encoder backend is usable on this host (see 'mpegflow probe')");
        return NULL;
    }
    const struct mf_encoder_backend *b = mf_encoder_backend_find(name);
    if (!b) {
        snprintf(why, why_len, "%s: not built into this binary", name);
        return NULL;
    }
    char reason[256] = "";
    if (b->probe(reason, sizeof(reason))) {
        snprintf(why, why_len, "%s: unusable: %s", name, reason[0] ? reason : "unknown reason");
        return NULL;
    }
    return b->name;
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
