/*
 * A tiny assertion helper for the C unit tests. A failed CHECK prints
 * file:line and what it compared, counts the failure and goes on;
 * UNIT_DONE() prints a summary and is main's return value: 1 when anything
 * failed, else 77 (meson's "skipped") when a part could not run here and
 * said so with UNIT_SKIP, else 0. One test program per file, so the counters live in
 * static functions (no unused-variable warnings in programs that use few).
 */
#ifndef MF_TESTS_UNIT_H
#define MF_TESTS_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static inline int *unit_failures(void)
{
    static int n;
    return &n;
}

static inline int *unit_checks(void)
{
    static int n;
    return &n;
}

static inline int unit_report(int ok, const char *file, int line, const char *what)
{
    ++*unit_checks();
    if (!ok) {
        ++*unit_failures();
        fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    }
    return ok;
}

static inline int *unit_skips(void)
{
    static int n;
    return &n;
}

/* A part of the test that cannot run on this host: said once, counted, never a pass. */
#define UNIT_SKIP(...) do {                                                         \
    ++*unit_skips();                                                                \
    fprintf(stderr, "skipped: " __VA_ARGS__);                                       \
    fputc('\n', stderr);                                                            \
} while (0)

/* CHECK(cond) or CHECK(cond, "fmt", ...): the message is printed when cond fails.
 * An expression: its value is whether cond held. */
static inline int unit_check(int ok, const char *file, int line, const char *what,
                             const char *fmt, ...)
{
    if (!unit_report(ok, file, line, what) && *fmt) {
        va_list ap;
        va_start(ap, fmt);
        fputs("    ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    return ok;
}

#define CHECK(cond, ...) unit_check(!!(cond), __FILE__, __LINE__, #cond, "" __VA_ARGS__)

#define CHECK_INT_EQ(a, b) do {                                                     \
    long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);                   \
    if (!unit_report(unit_a_ == unit_b_, __FILE__, __LINE__, #a " == " #b))         \
        fprintf(stderr, "    %lld != %lld\n", unit_a_, unit_b_);                    \
} while (0)

#define CHECK_DBL_EQ(a, b) do {                                                     \
    double unit_a_ = (a), unit_b_ = (b);                                            \
    if (!unit_report(unit_a_ == unit_b_, __FILE__, __LINE__, #a " == " #b))         \
        fprintf(stderr, "    %g != %g\n", unit_a_, unit_b_);                        \
} while (0)

#define CHECK_STR_EQ(a, b) do {                                                     \
    const char *unit_a_ = (a), *unit_b_ = (b);                                      \
    if (!unit_report(unit_a_ && unit_b_ && !strcmp(unit_a_, unit_b_),               \
                     __FILE__, __LINE__, #a " == " #b))                             \
        fprintf(stderr, "    \"%s\" != \"%s\"\n", unit_a_ ? unit_a_ : "(null)",     \
                unit_b_ ? unit_b_ : "(null)");                                      \
} while (0)

#define CHECK_STR_CONTAINS(hay, needle) do {                                        \
    const char *unit_h_ = (hay), *unit_n_ = (needle);                               \
    if (!unit_report(unit_h_ && unit_n_ && strstr(unit_h_, unit_n_) != NULL,        \
                     __FILE__, __LINE__, #hay " contains " #needle))                \
        fprintf(stderr, "    \"%s\" does not contain \"%s\"\n",                     \
                unit_h_ ? unit_h_ : "(null)", unit_n_ ? unit_n_ : "(null)");        \
} while (0)

#define UNIT_DONE() unit_done(__FILE__)

static inline int unit_done(const char *file)
{
    fprintf(stderr, "%s: %d checks, %d failed, %d parts skipped\n", file, *unit_checks(),
            *unit_failures(), *unit_skips());
    return *unit_failures() ? 1 : *unit_skips() ? 77 : 0;
}

/* A small file's text (up to 64 KiB), in a buffer the next call reuses; NULL if unreadable. */
static inline const char *unit_slurp(const char *path)
{
    static char buf[1 << 16];
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

#endif
