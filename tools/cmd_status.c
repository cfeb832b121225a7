/* mpegflow status: print a job's state hash as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client.h"
#include "commands.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: mpegflow status JOB_ID\n\n"
               "Prints the job's hash <prefix>job:<id> as one JSON object (result as JSON,\n"
               "progress, fps and attempt as numbers). Exit 1 when there is no such job:\n"
               "a finished job's hash expires after MPEGFLOW_JOB_TTL.\n\n");
    mf_config_usage(MF_CONFIG_CLIENT, f);
}

int mf_cmd_status(int argc, char **argv)
{
    struct mf_client c;
    char *pos[2];
    int npos = 0;
    int r = mf_client_open(&c, "status", argc, argv, pos, &npos, 2);
    if (r == 1) {
        usage(stdout);
        return MF_EXIT_OK;
    }
    if (r)
        return MF_EXIT_USAGE;
    if (npos != 1) {
        fprintf(stderr, "mpegflow status: expected one job id (try --help)\n");
        mf_client_close(&c);
        return MF_EXIT_USAGE;
    }
    char **pairs = NULL;
    int n = mf_queue_get_job(c.q, pos[0], &pairs);
    int ret = MF_EXIT_FAIL;
    if (n < 0) {
        fprintf(stderr, "mpegflow status: %s\n", mf_queue_errstr(c.q));
    } else if (n == 0) {
        char key[512] = "";
        mf_queue_job_key(c.q, pos[0], key, sizeof(key));
        if (c.cfg.job_ttl > 0)
            fprintf(stderr, "mpegflow status: no job '%s' (no key %s): never submitted, or it "
                    "finished more than %.0f s ago and expired (MPEGFLOW_JOB_TTL)\n",
                    pos[0], key, c.cfg.job_ttl);
        else
            fprintf(stderr, "mpegflow status: no job '%s' (no key %s)\n", pos[0], key);
    } else {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(pos[0]));
        for (int i = 0; pairs[i] && pairs[i + 1]; i += 2) {
            const char *k = pairs[i], *v = pairs[i + 1];
            json_t *val = NULL;
            if (!strcmp(k, "result"))
                val = json_loads(v, 0, NULL);
            else if (!strcmp(k, "progress") || !strcmp(k, "fps"))
                val = json_real(strtod(v, NULL));
            else if (!strcmp(k, "attempt"))
                val = json_integer(strtoll(v, NULL, 10));
            json_object_set_new(o, k, val ? val : json_string(v));
        }
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(o);
        ret = MF_EXIT_OK;
    }
    mf_queue_free_pairs(pairs);
    mf_client_close(&c);
    return ret;
}
