/* The database builder's keyword expressions. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <stdlib.h>

#include "helpers.h"
#include "hsdb.h"

static void expect(const char *kw, const char *want)
{
	char *e = mp_hsdb_keyword_expr(kw);
	cr_assert_not_null(e);
	cr_assert_str_eq(e, want, "keyword '%s'", kw);
	free(e);
}

Test(hsdb, keyword_separators_become_one_class_and_the_rest_is_kept)
{
	/* Regression: the class was copied with its NUL, which cut every
	 * expression at its first separator. */
	expect("secret_access_key", "secret[ _\\-]access[ _\\-]key");
	expect("aws secret", "aws[ _\\-]secret");
	expect("api-key", "api[ _\\-]key");
}

Test(hsdb, keyword_metacharacters_and_utf8_are_escaped)
{
	expect("a.b", "a\\x2eb");
	expect("x+y(z)", "x\\x2by\\x28z\\x29");
	/* 주민 (UTF-8 EC A3 BC EB AF BC) */
	expect("\xec\xa3\xbc\xeb\xaf\xbc", "\\xec\\xa3\\xbc\\xeb\\xaf\\xbc");
}

#include <string.h>

static int count_hit(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
		     void *ctx)
{
	(void)from;
	(void)to;
	(void)flags;
	((unsigned *)ctx)[id]++;
	return 0;
}

static const char three_rules[] = "rules:\n"
				  "  - id: t.key\n    name: k\n    category: secret\n    severity: high\n"
				  "    pattern: 'KEY_[A-Z]{8}'\n    examples: ['x']\n    negative_examples: ['y']\n"
				  "  - id: t.dotted\n    name: d\n    category: pii\n    severity: low\n"
				  "    pattern: '[0-9]{2}\\.[0-9]{2}\\.[0-9]{2}'\n"
				  "    examples: ['x']\n    negative_examples: ['y']\n"
				  "  - id: t.dashed\n    name: d\n    category: pii\n    severity: low\n"
				  "    pattern: '[0-9]{3}-[0-9]{3}'\n    examples: ['x']\n    negative_examples: ['y']\n";

/* Each personal-data value rule gets a database of its own, the cache
 * restores all of them, and together they see every rule's matches. */
static void build_and_scan(const char *cache, bool expect_cached)
{
	struct mp_ruleset rs = {0};
	struct mp_hsdb h;
	struct mp_hsdb_opts o = {.cache_dir = cache, .use_cache = true, .match_width = 65536};
	char err[256] = "";
	const char text[] = "a KEY_ABCDEFGH b 12.34.56 c 123-456 d";
	unsigned hits[3] = {0};

	mp_rules_load_text(&rs, three_rules, strlen(three_rules), "t.yml", 0);
	cr_assert_eq(rs.nerrors, 0);
	cr_assert_eq(mp_hsdb_build(&rs, &o, &h, err, sizeof err), 0, "%s", err);
	cr_assert_eq(h.from_cache, expect_cached);
	cr_assert_eq(h.ndb, 3, "one database for the secret rule, one per personal-data value rule");
	for (unsigned d = 0; d < h.ndb; d++)
		cr_assert_eq(hs_scan(h.db[d], text, sizeof text - 1, 0, h.scratch, count_hit, hits), HS_SUCCESS);
	cr_assert_eq(hits[0], 1);
	cr_assert_eq(hits[1], 1);
	cr_assert_eq(hits[2], 1);
	mp_hsdb_free(&h);
	mp_ruleset_free(&rs);
}

Test(hsdb, value_rules_get_their_own_databases_and_are_cached)
{
	char *dir = t_mkdtemp();

	build_and_scan(dir, false);
	build_and_scan(dir, true);
	free(dir);
}
