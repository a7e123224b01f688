/* test_rules.c - rule files: YAML in, rules and located errors out. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"
#include "rules.h"
#include "validate.h"

/* A YAML text is written as an array of lines so that tests can compute
 * the line a construct is on instead of counting by hand. */
struct text {
	const char *const *lines;
	size_t n;
};

#define TEXT(...) ((struct text){(const char *const[]){__VA_ARGS__}, \
	sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)})

static char *join(struct text t, size_t *len)
{
	size_t n = 0;
	char *s, *w;

	for (size_t i = 0; i < t.n; i++)
		n += strlen(t.lines[i]) + 1;
	s = malloc(n + 1);
	cr_assert_not_null(s);
	w = s;
	for (size_t i = 0; i < t.n; i++) {
		size_t k = strlen(t.lines[i]);
		memcpy(w, t.lines[i], k);
		w[k] = '\n';
		w += k + 1;
	}
	*w = '\0';
	*len = n;
	return s;
}

/* 1-based line of the only line containing marker. */
static int line_with(struct text t, const char *marker)
{
	int found = 0;

	for (size_t i = 0; i < t.n; i++) {
		if (strstr(t.lines[i], marker)) {
			cr_assert_eq(found, 0, "marker '%s' is not unique", marker);
			found = (int)i + 1;
		}
	}
	cr_assert_neq(found, 0, "marker '%s' not in text", marker);
	return found;
}

static int load(struct mp_ruleset *rs, struct text t, const char *file, int source)
{
	size_t len;
	char *s = join(t, &len);
	int rc = mp_rules_load_text(rs, s, len, file, source);

	free(s);
	return rc;
}

static void dump_errors(const struct mp_ruleset *rs)
{
	for (size_t i = 0; i < rs->nerrors; i++)
		cr_log_info("error[%zu]: %s", i, rs->errors[i]);
}

/* Assert exactly one error starts with "file:line: " and contains every
 * NULL-terminated fragment. */
static void assert_error_at(const struct mp_ruleset *rs, const char *file, int line, ...)
{
	char prefix[256];
	size_t hits = 0;

	snprintf(prefix, sizeof prefix, "%s:%d: ", file, line);
	for (size_t i = 0; i < rs->nerrors; i++) {
		if (strncmp(rs->errors[i], prefix, strlen(prefix)) != 0)
			continue;
		va_list ap;
		bool all = true;
		va_start(ap, line);
		for (const char *frag = va_arg(ap, const char *); frag; frag = va_arg(ap, const char *))
			if (strstr(rs->errors[i], frag) == NULL)
				all = false;
		va_end(ap);
		if (all)
			hits++;
	}
	if (hits != 1)
		dump_errors(rs);
	cr_assert_eq(hits, 1, "expected one error at %s (see log)", prefix);
}

#define RULE_TAIL \
	"    category: secret", \
	"    severity: high", \
	"    examples: ['x']", \
	"    negative_examples: ['y']"

#define GOOD_RULE(id) \
	"  - id: " id, \
	"    name: Good " id, \
	"    pattern: 'good'", \
	RULE_TAIL

