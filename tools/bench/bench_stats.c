/* Medians with min and max over a side's runs; ratios. */
#include "bench.h"

#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct mf_bench_stat mf_bench_stat_of(const double *v, int n)
{
    double s[MF_BENCH_MAX_RUNS];
    if (n <= 0)
        return (struct mf_bench_stat){ 0, 0, 0 };
    for (int i = 0; i < n; i++)
        s[i] = v[i];
    qsort(s, (size_t)n, sizeof(s[0]), cmp_double);
    double median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    return (struct mf_bench_stat){ median, s[0], s[n - 1] };
}

void mf_bench_side_stats(struct mf_bench_side *side)
{
    double wall[MF_BENCH_MAX_RUNS], cpu[MF_BENCH_MAX_RUNS], rss[MF_BENCH_MAX_RUNS];
    int n = side->n_samples;
    for (int i = 0; i < n; i++) {
        wall[i] = side->samples[i].wall;
        cpu[i] = side->samples[i].cpu;
        rss[i] = side->samples[i].max_rss_kb / 1024.0;
    }
    side->wall = mf_bench_stat_of(wall, n);
    side->cpu = mf_bench_stat_of(cpu, n);
    side->rss_mb = mf_bench_stat_of(rss, n);
}

double mf_bench_ratio(double ours, double theirs)
{
    return ours > 0 && theirs > 0 ? ours / theirs : 0;
}
