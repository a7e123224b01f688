/* test_budget.c - the limits on one input and what it unpacks to. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "budget.h"
#include "caps.h"

#define SEC UINT64_C(1000000000)

static uint64_t caps[MP_CAP__COUNT];

static void setup(void)
{
	mp_caps_defaults(caps);
}

TestSuite(budget, .init = setup);

Test(budget, archive_limits_are_named_and_documented)
{
	static const char *const names[] = {"archive-depth",  "member-size", "expanded-size", "compression-ratio",
					    "ratio-grace",    "archive-entries", "input-time"};
	char err[256];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char spec[64];
		int found = 0;
		for (int c = 0; c < MP_CAP__COUNT; c++)
			found += strcmp(mp_cap_defs[c].name, names[i]) == 0;
		cr_assert_eq(found, 1, "%s", names[i]);
		snprintf(spec, sizeof spec, "%s=0", names[i]);
		if (strcmp(names[i], "archive-entries") != 0)
			cr_assert_eq(mp_caps_set(caps, spec, err, sizeof err), 0, "%s: %s", spec, err);
	}
	cr_assert_eq(mp_caps_set(caps, "archive-entries=0", err, sizeof err), -1);
	cr_assert_eq(mp_caps_set(caps, "archive-depth=33", err, sizeof err), -1);
	cr_assert_eq(mp_caps_set(caps, "member-size=2G", err, sizeof err), 0, "%s", err);
	cr_assert_eq(caps[MP_CAP_MEMBER_SIZE], UINT64_C(2) << 30);
	cr_assert_eq(mp_caps_set(caps, "input-time=5m", err, sizeof err), -1, "a count takes no suffix");
}

Test(budget, defaults)
{
	cr_assert_eq(mp_cap_defs[MP_CAP_ARCHIVE_DEPTH].def, 8);
	cr_assert_eq(mp_cap_defs[MP_CAP_MEMBER_SIZE].def, UINT64_C(1) << 30);
	cr_assert_eq(mp_cap_defs[MP_CAP_EXPANDED_SIZE].def, UINT64_C(16) << 30);
	cr_assert_eq(mp_cap_defs[MP_CAP_COMPRESSION_RATIO].def, 200);
	cr_assert_eq(mp_cap_defs[MP_CAP_RATIO_GRACE].def, UINT64_C(64) << 20);
	cr_assert_eq(mp_cap_defs[MP_CAP_ARCHIVE_ENTRIES].def, 1000000);
	cr_assert_eq(mp_cap_defs[MP_CAP_INPUT_TIME].def, 300);
}

Test(budget, fresh_budget_goes_on)
{
	struct mp_budget b;

	mp_budget_start(&b, caps, 5 * SEC);
	cr_assert_not(mp_budget_stopped(&b));
	cr_assert_eq(mp_budget_check(&b, 5 * SEC), MP_CAP__COUNT);
	cr_assert_eq(b.input, 0);
	cr_assert_eq(b.expanded, 0);
	cr_assert_eq(b.deadline_ns, 305 * SEC);
}

Test(budget, expanded_size_room_then_stop)
{
	struct mp_budget b;

	caps[MP_CAP_EXPANDED_SIZE] = 1000;
	caps[MP_CAP_COMPRESSION_RATIO] = 0;
	mp_budget_start(&b, caps, 0);
	cr_assert_eq(mp_budget_room(&b, 600), 600);
	mp_budget_unpacked(&b, 600);
	cr_assert_eq(mp_budget_room(&b, 600), 400, "only what is left");
	mp_budget_unpacked(&b, 400);
	cr_assert_eq(mp_budget_check(&b, 0), MP_CAP__COUNT, "exactly the limit is allowed");
	cr_assert_eq(mp_budget_room(&b, 1), 0);
	mp_budget_stop(&b, MP_CAP_EXPANDED_SIZE);
	cr_assert(mp_budget_stopped(&b));
	cr_assert_eq(mp_budget_check(&b, 0), MP_CAP_EXPANDED_SIZE);
	/* Unpacking past the limit (not through room) is caught by check. */
	mp_budget_start(&b, caps, 0);
	mp_budget_unpacked(&b, 1001);
	cr_assert_eq(mp_budget_check(&b, 0), MP_CAP_EXPANDED_SIZE);
}

