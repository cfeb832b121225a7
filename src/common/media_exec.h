/* Running the sibling executable: mpegflow (no FFmpeg) <-> mpegflow-media. */
#ifndef MF_MEDIA_EXEC_H
#define MF_MEDIA_EXEC_H

/**
 * exec the executable `name` next to this one with argv (argv[0] is replaced
 * by its path). Returns only on failure, after one line on stderr:
 * MF_EXIT_FAIL.
 */
int mf_exec_sibling(const char *name, char **argv);

#endif
