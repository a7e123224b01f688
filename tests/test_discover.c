/* test_discover.c - data classes, scores, bucket names, the rollup. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover.h"
#include "helpers.h"

static struct mp_rule rule(const char *id, enum mp_category cat, enum mp_severity sev)
{
	struct mp_rule r;
	memset(&r, 0, sizeof r);
	r.id = (char *)id;
	r.category = cat;
	r.severity = sev;
	return r;
}

Test(discover, classes)
{
	struct mp_rule aws = rule("aws.access-key-id", MP_CAT_SECRET, MP_SEV_HIGH);
	struct mp_rule pw = rule("generic.password-assignment", MP_CAT_GENERIC, MP_SEV_HIGH);
	struct mp_rule card = rule("pii.payment-card", MP_CAT_PII, MP_SEV_HIGH);
	struct mp_rule iban = rule("pii.iban", MP_CAT_PII, MP_SEV_HIGH);
	struct mp_rule aba = rule("pii.us-aba-routing", MP_CAT_PII, MP_SEV_HIGH);
	struct mp_rule acct = rule("pii.us-bank-account", MP_CAT_PII, MP_SEV_HIGH);
	struct mp_rule own = rule("pii.financial.swift-bic", MP_CAT_PII, MP_SEV_LOW);
	struct mp_rule mail = rule("pii.email", MP_CAT_PII, MP_SEV_LOW);
	struct mp_rule ssn = rule("pii.us-ssn", MP_CAT_PII, MP_SEV_HIGH);
	struct mp_rule near = rule("pii.ibanx", MP_CAT_PII, MP_SEV_HIGH);

	cr_assert_eq(mp_rule_class(&aws), MP_CLASS_CREDENTIALS);
	cr_assert_eq(mp_rule_class(&pw), MP_CLASS_CREDENTIALS);
	cr_assert_eq(mp_rule_class(&card), MP_CLASS_FINANCIAL);
	cr_assert_eq(mp_rule_class(&iban), MP_CLASS_FINANCIAL);
	cr_assert_eq(mp_rule_class(&aba), MP_CLASS_FINANCIAL);
	cr_assert_eq(mp_rule_class(&acct), MP_CLASS_FINANCIAL);
	cr_assert_eq(mp_rule_class(&own), MP_CLASS_FINANCIAL);
	cr_assert_eq(mp_rule_class(&mail), MP_CLASS_PERSONAL);
	cr_assert_eq(mp_rule_class(&ssn), MP_CLASS_PERSONAL);
	cr_assert_eq(mp_rule_class(&near), MP_CLASS_PERSONAL, "ids are compared whole");
	cr_assert_str_eq(mp_class_name(MP_CLASS_FINANCIAL), "financial");
}

Test(discover, score)
{
	cr_assert_eq(mp_score(-1, 0, 0), 0);
	cr_assert_eq(mp_score(MP_SEV_INFO, 1, 1), 5);
	cr_assert_eq(mp_score(MP_SEV_LOW, 1, 1), 15);
	cr_assert_eq(mp_score(MP_SEV_MEDIUM, 1, 9), 30);
	cr_assert_eq(mp_score(MP_SEV_HIGH, 1, 1), 45);
	cr_assert_eq(mp_score(MP_SEV_CRITICAL, 1, 1), 60);
	cr_assert_eq(mp_score(MP_SEV_HIGH, 2, 1), 55);
	cr_assert_eq(mp_score(MP_SEV_HIGH, 3, 1), 65);
	cr_assert_eq(mp_score(MP_SEV_LOW, 1, 10), 20);
	cr_assert_eq(mp_score(MP_SEV_LOW, 1, 99), 20);
	cr_assert_eq(mp_score(MP_SEV_LOW, 1, 100), 25);
	cr_assert_eq(mp_score(MP_SEV_LOW, 1, 1000), 30);
	cr_assert_eq(mp_score(MP_SEV_LOW, 1, 10000), 35);
	cr_assert_eq(mp_score(MP_SEV_LOW, 1, 10000000), 35, "volume adds 20 at most");
	cr_assert_eq(mp_score(MP_SEV_CRITICAL, 3, 100000), 100);
	cr_assert_eq(mp_score(MP_SEV_CRITICAL, 3, 1000), 95);
}

Test(discover, object_tally)
{
	struct mp_rule rs[3] = {rule("aws.access-key-id", MP_CAT_SECRET, MP_SEV_HIGH),
				rule("pii.email", MP_CAT_PII, MP_SEV_LOW),
				rule("pii.payment-card", MP_CAT_PII, MP_SEV_HIGH)};
	struct mp_object o;

	mp_object_init(&o);
	cr_assert_eq(mp_object_score(&o), 0);
	for (int i = 0; i < 12; i++)
		mp_object_add(&o, 1, &rs[1], MP_CLASS_PERSONAL);
	mp_object_add(&o, 0, &rs[0], MP_CLASS_CREDENTIALS);
	cr_assert_eq(o.findings, 13);
	cr_assert_eq(o.nrules, 2);
	cr_assert_eq(o.rules[0], 1, "first-found order");
	cr_assert_eq(o.counts[0], 12);
	cr_assert_eq(o.rules[1], 0);
	cr_assert_eq(o.by_class[MP_CLASS_PERSONAL], 12);
	cr_assert_eq(o.by_class[MP_CLASS_CREDENTIALS], 1);
	cr_assert_eq(mp_object_score(&o), 45 + 10 + 5);
	mp_object_reset(&o);
	cr_assert_eq(o.findings, 0);
	cr_assert_eq(o.nrules, 0);
	cr_assert_eq(o.max_severity, -1);
	for (uint32_t i = 0; i < 40; i++) /* grows past the first allocation */
		mp_object_add(&o, i, &rs[i % 3], MP_CLASS_FINANCIAL);
	cr_assert_eq(o.nrules, 40);
	mp_object_free(&o);
}

