/* The database builder's keyword expressions. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <stdlib.h>

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
