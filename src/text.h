/* text.h - UTF-16 text transcoded to UTF-8 while it streams.
 *
 * The matcher works on UTF-8. UTF-16 content (LE or BE, with or without a
 * BOM) is read through an mp_utf16 reader, which turns each UTF-16 code
 * unit into one UTF-8 character: a BMP character into 1 to 3 bytes, a
 * surrogate pair into 4, a lone surrogate (or a last odd byte) into U+FFFD.
 * A BOM is kept, as U+FEFF. Nothing is dropped or merged, so the output
 * holds the original positions implicitly: the original byte offset of an
 * output position x is 2 * mp_utf8_units(out, x), where a UTF-8 lead byte
 * counts 1 unit and a 4-byte lead counts 2. The scanner keeps that count
 * with its line cursor (scan.h, MP_SCAN_UTF16), so no offset table is
 * needed and memory stays bounded.
 *
 * Pure functions and a per-stream reader; a reader is used by one thread.
 */
#ifndef MP_TEXT_H
#define MP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scan.h"

/* Input bytes converted at a time. */
#define MP_UTF16_IN (16u << 10)

/* Convert the UTF-16 bytes in[0..n) to UTF-8 in out, which must hold
 * n * 3 / 2 + 4 bytes. Without final, a trailing odd byte or high surrogate
 * is left for the next call; *used gets the bytes of in consumed. Returns
 * the bytes written. */
size_t mp_utf16_to_utf8(const unsigned char *in, size_t n, bool be, bool final, char *out, size_t *used);

/* UTF-16 code units that the UTF-8 bytes p[0..n) came from: lead bytes
 * count 1, 4-byte leads 2. Additive over adjacent ranges, even when a range
 * begins or ends inside a character. */
uint64_t mp_utf8_units(const char *p, size_t n);

/* A reader that transcodes src (borrowed, must outlive it). */
struct mp_utf16 {
	const struct mp_reader *src;
	bool be;
	bool eof;
	size_t in_len;  /* bytes of in not yet converted (< 4 between calls) */
	size_t out_len; /* bytes of out produced ... */
	size_t out_off; /* ... and handed on */
	unsigned char in[MP_UTF16_IN];
	char out[MP_UTF16_IN * 3 / 2 + 4];
};

void mp_utf16_init(struct mp_utf16 *t, const struct mp_reader *src, bool be);

/* An mp_reader over t: read and error call src's. */
struct mp_reader mp_utf16_reader(struct mp_utf16 *t);

#endif
