/* "did you mean ...?" for mistyped job fields and command-line flags. */
#ifndef MF_SUGGEST_H
#define MF_SUGGEST_H

/**
 * The entry of the NULL-terminated list known closest to word, when it is at
 * most two edits away (insertions, deletions, substitutions); else NULL.
 */
const char *mf_suggest(const char *word, const char *const *known);

#endif
