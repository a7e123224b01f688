/* test_caps.c - named limits and size parsing. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "helpers.h"

Test(caps, defaults_match_table)
{
	uint64_t caps[MP_CAP__COUNT];

	memset(caps, 0xa5, sizeof caps);
	mp_caps_defaults(caps);
	for (int i = 0; i < MP_CAP__COUNT; i++) {
		cr_assert_eq(caps[i], mp_cap_defs[i].def, "cap %s", mp_cap_defs[i].name);
		cr_assert_geq(caps[i], mp_cap_defs[i].min, "default of %s below its minimum", mp_cap_defs[i].name);
		cr_assert_leq(caps[i], mp_cap_defs[i].max, "default of %s above its maximum", mp_cap_defs[i].name);
	}
}

Test(caps, table_names_unique_and_documented)
{
	for (int i = 0; i < MP_CAP__COUNT; i++) {
		cr_assert_not_null(mp_cap_defs[i].name);
		cr_assert_gt(strlen(mp_cap_defs[i].name), 0);
		cr_assert_not_null(mp_cap_defs[i].help);
		cr_assert_leq(mp_cap_defs[i].min, mp_cap_defs[i].max);
		for (int j = i + 1; j < MP_CAP__COUNT; j++)
			cr_assert_str_neq(mp_cap_defs[i].name, mp_cap_defs[j].name);
	}
	cr_assert_str_eq(mp_cap_defs[MP_CAP_SEGMENT_SIZE].name, "segment-size");
	cr_assert_str_eq(mp_cap_defs[MP_CAP_FINDINGS_PER_OBJECT].name, "findings-per-object");
	cr_assert_str_eq(mp_cap_defs[MP_CAP_WALK_DEPTH].name, "walk-depth");
}

Test(caps, defaults_round_trip_through_set)
{
	uint64_t caps[MP_CAP__COUNT], def[MP_CAP__COUNT];
	char spec[128], err[256];

	mp_caps_defaults(def);
	memset(caps, 0, sizeof caps);
	for (int i = 0; i < MP_CAP__COUNT; i++) {
		snprintf(spec, sizeof spec, "%s=%" PRIu64, mp_cap_defs[i].name, mp_cap_defs[i].def);
		cr_assert_eq(mp_caps_set(caps, spec, err, sizeof err), 0, "%s: %s", spec, err);
	}
	cr_assert_eq(memcmp(caps, def, sizeof caps), 0);
}

static uint64_t parse_ok(const char *s)
{
	uint64_t v = 12345;

	cr_assert_eq(mp_parse_size(s, &v), 0, "'%s' should parse", s);
	return v;
}

static void parse_bad(const char *s)
{
	uint64_t v = 777;

	cr_assert_eq(mp_parse_size(s, &v), -1, "'%s' should be rejected", s);
	cr_assert_eq(v, 777, "'%s': output written on failure", s);
}

Test(caps, parse_size_plain)
{
	cr_assert_eq(parse_ok("0"), 0);
	cr_assert_eq(parse_ok("1"), 1);
	cr_assert_eq(parse_ok("65536"), 65536);
	cr_assert_eq(parse_ok("18446744073709551615"), UINT64_MAX);
}

Test(caps, parse_size_suffixes)
{
	cr_assert_eq(parse_ok("4K"), UINT64_C(4) << 10);
	cr_assert_eq(parse_ok("4k"), UINT64_C(4) << 10);
	cr_assert_eq(parse_ok("3M"), UINT64_C(3) << 20);
	cr_assert_eq(parse_ok("3m"), UINT64_C(3) << 20);
	cr_assert_eq(parse_ok("2G"), UINT64_C(2) << 30);
	cr_assert_eq(parse_ok("5T"), UINT64_C(5) << 40);
	cr_assert_eq(parse_ok("0K"), 0);
}

Test(caps, parse_size_kib_and_b_forms)
{
	cr_assert_eq(parse_ok("4KiB"), UINT64_C(4) << 10);
	cr_assert_eq(parse_ok("4kib"), UINT64_C(4) << 10);
	cr_assert_eq(parse_ok("16MiB"), UINT64_C(16) << 20);
	cr_assert_eq(parse_ok("1GiB"), UINT64_C(1) << 30);
	cr_assert_eq(parse_ok("2TiB"), UINT64_C(2) << 40);
	cr_assert_eq(parse_ok("4KB"), UINT64_C(4) << 10);
	cr_assert_eq(parse_ok("8mb"), UINT64_C(8) << 20);
}

/* Regression: a bare byte suffix ("512B") was rejected. */
Test(caps, parse_size_bare_byte_suffix)
{
	cr_assert_eq(parse_ok("512B"), 512);
	cr_assert_eq(parse_ok("512b"), 512);
}