Test(rules, valid_rule_loads_with_all_fields)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"# comment",
		"rules:",
		"  - id: t.full-1",
		"    name: Full rule",
		"    description: free text, ignored",
		"    category: pii",
		"    severity: critical",
		"    confidence: low",
		"    pattern: '\\b(FULL[0-9]{4})\\b'",
		"    max_length: 12",
		"    keywords:",
		"      words: [Api_Key, SECRET, 'Mixed Case']",
		"      distance: 30",
		"      required: true",
		"    min_entropy: 2.5",
		"    validators: [luhn, jwt]",
		"    examples:",
		"      - 'FU{{}}LL1234'",
		"      - 'x FULL{{}}5678 {{}}y{{}}'",
		"    negative_examples: ['FULL{{}}12']",
		"    references: ['https://example.invalid/doc']");

	cr_assert_eq(load(&rs, t, "mem.yml", 0), 0);
	dump_errors(&rs);
	cr_assert_eq(rs.nerrors, 0);
	cr_assert_eq(rs.n, 1);
	const struct mp_rule *r = &rs.rules[0];
	cr_assert_str_eq(r->id, "t.full-1");
	cr_assert_str_eq(r->name, "Full rule");
	cr_assert_str_eq(r->pattern, "\\b(FULL[0-9]{4})\\b");
	cr_assert_eq(r->category, MP_CAT_PII);
	cr_assert_eq(r->severity, MP_SEV_CRITICAL);
	cr_assert_eq(r->confidence, MP_CONF_LOW);
	cr_assert_eq(r->max_length, 12);
	cr_assert_eq(r->nkeywords, 3);
	cr_assert_str_eq(r->keywords[0], "api_key");
	cr_assert_str_eq(r->keywords[1], "secret");
	cr_assert_str_eq(r->keywords[2], "mixed case");
	cr_assert_eq(r->kw_distance, 30);
	cr_assert(r->kw_required);
	cr_assert_float_eq(r->min_entropy, 2.5, 1e-12);
	cr_assert_eq(r->validators, (1u << MP_VALIDATE_LUHN) | (1u << MP_VALIDATE_JWT));
	cr_assert_eq(r->nexamples, 2);
	cr_assert_str_eq(r->examples[0], "FULL1234");
	cr_assert_str_eq(r->examples[1], "x FULL5678 y");
	cr_assert_eq(r->nnegatives, 1);
	cr_assert_str_eq(r->negatives[0], "FULL12");
	cr_assert_str_eq(r->file, "mem.yml");
	cr_assert_eq(r->line, line_with(t, "t.full-1"));
	cr_assert_eq(r->line, 3);
	cr_assert_eq(r->source, 0);
	cr_assert_eq(mp_rules_find(&rs, "t.full-1"), 0);
	cr_assert_eq(mp_rules_find(&rs, "t.full"), -1);
	mp_ruleset_free(&rs);
	cr_assert_eq(rs.n, 0);
	cr_assert_null(rs.rules);
}

Test(rules, minimal_rule_gets_defaults)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT("rules:", GOOD_RULE("t.min"));

	load(&rs, t, "m.yml", 3);
	dump_errors(&rs);
	cr_assert_eq(rs.nerrors, 0);
	cr_assert_eq(rs.n, 1);
	const struct mp_rule *r = &rs.rules[0];
	cr_assert_eq(r->confidence, MP_CONF_MEDIUM);
	cr_assert_eq(r->category, MP_CAT_SECRET);
	cr_assert_eq(r->severity, MP_SEV_HIGH);
	cr_assert_eq(r->max_length, 0);
	cr_assert_eq(r->nkeywords, 0);
	cr_assert_eq(r->kw_distance, 0);
	cr_assert_not(r->kw_required);
	cr_assert_float_eq(r->min_entropy, 0.0, 1e-12);
	cr_assert_eq(r->validators, 0);
	cr_assert_eq(r->source, 3);
	cr_assert_eq(r->line, 2);
	mp_ruleset_free(&rs);
}

Test(rules, several_rules_keep_load_order)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT("rules:", GOOD_RULE("t.c"), GOOD_RULE("t.a"), GOOD_RULE("t.b"));

	load(&rs, t, "m.yml", 0);
	cr_assert_eq(rs.nerrors, 0);
	cr_assert_eq(rs.n, 3);
	cr_assert_str_eq(rs.rules[0].id, "t.c");
	cr_assert_str_eq(rs.rules[1].id, "t.a");
	cr_assert_str_eq(rs.rules[2].id, "t.b");
	cr_assert_eq(rs.rules[1].line, line_with(t, "id: t.a"));
	cr_assert_eq(rs.rules[2].line, line_with(t, "id: t.b"));
	cr_assert_eq(mp_rules_find(&rs, "t.b"), 2);
	mp_ruleset_free(&rs);
}

Test(rules, unknown_key)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		GOOD_RULE("t.ok1"),
		"  - id: t.bad",
		"    name: Bad",
		"    pattern: 'x'",
		"    colour: blue",
		RULE_TAIL,
		GOOD_RULE("t.ok2"));

	load(&rs, t, "k.yml", 0);
	assert_error_at(&rs, "k.yml", line_with(t, "colour"), "t.bad", "unknown key 'colour'", NULL);
	cr_assert_eq(rs.nerrors, 1);
	cr_assert_eq(rs.n, 2);
	cr_assert_eq(mp_rules_find(&rs, "t.bad"), -1);
	cr_assert_geq(mp_rules_find(&rs, "t.ok1"), 0);
	cr_assert_geq(mp_rules_find(&rs, "t.ok2"), 0);
	mp_ruleset_free(&rs);
}

