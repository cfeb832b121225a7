/* mpegflow probe: which encoder backends work on this host, and why not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/hwcontext.h>

#include "commands.h"
#include "media/hwdevice.h"
#include "mpegflow/encoder.h"

/* One line for backend b (NULL: name is not built in); 1 when usable. A
 * backend on a device is probed on MPEGFLOW_GPU's, as a job would be. */
static int probe_line(const char *name, const struct mf_encoder_backend *b)
{
    const char *gpu = getenv("MPEGFLOW_GPU");
    struct mf_encoder_probe probe = { .codec = -1, .device = -1 };
    char why[256] = "";

    if (!b) {
        printf("%s: unusable: not built into this mpegflow\n", name);
        return 0;
    }
    if (mf_hwdevice_parse_index(gpu, &probe.device) < 0 && b->hw_device != AV_HWDEVICE_TYPE_NONE) {
        printf("%s: unusable: MPEGFLOW_GPU='%s' is not a GPU index (0..255)\n", b->name, gpu);
        return 0;
    }
    if (b->probe(&probe, why, sizeof(why)) == 0) {
        printf("%s: usable\n", b->name);
        return 1;
    }
    printf("%s: unusable: %s\n", b->name, why[0] ? why : "unknown reason");
    return 0;
}

int mf_cmd_probe(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: mpegflow probe [BACKEND...]\n\n"
               "Prints one line per encoder backend: 'NAME: usable' or 'NAME: unusable: REASON'.\n"
               "Without names: every built-in backend, exit status 0 when at least one is usable.\n"
               "With names: those backends, exit status 0 only when all of them are usable.\n"
               "A GPU backend is probed on MPEGFLOW_GPU's device (unset: any).\n\nBuilt in:\n");
        for (const struct mf_encoder_backend *const *b = mf_encoder_backends(); *b; b++)
            printf("  %-8s %s\n", (*b)->name, (*b)->long_name);
        return MF_EXIT_OK;
    }
    if (argc > 1) {
        int bad = 0;
        for (int i = 1; i < argc; i++)
            bad += !probe_line(argv[i], mf_encoder_backend_find(argv[i]));
        return bad ? MF_EXIT_FAIL : MF_EXIT_OK;
    }
    int usable = 0;
    for (const struct mf_encoder_backend *const *b = mf_encoder_backends(); *b; b++)
        usable += probe_line((*b)->name, *b);
    return usable ? MF_EXIT_OK : MF_EXIT_FAIL;
}