Test(caps, parse_size_overflow)
{
	parse_bad("18446744073709551616");        /* UINT64_MAX + 1 */
	parse_bad("99999999999999999999999999");
	parse_bad("16777216T");                   /* 2^24 * 2^40 = 2^64 */
	parse_bad("17179869184G");                /* 2^34 * 2^30 = 2^64 */
	cr_assert_eq(parse_ok("16777215T"), (UINT64_C(16777215) << 40));
}

Test(caps, parse_size_junk)
{
	parse_bad("");
	parse_bad("abc");
	parse_bad("K");
	parse_bad("-1");
	parse_bad("+1");
	parse_bad(" 1");
	parse_bad("1 ");
	parse_bad("1X");
	parse_bad("1KX");
	parse_bad("1K B");
	parse_bad("1.5M");
	parse_bad("1KiBB");
	parse_bad("1iB");
	parse_bad("0x10");
	parse_bad("1e3");
	cr_assert_eq(mp_parse_size(NULL, &(uint64_t){0}), -1);
}

Test(caps, set_valid_values)
{
	uint64_t caps[MP_CAP__COUNT];
	char err[256] = "";

	mp_caps_defaults(caps);
	cr_assert_eq(mp_caps_set(caps, "segment-size=1M", err, sizeof err), 0, "%s", err);
	cr_assert_eq(caps[MP_CAP_SEGMENT_SIZE], UINT64_C(1) << 20);
	cr_assert_eq(mp_caps_set(caps, "segment-size=256KiB", err, sizeof err), 0, "%s", err);
	cr_assert_eq(caps[MP_CAP_SEGMENT_SIZE], UINT64_C(256) << 10);
	cr_assert_eq(mp_caps_set(caps, "findings-per-object=3", err, sizeof err), 0, "%s", err);
	cr_assert_eq(caps[MP_CAP_FINDINGS_PER_OBJECT], 3);
	cr_assert_eq(mp_caps_set(caps, "file-size=0", err, sizeof err), 0, "%s", err);
	cr_assert_eq(caps[MP_CAP_FILE_SIZE], 0);
	cr_assert_eq(mp_caps_set(caps, "walk-depth=4096", err, sizeof err), 0, "%s", err);
	cr_assert_eq(caps[MP_CAP_WALK_DEPTH], 4096);
	/* Other caps untouched. */
	cr_assert_eq(caps[MP_CAP_QUEUE_DEPTH], mp_cap_defs[MP_CAP_QUEUE_DEPTH].def);
}

Test(caps, set_bounds_are_inclusive)
{
	uint64_t caps[MP_CAP__COUNT];
	char err[256] = "";

	mp_caps_defaults(caps);
	for (int i = 0; i < MP_CAP__COUNT; i++) {
		char spec[128];
		snprintf(spec, sizeof spec, "%s=%" PRIu64, mp_cap_defs[i].name, mp_cap_defs[i].min);
		cr_assert_eq(mp_caps_set(caps, spec, err, sizeof err), 0, "%s: %s", spec, err);
		cr_assert_eq(caps[i], mp_cap_defs[i].min);
		snprintf(spec, sizeof spec, "%s=%" PRIu64, mp_cap_defs[i].name, mp_cap_defs[i].max);
		cr_assert_eq(mp_caps_set(caps, spec, err, sizeof err), 0, "%s: %s", spec, err);
		cr_assert_eq(caps[i], mp_cap_defs[i].max);
	}
}