Test(rules, bad_severity)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		"  - id: t.sev",
		"    name: Sev",
		"    pattern: 'x'",
		"    category: secret",
		"    examples: ['x']",
		"    negative_examples: ['y']",
		"    severity: extreme",
		GOOD_RULE("t.ok"));

	load(&rs, t, "s.yml", 0);
	assert_error_at(&rs, "s.yml", line_with(t, "extreme"), "t.sev", "severity", NULL);
	cr_assert_eq(rs.nerrors, 1);
	cr_assert_eq(rs.n, 1);
	cr_assert_str_eq(rs.rules[0].id, "t.ok");
	mp_ruleset_free(&rs);
}

Test(rules, bad_category_and_confidence)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		"  - id: t.cat",
		"    name: Cat",
		"    pattern: 'x'",
		"    category: password",
		"    severity: low",
		"    confidence: certain",
		"    examples: ['x']",
		"    negative_examples: ['y']");

	load(&rs, t, "c.yml", 0);
	assert_error_at(&rs, "c.yml", line_with(t, "password"), "t.cat", "category", NULL);
	assert_error_at(&rs, "c.yml", line_with(t, "certain"), "t.cat", "confidence", NULL);
	cr_assert_eq(rs.n, 0);
	mp_ruleset_free(&rs);
}

Test(rules, missing_pattern)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		GOOD_RULE("t.ok1"),
		"",
		"  - id: t.nopat",
		"    name: No pattern",
		RULE_TAIL,
		GOOD_RULE("t.ok2"));

	load(&rs, t, "p.yml", 0);
	assert_error_at(&rs, "p.yml", line_with(t, "t.nopat"), "t.nopat", "missing 'pattern'", NULL);
	cr_assert_eq(rs.nerrors, 1);
	cr_assert_eq(rs.n, 2);
	cr_assert_eq(mp_rules_find(&rs, "t.nopat"), -1);
	mp_ruleset_free(&rs);
}

Test(rules, empty_pattern)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		"  - id: t.empty",
		"    name: Empty",
		"    pattern: ''",
		RULE_TAIL);

	load(&rs, t, "e.yml", 0);
	assert_error_at(&rs, "e.yml", line_with(t, "pattern"), "t.empty", "empty", NULL);
	cr_assert_eq(rs.n, 0);
	mp_ruleset_free(&rs);
}

Test(rules, missing_examples)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		GOOD_RULE("t.ok1"),
		"  - name: No examples",
		"    id: t.noex",
		"    pattern: 'x'",
		"    category: secret",
		"    severity: high",
		"    negative_examples: ['y']",
		GOOD_RULE("t.ok2"));

	load(&rs, t, "x.yml", 0);
	/* A rule-level omission is reported at the rule's first line. */
	assert_error_at(&rs, "x.yml", line_with(t, "No examples"), "t.noex", "examples", NULL);
	cr_assert_eq(rs.nerrors, 1);
	cr_assert_eq(rs.n, 2);
	cr_assert_eq(mp_rules_find(&rs, "t.noex"), -1);
	mp_ruleset_free(&rs);
}

Test(rules, missing_negative_examples_and_empty_examples)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		"  - id: t.noneg",
		"    name: No negatives",
		"    pattern: 'x'",
		"    category: secret",
		"    severity: high",
		"    examples: ['x']",
		"  - id: t.emptyex",
		"    name: Empty examples",
		"    pattern: 'x'",
		"    category: secret",
		"    severity: high",
		"    examples: []",
		"    negative_examples: ['y']");

	load(&rs, t, "n.yml", 0);
	assert_error_at(&rs, "n.yml", line_with(t, "t.noneg"), "t.noneg", "negative_examples", NULL);
	assert_error_at(&rs, "n.yml", line_with(t, "t.emptyex"), "t.emptyex", "examples", NULL);
	cr_assert_eq(rs.n, 0);
	mp_ruleset_free(&rs);
}

