/*
 * Worker configuration (DESIGN section 3): environment first, flags of the
 * same name override. Secrets come only from the environment.
 */
#ifndef MF_WORKER_CONFIG_H
#define MF_WORKER_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "mpegflow/storage.h"

struct mf_config {
    char redis_url[1024];
    char redis_username[128];      /* MPEGFLOW_REDIS_USERNAME: replaces the URL's user (ACL) */
    char redis_password[256];      /* MPEGFLOW_REDIS_PASSWORD: replaces the URL's */
    char redis_ca[1024];           /* MPEGFLOW_REDIS_CA: CA bundle file or directory */
    char redis_cert[1024];         /* MPEGFLOW_REDIS_CERT, MPEGFLOW_REDIS_KEY: client certificate */
    char redis_key[1024];
    char redis_sni[256];           /* MPEGFLOW_REDIS_SNI */
    int redis_tls_insecure;        /* MPEGFLOW_REDIS_TLS_INSECURE=1: no verification */
    double job_ttl;                /* MPEGFLOW_JOB_TTL seconds, 0 = keep finished jobs */
    int events_maxlen;             /* MPEGFLOW_EVENTS_MAXLEN */
    int dead_maxlen;               /* MPEGFLOW_DEAD_MAXLEN */
    char prefix[64];               /* MPEGFLOW_REDIS_PREFIX, default "mpegflow:" */
    char pool[64];
    char storage_url[1024];
    enum mf_storage_auth storage_auth;
    double storage_stall_timeout;  /* MPEGFLOW_STORAGE_STALL_TIMEOUT: below 1 KiB/s this long = cut */
    char storage_token[2048];
    char aws_access_key[256];
    char aws_secret_key[256];
    char aws_region[64];
    char backend[16];              /* x264 | nvenc | auto */
    char backend_fallback[16];     /* none | x264 | nvenc: used when backend is unusable */
    int concurrency;
    char scratch_dir[256];
    double drain_timeout;          /* seconds */
    char http_addr[128];           /* host:port, or "off" */
    int log_json;
    int max_attempts;
    double claim_timeout;          /* seconds */
    int64_t max_input_bytes;       /* 0 = no limit */
    int64_t max_pixels;            /* 0 = no limit */
    double max_duration;           /* seconds, 0 = no limit */
    int max_jobs;                  /* 0 = run until signalled */
};

enum mf_config_mode {
    MF_CONFIG_WORKER,              /* everything */
    MF_CONFIG_CLIENT,              /* submit, status: Redis and pool only */
};

/**
 * Fill c from the environment, then from argv (argv[0] is the command name;
 * "--name value" and "--name=value"). Unknown flags and bad values fail with one
 * line in err naming the variable or flag. Positional arguments are left in
 * argv order in *rest / *n_rest (pointers into argv).
 * Returns 0, 1 when --help was asked, -EINVAL on a bad configuration.
 */
int mf_config_load(struct mf_config *c, enum mf_config_mode mode, int argc, char **argv,
                   char **rest, int *n_rest, char *err, size_t err_len);

/** The flag and environment help text for mode. */
void mf_config_usage(enum mf_config_mode mode, FILE *f);

struct mf_queue_config;
/** The Redis part of c as a queue configuration (pointers into c). */
void mf_config_queue(const struct mf_config *c, struct mf_queue_config *qc);

#endif
