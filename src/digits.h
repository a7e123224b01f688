/* digits.h - find runs of digits fast, for rules whose values are numbers
 * with no literal prefix (card numbers and other bare IDs), which a
 * Vectorscan database cannot skip over in digit-dense data.
 *
 * A run is a maximal stretch of bytes that are digits, or a single space or
 * dash between two digits. Pure and thread-safe.
 */
#ifndef MP_DIGITS_H
#define MP_DIGITS_H

#include <stdbool.h>
#include <stddef.h>

struct mp_digit_run {
	size_t start, end; /* byte range in the buffer */
	unsigned digits;   /* digits in it */
	bool separated;    /* holds a space or dash */
};

/* Call fn for every run in p[0..n) holding at least min_digits digits.
 * Returns 0, or the first non-zero value fn returned (which stops it). */
int mp_digit_runs(const char *p, size_t n, unsigned min_digits,
		  int (*fn)(void *ctx, const struct mp_digit_run *run), void *ctx);

#endif