Test(rules, duplicate_id_in_same_source)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		"  - id: t.dup",
		"    name: First",
		"    pattern: 'one'",
		RULE_TAIL,
		GOOD_RULE("t.mid"),
		"  - name: Second",
		"    id: t.dup # again",
		"    pattern: 'two'",
		RULE_TAIL);

	load(&rs, t, "d.yml", 0);
	assert_error_at(&rs, "d.yml", line_with(t, "# again"), "t.dup", "duplicate", "d.yml:2", NULL);
	cr_assert_eq(rs.nerrors, 1);
	cr_assert_eq(rs.n, 2);
	long i = mp_rules_find(&rs, "t.dup");
	cr_assert_geq(i, 0);
	cr_assert_str_eq(rs.rules[i].name, "First", "the first definition is kept");
	cr_assert_str_eq(rs.rules[i].pattern, "one");
	mp_ruleset_free(&rs);
}

Test(rules, duplicate_id_across_two_texts_of_one_source)
{
	struct mp_ruleset rs = {0};
	struct text a = TEXT("rules:", GOOD_RULE("t.x"));
	struct text b = TEXT("rules:", GOOD_RULE("t.y"), GOOD_RULE("t.x"));

	load(&rs, a, "a.yml", 2);
	load(&rs, b, "b.yml", 2);
	assert_error_at(&rs, "b.yml", line_with(b, "id: t.x"), "t.x", "duplicate", "a.yml:2", NULL);
	cr_assert_eq(rs.n, 2);
	cr_assert_str_eq(rs.rules[mp_rules_find(&rs, "t.x")].file, "a.yml");
	mp_ruleset_free(&rs);
}

Test(rules, keywords_without_distance_flow_style)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		GOOD_RULE("t.ok"),
		"  - id: t.kw",
		"    name: Keywords",
		"    pattern: 'x'",
		"    keywords: {words: [token], required: true}",
		RULE_TAIL);

	load(&rs, t, "w.yml", 0);
	assert_error_at(&rs, "w.yml", line_with(t, "keywords"), "t.kw", "distance", NULL);
	cr_assert_eq(rs.nerrors, 1);
	cr_assert_eq(rs.n, 1);
	cr_assert_eq(mp_rules_find(&rs, "t.kw"), -1);
	mp_ruleset_free(&rs);
}

Test(rules, keywords_without_distance_block_style)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		"  - id: t.kw",
		"    name: Keywords",
		"    pattern: 'x'",
		"    keywords:",
		"      words: [token]",
		"      required: true",
		RULE_TAIL,
		GOOD_RULE("t.ok"));

	load(&rs, t, "w.yml", 0);
	cr_assert_eq(rs.nerrors, 1);
	dump_errors(&rs);
	/* The keywords block: its key's line or the first line of its body. */
	int kl = line_with(t, "keywords:");
	char a[64], b[64];
	snprintf(a, sizeof a, "w.yml:%d: ", kl);
	snprintf(b, sizeof b, "w.yml:%d: ", kl + 1);
	cr_assert(strncmp(rs.errors[0], a, strlen(a)) == 0 || strncmp(rs.errors[0], b, strlen(b)) == 0,
		  "error not located at the keywords block: %s", rs.errors[0]);
	cr_assert_not_null(strstr(rs.errors[0], "distance"));
	cr_assert_eq(rs.n, 1);
	mp_ruleset_free(&rs);
}

Test(rules, keywords_bad_values)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		"  - id: t.kw1",
		"    name: Far",
		"    pattern: 'x'",
		"    keywords: {words: [a], distance: 1025}",
		RULE_TAIL,
		"  - id: t.kw2",
		"    name: Zero",
		"    pattern: 'x'",
		"    keywords: {words: [a], distance: 0}",
		RULE_TAIL,
		"  - id: t.kw3",
		"    name: Required maybe",
		"    pattern: 'x'",
		"    keywords: {words: [a], distance: 5, required: maybe}",
		RULE_TAIL,
		"  - id: t.kw4",
		"    name: No words",
		"    pattern: 'x'",
		"    keywords: {words: [], distance: 5}",
		RULE_TAIL,
		"  - id: t.kw5",
		"    name: Max distance",
		"    pattern: 'x'",
		"    keywords: {words: [a], distance: 1024, required: no}",
		RULE_TAIL);

	load(&rs, t, "kb.yml", 0);
	assert_error_at(&rs, "kb.yml", line_with(t, "1025"), "t.kw1", "distance", NULL);
	assert_error_at(&rs, "kb.yml", line_with(t, "distance: 0"), "t.kw2", "distance", NULL);
	assert_error_at(&rs, "kb.yml", line_with(t, "required: maybe"), "t.kw3", "required", NULL);
	assert_error_at(&rs, "kb.yml", line_with(t, "words: []"), "t.kw4", "words", NULL);
	cr_assert_eq(rs.nerrors, 4);
	cr_assert_eq(rs.n, 1);
	cr_assert_str_eq(rs.rules[0].id, "t.kw5");
	cr_assert_eq(rs.rules[0].kw_distance, 1024);
	cr_assert_not(rs.rules[0].kw_required);
	mp_ruleset_free(&rs);
}

