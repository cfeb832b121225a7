/* redis:// URL parsing (src/redis_url.c). */
#include <errno.h>
#include <string.h>

#include "queue/redis_url.h"
#include "unit.h"

static int parse(const char *url, struct mf_redis_url *u)
{
    char err[256] = "";
    int r = mf_redis_url_parse(url, u, err, sizeof(err));
    if (r)
        CHECK(err[0] && !strstr(err, "s3cret"));   /* says why, never the password */
    return r;
}

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
    CHECK_INT_EQ(parse("rediss://redis", &u), -EINVAL);
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
    return UNIT_DONE();
}