Test(budget, expanded_size_zero_is_no_limit)
{
	struct mp_budget b;

	caps[MP_CAP_EXPANDED_SIZE] = 0;
	caps[MP_CAP_COMPRESSION_RATIO] = 0;
	mp_budget_start(&b, caps, 0);
	mp_budget_unpacked(&b, UINT64_C(1) << 50);
	cr_assert_eq(mp_budget_room(&b, 12345), 12345);
	cr_assert_eq(mp_budget_check(&b, 0), MP_CAP__COUNT);
}

Test(budget, ratio_only_past_the_grace)
{
	struct mp_budget b;

	caps[MP_CAP_COMPRESSION_RATIO] = 10;
	caps[MP_CAP_RATIO_GRACE] = 1000;
	mp_budget_start(&b, caps, 0);
	mp_budget_read(&b, 10);
	mp_budget_unpacked(&b, 1000); /* 100:1, but within the grace */
	cr_assert_eq(mp_budget_check(&b, 0), MP_CAP__COUNT);
	mp_budget_read(&b, 90);
	mp_budget_unpacked(&b, 1); /* 1001 from 100: 10.01:1 */
	cr_assert_eq(mp_budget_check(&b, 0), MP_CAP_COMPRESSION_RATIO);
	cr_assert(mp_budget_stopped(&b));
	/* Stays stopped, with the first cause, whatever comes next. */
	mp_budget_read(&b, 1000000);
	cr_assert_eq(mp_budget_check(&b, 0), MP_CAP_COMPRESSION_RATIO);
	mp_budget_stop(&b, MP_CAP_INPUT_TIME);
	cr_assert_eq(b.stop, MP_CAP_COMPRESSION_RATIO);
}

Test(budget, ratio_exactly_at_the_limit_goes_on)
{
	struct mp_budget b;

	caps[MP_CAP_COMPRESSION_RATIO] = 200;
	caps[MP_CAP_RATIO_GRACE] = 0;
	mp_budget_start(&b, caps, 0);
	mp_budget_read(&b, 1000);
	mp_budget_unpacked(&b, 200000);
	cr_assert_eq(mp_budget_check(&b, 0), MP_CAP__COUNT);
	mp_budget_unpacked(&b, 1);
	cr_assert_eq(mp_budget_check(&b, 0), MP_CAP_COMPRESSION_RATIO);
}

Test(budget, ratio_zero_is_no_limit_and_no_overflow)
{
	struct mp_budget b;

	caps[MP_CAP_COMPRESSION_RATIO] = 0;
	caps[MP_CAP_RATIO_GRACE] = 0;
	caps[MP_CAP_EXPANDED_SIZE] = 0;
	mp_budget_start(&b, caps, 0);
	mp_budget_read(&b, 1);
	mp_budget_unpacked(&b, UINT64_C(1) << 60);
	cr_assert_eq(mp_budget_check(&b, 0), MP_CAP__COUNT);
	/* ratio * input would overflow: it cannot be exceeded. */
	caps[MP_CAP_COMPRESSION_RATIO] = 1000000000;
	mp_budget_start(&b, caps, 0);
	mp_budget_read(&b, UINT64_C(1) << 40);
	mp_budget_unpacked(&b, UINT64_MAX / 2);
	cr_assert_eq(mp_budget_check(&b, 0), MP_CAP__COUNT);
}