Test(rules, unknown_validator)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		"  - id: t.val",
		"    name: Validator",
		"    pattern: 'x'",
		"    validators: [luhn, crc32]",
		RULE_TAIL,
		GOOD_RULE("t.ok"));

	load(&rs, t, "v.yml", 0);
	assert_error_at(&rs, "v.yml", line_with(t, "crc32"), "t.val", "unknown validator 'crc32'", NULL);
	cr_assert_eq(rs.nerrors, 1);
	cr_assert_eq(rs.n, 1);
	cr_assert_str_eq(rs.rules[0].id, "t.ok");
	mp_ruleset_free(&rs);
}

/* Regression: an unknown validator in a block list was reported at the
 * line of the list, not of the bad item. */
Test(rules, unknown_validator_block_list_line)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		"  - id: t.val",
		"    name: Validator",
		"    pattern: 'x'",
		"    validators:",
		"      - luhn",
		"      - crc32",
		RULE_TAIL);

	load(&rs, t, "v.yml", 0);
	assert_error_at(&rs, "v.yml", line_with(t, "crc32"), "t.val", "unknown validator 'crc32'", NULL);
	mp_ruleset_free(&rs);
}

Test(rules, yaml_syntax_error)
{
	struct mp_ruleset rs = {0};
	struct text good = TEXT("rules:", GOOD_RULE("t.before"));
	struct text bad = TEXT(
		"rules:",
		GOOD_RULE("t.in-bad-file"),
		"  - id: t.broken",
		"    name: a: b",
		"    pattern: 'x'");

	load(&rs, good, "good.yml", 0);
	load(&rs, bad, "bad.yml", 0);
	assert_error_at(&rs, "bad.yml", line_with(bad, "a: b"), "YAML", NULL);
	cr_assert_eq(rs.nerrors, 1);
	/* A syntax error skips the whole file, but not what was loaded before. */
	cr_assert_eq(rs.n, 1);
	cr_assert_str_eq(rs.rules[0].id, "t.before");
	mp_ruleset_free(&rs);
}

Test(rules, yaml_syntax_error_unclosed_quote_later_in_file)
{
	struct mp_ruleset rs = {0};
	struct text bad = TEXT(
		"rules:",
		GOOD_RULE("t.one"),
		GOOD_RULE("t.two"),
		"  - id: t.three",
		"    name: x",
		"   pattern: 'x'");  /* bad indentation */

	load(&rs, bad, "q.yml", 0);
	assert_error_at(&rs, "q.yml", line_with(bad, "   pattern: 'x'"), "YAML", NULL);
	cr_assert_eq(rs.n, 0);
	mp_ruleset_free(&rs);
}

Test(rules, invalid_id)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		"  - id: Bad_ID",
		"    name: Bad id",
		"    pattern: 'x'",
		RULE_TAIL,
		"  - name: No id",
		"    pattern: 'x'",
		RULE_TAIL,
		GOOD_RULE("9.ok-id"));

	load(&rs, t, "i.yml", 0);
	assert_error_at(&rs, "i.yml", line_with(t, "Bad_ID"), "id", NULL);
	assert_error_at(&rs, "i.yml", line_with(t, "No id"), "id", NULL);
	cr_assert_eq(rs.nerrors, 2);
	cr_assert_eq(rs.n, 1);
	cr_assert_str_eq(rs.rules[0].id, "9.ok-id");
	mp_ruleset_free(&rs);
}

