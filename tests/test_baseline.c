/* test_baseline.c - baseline files: write, read back, match, reject. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "helpers.h"

#define FP_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FP_B "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);

	cr_assert_not_null(f);
	cr_assert_not_null(buf);
	cr_assert_gt(fread(buf, 1, (1 << 16) - 1, f), 0);
	fclose(f);
	return buf;
}

Test(baseline, write_is_sorted_one_entry_a_line_and_deduplicated)
{
	char *dir = t_mkdtemp(), *file = t_path(dir, "base.json"), err[256];
	struct mp_baseline b, r;
	char *text;

	mp_baseline_init(&b);
	mp_baseline_add(&b, "r.two", FP_B, "z.txt", 3);
	mp_baseline_add(&b, "r.one", FP_A, "a \"q\".txt", 10);
	mp_baseline_add(&b, "r.one", FP_A, "a \"q\".txt", 2);
	mp_baseline_add(&b, "r.two", FP_B, "z.txt", 3);
	cr_assert_eq(mp_baseline_write(&b, file, err, sizeof err), 0, "%s", err);
	text = slurp(file);
	cr_assert_str_eq(text, "{\"magpie_baseline\":1,\"findings\":[\n"
			       "{\"fingerprint\":\"" FP_A "\",\"rule\":\"r.one\",\"path\":\"a \\\"q\\\".txt\",\"line\":2},\n"
			       "{\"fingerprint\":\"" FP_A "\",\"rule\":\"r.one\",\"path\":\"a \\\"q\\\".txt\",\"line\":10},\n"
			       "{\"fingerprint\":\"" FP_B "\",\"rule\":\"r.two\",\"path\":\"z.txt\",\"line\":3}\n"
			       "]}\n");
	mp_baseline_init(&r);
	cr_assert_eq(mp_baseline_load(&r, file, err, sizeof err), 0, "%s", err);
	cr_assert(mp_baseline_has(&r, "r.one", FP_A));
	cr_assert(mp_baseline_has(&r, "r.two", FP_B));
	cr_assert_not(mp_baseline_has(&r, "r.two", FP_A)); /* the rule must match too */
	cr_assert_not(mp_baseline_has(&r, "r.three", FP_B));
	mp_baseline_free(&r);
	mp_baseline_free(&b);
	free(text);
	t_rmtree(dir);
	free(file);
	free(dir);
}

Test(baseline, empty)
{
	char *dir = t_mkdtemp(), *file = t_path(dir, "base.json"), err[256];
	struct mp_baseline b;

	mp_baseline_init(&b);
	cr_assert_eq(mp_baseline_write(&b, file, err, sizeof err), 0, "%s", err);
	cr_assert_eq(mp_baseline_load(&b, file, err, sizeof err), 0, "%s", err);
	cr_assert_eq(b.n, 0);
	cr_assert_not(mp_baseline_has(&b, "r", FP_A));
	mp_baseline_free(&b);
	t_rmtree(dir);
	free(file);
	free(dir);
}

Test(baseline, bad_files_are_one_line_errors)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"", "not valid JSON"},
		{"{\"findings\":[\n{\"rule\":", "line 2: not valid JSON"},
		{"[]", "no \"findings\" array"},
		{"{\"findings\":{}}", "no \"findings\" array"},
		{"{\"findings\":[{\"rule\":\"r\"}]}", "entry 1 needs"},
		{"{\"findings\":[{\"rule\":\"r\",\"fingerprint\":\"md5:x\"}]}", "entry 1 needs"},
		{"{\"findings\":[]} trailing", "data after the end"},
	};
	char *dir = t_mkdtemp(), *file = t_path(dir, "bad.json"), err[256];

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct mp_baseline b;
		mp_baseline_init(&b);
		cr_assert_eq(t_write_file(file, bad[i].text, strlen(bad[i].text)), 0);
		cr_assert_eq(mp_baseline_load(&b, file, err, sizeof err), -1, "%s", bad[i].text);
		cr_assert_not_null(strstr(err, bad[i].want), "%s: %s", bad[i].text, err);
		cr_assert_null(strchr(err, '\n'), "%s", err);
		mp_baseline_free(&b);
	}
	{
		struct mp_baseline b;
		char *missing = t_path(dir, "missing.json");
		mp_baseline_init(&b);
		cr_assert_eq(mp_baseline_load(&b, missing, err, sizeof err), -1);
		cr_assert_not_null(strstr(err, "No such file"), "%s", err);
		free(missing);
	}
	t_rmtree(dir);
	free(file);
	free(dir);
}
