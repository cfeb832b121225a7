/* mpegflow probe: which encoder backends work on this host, and why not. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "mpegflow/encoder.h"

int mf_cmd_probe(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: mpegflow probe [BACKEND...]\n\n"
               "Prints one line per encoder backend: 'NAME: usable' or 'NAME: unusable: REASON'.\n"
               "Without names: every built-in backend, exit status 0 when at least one is usable.\n"
               "With names: those backends, exit status 0 only when all of them are usable.\n");
        return MF_EXIT_OK;
    }
    if (argc > 1) {
        int bad = 0;
        for (int i = 1; i < argc; i++) {
            const struct mf_encoder_backend *b = mf_encoder_backend_find(argv[i]);
            char why[256] = "";
            if (!b)
                printf("%s: unusable: not built into this mpegflow\n", argv[i]);
            else if (b->probe(why, sizeof(why)) == 0)
                printf("%s: usable\n", b->name);
            else
                printf("%s: unusable: %s\n", b->name, why[0] ? why : "unknown reason");
            bad += !b || why[0];
        }
        return bad ? MF_EXIT_FAIL : MF_EXIT_OK;
    }
    int usable = 0;
    for (const struct mf_encoder_backend *const *b = mf_encoder_backends(); *b; b++) {
        char why[256] = "";
        if ((*b)->probe(why, sizeof(why)) == 0) {
            printf("%s: usable\n", (*b)->name);
            usable++;
        } else {
            printf("%s: unusable: %s\n", (*b)->name, why[0] ? why : "unknown reason");
        }
    }
    return usable ? MF_EXIT_OK : MF_EXIT_FAIL;
}