Test(rules, bad_numbers)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		"  - id: t.ent",
		"    name: Entropy",
		"    pattern: 'x'",
		"    min_entropy: 8.5",
		RULE_TAIL,
		"  - id: t.ent2",
		"    name: Entropy word",
		"    pattern: 'x'",
		"    min_entropy: high",
		RULE_TAIL,
		"  - id: t.len",
		"    name: Length",
		"    pattern: 'x'",
		"    max_length: -3",
		RULE_TAIL,
		"  - id: t.len0",
		"    name: Length zero",
		"    pattern: 'x'",
		"    max_length: 0",
		RULE_TAIL);

	load(&rs, t, "b.yml", 0);
	assert_error_at(&rs, "b.yml", line_with(t, "8.5"), "t.ent", "min_entropy", NULL);
	assert_error_at(&rs, "b.yml", line_with(t, "min_entropy: high"), "t.ent2", "min_entropy", NULL);
	assert_error_at(&rs, "b.yml", line_with(t, "-3"), "t.len", "max_length", NULL);
	assert_error_at(&rs, "b.yml", line_with(t, "max_length: 0"), "t.len0", "max_length", NULL);
	cr_assert_eq(rs.n, 0);
	mp_ruleset_free(&rs);
}

Test(rules, top_level_errors)
{
	struct mp_ruleset rs = {0};
	struct text notmap = TEXT("- just", "- a list");
	struct text norules = TEXT("ruls:", "  - id: x");
	struct text notlist = TEXT("rules:", "  id: x");
	struct text extra = TEXT("version: 2", "rules:", GOOD_RULE("t.kept"));

	load(&rs, notmap, "1.yml", 0);
	load(&rs, norules, "2.yml", 0);
	load(&rs, notlist, "3.yml", 0);
	load(&rs, extra, "4.yml", 0);
	mp_rules_load_text(&rs, "", 0, "5.yml", 0);
	assert_error_at(&rs, "1.yml", 1, "mapping", NULL);
	assert_error_at(&rs, "2.yml", 1, "ruls", NULL);
	assert_error_at(&rs, "3.yml", 2, "list", NULL);
	assert_error_at(&rs, "4.yml", 1, "version", NULL);
	assert_error_at(&rs, "5.yml", 1, "empty", NULL);
	cr_assert_eq(rs.n, 1);
	cr_assert_str_eq(rs.rules[0].id, "t.kept");
	mp_ruleset_free(&rs);
}

Test(rules, later_source_replaces_earlier)
{
	struct mp_ruleset rs = {0};
	struct text a = TEXT(
		"rules:",
		GOOD_RULE("t.keep"),
		"  - id: t.over",
		"    name: Old",
		"    pattern: 'old'",
		RULE_TAIL);
	struct text b = TEXT(
		"rules:",
		"",
		"  - id: t.over",
		"    name: New",
		"    pattern: 'new'",
		"    category: pii",
		"    severity: low",
		"    examples: ['new']",
		"    negative_examples: ['y']");

	load(&rs, a, "defaults.yml", 0);
	load(&rs, b, "mine.yml", 1);
	dump_errors(&rs);
	cr_assert_eq(rs.nerrors, 0);
	cr_assert_eq(rs.n, 2);
	long i = mp_rules_find(&rs, "t.over");
	cr_assert_geq(i, 0);
	const struct mp_rule *r = &rs.rules[i];
	cr_assert_str_eq(r->name, "New");
	cr_assert_str_eq(r->pattern, "new");
	cr_assert_eq(r->category, MP_CAT_PII);
	cr_assert_eq(r->severity, MP_SEV_LOW);
	cr_assert_eq(r->source, 1);
	cr_assert_str_eq(r->file, "mine.yml");
	cr_assert_eq(r->line, 3);
	cr_assert_str_eq(rs.rules[mp_rules_find(&rs, "t.keep")].name, "Good t.keep");
	mp_ruleset_free(&rs);
}

Test(rules, same_id_twice_in_overriding_source_is_duplicate)
{
	struct mp_ruleset rs = {0};
	struct text a = TEXT("rules:", GOOD_RULE("t.z"));
	struct text b = TEXT("rules:", GOOD_RULE("t.z"), "  # second", GOOD_RULE("t.z"));

	load(&rs, a, "a.yml", 0);
	load(&rs, b, "b.yml", 1);
	cr_assert_eq(rs.nerrors, 1);
	cr_assert_eq(rs.n, 1);
	cr_assert_eq(rs.rules[0].source, 1);
	cr_assert_str_eq(rs.rules[0].file, "b.yml");
	cr_assert_eq(rs.rules[0].line, 2);
	assert_error_at(&rs, "b.yml", line_with(b, "# second") + 1, "duplicate", NULL);
	mp_ruleset_free(&rs);
}

