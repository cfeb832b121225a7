/*
 * Language tags: the ISO 639-2 codes containers carry (Matroska, MP4's
 * mdhd, MPEG-TS descriptors: "eng", "ger"/"deu") as BCP 47 (RFC 5646),
 * which HLS LANGUAGE and DASH @lang want: the ISO 639-1 code where there
 * is one ("en", "de"), else the 3-letter code ("haw"). No FFmpeg.
 */
#ifndef MF_LANGUAGE_H
#define MF_LANGUAGE_H

#include <stddef.h>

/**
 * Write tag's BCP 47 form into out (at least 4 bytes; 16 holds every tag
 * this accepts). tag may be ISO 639-2/B or /T ("fre", "fra"), ISO 639-1
 * ("fr"), or already BCP 47 with subtags ("pt-BR", "fra-CA": the primary
 * subtag is shortened, the rest kept with BCP 47's case). Returns 0, or -1
 * with out = "und" for NULL, "", "und", "mul", "zxx", "mis", reserved
 * ranges (qaa-qtz) and anything that is not a language tag.
 */
int mf_language_bcp47(const char *tag, char *out, size_t len);

/** 1 when the track's tag have is in the range wanted (RFC 4647 basic
 * filtering, both through mf_language_bcp47 first): "eng" and "en" match
 * "en" and "en-GB"; "en-GB" matches "en-GB" only, not "en" or "en-US". */
int mf_language_matches(const char *wanted, const char *have);

#endif
