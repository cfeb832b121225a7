/* Exit codes of every command, and of the encode child the worker reads back. */
#ifndef MF_EXIT_CODES_H
#define MF_EXIT_CODES_H

enum {
    MF_EXIT_OK = 0,
    MF_EXIT_FAIL = 1,      /* the work failed: bad input, encode error */
    MF_EXIT_USAGE = 2,     /* bad command line or configuration */
    MF_EXIT_RETRY = 75,    /* EX_TEMPFAIL: out of memory or disk, NVENC sessions busy */
};

#endif
