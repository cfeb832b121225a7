#include "suggest.h"

#include <stdint.h>
#include <string.h>

/* Edit distance of two short strings, for "did you mean" hints. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[33];

    if (la > 32 || lb > 32)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *mf_suggest(const char *word, const char *const *known)
{
    const char *best = NULL;
    size_t best_d = 3;             /* at most two edits away */

    for (int i = 0; known[i]; i++) {
        size_t d = edit_distance(word, known[i]);
        if (d < best_d) {
            best = known[i];
            best_d = d;
        }
    }
    return best;
}
