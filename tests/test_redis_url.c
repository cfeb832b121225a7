/* redis:// URL parsing (src/queue/redis_url.c, over libcurl's CURLU). */
#include <errno.h>
#include <string.h>

#include "queue/redis_url.h"
#include "unit.h"

static char last_err[256];

static int parse(const char *url, struct mf_redis_url *u)
{
    last_err[0] = 0;
    int r = mf_redis_url_parse(url, u, last_err, sizeof(last_err));
    if (r)
        CHECK(last_err[0] && !strstr(last_err, "s3cret"));   /* says why, never the password */
    return r;
}

/* url is refused with a message that contains why. */
#define REFUSED(url, why) do {                                                      \
    struct mf_redis_url u_;                                                         \
    CHECK_INT_EQ(parse(url, &u_), -EINVAL);                                         \
    CHECK_STR_CONTAINS(last_err, why);                                              \
} while (0)

int main(void)
{
    struct mf_redis_url u;
    CHECK_INT_EQ(parse("redis://127.0.0.1:6380/2", &u), 0);
    CHECK_STR_EQ(u.host, "127.0.0.1");
    CHECK_INT_EQ(u.port, 6380);
    CHECK_INT_EQ(u.db, 2);
    CHECK_STR_EQ(u.password, "");

    CHECK_INT_EQ(parse("redis://redis", &u), 0);
    CHECK_STR_EQ(u.host, "redis");
    CHECK_INT_EQ(u.port, 6379);
    CHECK_INT_EQ(u.db, 0);

    CHECK_INT_EQ(parse("redis://:s3cret@redis:6379/0", &u), 0);
    CHECK_STR_EQ(u.password, "s3cret");
    CHECK_STR_EQ(u.user, "");

    CHECK_INT_EQ(parse("redis://worker:p%40ss%3Aw@redis/1", &u), 0);
    CHECK_STR_EQ(u.user, "worker");
    CHECK_STR_EQ(u.password, "p@ss:w");
    CHECK_INT_EQ(u.db, 1);

    CHECK_INT_EQ(parse("redis://s3cret@redis", &u), 0);     /* password-only shorthand */
    CHECK_STR_EQ(u.password, "s3cret");

    CHECK_INT_EQ(parse("redis://[::1]:7000/3", &u), 0);
    CHECK_STR_EQ(u.host, "::1");
    CHECK_INT_EQ(u.port, 7000);
    CHECK_INT_EQ(u.db, 3);

    CHECK_INT_EQ(parse("redis://redis/", &u), 0);
    CHECK_INT_EQ(parse("unix:///run/redis.sock?db=4", &u), 0);
    CHECK_STR_EQ(u.socket, "/run/redis.sock");
    CHECK_INT_EQ(u.db, 4);

    CHECK_INT_EQ(parse("", &u), -EINVAL);
    CHECK_INT_EQ(parse("http://redis", &u), -EINVAL);
    CHECK_INT_EQ(parse("redis://", &u), -EINVAL);
    CHECK_INT_EQ(parse("redis://redis:0", &u), -EINVAL);
    CHECK_INT_EQ(parse("redis://redis:65536", &u), -EINVAL);
    CHECK_INT_EQ(parse("redis://redis:12ab", &u), -EINVAL);
    CHECK_INT_EQ(parse("redis://redis/x", &u), -EINVAL);
    CHECK_INT_EQ(parse("redis://redis/0?timeout=1", &u), -EINVAL);
    CHECK_INT_EQ(parse("redis://:s3cret%zz@redis", &u), -EINVAL);
    CHECK_INT_EQ(parse("redis://:s3cret%4@redis", &u), -EINVAL);
    CHECK_INT_EQ(parse("redis://[::1", &u), -EINVAL);
    CHECK_INT_EQ(parse("unix://relative.sock", &u), -EINVAL);

    /* Over CURLU: what curl decodes and splits, and what Redis URLs add. */
    CHECK_INT_EQ(parse("redis://w%C3%B6rker:%2Fs3cret%20x@redis:6380", &u), 0);
    CHECK_STR_EQ(u.user, "w\xc3\xb6rker");
    CHECK_STR_EQ(u.password, "/s3cret x");
    CHECK_INT_EQ(u.port, 6380);
    CHECK_INT_EQ(parse("redis://[::1]", &u), 0);
    CHECK_STR_EQ(u.host, "::1");
    CHECK_INT_EQ(u.port, 6379);
    CHECK_INT_EQ(parse("redis://[fe80::1%25eth0]:6390/5", &u), 0);   /* zone id */
    CHECK_INT_EQ(u.port, 6390);
    CHECK_INT_EQ(u.db, 5);
    CHECK_INT_EQ(parse("redis://REDIS.example.COM:1/1048576", &u), 0);
    CHECK_STR_EQ(u.host, "REDIS.example.COM");
    CHECK_INT_EQ(u.port, 1);
    CHECK_INT_EQ(u.db, 1048576);
    CHECK_INT_EQ(parse("redis://worker:@redis", &u), 0);           /* user, empty password */
    CHECK_STR_EQ(u.user, "worker");
    CHECK_STR_EQ(u.password, "");

    REFUSED("redis://redis:0", "port");
    REFUSED("redis://redis:65536", "port");
    REFUSED("redis://redis:12ab", "port");
    REFUSED("redis://redis/x", "database");
    REFUSED("redis://redis/1048577", "database");
    REFUSED("redis://redis/0/1", "database");
    REFUSED("redis://redis/0#frag", "fragments");
    REFUSED("redis://redis?db=1", "query");
    REFUSED("redis://:s3cret%00@redis", "percent-escape");
    REFUSED("redis://:s3cret%zz@redis", "percent-escape");
    REFUSED("redis://", "host");
    REFUSED("redis://:s3cret@", "host");
    REFUSED("redis://[::1", "host");
    REFUSED("redis://red is", "host");
    REFUSED("http://redis", "redis://");
    REFUSED("rediss:/redis", "rediss://");
    CHECK_INT_EQ(parse("rediss://worker:s3cret@redis.example:6380/2", &u), 0);   /* TLS */
    CHECK_INT_EQ(u.tls, 1);
    CHECK_STR_EQ(u.host, "redis.example");
    CHECK_STR_EQ(u.user, "worker");
    CHECK_INT_EQ(u.port, 6380);
    CHECK_INT_EQ(u.db, 2);
    CHECK_INT_EQ(parse("redis://redis", &u), 0);
    CHECK_INT_EQ(u.tls, 0);
    /* Sentinel: the sentinels, the master's name, the database; userinfo is the data nodes'. */
    CHECK_INT_EQ(parse("redis-sentinel://s1:26380,[::1],s3/mymaster/2", &u), 0);
    CHECK_INT_EQ(u.n_sentinels, 3);
    CHECK_STR_EQ(u.sentinels[0].host, "s1");
    CHECK_INT_EQ(u.sentinels[0].port, 26380);
    CHECK_STR_EQ(u.sentinels[1].host, "::1");
    CHECK_INT_EQ(u.sentinels[1].port, 26379);
    CHECK_STR_EQ(u.sentinels[2].host, "s3");
    CHECK_INT_EQ(u.sentinels[2].port, 26379);
    CHECK_STR_EQ(u.master, "mymaster");
    CHECK_INT_EQ(u.db, 2);
    CHECK_INT_EQ(parse("redis-sentinel://worker:p%40ss@127.0.0.1:5000/m", &u), 0);
    CHECK_STR_EQ(u.user, "worker");
    CHECK_STR_EQ(u.password, "p@ss");
    CHECK_INT_EQ(u.n_sentinels, 1);
    CHECK_INT_EQ(u.sentinels[0].port, 5000);
    CHECK_INT_EQ(u.db, 0);
    REFUSED("redis-sentinel://s1:26379", "master's name");
    REFUSED("redis-sentinel://s1:26379/", "master's name");
    REFUSED("redis-sentinel://s1:99999/m", "sentinel 1");
    REFUSED("redis-sentinel://s1,,s2/m", "sentinel 2");
    REFUSED("redis-sentinel://s1/m/x", "database");
    REFUSED("redis-sentinel://s1/m?x=1", "master name");
    REFUSED("unix://", "absolute");
    REFUSED("unix:///run/r.sock?timeout=1", "db=N");
    REFUSED("unix:///run/r.sock?db=x", "db=N");
    return UNIT_DONE();
}
