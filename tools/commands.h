/* Subcommands of the mpegflow binary; each lives in its own cmd_*.c file. */
#ifndef MF_COMMANDS_H
#define MF_COMMANDS_H

#include "common/exit_codes.h"

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


#endif
