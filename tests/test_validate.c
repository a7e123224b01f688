/* test_validate.c - validators, entropy and keyword proximity. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "entropy.h"
#include "helpers.h"
#include "keywords.h"
#include "rules.h"
#include "validate.h"

/* ---- Luhn ---- */

static bool luhn(const char *s)
{
	return mp_luhn_valid(s, strlen(s));
}

/* An independent Luhn check digit for a digit string. */
static char oracle_check_digit(const char *digits)
{
	size_t n = strlen(digits);
	int sum = 0;

	for (size_t i = 0; i < n; i++) {
		int d = digits[n - 1 - i] - '0';
		if (i % 2 == 0) {  /* doubled: the check digit will sit to the right */
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

Test(luhn, valid_numbers)
{
	char *card = t_cat("4111", "1111", "1111", "1111", NULL);

	cr_assert(luhn(card));
	cr_assert(luhn("79927398713"));
	cr_assert(luhn("00000000"));
	free(card);
}

Test(luhn, invalid_numbers)
{
	char *card = t_cat("4111", "1111", "1111", "1112", NULL);

	cr_assert_not(luhn(card));
	cr_assert_not(luhn("79927398710"));
	cr_assert_not(luhn("79927398714"));
	free(card);
}

Test(luhn, spaces_and_dashes_ignored)
{
	char *sp = t_cat("4111 ", "1111 ", "1111 ", "1111", NULL);
	char *da = t_cat("4111-", "1111-", "1111-", "1111", NULL);
	char *mixed = t_cat("4111 -", "1111--", "1111 ", " 1111", NULL);
	char *bad = t_cat("4111 ", "1111 ", "1111 ", "1113", NULL);

	cr_assert(luhn(sp));
	cr_assert(luhn(da));
	cr_assert(luhn(mixed));
	cr_assert_not(luhn(bad));
	free(sp);
	free(da);
	free(mixed);
	free(bad);
}

Test(luhn, other_characters_rejected)
{
	char *dot = t_cat("4111.", "1111.", "1111.", "1111", NULL);

	cr_assert_not(luhn(dot));
	cr_assert_not(luhn("7992739871x"));
	cr_assert_not(luhn("x79927398713"));
	free(dot);
}

Test(luhn, too_short)
{
	cr_assert_not(luhn(""));
	cr_assert_not(luhn("0"));
	cr_assert_not(luhn("18"));        /* passes the checksum, but 2 digits */
	cr_assert_not(luhn("0000000"));   /* 7 digits */
	cr_assert_not(luhn("--  --"));
	cr_assert(luhn("0000 0000"));     /* 8 digits is enough */
}

Test(luhn, agrees_with_oracle_on_random_numbers)
{
	uint64_t st = 0x1234567;
	char buf[32];

	for (int k = 0; k < 2000; k++) {
		int len = 8 + (int)(t_rand(&st) % 12);
		for (int i = 0; i < len - 1; i++)
			buf[i] = (char)('0' + t_rand(&st) % 10);
		buf[len - 1] = '\0';
		char check = oracle_check_digit(buf);
		buf[len - 1] = check;
		buf[len] = '\0';
		cr_assert(luhn(buf), "%s should be valid", buf);
		buf[len - 1] = (char)('0' + (check - '0' + 1 + (int)(t_rand(&st) % 9)) % 10);
		cr_assert_not(luhn(buf), "%s should be invalid", buf);
	}
}

Test(validate, dispatch_by_bits)
{
	char *card = t_cat("4111", "1111", "1111", "1111", NULL);
	char *bad = t_cat("4111", "1111", "1111", "1110", NULL);

	cr_assert_eq(mp_validate(0, "anything", 8), MP_CHECK_NONE, "no validators");
	cr_assert_eq(mp_validate(1u << MP_VALIDATE_LUHN, card, strlen(card)), MP_CHECK_PASS);
	cr_assert_eq(mp_validate(1u << MP_VALIDATE_LUHN, bad, strlen(bad)), MP_CHECK_FAIL);
	cr_assert_eq(mp_validate((1u << MP_VALIDATE_LUHN) | (1u << MP_VALIDATE_JWT), card, strlen(card)),
		     MP_CHECK_FAIL, "all validators must pass");
	cr_assert_eq(mp_validator_lookup("luhn"), MP_VALIDATE_LUHN);
	cr_assert_eq(mp_validator_lookup("jwt"), MP_VALIDATE_JWT);
	cr_assert_eq(mp_validator_lookup("LUHN"), -1);
	cr_assert_eq(mp_validator_lookup("crc"), -1);
	cr_assert_eq(mp_validator_lookup("github-crc32"), MP_VALIDATE_GITHUB_CRC32);
	cr_assert_str_eq(mp_validator_name(MP_VALIDATE_JWT), "jwt");
	cr_assert_str_eq(mp_validator_name(99), "?");
	cr_assert_str_eq(mp_validator_name(-1), "?");
	free(card);
	free(bad);
}

/* ---- base64 and JWT ---- */

static char *b64url(const char *s)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(s), o = 0;
	const unsigned char *u = (const unsigned char *)s;
	char *out = malloc(n * 4 / 3 + 4);

	cr_assert_not_null(out);
	for (size_t i = 0; i < n; i += 3) {
		unsigned w = (unsigned)u[i] << 16;
		if (i + 1 < n)
			w |= (unsigned)u[i + 1] << 8;
		if (i + 2 < n)
			w |= u[i + 2];
		out[o++] = a[(w >> 18) & 63];
		out[o++] = a[(w >> 12) & 63];
		if (i + 1 < n)
			out[o++] = a[(w >> 6) & 63];
		if (i + 2 < n)
			out[o++] = a[w & 63];
	}
	out[o] = '\0';
	return out;
}

static char *make_jwt(const char *header_json)
{
	char *h = b64url(header_json);
	char *p = b64url("{\"sub\":\"1234567890\",\"name\":\"Test\"}");
	char *t = t_cat(h, ".", p, ".", "c2lnbmF0dXJl", "LXNpZ25hdHVyZQ", NULL);

	free(h);
	free(p);
	return t;
}

static bool jwt(const char *s)
{
	return mp_jwt_valid(s, strlen(s));
}

Test(base64, decode_standard_and_url)
{
	unsigned char out[64];

	cr_assert_eq(mp_base64_decode("TWFu", 4, out), 3);
	cr_assert_eq(memcmp(out, "Man", 3), 0);
	cr_assert_eq(mp_base64_decode("TWE=", 4, out), 2);
	cr_assert_eq(memcmp(out, "Ma", 2), 0);
	cr_assert_eq(mp_base64_decode("TWE", 3, out), 2, "padding is optional");
	cr_assert_eq(memcmp(out, "Ma", 2), 0);
	cr_assert_eq(mp_base64_decode("TQ==", 4, out), 1);
	cr_assert_eq(out[0], 'M');
	cr_assert_eq(mp_base64_decode("", 0, out), 0);
	cr_assert_eq(mp_base64_decode("-_-_", 4, out), 3);
	cr_assert_eq(out[0], 0xfb);
	cr_assert_eq(out[1], 0xff);
	cr_assert_eq(out[2], 0xbf);
	cr_assert_eq(mp_base64_decode("+/+/", 4, out), 3);
	cr_assert_eq(out[0], 0xfb);
	cr_assert_eq(out[1], 0xff);
	cr_assert_eq(out[2], 0xbf);
}

Test(base64, decode_rejects_bad_characters)
{
	unsigned char out[64];

	cr_assert_eq(mp_base64_decode("TW*u", 4, out), -1);
	cr_assert_eq(mp_base64_decode("TW u", 4, out), -1);
	cr_assert_eq(mp_base64_decode("TW=u", 4, out), -1, "'=' only at the end");
}

Test(base64, decode_round_trip_random)
{
	uint64_t st = 99;
	char text[120];
	unsigned char out[120];

	for (int k = 0; k < 300; k++) {
		size_t n = (size_t)(t_rand(&st) % 90);
		for (size_t i = 0; i < n; i++)
			text[i] = (char)(1 + t_rand(&st) % 255);
		text[n] = '\0';
		char *enc = b64url(text);
		long got = mp_base64_decode(enc, strlen(enc), out);
		cr_assert_eq(got, (long)n);
		cr_assert_eq(memcmp(out, text, n), 0);
		free(enc);
	}
}

Test(jwt, valid_header_passes)
{
	char *t = make_jwt("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
	char *t2 = make_jwt("{\"alg\":\"none\"}");

	cr_assert(jwt(t), "%s", t);
	cr_assert(jwt(t2));
	cr_assert(mp_validate(1u << MP_VALIDATE_JWT, t, strlen(t)));
	free(t);
	free(t2);
}

Test(jwt, header_without_alg_fails)
{
	char *t = make_jwt("{\"typ\":\"JWT\"}");
	char *num = make_jwt("{\"alg\":256,\"typ\":\"JWT\"}");
	char *arr = make_jwt("[\"alg\",\"HS256\"]");
	char *trunc = make_jwt("{\"alg\":\"HS256\"");

	cr_assert_not(jwt(t));
	cr_assert_not(jwt(num), "alg must be a string");
	cr_assert_not(jwt(arr), "the header must be an object");
	cr_assert_not(jwt(trunc), "the header must be complete JSON");
	free(t);
	free(num);
	free(arr);
	free(trunc);
}

Test(jwt, garbage_fails)
{
	cr_assert_not(jwt(""));
	cr_assert_not(jwt("not a jwt"));
	cr_assert_not(jwt("abc.def.ghi"));
	cr_assert_not(jwt(".abc.def"));
	cr_assert_not(jwt("e*J.abc.def"));
	char *nodot = b64url("{\"alg\":\"HS256\"}");
	cr_assert_not(jwt(nodot), "a header alone, without a '.', is not a JWT");
	free(nodot);
}

Test(jwt, huge_header_is_refused_safely)
{
	size_t n = 5000;
	char *s = malloc(n + 8);

	cr_assert_not_null(s);
	memset(s, 'e', n);
	memcpy(s + n, ".x.y", 5);
	cr_assert_not(mp_jwt_valid(s, n + 4));
	free(s);
}

/* ---- entropy ---- */

Test(entropy, known_values)
{
	unsigned char all[256];

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	cr_assert_float_eq(mp_entropy("aaaa", 4), 0.0, 1e-12);
	cr_assert_float_eq(mp_entropy("", 0), 0.0, 1e-12);
	cr_assert_float_eq(mp_entropy("ab", 2), 1.0, 1e-12);
	cr_assert_float_eq(mp_entropy("aabb", 4), 1.0, 1e-12);
	cr_assert_float_eq(mp_entropy("abcd", 4), 2.0, 1e-12);
	cr_assert_float_eq(mp_entropy(all, 256), 8.0, 1e-9);
	/* 3 a + 1 b: -(3/4 log2 3/4 + 1/4 log2 1/4) */
	cr_assert_float_eq(mp_entropy("aaab", 4), -(0.75 * log2(0.75) + 0.25 * log2(0.25)), 1e-12);
}

Test(entropy, order_independent_and_bounded)
{
	uint64_t st = 7;
	unsigned char buf[1000], rev[1000];

	for (int k = 0; k < 50; k++) {
		size_t n = 1 + (size_t)(t_rand(&st) % 1000);
		for (size_t i = 0; i < n; i++)
			buf[i] = (unsigned char)t_rand(&st);
		for (size_t i = 0; i < n; i++)
			rev[i] = buf[n - 1 - i];
		double h = mp_entropy(buf, n);
		cr_assert_float_eq(h, mp_entropy(rev, n), 1e-9);
		cr_assert_geq(h, 0.0);
		cr_assert_leq(h, 8.0 + 1e-9);
		cr_assert_leq(h, log2((double)n) + 1e-9);
	}
}

/* ---- keyword proximity ---- */

struct kwrule {
	struct mp_rule r;
	char *words[4];
};

static void kw_init(struct kwrule *k, uint32_t distance, const char *w0, const char *w1)
{
	memset(k, 0, sizeof *k);
	k->words[0] = (char *)w0;
	k->words[1] = (char *)w1;
	k->r.keywords = k->words;
	k->r.nkeywords = w1 ? 2 : w0 ? 1 : 0;
	k->r.kw_distance = distance;
}

/* Is a keyword near the first occurrence of value in text? */
static bool near(const struct kwrule *k, const char *text, const char *value)
{
	const char *v = strstr(text, value);

	cr_assert_not_null(v, "value '%s' not in '%s'", value, text);
	size_t start = (size_t)(v - text);
	return mp_keyword_near(&k->r, text, strlen(text), start, start + strlen(value));
}

Test(keywords, case_insensitive)
{
	struct kwrule k;

	kw_init(&k, 20, "token", NULL);
	cr_assert(near(&k, "token=VALUE99", "VALUE99"));
	cr_assert(near(&k, "TOKEN=VALUE99", "VALUE99"));
	cr_assert(near(&k, "ToKeN: VALUE99", "VALUE99"));
	cr_assert_not(near(&k, "tokn=VALUE99", "VALUE99"));
}

Test(keywords, separators_interchangeable)
{
	struct kwrule k;

	kw_init(&k, 20, "api key", NULL);
	cr_assert(near(&k, "api key = VALUE99", "VALUE99"));
	cr_assert(near(&k, "API_KEY=VALUE99", "VALUE99"));
	cr_assert(near(&k, "Api-Key: VALUE99", "VALUE99"));
	cr_assert_not(near(&k, "apikey=VALUE99", "VALUE99"), "the separator is not optional");
	cr_assert_not(near(&k, "api.key=VALUE99", "VALUE99"), "only ' ', '_' and '-' are equivalent");

	kw_init(&k, 20, "api_key", NULL);
	cr_assert(near(&k, "api key VALUE99", "VALUE99"));
	cr_assert(near(&k, "x-api-key: VALUE99", "VALUE99"));
}

Test(keywords, distance_before_and_after)
{
	struct kwrule k;

	kw_init(&k, 10, "pass", NULL);
	/* value after keyword: "pass" + 6 bytes gap -> keyword starts 10 before. */
	cr_assert(near(&k, "pass......VALUE99", "VALUE99"));
	cr_assert_not(near(&k, "pass.......VALUE99", "VALUE99"), "keyword starts 11 bytes before the value");
	/* keyword after value, ending exactly `distance` bytes after its end. */
	cr_assert(near(&k, "VALUE99......pass", "VALUE99"));
	cr_assert_not(near(&k, "VALUE99.......pass", "VALUE99"));
	cr_assert(near(&k, "zz VALUE99 pass", "VALUE99"));
}

Test(keywords, far_keyword_not_found)
{
	struct kwrule k;
	char text[200];

	kw_init(&k, 32, "secret", NULL);
	snprintf(text, sizeof text, "secret%60sVALUE99%60ssecret", "", "");
	cr_assert_not(near(&k, text, "VALUE99"));
}

Test(keywords, keyword_inside_value_not_counted)
{
	struct kwrule k;

	kw_init(&k, 20, "key", NULL);
	cr_assert_not(near(&k, "... AKEYB9 ...", "AKEYB9"));
	cr_assert_not(near(&k, "KEYVALUE", "KEYVALUE"));
	/* A keyword straddling the value's edge is not wholly outside it. */
	cr_assert_not(near(&k, "xxke", "ke") || near(&k, "ab keyZ", "yZ"));
	cr_assert(near(&k, "key AKEYB9", "AKEYB9"));
}

Test(keywords, edges_of_buffer_and_no_keywords)
{
	struct kwrule k;
	const char *t = "VALUE99";

	kw_init(&k, 100, "token", NULL);
	cr_assert_not(mp_keyword_near(&k.r, t, 7, 0, 7));
	cr_assert(near(&k, "VALUE99 token", "VALUE99"));
	cr_assert(near(&k, "token VALUE99", "VALUE99"));
	kw_init(&k, 100, NULL, NULL);
	cr_assert_not(near(&k, "token VALUE99 token", "VALUE99"), "a rule without keywords never has one near");
}

Test(keywords, any_of_several)
{
	struct kwrule k;

	kw_init(&k, 20, "alpha", "beta");
	cr_assert(near(&k, "BETA: VALUE99", "VALUE99"));
	cr_assert(near(&k, "VALUE99 # alpha", "VALUE99"));
	cr_assert_not(near(&k, "gamma: VALUE99", "VALUE99"));
}

Test(keywords, non_ascii_compared_exactly)
{
	struct kwrule k;

	kw_init(&k, 20, "cl\xc3\xa9", NULL);
	cr_assert(near(&k, "cl\xc3\xa9: VALUE99", "VALUE99"));
	cr_assert(near(&k, "CL\xc3\xa9: VALUE99", "VALUE99"), "ASCII part folds");
	cr_assert_not(near(&k, "CL\xc3\x89: VALUE99", "VALUE99"), "non-ASCII bytes do not fold");
}

Test(keywords, prepared_set_gives_the_same_answers)
{
	struct kwrule k;
	const char *texts[] = {"token=VALUE99",  "TOKEN VALUE99", "API_KEY: VALUE99", "x-api-key VALUE99",
			       "VALUE99 secret", "tok VALUE99",   "apikey VALUE99",   "VALUE99"};

	kw_init(&k, 20, "api key", "token");
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		bool plain, prepared;
		k.r.kwset.ready = false;
		plain = near(&k, texts[i], "VALUE99");
		mp_kwset_init(&k.r.kwset, k.r.keywords, k.r.nkeywords);
		prepared = near(&k, texts[i], "VALUE99");
		cr_assert_eq(plain, prepared, "%s", texts[i]);
		cr_assert_eq(plain, i < 4, "%s", texts[i]);
	}
}

Test(keywords, same_line_keeps_the_keyword_on_the_value_line)
{
	struct kwrule k;

	kw_init(&k, 32, "dob", NULL);
	cr_assert(near(&k, "dob:\n1969-04-17", "1969-04-17"), "across lines by default");
	k.r.kw_same_line = true;
	cr_assert_not(near(&k, "dob:\n1969-04-17", "1969-04-17"));
	cr_assert_not(near(&k, "1969-04-17\ndob", "1969-04-17"));
	cr_assert(near(&k, "x\ndob: 1969-04-17\ny", "1969-04-17"));
	cr_assert(near(&k, "1969-04-17 (dob)", "1969-04-17"));
}
