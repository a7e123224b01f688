/* The digit-run finder against a byte-at-a-time reference. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"

struct runs {
	struct mp_digit_run r[4096];
	size_t n;
};

static int collect(void *ctx, const struct mp_digit_run *run)
{
	struct runs *rs = ctx;
	cr_assert_lt(rs->n, 4096);
	rs->r[rs->n++] = *run;
	return 0;
}

static int isdig(char c) { return c >= '0' && c <= '9'; }

/* Reference: a byte is in a run if it is a digit, or a space or dash with
 * a digit on each side. */
static void naive(const char *p, size_t n, unsigned min, struct runs *out)
{
	out->n = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		unsigned digits = 0;
		int sep = 0;
		while (j < n && (isdig(p[j]) || ((p[j] == ' ' || p[j] == '-') && j > i && isdig(p[j - 1]) &&
						 j + 1 < n && isdig(p[j + 1])))) {
			digits += isdig(p[j]) != 0;
			sep |= !isdig(p[j]);
			j++;
		}
		if (j == i) {
			i++;
			continue;
		}
		if (digits >= min) {
			struct mp_digit_run r = {i, j, digits, sep != 0};
			out->r[out->n++] = r;
		}
		i = j;
	}
}

static void compare(const char *p, size_t n, unsigned min)
{
	static struct runs got, want;
	got.n = 0;
	naive(p, n, min, &want);
	cr_assert_eq(mp_digit_runs(p, n, min, collect, &got), 0);
	cr_assert_eq(got.n, want.n, "runs: got %zu want %zu (n=%zu min=%u)", got.n, want.n, n, min);
	for (size_t i = 0; i < got.n; i++) {
		cr_assert_eq(got.r[i].start, want.r[i].start, "run %zu start", i);
		cr_assert_eq(got.r[i].end, want.r[i].end, "run %zu end", i);
		cr_assert_eq(got.r[i].digits, want.r[i].digits, "run %zu digits", i);
		cr_assert_eq(got.r[i].separated, want.r[i].separated, "run %zu separated", i);
	}
}

Test(digits, matches_reference_on_random_text)
{
	static char buf[5000];
	const char alphabet[] = "0123456789012345678901234567890123456789 - -ab,\n";
	srand(7);
	for (int round = 0; round < 400; round++) {
		size_t n = (size_t)(rand() % (int)sizeof buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = alphabet[rand() % (int)(sizeof alphabet - 1)];
		compare(buf, n, 1 + (unsigned)(rand() % 16));
	}
}

Test(digits, runs_across_block_boundaries)
{
	char buf[300];
	/* A 16-digit number with spaces placed across offset 64 and 128, and
	 * one ending exactly at a block end and at the buffer end. */
	for (size_t at = 40; at < 140; at++) {
		memset(buf, 'x', sizeof buf);
		memcpy(buf + at, "4539 1488 0343 6467", 19);
		compare(buf, sizeof buf, 13);
		compare(buf, at + 19, 13);
	}
}

Test(digits, separators_need_digits_on_both_sides)
{
	const char *s = "-123 456- 7 - 8";
	struct runs got = {.n = 0};
	mp_digit_runs(s, strlen(s), 1, collect, &got);
	cr_assert_eq(got.n, 3);
	cr_assert_eq(got.r[0].start, 1);
	cr_assert_eq(got.r[0].end, 8);      /* "123 456" */
	cr_assert(got.r[0].separated);
	cr_assert_eq(got.r[1].digits, 1);   /* "7": the " - " is two separators */
	cr_assert_not(got.r[1].separated);
}

Test(digits, min_digits_filters_and_stop_value_propagates)
{
	const char *s = "12 345678901234 99";
	struct runs got = {.n = 0};
	mp_digit_runs(s, strlen(s), 13, collect, &got);
	cr_assert_eq(got.n, 1);
	cr_assert_eq(got.r[0].digits, 16);
}
