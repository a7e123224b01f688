/* test_finding.c - redaction, fingerprints, UTF-8 hygiene. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "finding.h"
#include "helpers.h"

#define ELLIPSIS "\xe2\x80\xa6"
#define FFFD "\xef\xbf\xbd"

static char *redact(const char *s, size_t n)
{
	struct mp_buf b;
	char *out;

	mp_buf_init(&b, 1 << 16);
	mp_redact(s, n, &b);
	cr_assert_not_null(b.data);
	out = strdup(b.data);
	mp_buf_free(&b);
	return out;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && memcmp(s + a - b, suf, b) == 0;
}

Test(redact, ascii_lengths)
{
	char secret[64];

	memset(secret, 0, sizeof secret);
	for (size_t n = 0; n < sizeof secret; n++) {
		for (size_t i = 0; i < n; i++)
			secret[i] = (char)('A' + i % 26);
		char *r = redact(secret, n);
		size_t shown = n / 3 < MP_REDACT_MAX_SHOWN ? n / 3 : MP_REDACT_MAX_SHOWN;
		cr_assert(ends_with(r, ELLIPSIS), "n=%zu: '%s' lacks the ellipsis", n, r);
		cr_assert_eq(strlen(r), shown + 3, "n=%zu: '%s'", n, r);
		cr_assert_eq(memcmp(r, secret, shown), 0, "n=%zu: shown part is not the secret's start", n);
		if (n > 0)
			cr_assert_null(memmem(r, strlen(r), secret, n), "n=%zu: full secret shown", n);
		free(r);
	}
}

Test(redact, at_most_a_third_and_six)
{
	char *a = redact("abcdefghi", 9);
	char *b = redact("ab", 2);
	char *c = redact("abcdefghijklmnopqrstuvwxyz0123456789", 36);

	cr_assert_str_eq(a, "abc" ELLIPSIS);
	cr_assert_str_eq(b, ELLIPSIS, "a third of 2 is 0 characters");
	cr_assert_str_eq(c, "abcdef" ELLIPSIS);
	free(a);
	free(b);
	free(c);
}

Test(redact, keeps_utf8_boundaries)
{
	/* 9 characters of 2 bytes: a third is 3 characters = 6 bytes. */
	const char *s = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
	char *r = redact(s, strlen(s));

	cr_assert_str_eq(r, "\xc3\xa9\xc3\xa9\xc3\xa9" ELLIPSIS);
	free(r);

	/* Mixed widths: 1, 3, 4, 2, 1, 3, 1, 1, 1 bytes: a third is 3 characters. */
	const char *m = "a\xe2\x82\xac\xf0\x9d\x84\x9e\xc3\xa9" "b\xe2\x82\xac" "cde";
	r = redact(m, strlen(m));
	cr_assert_str_eq(r, "a\xe2\x82\xac\xf0\x9d\x84\x9e" ELLIPSIS);
	cr_assert(mp_utf8_valid(r, strlen(r)));
	free(r);
}

Test(redact, output_always_valid_utf8)
{
	uint64_t st = 5;
	unsigned char s[40];

	for (int k = 0; k < 500; k++) {
		size_t n = (size_t)(t_rand(&st) % sizeof s);
		for (size_t i = 0; i < n; i++)
			s[i] = (unsigned char)t_rand(&st);
		char *r = redact((const char *)s, n);
		cr_assert(mp_utf8_valid(r, strlen(r)), "redacted form is not valid UTF-8");
		cr_assert(ends_with(r, ELLIPSIS));
		if (n >= 4)
			cr_assert_null(memmem(r, strlen(r), s, n));
		free(r);
	}
}

Test(redact, control_characters_in_shown_part_sanitized)
{
	char *r = redact("a\nb\x01" "cdefghijklmnop", 16);

	cr_assert_str_eq(r, "a" FFFD "b" FFFD "c" ELLIPSIS);
	free(r);
}

Test(redact, appends_to_buffer)
{
	struct mp_buf b;

	mp_buf_init(&b, 256);
	mp_buf_adds(&b, "x=");
	mp_redact("123456789", 9, &b);
	cr_assert_str_eq(b.data, "x=123" ELLIPSIS);
	mp_buf_free(&b);
}

/* ---- fingerprints ---- */

static void fp(const char *rule, const char *s, char out[72])
{
	memset(out, 'Z', 72);
	mp_fingerprint(rule, s, strlen(s), out);
}

