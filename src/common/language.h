/* Language tags: ISO 639-1/-2 (B or T) as media files carry them, to BCP 47. */
#ifndef MF_LANGUAGE_H
#define MF_LANGUAGE_H

#include <stddef.h>

#define MF_LANGUAGE_MAX 36     /* a BCP 47 tag as we write it, with its NUL */

/**
 * The BCP 47 tag for an ISO 639 tag: "eng" and "en" give "en", "fre" and
 * "fra" give "fr", "gsw" (no ISO 639-1 code) stays "gsw"; subtags after the
 * language are kept ("eng-US" gives "en-US"). Letters are lower-cased in the
 * language subtag. NULL, "" or anything that is not 2-3 letters gives "und"
 * and -1; else 0. out_len must be at least 4.
 */
int mf_language_bcp47(const char *tag, char *out, size_t out_len);

/**
 * Whether the source's tag is the wanted language: their BCP 47 forms are
 * equal, or wanted is a prefix of tag ending at a subtag ("en" matches
 * "en-GB" and "eng"; RFC 4647 basic filtering). Case-insensitive.
 */
int mf_language_matches(const char *wanted, const char *tag);

#endif