/* Regression: a smaller source loaded after a larger one replaced its
 * rule; the larger source must win whatever the load order (rules.h). */
Test(rules, smaller_source_never_replaces_larger)
{
	struct mp_ruleset rs = {0};
	struct text hi = TEXT("rules:", "  - id: t.q", "    name: High", "    pattern: 'h'", RULE_TAIL);
	struct text lo = TEXT("rules:", "  - id: t.q", "    name: Low", "    pattern: 'l'", RULE_TAIL);

	load(&rs, hi, "hi.yml", 2);
	load(&rs, lo, "lo.yml", 1);
	cr_assert_eq(rs.n, 1);
	cr_assert_str_eq(rs.rules[0].name, "High");
	cr_assert_eq(rs.rules[0].source, 2);
	mp_ruleset_free(&rs);
}

Test(rules, splice_markers_removed_and_keywords_lowercased)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT(
		"rules:",
		"  - id: t.sp",
		"    name: Splice",
		"    pattern: 'ab{2}c'",
		"    category: secret",
		"    severity: high",
		"    keywords:",
		"      words: [PassWord, 'API-KEY', '\xc3\x9cN\xc3\xaf" "CODE']",
		"      distance: 10",
		"    examples: ['{{}}A{{}}{{}}B{{}}', '{{}}', 'no markers', '{{x}}']",
		"    negative_examples: ['N{{}}EG']");

	load(&rs, t, "sp.yml", 0);
	dump_errors(&rs);
	cr_assert_eq(rs.nerrors, 0);
	cr_assert_eq(rs.n, 1);
	const struct mp_rule *r = &rs.rules[0];
	cr_assert_str_eq(r->pattern, "ab{2}c", "only examples are spliced");
	cr_assert_eq(r->nexamples, 4);
	cr_assert_str_eq(r->examples[0], "AB");
	cr_assert_str_eq(r->examples[1], "");
	cr_assert_str_eq(r->examples[2], "no markers");
	cr_assert_str_eq(r->examples[3], "{{x}}");
	cr_assert_str_eq(r->negatives[0], "NEG");
	cr_assert_eq(r->nkeywords, 3);
	cr_assert_str_eq(r->keywords[0], "password");
	cr_assert_str_eq(r->keywords[1], "api-key");
	/* Only ASCII is folded; other bytes are kept exactly. */
	cr_assert_str_eq(r->keywords[2], "\xc3\x9c" "n\xc3\xaf" "code");
	cr_assert_eq(r->kw_distance, 10);
	cr_assert_not(r->kw_required);
	mp_ruleset_free(&rs);
}

Test(rules, load_missing_path)
{
	struct mp_ruleset rs = {0};
	char err[512] = "";
	char *dir = t_mkdtemp();
	char *missing = t_path(dir, "no-such-rules.yml");

	cr_assert_eq(mp_rules_load(&rs, missing, 0, err, sizeof err), -1);
	cr_assert_not_null(strstr(err, "no-such-rules.yml"), "message: %s", err);
	cr_assert_eq(rs.n, 0);
	t_rmtree(dir);
	free(missing);
	free(dir);
	mp_ruleset_free(&rs);
}

