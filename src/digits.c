/* digits.c - digit runs, 64 bytes at a time.
 *
 * For each 64-byte block two bit masks are built (SSE2 where available):
 * D, the digits, and S, the spaces and dashes. A separator joins a run only
 * between two digits, so the run mask is J = D | (S & prev-is-digit &
 * next-is-digit). Runs are then walked with count-trailing-zeros; a block
 * with no run bits costs a handful of instructions.
 */
#include "mp_config.h"

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "digits.h"

static void masks(const unsigned char *p, uint64_t *dm, uint64_t *sm)
{
#ifdef __SSE2__
	const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
	const __m128i sp = _mm_set1_epi8(' '), dash = _mm_set1_epi8('-');
	uint64_t d = 0, s = 0;

	for (int i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
		__m128i x = _mm_sub_epi8(v, zero);
		__m128i isd = _mm_cmpeq_epi8(_mm_min_epu8(x, nine), x);
		__m128i iss = _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, dash));
		d |= (uint64_t)(uint16_t)_mm_movemask_epi8(isd) << (16 * i);
		s |= (uint64_t)(uint16_t)_mm_movemask_epi8(iss) << (16 * i);
	}
	*dm = d;
	*sm = s;
#else
	uint64_t d = 0, s = 0;
	for (int i = 0; i < 64; i++) {
		d |= (uint64_t)(p[i] - '0' < 10u) << i;
		s |= (uint64_t)(p[i] == ' ' || p[i] == '-') << i;
	}
	*dm = d;
	*sm = s;
#endif
}

static unsigned popcount64(uint64_t x)
{
	x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
	x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
	x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
	return (unsigned)((x * UINT64_C(0x0101010101010101)) >> 56);
}

/* Bit i of the result: j holds ones at i .. i + m - 1 (all within the
 * block). Doubling shift-and: about log2(m) steps. */
static uint64_t runs_of_at_least(uint64_t j, unsigned m)
{
	unsigned len = 1;

	while (len * 2 <= m && j != 0) {
		j &= j >> len;
		len *= 2;
	}
	if (len < m && j != 0)
		j &= j >> (m - len);
	return j;
}

int mp_digit_runs(const char *p, size_t n, unsigned min_digits,
		  int (*fn)(void *ctx, const struct mp_digit_run *run), void *ctx)
{
	const unsigned char *u = (const unsigned char *)p;
	unsigned char tail[65];
	struct mp_digit_run run = {0};
	bool in_run = false;
	uint64_t prev_d = 0; /* bit 63 of the previous block's digit mask */
	unsigned need = min_digits > 64 ? 64 : (min_digits ? min_digits : 1);
	int rc;

	for (size_t base = 0; base < n; base += 64) {
		const unsigned char *b = u + base;
		uint64_t d, s, dn, j;
		size_t avail = n - base;

		if (avail < 65) {
			/* The last block, and the byte after it, from a padded copy. */
			memset(tail, 0, sizeof tail);
			memcpy(tail, b, avail);
			b = tail;
		}
		masks(b, &d, &s);
		if (avail < 64)
			d &= (UINT64_C(1) << avail) - 1, s &= (UINT64_C(1) << avail) - 1;
		/* Is the byte after this block a digit? */
		dn = (d >> 1) | ((avail > 64 && b[64] - (unsigned)'0' < 10u) ? UINT64_C(1) << 63 : 0);
		j = d | (s & ((d << 1) | (prev_d >> 63)) & dn);
		prev_d = d;
		if (j == 0 && !in_run)
			continue;
		/* Most blocks of numeric text hold only short runs. Walk a block
		 * only if a run long enough can end in it or continue past it. */
		unsigned prefix = ~j == 0 ? 64 : (unsigned)__builtin_ctzll(~j);
		bool carried = in_run && (size_t)(run.end - run.start) + prefix >= need;
		if (!carried && runs_of_at_least(j, need) == 0 && (j >> 63) == 0) {
			in_run = false;
			continue;
		}
		if (!carried && runs_of_at_least(j, need) == 0) {
			/* Only the run at the block's end matters: start it there. */
			unsigned suffix = (unsigned)__builtin_clzll(~j);
			unsigned at = 64 - suffix;
			uint64_t span = ~UINT64_C(0) << at;
			in_run = true;
			run.start = base + at;
			run.end = base + 64;
			run.digits = popcount64(d & span);
			run.separated = (s & j & span) != 0;
			continue;
		}
		unsigned pos = 0;
		while (pos < 64) {
			uint64_t rest = j >> pos;
			if (in_run) {
				/* The bits shifted in above the block are zeros of ~j's
				 * complement, so k can reach the block's end (width):
				 * then the run goes on into the next block. */
				unsigned width = 64 - pos;
				uint64_t zeros = ~rest;
				unsigned k = zeros == 0 ? 64 : (unsigned)__builtin_ctzll(zeros);
				uint64_t span = k >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << k) - 1;
				run.digits += popcount64((d >> pos) & span);
				if (((s & j) >> pos) & span)
					run.separated = true;
				if (k >= width) {
					run.end = base + 64;
					break;
				}
				pos += k;
				run.end = base + pos;
				in_run = false;
				if (run.digits >= min_digits && (rc = fn(ctx, &run)) != 0)
					return rc;
			} else {
				if (rest == 0)
					break;
				pos += (unsigned)__builtin_ctzll(rest);
				in_run = true;
				run.start = base + pos;
				run.end = run.start;
				run.digits = 0;
				run.separated = false;
			}
		}
	}
	if (in_run) {
		run.end = n;
		if (run.digits >= min_digits && (rc = fn(ctx, &run)) != 0)
			return rc;
	}
	return 0;
}