Test(budget, input_time)
{
	struct mp_budget b;

	caps[MP_CAP_INPUT_TIME] = 2;
	mp_budget_start(&b, caps, 10 * SEC);
	cr_assert_eq(mp_budget_check(&b, 11 * SEC), MP_CAP__COUNT);
	cr_assert_eq(mp_budget_check(&b, 12 * SEC - 1), MP_CAP__COUNT);
	cr_assert_eq(mp_budget_check(&b, 12 * SEC), MP_CAP_INPUT_TIME);
	caps[MP_CAP_INPUT_TIME] = 0;
	mp_budget_start(&b, caps, 10 * SEC);
	cr_assert_eq(b.deadline_ns, 0);
	cr_assert_eq(mp_budget_check(&b, UINT64_MAX), MP_CAP__COUNT);
}

Test(budget, describe_names_the_limit_and_the_amounts)
{
	struct mp_budget b;
	char msg[512];

	caps[MP_CAP_COMPRESSION_RATIO] = 10;
	caps[MP_CAP_RATIO_GRACE] = 100;
	mp_budget_start(&b, caps, 0);
	mp_budget_read(&b, 12);
	mp_budget_unpacked(&b, 4096);
	cr_assert_eq(mp_budget_check(&b, 0), MP_CAP_COMPRESSION_RATIO);
	mp_budget_describe(&b, msg, sizeof msg);
	cr_assert_not_null(strstr(msg, "compression-ratio limit (10:1 past 100 bytes)"), "%s", msg);
	cr_assert_not_null(strstr(msg, "4096 bytes unpacked from 12 bytes read"), "%s", msg);

	caps[MP_CAP_EXPANDED_SIZE] = 4000;
	caps[MP_CAP_COMPRESSION_RATIO] = 0;
	mp_budget_start(&b, caps, 0);
	mp_budget_unpacked(&b, 4000);
	mp_budget_stop(&b, MP_CAP_EXPANDED_SIZE);
	mp_budget_describe(&b, msg, sizeof msg);
	cr_assert_not_null(strstr(msg, "expanded-size limit (4000 bytes)"), "%s", msg);

	caps[MP_CAP_INPUT_TIME] = 3;
	mp_budget_start(&b, caps, 0);
	mp_budget_read(&b, 77);
	cr_assert_eq(mp_budget_check(&b, 3 * SEC), MP_CAP_INPUT_TIME);
	mp_budget_describe(&b, msg, sizeof msg);
	cr_assert_not_null(strstr(msg, "input-time limit (3 s)"), "%s", msg);
	cr_assert_not_null(strstr(msg, "77 bytes read"), "%s", msg);
}

Test(budget, depth)
{
	cr_assert(mp_budget_may_open(caps, 0));
	cr_assert(mp_budget_may_open(caps, 7));
	cr_assert_not(mp_budget_may_open(caps, 8));
	caps[MP_CAP_ARCHIVE_DEPTH] = 0;
	cr_assert_not(mp_budget_may_open(caps, 0), "archive-depth=0 opens nothing");
	caps[MP_CAP_ARCHIVE_DEPTH] = 1;
	cr_assert(mp_budget_may_open(caps, 0));
	cr_assert_not(mp_budget_may_open(caps, 1));
}

Test(budget, member_room)
{
	caps[MP_CAP_MEMBER_SIZE] = 100;
	cr_assert_eq(mp_budget_member_room(caps, 0, 64), 64);
	cr_assert_eq(mp_budget_member_room(caps, 64, 64), 36);
	cr_assert_eq(mp_budget_member_room(caps, 100, 64), 0);
	cr_assert_eq(mp_budget_member_room(caps, 150, 64), 0);
	caps[MP_CAP_MEMBER_SIZE] = 0;
	cr_assert_eq(mp_budget_member_room(caps, UINT64_C(1) << 62, 64), 64);
}

Test(budget, entries)
{
	caps[MP_CAP_ARCHIVE_ENTRIES] = 3;
	cr_assert(mp_budget_entry_ok(caps, 0));
	cr_assert(mp_budget_entry_ok(caps, 2));
	cr_assert_not(mp_budget_entry_ok(caps, 3));
}
