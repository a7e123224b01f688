/* test_config.c - .magpie.yml: what it sets, what it allows, how it fails. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "caps.h"
#include "config.h"
#include "helpers.h"
#include "settings.h"

static char *write_file(const char *dir, const char *name, const char *text)
{
	char *p = t_cat(dir, "/", name, NULL);
	FILE *f = fopen(p, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static void settings_init(struct mp_settings *s)
{
	memset(s, 0, sizeof *s);
	mp_caps_defaults(s->caps);
}

static void settings_free(struct mp_settings *s)
{
	free(s->enable_rules);
	free(s->disable_rules);
	free(s->rule_paths);
	mp_ignore_free(&s->ignore);
}

Test(config, keys_reach_the_settings_and_the_command_line_wins)
{
	char *dir = t_mkdtemp();
	char *rules = write_file(dir, "extra.yml", "rules: []\n");
	char *p = write_file(dir, ".magpie.yml",
			     "exclude: [vendor]\n"
			     "disable_rules: ['generic.*']\n"
			     "enable_rules: ['aws.*', 'pii.*']\n"
			     "rules: [extra.yml]\n"
			     "limits:\n  findings-per-rule: 7\n  walk-depth: 9\n");
	struct mp_settings s;
	struct mp_config c;
	char err[512] = "";

	settings_init(&s);
	s.caps[MP_CAP_WALK_DEPTH] = 3;
	s.caps_from_cli[MP_CAP_WALK_DEPTH] = true;
	cr_assert_eq(mp_config_load(&s, &c, p, err, sizeof err), 0, "%s", err);
	cr_assert_eq(s.ndisable_rules, 1);
	cr_assert_str_eq(s.disable_rules[0], "generic.*");
	cr_assert_eq(s.nenable_rules, 2);
	cr_assert_eq(s.nrule_paths, 1);
	cr_assert_str_eq(s.rule_paths[0], rules, "rule paths are relative to the file");
	cr_assert_eq(s.caps[MP_CAP_FINDINGS_PER_RULE], 7);
	cr_assert_eq(s.caps[MP_CAP_WALK_DEPTH], 3, "a limit from the command line is kept");
	cr_assert(mp_ignore_match(&s.ignore, "vendor", "vendor"));
	mp_config_free(&c);
	settings_free(&s);
	free(p);
	free(rules);
	free(dir);
}

Test(config, allowlist_values_regexes_and_rules)
{
	char *dir = t_mkdtemp();
	char *p = write_file(dir, "c.yml",
			     "allow:\n"
			     "  values: [EXACT-VALUE-1]\n"
			     "  regexes: ['^sk_test_']\n"
			     "  rules:\n"
			     "    t.one:\n"
			     "      regexes: ['ONE$']\n");
	struct mp_settings s;
	struct mp_config c;
	char err[512] = "";

	settings_init(&s);
	cr_assert_eq(mp_config_load(&s, &c, p, err, sizeof err), 0, "%s", err);
	cr_assert(mp_config_allows(&c, "any.rule", "EXACT-VALUE-1", 13));
	cr_assert_not(mp_config_allows(&c, "any.rule", "EXACT-VALUE-12", 14), "values are exact");
	cr_assert(mp_config_allows(&c, "any.rule", "sk_test_abc", 11));
	cr_assert_not(mp_config_allows(&c, "any.rule", "xsk_test_abc", 12));
	cr_assert(mp_config_allows(&c, "t.one", "VALUEONE", 8));
	cr_assert_not(mp_config_allows(&c, "t.two", "VALUEONE", 8), "a per-rule entry is for that rule only");
	mp_config_free(&c);
	settings_free(&s);
	free(p);
	free(dir);
}

static void expect_error(const char *text, const char *want)
{
	char *dir = t_mkdtemp();
	char *p = write_file(dir, "bad.yml", text);
	struct mp_settings s;
	struct mp_config c;
	char err[512] = "";

	settings_init(&s);
	cr_assert_eq(mp_config_load(&s, &c, p, err, sizeof err), -1, "accepted: %s", text);
	cr_assert_not_null(strstr(err, want), "'%s' not in '%s'", want, err);
	mp_config_free(&c);
	settings_free(&s);
	free(p);
	free(dir);
}

Test(config, errors_name_the_line)
{
	expect_error("exclude: [a]\nsurprise: 1\n", "bad.yml:2: unknown key 'surprise'");
	expect_error("limits:\n  nope: 1\n", "bad.yml:2: unknown limit 'nope'");
	expect_error("limits:\n  walk-depth: deep\n", "bad.yml:2: limit 'walk-depth'");
	expect_error("exclude: vendor\n", "bad.yml:1: 'exclude' must be a list of strings");
	expect_error("allow:\n  regexes: ['(']\n", "bad.yml:2: allow regex does not compile");
	expect_error("allow:\n  rules:\n    t.x:\n      names: [a]\n", "bad.yml:4: unknown key 'rules.<id>.names'");
	expect_error("rules: [missing.yml]\n", "bad.yml:1: rule path 'missing.yml' cannot be read");
	expect_error("exclude: [a\n", "bad.yml:");
}