Test(discover, bucket_names_and_limit)
{
	struct mp_buckets bs;
	bool over = false;
	char name[32];

	mp_buckets_init(&bs, 3);
	uint32_t r0 = mp_buckets_root(&bs, "mirror"), r1 = mp_buckets_root(&bs, "other-root");
	cr_assert_eq(r0, 0);
	cr_assert_eq(r1, 1);
	uint32_t a = mp_buckets_find(&bs, r0, "logs", 4, &over);
	uint32_t dot = mp_buckets_find(&bs, r0, "", 0, &over);
	cr_assert_neq(a, dot);
	cr_assert_str_eq(bs.b[dot].name, ".");
	cr_assert_eq(mp_buckets_find(&bs, r0, "logs/x", 4, &over), a, "only n bytes count");
	cr_assert_eq(mp_buckets_find_rel(&bs, r0, "./logs/2024/a.log", 17, &over), a);
	cr_assert_eq(mp_buckets_find_rel(&bs, r0, "top.csv", 7, &over), dot);
	uint32_t b = mp_buckets_find(&bs, r1, "logs", 4, &over);
	cr_assert_neq(a, b, "the same name under another root is another bucket");
	cr_assert_not(over);
	/* The limit (3 named) is reached: new names share the root's (other). */
	uint32_t o0 = mp_buckets_find(&bs, r0, "exports", 7, &over);
	cr_assert(over);
	cr_assert(bs.b[o0].other);
	cr_assert_str_eq(bs.b[o0].name, "(other)");
	over = false;
	cr_assert_eq(mp_buckets_find(&bs, r0, "events", 6, &over), o0);
	cr_assert_not(over, "said once per root");
	cr_assert_eq(mp_buckets_find(&bs, r0, "logs", 4, &over), a, "known names keep their bucket");
	uint32_t o1 = mp_buckets_find(&bs, r1, "zzz", 3, &over);
	cr_assert(over);
	cr_assert_neq(o0, o1);
	mp_buckets_free(&bs);

	/* Many names: the table grows and every name stays findable. */
	mp_buckets_init(&bs, 100000);
	r0 = mp_buckets_root(&bs, "m");
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof name, "bucket-%d", i);
		cr_assert_eq(mp_buckets_find(&bs, r0, name, strlen(name), NULL), (uint32_t)i);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof name, "bucket-%d", i);
		cr_assert_eq(mp_buckets_find(&bs, r0, name, strlen(name), NULL), (uint32_t)i);
	}
	mp_buckets_free(&bs);
}

/* An object with `n` findings of rule ri (severity from rs). */
static void obj(struct mp_object *o, const struct mp_rule *rs, uint32_t ri, enum mp_class c, int n)
{
	mp_object_reset(o);
	for (int i = 0; i < n; i++)
		mp_object_add(o, ri, &rs[ri], c);
}

