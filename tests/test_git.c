/* test_git.c - hunk headers, added-line sets, raw listings and patches. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "git.h"

Test(git, hunk_header_full)
{
	uint64_t os, oc, ns, nc;

	cr_assert_eq(mp_git_parse_hunk("@@ -12,3 +14,5 @@ int main(void)", &os, &oc, &ns, &nc), 0);
	cr_assert_eq(os, 12);
	cr_assert_eq(oc, 3);
	cr_assert_eq(ns, 14);
	cr_assert_eq(nc, 5);
}

Test(git, hunk_header_counts_default_to_one)
{
	uint64_t os, oc, ns, nc;

	cr_assert_eq(mp_git_parse_hunk("@@ -7 +8 @@", &os, &oc, &ns, &nc), 0);
	cr_assert_eq(os, 7);
	cr_assert_eq(oc, 1);
	cr_assert_eq(ns, 8);
	cr_assert_eq(nc, 1);
	cr_assert_eq(mp_git_parse_hunk("@@ -0,0 +1,2 @@", &os, &oc, &ns, &nc), 0);
	cr_assert_eq(oc, 0);
	cr_assert_eq(ns, 1);
	cr_assert_eq(nc, 2);
}

Test(git, hunk_header_rejects_garbage)
{
	uint64_t a, b, c, d;
	const char *bad[] = {"", "@@", "@@ -1,2 @@", "@@ -x +1 @@", "@@ -1 +1", "@@@ -1 +1 @@@",
			     "@@ -1 +99999999999999999999999 @@", "+++ b/x"};

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert_eq(mp_git_parse_hunk(bad[i], &a, &b, &c, &d), -1, "%s", bad[i]);
}

Test(git, lines_coalesce_and_overlap)
{
	struct mp_lines l = {0};
	uint64_t add[] = {3, 4, 5, 9, 20, 21};

	for (size_t i = 0; i < sizeof add / sizeof *add; i++)
		cr_assert_eq(mp_lines_add(&l, add[i]), 0);
	cr_assert_eq(l.n, 3);
	cr_assert_eq(l.r[0], 3);
	cr_assert_eq(l.r[1], 5);
	cr_assert(mp_lines_overlap(&l, 4, 4));
	cr_assert(mp_lines_overlap(&l, 9, 9));
	cr_assert(mp_lines_overlap(&l, 6, 9));
	cr_assert(mp_lines_overlap(&l, 1, 30));
	cr_assert_not(mp_lines_overlap(&l, 6, 8));
	cr_assert_not(mp_lines_overlap(&l, 1, 2));
	cr_assert_not(mp_lines_overlap(&l, 22, 22));
	mp_lines_free(&l);
	cr_assert_not(mp_lines_overlap(&l, 1, 1));
}

static const char RAW[] =
	":000000 100644 0000000000000000000000000000000000000000 1111111111111111111111111111111111111111 A\0new.env\0"
	":100644 100644 2222222222222222222222222222222222222222 3333333333333333333333333333333333333333 M\0dir/a b.txt\0"
	":100644 100755 4444444444444444444444444444444444444444 4444444444444444444444444444444444444444 M\0chmod.sh\0"
	":100644 100644 5555555555555555555555555555555555555555 6666666666666666666666666666666666666666 R086\0old\0moved\0"
	":000000 160000 0000000000000000000000000000000000000000 7777777777777777777777777777777777777777 A\0sub\0";

Test(git, raw_listing)
{
	struct mp_staged st = {0};
	char err[128];

	cr_assert_eq(mp_git_parse_raw(&st, RAW, sizeof RAW - 1, err, sizeof err), 0, "%s", err);
	cr_assert_eq(st.n, 3); /* the mode change and the submodule are left out */
	cr_assert_str_eq(st.files[0].path, "dir/a b.txt");
	cr_assert_str_eq(st.files[1].path, "moved");
	cr_assert_str_eq(st.files[1].blob, "6666666666666666666666666666666666666666");
	cr_assert_str_eq(st.files[2].path, "new.env");
	cr_assert_not_null(mp_staged_find(&st, "new.env"));
	cr_assert_null(mp_staged_find(&st, "old"));
	mp_staged_free(&st);
	cr_assert_eq(mp_git_parse_raw(&st, "junk", 4, err, sizeof err), -1);
	mp_staged_free(&st);
}

static const char PATCH[] = "diff --git a/dir/a b.txt b/dir/a b.txt\n"
			    "index 2222222..3333333 100644\n"
			    "--- a/dir/a b.txt\t\n"
			    "+++ b/dir/a b.txt\t\n"
			    "@@ -2 +2 @@ context\n"
			    "-old\n"
			    "+new\n"
			    "@@ -10,0 +11,2 @@\n"
			    "+x\n"
			    "+y\n"
			    "\\ No newline at end of file\n"
			    "diff --git a/new.env b/new.env\n"
			    "new file mode 100644\n"
			    "--- /dev/null\n"
			    "+++ b/new.env\n"
			    "@@ -0,0 +1,3 @@\n"
			    "++++ b/not-a-header\n"
			    "+@@ -1 +1 @@\n"
			    "+diff --git a/x b/x\n"
			    "diff --git \"a/q\\tx\" \"b/q\\tx\"\n"
			    "--- \"a/q\\tx\"\n"
			    "+++ \"b/q\\tx\"\n"
			    "@@ -1,3 +1,3 @@\n"
			    " same\n"
			    "-gone\n"
			    "+come\n"
			    " same\n";

Test(git, patch_added_lines)
{
	static const char raw[] =
		":100644 100644 2222222222222222222222222222222222222222 3333333333333333333333333333333333333333 M\0dir/a b.txt\0"
		":000000 100644 0000000000000000000000000000000000000000 1111111111111111111111111111111111111111 A\0new.env\0"
		":100644 100644 8888888888888888888888888888888888888888 9999999999999999999999999999999999999999 M\0q\tx\0";
	struct mp_staged st = {0};
	char err[128];
	FILE *in = fmemopen((void *)PATCH, sizeof PATCH - 1, "r");
	struct mp_staged_file *f;

	cr_assert_not_null(in);
	cr_assert_eq(mp_git_parse_raw(&st, raw, sizeof raw - 1, err, sizeof err), 0, "%s", err);
	cr_assert_eq(mp_git_parse_patch(&st, in, err, sizeof err), 0, "%s", err);
	fclose(in);
	f = mp_staged_find(&st, "dir/a b.txt");
	cr_assert(f->has_patch);
	cr_assert_eq(f->add.n, 2);
	cr_assert_eq(f->add.r[0], 2);
	cr_assert_eq(f->add.r[1], 2);
	cr_assert_eq(f->add.r[2], 11);
	cr_assert_eq(f->add.r[3], 12);
	f = mp_staged_find(&st, "new.env");
	cr_assert_eq(f->add.n, 1);
	cr_assert_eq(f->add.r[0], 1);
	cr_assert_eq(f->add.r[1], 3);
	f = mp_staged_find(&st, "q\tx");
	cr_assert(f->has_patch);
	cr_assert_eq(f->add.n, 1);
	cr_assert_eq(f->add.r[0], 2);
	cr_assert_eq(f->add.r[1], 2);
	mp_staged_free(&st);
}
