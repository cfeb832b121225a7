/* common/quantity.c: the one size and rate parser (Kubernetes quantities). */
#include <stdint.h>

#include "common/quantity.h"
#include "unit.h"

/* Bitrates in a job: decimal suffixes, whole bits. */
static void test_decimal(void)
{
    CHECK_INT_EQ(mf_parse_quantity("800k"), 800000);
    CHECK_INT_EQ(mf_parse_quantity("800K"), 800000);
    CHECK_INT_EQ(mf_parse_quantity("1.5M"), 1500000);
    CHECK_INT_EQ(mf_parse_quantity("2G"), 2000000000);
    CHECK_INT_EQ(mf_parse_quantity("128000"), 128000);
    CHECK_INT_EQ(mf_parse_quantity("0"), 0);
    CHECK_INT_EQ(mf_parse_quantity("1.234k"), 1234);
    CHECK_INT_EQ(mf_parse_quantity("0.5k"), 500);
    CHECK_INT_EQ(mf_parse_quantity("1.50M"), 1500000);
    CHECK_INT_EQ(mf_parse_quantity("1.0005000k"), -1);     /* half a bit */
    CHECK_INT_EQ(mf_parse_quantity("1.5"), -1);
    CHECK_INT_EQ(mf_parse_quantity("1.0"), 1);
    CHECK_INT_EQ(mf_parse_quantity("9223372036854775807"), INT64_MAX);
    CHECK_INT_EQ(mf_parse_quantity("9223372036854775808"), -1);
    CHECK_INT_EQ(mf_parse_quantity("9223372036854776k"), -1);
    CHECK_INT_EQ(mf_parse_quantity("9223372036854775k"), 9223372036854775000LL);
    CHECK_INT_EQ(mf_parse_quantity(""), -1);
    CHECK_INT_EQ(mf_parse_quantity(NULL), -1);
    CHECK_INT_EQ(mf_parse_quantity("-800k"), -1);
    CHECK_INT_EQ(mf_parse_quantity("+800k"), -1);
    CHECK_INT_EQ(mf_parse_quantity("800m"), -1);           /* milli or mega? refuse */
    CHECK_INT_EQ(mf_parse_quantity("800kb"), -1);
    CHECK_INT_EQ(mf_parse_quantity("M"), -1);
    CHECK_INT_EQ(mf_parse_quantity(".5M"), -1);
    CHECK_INT_EQ(mf_parse_quantity("5.M"), -1);
}

/* Byte limits in the worker's environment: G is 10^9, Gi is 2^30 (as in a pod spec). */
static void test_binary(void)
{
    CHECK_INT_EQ(mf_parse_quantity("20G"), 20000000000LL);
    CHECK_INT_EQ(mf_parse_quantity("20Gi"), 20LL << 30);
    CHECK_INT_EQ(mf_parse_quantity("512Mi"), 512LL << 20);
    CHECK_INT_EQ(mf_parse_quantity("1Ki"), 1024);
    CHECK_INT_EQ(mf_parse_quantity("1.5Gi"), 3LL << 29);
    CHECK_INT_EQ(mf_parse_quantity("1T"), 1000000000000LL);
    CHECK_INT_EQ(mf_parse_quantity("1Ti"), 1LL << 40);
    CHECK_INT_EQ(mf_parse_quantity("2P"), 2000000000000000LL);
    CHECK_INT_EQ(mf_parse_quantity("1Pi"), 1LL << 50);
    CHECK_INT_EQ(mf_parse_quantity("7Ei"), 7LL << 60);
    CHECK_INT_EQ(mf_parse_quantity("8Ei"), -1);            /* past INT64_MAX */
    CHECK_INT_EQ(mf_parse_quantity("0.5Ki"), 512);
    CHECK_INT_EQ(mf_parse_quantity("0.3Ki"), -1);          /* 307.2 bytes */
    CHECK_INT_EQ(mf_parse_quantity("1ki"), -1);            /* Kubernetes has Ki, not ki */
    CHECK_INT_EQ(mf_parse_quantity("1Ki "), -1);
    CHECK_INT_EQ(mf_parse_quantity("20GB"), -1);
    CHECK_INT_EQ(mf_parse_quantity("1Gii"), -1);
    CHECK_INT_EQ(mf_parse_quantity("1e9"), -1);
}

int main(void)
{
    test_decimal();
    test_binary();
    return UNIT_DONE();
}