Test(discover, rollup_top_order_and_merge)
{
	struct mp_rule rs[2] = {rule("aws.access-key-id", MP_CAT_SECRET, MP_SEV_HIGH),
				rule("pii.email", MP_CAT_PII, MP_SEV_LOW)};
	struct mp_rollup one, parts[3], merged;
	struct mp_object o;
	char path[64];

	mp_object_init(&o);
	mp_rollup_init(&one, 2, 4);
	mp_rollup_init(&merged, 2, 4);
	for (int k = 0; k < 3; k++)
		mp_rollup_init(&parts[k], 2, 4);
	/* 30 objects in bucket 1: email counts 1..10 and three with a key;
	 * ties (same score and count) are broken by path. */
	for (int i = 0; i < 30; i++) {
		snprintf(path, sizeof path, "m/b/obj-%02d", 29 - i);
		if (i % 10 == 3)
			obj(&o, rs, 0, MP_CLASS_CREDENTIALS, 1);
		else
			obj(&o, rs, 1, MP_CLASS_PERSONAL, 1 + i % 10);
		cr_assert_eq(mp_rollup_object(&one, 1, 100, (unsigned)(i % 4), &o, path, strlen(path)), 0);
		cr_assert_eq(mp_rollup_object(&parts[i % 3], 1, 100, (unsigned)(i % 4), &o, path, strlen(path)), 0);
	}
	mp_object_reset(&o); /* an object without findings */
	mp_rollup_object(&one, 1, 7, 0, &o, "m/b/clean", 9);
	mp_rollup_object(&parts[2], 1, 7, 0, &o, "m/b/clean", 9);
	for (int k = 0; k < 3; k++)
		cr_assert_eq(mp_rollup_merge(&merged, &parts[k]), 0);

	const struct mp_bucket_acc *a = &one.b[1], *m = &merged.b[1];
	cr_assert_eq(one.n, 2, "ids below are made on demand");
	cr_assert_eq(a->objects, 31);
	cr_assert_eq(a->with_findings, 30);
	cr_assert_eq(a->bytes, 3007);
	cr_assert_eq(a->findings, 3 + (1 + 2 + 3 + 5 + 6 + 7 + 8 + 9 + 10) * 3);
	cr_assert_eq(a->by_rule[0], 3);
	cr_assert_eq(a->by_class[MP_CLASS_CREDENTIALS], 3);
	cr_assert_eq(a->by_type[0], 9);
	cr_assert_eq(a->ntop, MP_TOP_N);
	/* Keys (score 45) first, by path; then email 10 (score 20) by path... */
	cr_assert_str_eq(a->top[0].path, "m/b/obj-06");
	cr_assert_str_eq(a->top[1].path, "m/b/obj-16");
	cr_assert_str_eq(a->top[2].path, "m/b/obj-26");
	cr_assert_eq(a->top[3].score, 20);
	cr_assert_eq(a->top[3].findings, 10);
	cr_assert_str_eq(a->top[3].path, "m/b/obj-00");
	cr_assert_str_eq(a->top[4].path, "m/b/obj-10");
	cr_assert_str_eq(a->top[5].path, "m/b/obj-20");
	cr_assert_eq(a->top[6].findings, 9);
	cr_assert_str_eq(a->top[6].path, "m/b/obj-01");
	/* The merge of the parts is the whole, top list included. */
	cr_assert_eq(m->objects, a->objects);
	cr_assert_eq(m->with_findings, a->with_findings);
	cr_assert_eq(m->bytes, a->bytes);
	cr_assert_eq(m->findings, a->findings);
	cr_assert_eq(m->by_rule[1], a->by_rule[1]);
	cr_assert_eq(m->by_type[3], a->by_type[3]);
	cr_assert_eq(m->ntop, a->ntop);
	for (size_t i = 0; i < a->ntop; i++) {
		cr_assert_str_eq(m->top[i].path, a->top[i].path);
		cr_assert_eq(m->top[i].score, a->top[i].score);
		cr_assert_eq(m->top[i].findings, a->top[i].findings);
	}
	cr_assert_eq(parts[0].n, 0, "merged parts are emptied");
	mp_rollup_free(&one);
	mp_rollup_free(&merged);
	for (int k = 0; k < 3; k++)
		mp_rollup_free(&parts[k]);
	mp_object_free(&o);
}

Test(discover, top_cmp_total_order)
{
	struct mp_top a = {.score = 50, .findings = 2, .path = "a/x", .pathlen = 3};
	struct mp_top b = {.score = 50, .findings = 2, .path = "a/x2", .pathlen = 4};
	struct mp_top c = {.score = 50, .findings = 3, .path = "z", .pathlen = 1};
	struct mp_top d = {.score = 60, .findings = 1, .path = "z", .pathlen = 1};

	cr_assert_lt(mp_top_cmp(&a, &b), 0, "a prefix sorts first");
	cr_assert_gt(mp_top_cmp(&b, &a), 0);
	cr_assert_lt(mp_top_cmp(&c, &a), 0, "more findings first");
	cr_assert_lt(mp_top_cmp(&d, &c), 0, "higher score first");
	cr_assert_eq(mp_top_cmp(&a, &a), 0);
}

Test(discover, estimate)
{
	cr_assert_eq(mp_estimate(7, 1000, 100), 70);
	cr_assert_eq(mp_estimate(1, 3, 2), 2, "1.5 rounds up");
	cr_assert_eq(mp_estimate(1, 1000, 3), 333);
	cr_assert_eq(mp_estimate(5, 100, 100), 5, "the whole population");
	cr_assert_eq(mp_estimate(0, 100, 0), 0, "an empty sample");
	cr_assert_eq(mp_estimate(UINT64_C(1) << 40, UINT64_C(1) << 40, UINT64_C(1) << 20), UINT64_C(1) << 60,
		     "no overflow on the way");
}
