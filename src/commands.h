/* Subcommands of the mpegflow binary; each lives in its own cmd_*.c file. */
#ifndef MF_COMMANDS_H
#define MF_COMMANDS_H

struct mf_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);   /* argv[0] is the command name */
};

int mf_cmd_encode(int argc, char **argv);
int mf_cmd_probe(int argc, char **argv);
int mf_cmd_worker(int argc, char **argv);
int mf_cmd_submit(int argc, char **argv);
int mf_cmd_status(int argc, char **argv);
int mf_cmd_bench(int argc, char **argv);

/* Exit codes shared by every command. */
enum {
    MF_EXIT_OK = 0,
    MF_EXIT_FAIL = 1,      /* the work failed: bad input, encode error */
    MF_EXIT_USAGE = 2,     /* bad command line or configuration */
    MF_EXIT_RETRY = 75,    /* EX_TEMPFAIL: out of memory or disk, NVENC sessions busy */
};

#endif
