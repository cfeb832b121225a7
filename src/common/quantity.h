/*
 * The one parser for sizes and rates given by people: bitrates in a job
 * ("800k", "1.5M"), byte limits in the worker's environment ("20G", "512Mi").
 * Kubernetes quantities: k/K, M, G, T, P, E are powers of 1000; Ki, Mi, Gi, Ti,
 * Pi, Ei powers of 1024 (so MPEGFLOW_MAX_INPUT_BYTES=20G is 20x10^9 bytes and
 * 20Gi is 20x2^30, as in a pod's resources).
 */
#ifndef MF_QUANTITY_H
#define MF_QUANTITY_H

#include <stdint.h>

/**
 * Decimal digits, an optional fraction, an optional suffix. Parsed by hand,
 * not with strtod: no locale, no sign, no spaces, no exponent, and the result
 * must be a whole number ("1.5k" is fine, "1.5" and "1.0005k" are not).
 * Lower-case "m" (milli in Kubernetes) is refused: it is never what a person
 * means for a bitrate or a size. Returns the value, or -1.
 */
int64_t mf_parse_quantity(const char *s);

#endif