Test(rules, load_file_and_directory)
{
	struct mp_ruleset rs = {0};
	char err[512] = "";
	char *dir = t_mkdtemp();
	char *sub = t_path(dir, "sub");
	char *fb = t_path(dir, "b.yml");
	char *fa = t_path(dir, "a.yaml");
	char *fc = t_path(sub, "c.yml");
	char *fn = t_path(dir, "notes.txt");
	char *fh = t_path(dir, ".hidden.yml");
	size_t len;
	char *text;

	cr_assert_eq(mkdir(sub, 0700), 0);
	text = join(TEXT("rules:", GOOD_RULE("t.b")), &len);
	cr_assert_eq(t_write_file(fb, text, len), 0);
	free(text);
	struct text ta = TEXT("rules:", GOOD_RULE("t.a"), "  - id: t.broken", "    name: x", "    pattern: 'x'",
			      "    colour: red", RULE_TAIL);
	text = join(ta, &len);
	cr_assert_eq(t_write_file(fa, text, len), 0);
	free(text);
	text = join(TEXT("rules:", GOOD_RULE("t.c")), &len);
	cr_assert_eq(t_write_file(fc, text, len), 0);
	free(text);
	cr_assert_eq(t_write_file(fn, "rules: [", 8), 0);
	cr_assert_eq(t_write_file(fh, "rules: [", 8), 0);

	cr_assert_eq(mp_rules_load(&rs, dir, 4, err, sizeof err), 0, "%s", err);
	dump_errors(&rs);
	cr_assert_eq(rs.n, 3);
	/* Sorted by name: a.yaml, b.yml, sub/c.yml. */
	cr_assert_str_eq(rs.rules[0].id, "t.a");
	cr_assert_str_eq(rs.rules[1].id, "t.b");
	cr_assert_str_eq(rs.rules[2].id, "t.c");
	cr_assert_str_eq(rs.rules[0].file, fa);
	cr_assert_str_eq(rs.rules[2].file, fc);
	cr_assert_eq(rs.rules[2].source, 4);
	/* Only the broken rule in a.yaml is an error: .txt and dot files are not read. */
	cr_assert_eq(rs.nerrors, 1);
	assert_error_at(&rs, fa, line_with(ta, "colour"), "t.broken", "colour", NULL);

	/* A single file by path. */
	struct mp_ruleset rs2 = {0};
	cr_assert_eq(mp_rules_load(&rs2, fb, 0, err, sizeof err), 0, "%s", err);
	cr_assert_eq(rs2.n, 1);
	cr_assert_str_eq(rs2.rules[0].file, fb);
	mp_ruleset_free(&rs2);

	t_rmtree(dir);
	free(sub);
	free(fa);
	free(fb);
	free(fc);
	free(fn);
	free(fh);
	free(dir);
	mp_ruleset_free(&rs);
}

Test(rules, names_and_confidence_parse)
{
	enum mp_confidence c = MP_CONF_MEDIUM;

	cr_assert_str_eq(mp_category_name(MP_CAT_PII), "pii");
	cr_assert_str_eq(mp_severity_name(MP_SEV_CRITICAL), "critical");
	cr_assert_str_eq(mp_severity_name(MP_SEV_INFO), "info");
	cr_assert_str_eq(mp_confidence_name(MP_CONF_HIGH), "high");
	cr_assert_eq(mp_confidence_parse("low", &c), 0);
	cr_assert_eq(c, MP_CONF_LOW);
	cr_assert_eq(mp_confidence_parse("", &c), -1);
	cr_assert_eq(mp_confidence_parse("HIGH", &c), -1);
	cr_assert_eq(c, MP_CONF_LOW);
}

Test(rules, free_accepts_zeroed_set)
{
	struct mp_ruleset rs = {0};

	mp_ruleset_free(&rs);
	cr_assert_eq(rs.n, 0);
	cr_assert_eq(rs.nerrors, 0);
}

Test(rules, select_by_enable_and_disable_globs)
{
	struct mp_ruleset rs = {0};
	struct text t = TEXT("rules:", GOOD_RULE("aws.key"), GOOD_RULE("aws.secret"), GOOD_RULE("pii.email"),
			     GOOD_RULE("pii.ipv4"));
	char *en[] = {"aws.*", "pii.ipv4", "nothing.*"};
	char *dis[] = {"aws.secret", "zzz"};
	bool used[5] = {false};

	load(&rs, t, "m.yml", 0);
	cr_assert_eq(rs.n, 4);
	cr_assert_eq(mp_rules_select(&rs, en, 3, dis, 2, used), 2);
	cr_assert_eq(rs.n, 2);
	cr_assert_str_eq(rs.rules[0].id, "aws.key", "the order is kept");
	cr_assert_str_eq(rs.rules[1].id, "pii.ipv4");
	cr_assert_eq(rs.rules[1].line, line_with(t, "id: pii.ipv4"), "moved rules keep their fields");
	cr_assert(used[0] && used[1] && !used[2], "which enable globs matched");
	cr_assert(used[3] && !used[4], "which disable globs matched");
	cr_assert_eq(mp_rules_find(&rs, "aws.secret"), -1);

	/* No enable glob: everything but the disabled. */
	cr_assert_eq(mp_rules_select(&rs, NULL, 0, (char *[]){"*.ipv4"}, 1, NULL), 1);
	cr_assert_eq(rs.n, 1);
	cr_assert_str_eq(rs.rules[0].id, "aws.key");
	mp_ruleset_free(&rs);
}
