/* The argv builder of the queue's commands: strings by pointer, numbers formatted in place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue_internal.h"

int arg_add(struct argv *a, const char *s, size_t len)
{
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 32;
        const char **v = realloc(a->v, (size_t)cap * sizeof(*v));
        if (!v)
            return -1;
        a->v = v;
        size_t *l = realloc(a->l, (size_t)cap * sizeof(*l));
        if (!l)
            return -1;
        a->l = l;
        a->cap = cap;
    }
    a->v[a->n] = s;
    a->l[a->n] = len;
    a->n++;
    return 0;
}

int arg(struct argv *a, const char *s)
{
    return arg_add(a, s, strlen(s));
}

int arg_num(struct argv *a, int64_t v)
{
    if (a->n_nums == 16)
        return -1;
    char *s = a->nums[a->n_nums++];
    snprintf(s, 24, "%lld", (long long)v);
    return arg(a, s);
}

int arg_pairs(struct argv *a, const char *const *pairs)
{
    int n = 0;
    while (pairs && pairs[n])
        n++;
    if (n % 2 || arg_num(a, n))
        return -1;
    for (int i = 0; i < n; i++)
        if (arg(a, pairs[i]))
            return -1;
    return 0;
}

int arg_event(struct argv *a, const char *job_id, const char *state, mf_fields event)
{
    int n = 0;
    while (event && event[n])
        n++;
    if (n % 2 || arg_num(a, state ? n + 4 : 0))
        return -1;
    if (!state)
        return 0;
    if (arg(a, "job") || arg(a, job_id) || arg(a, "state") || arg(a, state))
        return -1;
    for (int i = 0; i < n; i++)
        if (arg(a, event[i]))
            return -1;
    return 0;
}

void arg_free(struct argv *a)
{
    free(a->v);
    free(a->l);
}
