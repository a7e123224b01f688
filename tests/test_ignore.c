/* test_ignore.c - exclusion globs. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "helpers.h"
#include "ignore.h"

#define MATCH(g, s) cr_assert(mp_glob_match((g), (s)), "'%s' should match '%s'", (g), (s))
#define NO_MATCH(g, s) cr_assert_not(mp_glob_match((g), (s)), "'%s' should not match '%s'", (g), (s))

Test(glob, literal)
{
	MATCH("abc", "abc");
	MATCH("", "");
	NO_MATCH("abc", "abcd");
	NO_MATCH("abc", "ab");
	NO_MATCH("abc", "ABC");
	NO_MATCH("", "a");
	NO_MATCH("a", "");
}

Test(glob, star)
{
	MATCH("*", "");
	MATCH("*", "anything.txt");
	MATCH("*.log", "x.log");
	MATCH("*.log", ".log");
	MATCH("a*b*c", "abc");
	MATCH("a*b*c", "aXXbYYc");
	MATCH("a*b*c", "abcbc");
	NO_MATCH("*.log", "x.log.gz");
	NO_MATCH("*.log", "x.lo");
	NO_MATCH("a*b*c", "aXXbYY");
}

Test(glob, star_does_not_cross_slash)
{
	NO_MATCH("*", "a/b");
	NO_MATCH("*.c", "src/main.c");
	NO_MATCH("src*", "src/x");
	MATCH("src/*.c", "src/main.c");
	NO_MATCH("src/*.c", "src/sub/main.c");
	NO_MATCH("a*z", "a/z");
	MATCH("*/*", "a/b");
	NO_MATCH("*/*", "a/b/c");
}

Test(glob, question_mark)
{
	MATCH("?", "x");
	MATCH("a?c", "abc");
	NO_MATCH("?", "");
	NO_MATCH("?", "xy");
	NO_MATCH("a?c", "ac");
	NO_MATCH("a?c", "a/c");
	MATCH("??.txt", "ab.txt");
	NO_MATCH("??.txt", "abc.txt");
}

Test(glob, bracket_range)
{
	MATCH("[a-z]", "m");
	MATCH("[a-z]", "a");
	MATCH("[a-z]", "z");
	NO_MATCH("[a-z]", "M");
	NO_MATCH("[a-z]", "0");
	NO_MATCH("[a-z]", "");
	MATCH("file[0-9].txt", "file7.txt");
	NO_MATCH("file[0-9].txt", "fileA.txt");
	NO_MATCH("file[0-9].txt", "file10.txt");
	MATCH("[abc]x", "bx");
	NO_MATCH("[abc]x", "dx");
	MATCH("[a-cx-z]", "y");
	NO_MATCH("[a-cx-z]", "m");
}

Test(glob, bracket_negated)
{
	MATCH("[!x]", "y");
	NO_MATCH("[!x]", "x");
	MATCH("[^x]", "y");
	NO_MATCH("[^x]", "x");
	MATCH("[!a-c]og", "dog");
	NO_MATCH("[!a-c]og", "bog");
	/* A class never matches the separator, negated or not. */
	NO_MATCH("a[!x]b", "a/b");
	NO_MATCH("a[/]b", "a/b");
}

Test(glob, bracket_edge_cases)
{
	MATCH("[]]", "]");
	NO_MATCH("[]]", "a");
	MATCH("[a-]", "-");
	MATCH("[a-]", "a");
	/* An unclosed class is a literal '['. */
	MATCH("[abc", "[abc");
	NO_MATCH("[abc", "a");
	/* Bytes above 0x7f compare as unsigned. */
	MATCH("[\x80-\xff]", "\xe9");
	NO_MATCH("[\x80-\xff]", "e");
}

Test(glob, double_star)
{
	MATCH("**", "");
	MATCH("**", "a/b/c");
	MATCH("**/x.txt", "x.txt");
	MATCH("**/x.txt", "a/x.txt");
	MATCH("**/x.txt", "a/b/c/x.txt");
	MATCH("a/**/z", "a/z");
	MATCH("a/**/z", "a/b/z");
	MATCH("a/**/z", "a/b/c/d/z");
	MATCH("a/**", "a/b");
	MATCH("a/**", "a/b/c");
	MATCH("a/**/*.c", "a/x/y/m.c");
	NO_MATCH("a/**/z", "b/c/z");
	NO_MATCH("a/**/*.c", "a/x/y/m.h");
	NO_MATCH("a/**", "b/a");
}

/* Regression: "**" followed by '/' matched inside a path component
 * ("**" + "/x.txt" matched "ax.txt"); it must span whole components. */