Test(fingerprint, format)
{
	char f[72];

	fp("t.key", "VALUE", f);
	cr_assert_eq(strlen(f), 71);
	cr_assert_eq(strncmp(f, "sha256:", 7), 0);
	for (int i = 7; i < 71; i++)
		cr_assert(isxdigit((unsigned char)f[i]) && !isupper((unsigned char)f[i]), "char %d: '%c'", i, f[i]);
}

Test(fingerprint, known_value)
{
	char f[72];

	/* sha256("t.key" "\0" "VALUE") */
	fp("t.key", "VALUE", f);
	cr_assert_str_eq(f, "sha256:506dcd5d5bb50dbaa7552be613b40f27b91236ea6d62e7c47ee45df0f495474a");
	fp("", "", f);
	cr_assert_str_eq(f, "sha256:6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

Test(fingerprint, stable_and_distinct)
{
	char a[72], b[72], c[72], d[72], e[72], g[72];

	fp("r.one", "value-1", a);
	fp("r.one", "value-1", b);
	fp("r.two", "value-1", c);
	fp("r.one", "value-2", d);
	cr_assert_str_eq(a, b, "not stable");
	cr_assert_str_neq(a, c, "rule id not part of the fingerprint");
	cr_assert_str_neq(a, d, "value not part of the fingerprint");
	/* The separator keeps ("ab", "c") apart from ("a", "bc"). */
	fp("ab", "c", e);
	fp("a", "bc", g);
	cr_assert_str_neq(e, g);
}

Test(fingerprint, binary_value_uses_length)
{
	char a[72], b[72];

	mp_fingerprint("r", "ab\0cd", 5, a);
	mp_fingerprint("r", "ab\0ce", 5, b);
	cr_assert_str_neq(a, b, "bytes after a NUL must count");
}

/* ---- UTF-8 ---- */

static char *sanitize(const char *s, size_t n)
{
	struct mp_buf b;
	char *out;

	mp_buf_init(&b, 1 << 16);
	cr_assert_eq(mp_utf8_sanitize(&b, s, n), 0);
	out = strdup(b.data ? b.data : "");
	mp_buf_free(&b);
	return out;
}

#define SAN_EQ(in, expect) do { \
	char *o_ = sanitize((in), sizeof(in) - 1); \
	cr_assert_str_eq(o_, (expect), "sanitize(%s)", #in); \
	free(o_); \
} while (0)

Test(utf8, sanitize_keeps_valid_text)
{
	SAN_EQ("plain text", "plain text");
	SAN_EQ("caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e");
	SAN_EQ("tab\there", "tab\there");
	SAN_EQ("", "");
}

Test(utf8, sanitize_replaces_invalid_bytes)
{
	SAN_EQ("x\xffy", "x" FFFD "y");
	SAN_EQ("\x80", FFFD);
	SAN_EQ("a\xc0\xaf" "b", "a" FFFD FFFD "b");          /* overlong '/' */
	SAN_EQ("a\xed\xa0\x80" "b", "a" FFFD FFFD FFFD "b");  /* surrogate */
	char *o = sanitize("ok\xe2\x82", 4);                   /* truncated at the end */
	cr_assert_eq(strncmp(o, "ok", 2), 0);
	cr_assert(mp_utf8_valid(o, strlen(o)));
	cr_assert_not_null(strstr(o, FFFD));
	cr_assert_null(strchr(o, '\x82'));
	free(o);
}

Test(utf8, sanitize_replaces_controls_but_not_tab)
{
	SAN_EQ("a\nb", "a" FFFD "b");
	SAN_EQ("a\rb", "a" FFFD "b");
	SAN_EQ("a\x01\x1f" "b", "a" FFFD FFFD "b");
	SAN_EQ("a\x7f" "b", "a" FFFD "b");
	SAN_EQ("a\x1b[31mred", "a" FFFD "[31mred");
	char *o = sanitize("a\0b", 3);
	cr_assert_str_eq(o, "a" FFFD "b");
	free(o);
}

Test(utf8, sanitize_random_always_valid)
{
	uint64_t st = 11;
	unsigned char s[64];

	for (int k = 0; k < 1000; k++) {
		size_t n = (size_t)(t_rand(&st) % sizeof s);
		for (size_t i = 0; i < n; i++)
			s[i] = (unsigned char)t_rand(&st);
		struct mp_buf b;
		mp_buf_init(&b, 1 << 16);
		cr_assert_eq(mp_utf8_sanitize(&b, (const char *)s, n), 0);
		cr_assert(mp_utf8_valid(b.data ? b.data : "", b.len));
		for (size_t i = 0; i < b.len; i++) {
			unsigned char c = (unsigned char)b.data[i];
			cr_assert(c >= 0x20 || c == '\t', "control byte 0x%02x survived", c);
			cr_assert_neq(c, 0x7f);
		}
		/* Valid input passes through unchanged. */
		if (mp_utf8_valid((const char *)s, n)) {
			bool clean = true;
			for (size_t i = 0; i < n; i++)
				if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
					clean = false;
			if (clean) {
				cr_assert_eq(b.len, n);
				cr_assert_eq(memcmp(b.data, s, n), 0);
			}
		}
		mp_buf_free(&b);
	}
}

Test(utf8, sanitize_appends_and_reports_overflow)
{
	struct mp_buf b;

	mp_buf_init(&b, 8);
	mp_buf_adds(&b, "[");
	cr_assert_eq(mp_utf8_sanitize(&b, "ab\x01", 3), 0);
	cr_assert_str_eq(b.data, "[ab" FFFD);
	cr_assert_eq(mp_utf8_sanitize(&b, "\xff\xff", 2), -1, "buffer max exceeded");
	mp_buf_free(&b);
}

#define VALID(s) cr_assert(mp_utf8_valid((s), sizeof(s) - 1), "%s should be valid", #s)
#define INVALID(s) cr_assert_not(mp_utf8_valid((s), sizeof(s) - 1), "%s should be invalid", #s)

Test(utf8, valid_sequences)
{
	VALID("");
	VALID("ascii");
	VALID("\x7f");
	VALID("\xc2\x80");          /* U+0080 */
	VALID("\xdf\xbf");          /* U+07FF */
	VALID("\xe0\xa0\x80");      /* U+0800 */
	VALID("\xed\x9f\xbf");      /* U+D7FF */
	VALID("\xee\x80\x80");      /* U+E000 */
	VALID("\xef\xbf\xbf");      /* U+FFFF */
	VALID("\xf0\x90\x80\x80");  /* U+10000 */
	VALID("\xf4\x8f\xbf\xbf");  /* U+10FFFF */
}

Test(utf8, rejects_overlongs)
{
	INVALID("\xc0\x80");
	INVALID("\xc1\xbf");
	INVALID("\xe0\x80\x80");
	INVALID("\xe0\x9f\xbf");
	INVALID("\xf0\x80\x80\x80");
	INVALID("\xf0\x8f\xbf\xbf");
}

Test(utf8, rejects_surrogates_and_out_of_range)
{
	INVALID("\xed\xa0\x80");      /* U+D800 */
	INVALID("\xed\xbf\xbf");      /* U+DFFF */
	INVALID("a\xed\xb0\x80z");
	INVALID("\xf4\x90\x80\x80");  /* U+110000 */
	INVALID("\xf5\x80\x80\x80");
	INVALID("\xff");
	INVALID("\xfe");
}

Test(utf8, rejects_broken_sequences)
{
	INVALID("\x80");
	INVALID("a\xbf");
	INVALID("\xe2\x82");          /* truncated */
	INVALID("\xe2\x28\xa1");      /* bad continuation */
	INVALID("\xc3");
	INVALID("\xf0\x9d\x84");
	cr_assert_not(mp_utf8_valid("\xc3\xa9", 1), "length is respected");
}

Test(utf8, seq_lengths)
{
	cr_assert_eq(mp_utf8_seq((const unsigned char *)"a", 1), 1);
	cr_assert_eq(mp_utf8_seq((const unsigned char *)"\xc3\xa9", 2), 2);
	cr_assert_eq(mp_utf8_seq((const unsigned char *)"\xe2\x82\xac", 3), 3);
	cr_assert_eq(mp_utf8_seq((const unsigned char *)"\xf0\x9d\x84\x9e", 4), 4);
	cr_assert_eq(mp_utf8_seq((const unsigned char *)"\xf0\x9d\x84\x9e", 3), 0);
	cr_assert_eq(mp_utf8_seq((const unsigned char *)"\xc0\x80", 2), 0);
	cr_assert_eq(mp_utf8_seq((const unsigned char *)"\xed\xa0\x80", 3), 0);
}