Test(caps, set_unknown_name)
{
	uint64_t caps[MP_CAP__COUNT], def[MP_CAP__COUNT];
	char err[256] = "";

	mp_caps_defaults(caps);
	mp_caps_defaults(def);
	cr_assert_eq(mp_caps_set(caps, "no-such-limit=5", err, sizeof err), -1);
	cr_assert_not_null(strstr(err, "no-such-limit"), "message: %s", err);
	cr_assert_not_null(strstr(err, "unknown"), "message: %s", err);
	/* Prefixes and extensions of real names are not real names. */
	err[0] = '\0';
	cr_assert_eq(mp_caps_set(caps, "segment=1M", err, sizeof err), -1);
	cr_assert_neq(err[0], '\0');
	cr_assert_eq(mp_caps_set(caps, "segment-sizes=1M", err, sizeof err), -1);
	cr_assert_eq(mp_caps_set(caps, "=1M", err, sizeof err), -1);
	cr_assert_eq(mp_caps_set(caps, "Segment-Size=1M", err, sizeof err), -1);
	cr_assert_eq(memcmp(caps, def, sizeof caps), 0, "failed sets must not change caps");
}

Test(caps, set_out_of_range)
{
	uint64_t caps[MP_CAP__COUNT], def[MP_CAP__COUNT];
	char err[256] = "";

	mp_caps_defaults(caps);
	mp_caps_defaults(def);
	cr_assert_eq(mp_caps_set(caps, "segment-size=255K", err, sizeof err), -1);
	cr_assert_not_null(strstr(err, "segment-size"), "message: %s", err);
	cr_assert_not_null(strstr(err, "outside"), "message: %s", err);
	cr_assert_eq(mp_caps_set(caps, "segment-size=2G", err, sizeof err), -1);
	cr_assert_eq(mp_caps_set(caps, "queue-depth=0", err, sizeof err), -1);
	cr_assert_eq(mp_caps_set(caps, "queue-depth=1000001", err, sizeof err), -1);
	cr_assert_eq(mp_caps_set(caps, "match-width=63", err, sizeof err), -1);
	cr_assert_eq(mp_caps_set(caps, "walk-depth=4097", err, sizeof err), -1);
	cr_assert_eq(mp_caps_set(caps, "findings-per-object=0", err, sizeof err), -1);
	cr_assert_eq(memcmp(caps, def, sizeof caps), 0, "failed sets must not change caps");
}

Test(caps, set_bad_values)
{
	uint64_t caps[MP_CAP__COUNT], def[MP_CAP__COUNT];
	char err[256] = "";

	mp_caps_defaults(caps);
	mp_caps_defaults(def);
	cr_assert_eq(mp_caps_set(caps, "queue-depth=", err, sizeof err), -1);
	cr_assert_eq(mp_caps_set(caps, "queue-depth=ten", err, sizeof err), -1);
	cr_assert_not_null(strstr(err, "queue-depth"), "message: %s", err);
	/* Counts are whole numbers: size suffixes are for sizes only. */
	err[0] = '\0';
	cr_assert_eq(mp_caps_set(caps, "queue-depth=10K", err, sizeof err), -1);
	cr_assert_not_null(strstr(err, "whole number"), "message: %s", err);
	cr_assert_eq(mp_caps_set(caps, "segment-size=1Q", err, sizeof err), -1);
	cr_assert_not_null(strstr(err, "size"), "message: %s", err);
	cr_assert_eq(memcmp(caps, def, sizeof caps), 0, "failed sets must not change caps");
}

Test(caps, set_missing_equals)
{
	uint64_t caps[MP_CAP__COUNT], def[MP_CAP__COUNT];
	char err[256] = "";

	mp_caps_defaults(caps);
	mp_caps_defaults(def);
	cr_assert_eq(mp_caps_set(caps, "segment-size", err, sizeof err), -1);
	cr_assert_not_null(strstr(err, "NAME=VALUE"), "message: %s", err);
	cr_assert_eq(mp_caps_set(caps, "segment-size 1M", err, sizeof err), -1);
	cr_assert_eq(mp_caps_set(caps, "", err, sizeof err), -1);
	cr_assert_eq(memcmp(caps, def, sizeof caps), 0);
}

Test(caps, set_one_direct)
{
	uint64_t caps[MP_CAP__COUNT];
	char err[256] = "";

	mp_caps_defaults(caps);
	cr_assert_eq(mp_caps_set_one(caps, MP_CAP_MATCH_WIDTH, "1K", err, sizeof err), 0, "%s", err);
	cr_assert_eq(caps[MP_CAP_MATCH_WIDTH], 1024);
	cr_assert_eq(mp_caps_set_one(caps, MP_CAP_MATCH_WIDTH, "17M", err, sizeof err), -1);
	cr_assert_eq(caps[MP_CAP_MATCH_WIDTH], 1024);
}