Test(glob, double_star_slash_matches_whole_components_only)
{
	NO_MATCH("**/x.txt", "ax.txt");
	NO_MATCH("**/x.txt", "a/bx.txt");
	NO_MATCH("a/**/z", "a/bz");
	NO_MATCH("a/**/z", "a/b/cz");
	NO_MATCH("build/**/cache", "build/mycache");
	NO_MATCH("a/**/z", "a/b/zz");
}

Test(glob, escapes)
{
	MATCH("\\*", "*");
	NO_MATCH("\\*", "a");
	NO_MATCH("\\*", "");
	MATCH("a\\?", "a?");
	NO_MATCH("a\\?", "ab");
	MATCH("\\[x]", "[x]");
	NO_MATCH("\\[x]", "x");
	MATCH("a\\\\b", "a\\b");
	MATCH("x\\*y*", "x*yz");
	NO_MATCH("x\\*y*", "xzyz");
}

Test(glob, byte_exact)
{
	MATCH("caf\xc3\xa9", "caf\xc3\xa9");
	NO_MATCH("caf\xc3\xa9", "cafe");
	MATCH("caf?\xa9", "caf\xc3\xa9");  /* '?' is one byte, not one character */
}

Test(ignore, basename_glob_matches_at_any_depth)
{
	struct mp_ignore ig = {0};

	cr_assert_eq(mp_ignore_add(&ig, "*.log"), 0);
	cr_assert_eq(mp_ignore_add(&ig, "node_modules"), 0);
	cr_assert_eq(ig.n, 2);
	cr_assert(mp_ignore_match(&ig, "x.log", "x.log"));
	cr_assert(mp_ignore_match(&ig, "a/b/c/x.log", "x.log"));
	cr_assert(mp_ignore_match(&ig, "deep/node_modules", "node_modules"));
	cr_assert_not(mp_ignore_match(&ig, "a/b/x.txt", "x.txt"));
	/* The basename, not the whole path, is compared. */
	cr_assert_not(mp_ignore_match(&ig, "node_modules/pkg", "pkg"));
	cr_assert_not(mp_ignore_match(&ig, "x.log/readme", "readme"));
	mp_ignore_free(&ig);
	cr_assert_eq(ig.n, 0);
	cr_assert_null(ig.globs);
}

Test(ignore, slash_glob_matches_relative_path)
{
	struct mp_ignore ig = {0};

	cr_assert_eq(mp_ignore_add(&ig, "src/*.c"), 0);
	cr_assert(mp_ignore_match(&ig, "src/main.c", "main.c"));
	cr_assert_not(mp_ignore_match(&ig, "lib/src/main.c", "main.c"), "a glob with '/' is anchored at the root");
	cr_assert_not(mp_ignore_match(&ig, "main.c", "main.c"));
	cr_assert_not(mp_ignore_match(&ig, "src/sub/main.c", "main.c"));
	mp_ignore_free(&ig);
}

Test(ignore, leading_slash_anchors_at_root)
{
	struct mp_ignore ig = {0};

	cr_assert_eq(mp_ignore_add(&ig, "/build"), 0);
	cr_assert(mp_ignore_match(&ig, "build", "build"));
	cr_assert_not(mp_ignore_match(&ig, "src/build", "build"), "'/build' must not match below the root");
	cr_assert_not(mp_ignore_match(&ig, "builder", "builder"));
	mp_ignore_free(&ig);

	cr_assert_eq(mp_ignore_add(&ig, "/*.tmp"), 0);
	cr_assert(mp_ignore_match(&ig, "a.tmp", "a.tmp"));
	cr_assert_not(mp_ignore_match(&ig, "d/a.tmp", "a.tmp"));
	mp_ignore_free(&ig);
}

Test(ignore, double_star_in_relpath_glob)
{
	struct mp_ignore ig = {0};

	cr_assert_eq(mp_ignore_add(&ig, "**/fixtures/*.json"), 0);
	cr_assert(mp_ignore_match(&ig, "fixtures/a.json", "a.json"));
	cr_assert(mp_ignore_match(&ig, "x/y/fixtures/a.json", "a.json"));
	cr_assert_not(mp_ignore_match(&ig, "x/y/fixtures/sub/a.json", "a.json"));
	cr_assert_not(mp_ignore_match(&ig, "x/y/fixtures/a.yml", "a.yml"));
	mp_ignore_free(&ig);
}

Test(ignore, empty_set_matches_nothing)
{
	struct mp_ignore ig = {0};

	cr_assert_not(mp_ignore_match(&ig, "a", "a"));
	cr_assert_not(mp_ignore_match(&ig, "", ""));
	mp_ignore_free(&ig);
}

Test(ignore, glob_is_copied)
{
	struct mp_ignore ig = {0};
	char g[] = "*.bak";

	cr_assert_eq(mp_ignore_add(&ig, g), 0);
	strcpy(g, "zzzzz");
	cr_assert(mp_ignore_match(&ig, "x.bak", "x.bak"));
	mp_ignore_free(&ig);
}
