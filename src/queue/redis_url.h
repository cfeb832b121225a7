/* Parsing of redis:// URLs (DESIGN section 3). */
#ifndef MF_REDIS_URL_H
#define MF_REDIS_URL_H

#include <stddef.h>

#define MF_REDIS_MAX_SENTINELS 8

struct mf_redis_sentinel {
    char host[256];
    int port;                      /* default 26379 */
};

struct mf_redis_url {
    int tls;                       /* rediss:// */
    int n_sentinels;               /* redis-sentinel://: the sentinels to ask, else 0 */
    struct mf_redis_sentinel sentinels[MF_REDIS_MAX_SENTINELS];
    char master[128];              /* redis-sentinel://: the monitored master's name */
    char host[256];                /* "" with a unix socket */
    int port;                      /* default 6379 */
    char socket[256];              /* unix:///path, else "" */
    char user[128];                /* "" = none (AUTH password only) */
    char password[256];            /* "" = no AUTH */
    int db;                        /* SELECT index, default 0 */
};

/**
 * Parse redis[s]://[[user]:password@]host[:port][/db] (host may be [v6]) or
 * unix:///path[?db=N], or redis-sentinel://[[user]:password@]h1[:port],h2[:port]/master[/db]
 * (sentinels default to port 26379; host and port come from the sentinels later).
 * Userinfo is percent-decoded.
 * Returns 0, or -EINVAL with err saying what is wrong (never echoing the password).
 */
int mf_redis_url_parse(const char *url, struct mf_redis_url *out, char *err, size_t err_len);

#endif
