/* Parsing of redis:// URLs (DESIGN section 3). */
#ifndef MF_REDIS_URL_H
#define MF_REDIS_URL_H

#include <stddef.h>

struct mf_redis_url {
    int tls;                       /* rediss:// */
    char host[256];                /* "" with a unix socket */
    int port;                      /* default 6379 */
    char socket[256];              /* unix:///path, else "" */
    char user[128];                /* "" = none (AUTH password only) */
    char password[256];            /* "" = no AUTH */
    int db;                        /* SELECT index, default 0 */
};

/**
 * Parse redis[s]://[[user]:password@]host[:port][/db] (host may be [v6]) or
 * unix:///path[?db=N]. Userinfo is percent-decoded.
 * Returns 0, or -EINVAL with err saying what is wrong (never echoing the password).
 */
int mf_redis_url_parse(const char *url, struct mf_redis_url *out, char *err, size_t err_len);

#endif
