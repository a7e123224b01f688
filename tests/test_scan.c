/* test_scan.c - the matcher, built from real rules with a real database. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "finding.h"
#include "helpers.h"
#include "hsdb.h"
#include "rules.h"
#include "scan.h"
#include "text.h"

/* ---- collecting what a scanner reports ---- */

struct cfind {
	char rule[64];
	enum mp_confidence conf;
	double entropy;
	uint64_t offset, length, line, column, end_line, end_column;
	char *secret;
	size_t secret_len;
	char *redacted;
	char *context;
	char fingerprint[72];
};

struct cnote {
	char kind[32];
	char msg[512];
};

struct coll {
	struct cfind *f;
	size_t nf, capf;
	struct cnote *n;
	size_t nn, capn;
	size_t unreported; /* findings counted, not written */
	bool utf16;        /* positions are of a UTF-16 original: length != secret_len */
};

static bool on_finding(void *ctx, const struct mp_loc *loc, const struct mp_finding *f)
{
	struct coll *c = ctx;
	char fp[72];

	cr_assert_not_null(loc);
	if (c->nf == c->capf) {
		c->capf = c->capf ? c->capf * 2 : 64;
		c->f = realloc(c->f, c->capf * sizeof *c->f);
		cr_assert_not_null(c->f);
	}
	struct cfind *d = &c->f[c->nf++];
	memset(d, 0, sizeof *d);
	snprintf(d->rule, sizeof d->rule, "%s", f->rule->id);
	d->conf = f->confidence;
	d->entropy = f->entropy;
	d->offset = f->offset;
	d->length = f->length;
	d->line = f->line;
	d->column = f->column;
	d->end_line = f->end_line;
	d->end_column = f->end_column;
	if (!c->utf16)
		cr_assert_eq(f->secret_len, f->length);
	d->secret = malloc(f->secret_len + 1);
	cr_assert_not_null(d->secret);
	memcpy(d->secret, f->secret, f->secret_len);
	d->secret[f->secret_len] = '\0';
	d->secret_len = f->secret_len;
	d->redacted = strdup(f->redacted);
	d->context = strdup(f->context);
	memcpy(d->fingerprint, f->fingerprint, sizeof d->fingerprint);
	/* Invariants every finding must meet. */
	mp_fingerprint(f->rule->id, f->secret, f->secret_len, fp);
	cr_assert_str_eq(f->fingerprint, fp);
	cr_assert(mp_utf8_valid(f->redacted, strlen(f->redacted)));
	cr_assert(mp_utf8_valid(f->context, strlen(f->context)));
	cr_assert_null(strchr(f->context, '\n'), "context spans lines: %s", f->context);
	return true;
}

static void on_unreported(void *ctx, const struct mp_rule *r)
{
	struct coll *c = ctx;

	cr_assert_not_null(r);
	c->unreported++;
}

static void on_notice(void *ctx, const struct mp_loc *loc, const char *kind, const char *message)
{
	struct coll *c = ctx;

	(void)loc;
	if (c->nn == c->capn) {
		c->capn = c->capn ? c->capn * 2 : 16;
		c->n = realloc(c->n, c->capn * sizeof *c->n);
		cr_assert_not_null(c->n);
	}
	struct cnote *d = &c->n[c->nn++];
	snprintf(d->kind, sizeof d->kind, "%s", kind);
	snprintf(d->msg, sizeof d->msg, "%s", message);
}

static void coll_clear(struct coll *c)
{
	for (size_t i = 0; i < c->nf; i++) {
		free(c->f[i].secret);
		free(c->f[i].redacted);
		free(c->f[i].context);
	}
	c->nf = 0;
	c->nn = 0;
	c->unreported = 0;
}

static void coll_free(struct coll *c)
{
	coll_clear(c);
	free(c->f);
	free(c->n);
	memset(c, 0, sizeof *c);
}

static size_t count_rule(const struct coll *c, const char *rule)
{
	size_t k = 0;
	for (size_t i = 0; i < c->nf; i++)
		k += strcmp(c->f[i].rule, rule) == 0;
	return k;
}

static size_t count_kind(const struct coll *c, const char *kind)
{
	size_t k = 0;
	for (size_t i = 0; i < c->nn; i++)
		k += strcmp(c->n[i].kind, kind) == 0;
	return k;
}

static void dump(const struct coll *c)
{
	for (size_t i = 0; i < c->nf; i++)
		cr_log_info("finding %s off=%llu len=%llu %llu:%llu-%llu:%llu secret=%s ctx=%s", c->f[i].rule,
			    (unsigned long long)c->f[i].offset, (unsigned long long)c->f[i].length,
			    (unsigned long long)c->f[i].line, (unsigned long long)c->f[i].column,
			    (unsigned long long)c->f[i].end_line, (unsigned long long)c->f[i].end_column,
			    c->f[i].secret, c->f[i].context);
	for (size_t i = 0; i < c->nn; i++)
		cr_log_info("notice %s: %s", c->n[i].kind, c->n[i].msg);
}

/* ---- rules and the engine ---- */

/* One rule as YAML. pattern must not hold a single quote. */
static char *rule_yaml_cat(const char *id, const char *category, const char *pattern, const char *extra)
{
	char *s = NULL;

	cr_assert(asprintf(&s,
			   "  - id: %s\n"
			   "    name: Test rule %s\n"
			   "    pattern: '%s'\n"
			   "    category: %s\n"
			   "    severity: high\n"
			   "%s"
			   "    examples: ['x']\n"
			   "    negative_examples: ['y']\n",
			   id, id, pattern, category, extra ? extra : "") >= 0);
	return s;
}

static char *rule_yaml(const char *id, const char *pattern, const char *extra)
{
	return rule_yaml_cat(id, "secret", pattern, extra);
}

#define R_KEY      "key"
#define R_KEY_TWIN "key-twin"
#define R_TOK      "tok"
#define R_KW       "kw"
#define R_ENT      "ent"
#define R_CARD     "card"
#define R_BLOCK    "block"
#define R_LONG     "long"
#define R_SOFTKW   "softkw"
#define R_DIGITS16 "digits16"
#define R_DIGITRUN "digitrun"
#define R_CARDDELIM "carddelim"
#define R_CONTAINER "container"
#define R_GENERIC   "generic"
#define R_PIICARD   "piicard"

static char *rule_by_name(const char *name)
{
	if (strcmp(name, R_KEY) == 0)
		return rule_yaml("t.key", "\\b(KEY_[A-Z0-9]{16})\\b", NULL);
	if (strcmp(name, R_KEY_TWIN) == 0)
		return rule_yaml("t.key-twin", "\\b(KEY_[A-Z0-9]{16})\\b", NULL);
	if (strcmp(name, R_TOK) == 0)
		return rule_yaml("t.tok", "TOK[A-Z0-9]{8,20}", NULL);
	if (strcmp(name, R_KW) == 0)
		return rule_yaml("t.kw", "\\b(KW[0-9A-F]{12})\\b",
				 "    keywords:\n      words: [ApiKey]\n      distance: 20\n      required: true\n");
	if (strcmp(name, R_SOFTKW) == 0)
		return rule_yaml("t.softkw", "\\b(SK[0-9]{10})\\b",
				 "    confidence: low\n"
				 "    keywords:\n      words: [hint]\n      distance: 12\n      required: false\n");
	if (strcmp(name, R_ENT) == 0)
		return rule_yaml("t.ent", "\\b(ENT[A-Za-z0-9]{16})\\b", "    min_entropy: 3.5\n");
	if (strcmp(name, R_CARD) == 0)
		return rule_yaml("t.card", "\\b([0-9]{4}(?:[ -]?[0-9]{4}){3})\\b", "    validators: [luhn]\n");
	if (strcmp(name, R_BLOCK) == 0)
		return rule_yaml("t.block", "BLK\\{[A-Z\\n]{1,40}\\}", NULL);
	if (strcmp(name, R_DIGITS16) == 0)
		return rule_yaml("t.digits16", "\\b([0-9]{16})\\b", "    yields: true\n    confidence: low\n");
	if (strcmp(name, R_CONTAINER) == 0)
		return rule_yaml("t.container", "pass=(?<secret>[A-Za-z0-9]{12})\\b", "    yields: true\n");
	if (strcmp(name, R_GENERIC) == 0)
		return rule_yaml_cat("t.generic", "generic", "(?:pass|word)=(?<secret>[A-Za-z0-9]{12})\\b", NULL);
	if (strcmp(name, R_PIICARD) == 0)
		return rule_yaml_cat("t.piicard", "pii", "\\b([0-9]{4}(?:[ -]?[0-9]{4}){3})\\b",
				     "    validators: [luhn]\n");
	if (strcmp(name, R_CARDDELIM) == 0)
		return rule_yaml("t.carddelim", "(?:^|[^0-9])(?<secret>[0-9]{16})(?:$|[^0-9])",
				 "    validators: [luhn]\n");
	if (strcmp(name, R_DIGITRUN) == 0)
		return rule_yaml("t.digitrun", "\\b([0-9]{16})\\b",
				 "    digits: {min: 16, max: 16}\n    validators: [luhn]\n");
	if (strcmp(name, R_LONG) == 0)
		return rule_yaml("t.long", "\\b(LONG[A-Z0-9]{36})\\b", NULL);
	cr_assert_fail("unknown rule %s", name);
	return NULL;
}

struct fx {
	struct mp_ruleset rs;
	struct mp_engine eng;
	struct mp_scanner *sc;
	struct coll c;
	uint64_t caps[MP_CAP__COUNT];
	struct mp_loc loc;
};

/* Build an engine from the NULL-terminated rule names. caps may be NULL for
 * the defaults. */
static void fx_init(struct fx *x, const uint64_t *caps, bool show_secrets, ...)
{
	va_list ap;
	char *yaml = strdup("rules:\n");
	char err[512] = "";

	memset(x, 0, sizeof *x);
	if (caps)
		memcpy(x->caps, caps, sizeof x->caps);
	else
		mp_caps_defaults(x->caps);
	va_start(ap, show_secrets);
	for (const char *n = va_arg(ap, const char *); n; n = va_arg(ap, const char *)) {
		char *r = rule_by_name(n);
		char *y = t_cat(yaml, r, NULL);
		free(yaml);
		free(r);
		yaml = y;
	}
	va_end(ap);
	mp_rules_load_text(&x->rs, yaml, strlen(yaml), "scan-test.yml", 0);
	free(yaml);
	for (size_t i = 0; i < x->rs.nerrors; i++)
		cr_log_error("rule error: %s", x->rs.errors[i]);
	cr_assert_eq(x->rs.nerrors, 0);
	struct mp_hsdb_opts opts = {.cache_dir = NULL, .use_cache = false, .match_width = x->caps[MP_CAP_MATCH_WIDTH]};
	cr_assert_eq(mp_engine_init(&x->eng, &x->rs, x->caps, &opts, show_secrets, err, sizeof err), 0, "%s", err);
	for (size_t i = 0; i < x->rs.nerrors; i++)
		cr_log_error("rule error: %s", x->rs.errors[i]);
	cr_assert_eq(x->rs.nerrors, 0);
	struct mp_emit emit = {.finding = on_finding, .notice = on_notice, .unreported = on_unreported, .ctx = &x->c};
	x->sc = mp_scanner_new(&x->eng, &emit);
	cr_assert_not_null(x->sc);
	x->loc.path = "mem";
}

static void fx_free(struct fx *x)
{
	mp_scanner_free(x->sc);
	mp_engine_free(&x->eng);
	mp_ruleset_free(&x->rs);
	coll_free(&x->c);
}

static uint64_t scan_str(struct fx *x, const char *s)
{
	coll_clear(&x->c);
	return mp_scan_mem(x->sc, &x->loc, s, strlen(s));
}

static const struct cfind *find_at(const struct coll *c, const char *rule, uint64_t offset)
{
	const struct cfind *hit = NULL;
	for (size_t i = 0; i < c->nf; i++) {
		if (strcmp(c->f[i].rule, rule) == 0 && c->f[i].offset == offset) {
			cr_assert_null(hit, "%s at %llu reported twice", rule, (unsigned long long)offset);
			hit = &c->f[i];
		}
	}
	return hit;
}

static size_t offset_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);
	cr_assert_not_null(p, "'%s' not in text", needle);
	return (size_t)(p - text);
}

/* Secret-shaped values, built at run time. */
static char *key_value(const char *tail16)
{
	cr_assert_eq(strlen(tail16), 16);
	return t_cat("KEY", "_", tail16, NULL);
}

/* ---- locations ---- */

Test(scan, engine_overlap_covers_widest_rule_and_keywords)
{
	struct fx x;

	fx_init(&x, NULL, false, R_KEY, R_KW, R_LONG, NULL);
	cr_assert_eq(x.rs.max_width, 40);
	cr_assert_eq(x.rs.max_distance, 20);
	cr_assert_geq(x.eng.back, 40 + MP_CONTEXT_RADIUS);
	cr_assert_geq(x.eng.fwd, 40 + MP_CONTEXT_RADIUS);
	fx_free(&x);
}

Test(scan, line_and_column_first_line)
{
	struct fx x;
	char *k1 = key_value("AAAA1111BBBB2222");
	char *text = t_cat(k1, " tail\n", NULL);

	fx_init(&x, NULL, false, R_KEY, NULL);
	cr_assert_eq(scan_str(&x, text), 1);
	const struct cfind *f = find_at(&x.c, "t.key", 0);
	cr_assert_not_null(f);
	cr_assert_eq(f->line, 1);
	cr_assert_eq(f->column, 1);
	cr_assert_eq(f->end_line, 1);
	cr_assert_eq(f->end_column, 21, "end column is exclusive");
	cr_assert_eq(f->length, 20);
	cr_assert_str_eq(f->secret, k1);
	fx_free(&x);
	free(k1);
	free(text);
}

Test(scan, line_and_column_later_lines)
{
	struct fx x;
	char *k1 = key_value("AAAA1111BBBB2222");
	char *k2 = key_value("CCCC3333DDDD4444");
	char *k3 = key_value("EEEE5555FFFF6666");
	/* k2: line 3, after "  x=" (column 5); k3 ends a line without newline. */
	char *text = t_cat("first line\n\n  x=", k2, "\tand ", k1, "\nlast: ", k3, NULL);

	fx_init(&x, NULL, false, R_KEY, NULL);
	cr_assert_eq(scan_str(&x, text), 3);
	const struct cfind *f2 = find_at(&x.c, "t.key", offset_of(text, k2));
	const struct cfind *f1 = find_at(&x.c, "t.key", offset_of(text, k1));
	const struct cfind *f3 = find_at(&x.c, "t.key", offset_of(text, k3));
	cr_assert(f1 && f2 && f3);
	cr_assert_eq(f2->line, 3);
	cr_assert_eq(f2->column, 5);
	cr_assert_eq(f2->end_column, 25);
	cr_assert_eq(f1->line, 3);
	cr_assert_eq(f1->column, 5 + 20 + 5, "columns count bytes (a tab is one)");
	cr_assert_eq(f3->line, 4);
	cr_assert_eq(f3->column, 7);
	cr_assert_eq(f3->end_line, 4);
	cr_assert_eq(f3->end_column, 27);
	/* Reported in the order they appear. */
	cr_assert_eq(x.c.f[0].offset, offset_of(text, k2));
	cr_assert_eq(x.c.f[2].offset, offset_of(text, k3));
	fx_free(&x);
	free(k1);
	free(k2);
	free(k3);
	free(text);
}

Test(scan, line_and_column_crlf)
{
	struct fx x;
	char *k1 = key_value("AAAA1111BBBB2222");
	char *k2 = key_value("CCCC3333DDDD4444");
	char *text = t_cat("a\r\n\r\n", k1, "\r\n  ", k2, "\r\n", NULL);

	fx_init(&x, NULL, false, R_KEY, NULL);
	cr_assert_eq(scan_str(&x, text), 2);
	const struct cfind *f1 = find_at(&x.c, "t.key", 5);
	const struct cfind *f2 = find_at(&x.c, "t.key", offset_of(text, k2));
	cr_assert(f1 && f2);
	cr_assert_eq(f1->line, 3);
	cr_assert_eq(f1->column, 1);
	cr_assert_eq(f1->end_column, 21, "the CR after the value is not part of it");
	cr_assert_eq(f2->line, 4);
	cr_assert_eq(f2->column, 3);
	cr_assert_null(strchr(f1->context, '\r'));
	fx_free(&x);
	free(k1);
	free(k2);
	free(text);
}

Test(scan, line_and_column_after_many_lines)
{
	struct fx x;
	char *k1 = key_value("AAAA1111BBBB2222");
	size_t lines = 70000;
	size_t n = lines * 12 + 64;
	char *text = malloc(n);
	size_t w = 0;

	cr_assert_not_null(text);
	for (size_t i = 0; i < lines; i++) {
		memcpy(text + w, i % 3 ? "some words\n" : "other text\r\n", i % 3 ? 11 : 12);
		w += i % 3 ? 11 : 12;
	}
	w += (size_t)sprintf(text + w, "%7s", "");
	memcpy(text + w, k1, 20);
	size_t off = w;
	w += 20;
	text[w] = '\0';

	fx_init(&x, NULL, false, R_KEY, NULL);
	cr_assert_eq(mp_scan_mem(x.sc, &x.loc, text, w), 1);
	cr_assert_eq(x.c.f[0].offset, off);
	cr_assert_eq(x.c.f[0].line, lines + 1);
	cr_assert_eq(x.c.f[0].column, 8);
	fx_free(&x);
	free(k1);
	free(text);
}

Test(scan, multiline_secret_end_position)
{
	struct fx x;
	char *text = t_cat("xx\nab BLK{", "ABC\nDE\nFGH}", " tail\n", NULL);

	fx_init(&x, NULL, false, R_BLOCK, NULL);
	cr_assert_eq(scan_str(&x, text), 1);
	const struct cfind *f = &x.c.f[0];
	cr_assert_eq(f->offset, 6);
	cr_assert_eq(f->line, 2);
	cr_assert_eq(f->column, 4);
	cr_assert_eq(f->end_line, 4);
	cr_assert_eq(f->end_column, 5, "just past '}' on the last line");
	cr_assert_eq(f->length, strlen("BLK{ABC\nDE\nFGH}"));
	fx_free(&x);
	free(text);
}

/* ---- deduplication ---- */

Test(scan, overlapping_matches_of_one_rule_reported_once)
{
	struct fx x;
	/* Every prefix of 11..23 bytes matches TOK[A-Z0-9]{8,20}. */
	char *run = t_cat("TOK", "ABCDEFGHJ0", "1234567890", NULL);
	char *text = t_cat("x ", run, " y\n", NULL);

	fx_init(&x, NULL, false, R_TOK, NULL);
	cr_assert_eq(scan_str(&x, text), 1);
	cr_assert_eq(x.c.f[0].offset, 2);
	cr_assert_eq(x.c.f[0].length, 23, "the match is reported whole, once");
	cr_assert_str_eq(x.c.f[0].secret, run);
	free(text);

	/* Matches starting at different places in one run. */
	text = t_cat("x ", "TOK", "TOK", "ABCDEF", "GHJ ", NULL);
	cr_assert_eq(scan_str(&x, text), 1);
	cr_assert_eq(x.c.f[0].offset, 2);
	free(text);

	/* Two separate runs: two findings. */
	text = t_cat("TOK", "ABCDEFGH", " TOK", "12345678", NULL);
	cr_assert_eq(scan_str(&x, text), 2);
	fx_free(&x);
	free(run);
	free(text);
}

Test(scan, two_rules_on_the_same_bytes_both_report)
{
	struct fx x;
	char *k = key_value("ZZZZ9999YYYY8888");
	char *text = t_cat("v=", k, ";\n", NULL);

	fx_init(&x, NULL, false, R_KEY, R_KEY_TWIN, NULL);
	cr_assert_eq(scan_str(&x, text), 2);
	const struct cfind *a = find_at(&x.c, "t.key", 2);
	const struct cfind *b = find_at(&x.c, "t.key-twin", 2);
	cr_assert(a && b);
	cr_assert_eq(count_rule(&x.c, "t.key"), 1);
	cr_assert_eq(count_rule(&x.c, "t.key-twin"), 1);
	cr_assert_str_eq(a->secret, b->secret);
	cr_assert_str_neq(a->fingerprint, b->fingerprint, "fingerprints include the rule");
	fx_free(&x);
	free(k);
	free(text);
}

/* ---- checks after the match ---- */

Test(scan, keyword_required)
{
	struct fx x;
	char *v = t_cat("KW", "0123456789AB", NULL);
	char *near = t_cat("config ApiKey = ", v, "\n", NULL);
	char *after = t_cat(v, " # apikey\n", NULL);
	char *none = t_cat("config value = ", v, "\n", NULL);
	char *far = t_cat("apikey", "                              = ", v, "\n", NULL);
	char *other_line = t_cat("apikey\n", v, "\n", NULL);

	fx_init(&x, NULL, false, R_KW, NULL);
	cr_assert_eq(scan_str(&x, near), 1, "keyword before the value");
	cr_assert_str_eq(x.c.f[0].secret, v);
	cr_assert_eq(scan_str(&x, after), 1, "keyword after the value");
	cr_assert_eq(scan_str(&x, none), 0, "no keyword: no finding");
	cr_assert_eq(scan_str(&x, far), 0, "keyword beyond the distance");
	/* Distance is in bytes, so a keyword on the previous line counts. */
	cr_assert_eq(scan_str(&x, other_line), 1);
	fx_free(&x);
	free(v);
	free(near);
	free(after);
	free(none);
	free(far);
	free(other_line);
}

Test(scan, optional_keyword_raises_confidence)
{
	struct fx x;
	char *v = t_cat("SK", "0123456789", NULL);
	char *with = t_cat("hint: ", v, "\n", NULL);
	char *without = t_cat("none: ", v, "\n", NULL);

	fx_init(&x, NULL, false, R_SOFTKW, NULL);
	cr_assert_eq(scan_str(&x, without), 1);
	cr_assert_eq(x.c.f[0].conf, MP_CONF_LOW);
	cr_assert_eq(scan_str(&x, with), 1);
	cr_assert_eq(x.c.f[0].conf, MP_CONF_MEDIUM);
	fx_free(&x);
	free(v);
	free(with);
	free(without);
}

Test(scan, min_entropy_drops_low_entropy_values)
{
	struct fx x;
	char *hi = t_cat("ENT", "q7Zx2LmP9vR4", "tB8k", NULL);
	char *lo = t_cat("ENT", "aaaaaaaa", "aaaaaaaa", NULL);
	char *text = t_cat("a=", lo, "\nb=", hi, "\n", NULL);

	fx_init(&x, NULL, false, R_ENT, NULL);
	cr_assert_eq(scan_str(&x, text), 1);
	cr_assert_str_eq(x.c.f[0].secret, hi);
	cr_assert_geq(x.c.f[0].entropy, 3.5);
	fx_free(&x);
	free(hi);
	free(lo);
	free(text);
}

Test(scan, luhn_validator_drops_invalid_numbers)
{
	struct fx x;
	char *good = t_cat("4111 ", "1111 ", "1111 ", "1111", NULL);
	char *bad = t_cat("4111 ", "1111 ", "1111 ", "1112", NULL);
	char *dashed = t_cat("4111-", "1111-", "1111-", "1111", NULL);
	char *text = t_cat("card: ", bad, "\ncard: ", good, "\nalt: ", dashed, "\n", NULL);

	fx_init(&x, NULL, false, R_CARD, NULL);
	cr_assert_eq(scan_str(&x, text), 2);
	cr_assert_str_eq(x.c.f[0].secret, good);
	cr_assert_eq(x.c.f[0].line, 2);
	cr_assert_eq(x.c.f[0].conf, MP_CONF_HIGH, "a validated value has high confidence");
	cr_assert_str_eq(x.c.f[1].secret, dashed);
	fx_free(&x);
	free(good);
	free(bad);
	free(dashed);
	free(text);
}

/* ---- limits ---- */

static char *ten_keys(char **keys)
{
	char *text = strdup("");

	for (int i = 0; i < 10; i++) {
		char tail[17];
		snprintf(tail, sizeof tail, "K%02dAAAABBBBCCCCD", i);
		keys[i] = key_value(tail);
		char *t = t_cat(text, "line ", keys[i], "\n", NULL);
		free(text);
		text = t;
	}
	return text;
}

Test(scan, findings_per_object_cap)
{
	struct fx x;
	uint64_t caps[MP_CAP__COUNT];
	char *keys[10];
	char *text = ten_keys(keys);

	mp_caps_defaults(caps);
	caps[MP_CAP_FINDINGS_PER_OBJECT] = 3;
	fx_init(&x, caps, false, R_KEY, NULL);
	cr_assert_eq(scan_str(&x, text), 3);
	cr_assert_eq(x.c.nf, 3);
	for (int i = 0; i < 3; i++)
		cr_assert_str_eq(x.c.f[i].secret, keys[i], "the first three are kept");
	cr_assert_eq(x.c.nn, 1);
	cr_assert_str_eq(x.c.n[0].kind, "limit");
	cr_assert_not_null(strstr(x.c.n[0].msg, "findings-per-object"), "%s", x.c.n[0].msg);

	/* A second object starts a fresh count. */
	cr_assert_eq(scan_str(&x, text), 3);
	cr_assert_eq(count_kind(&x.c, "limit"), 1);

	/* Exactly at the cap: no notice. */
	char *three = t_cat(keys[0], "\n", keys[1], "\n", keys[2], "\n", NULL);
	cr_assert_eq(scan_str(&x, three), 3);
	cr_assert_eq(x.c.nn, 0);
	free(three);
	fx_free(&x);
	for (int i = 0; i < 10; i++)
		free(keys[i]);
	free(text);
}

/* ---- context ---- */

static char *redacted_of(const char *s)
{
	struct mp_buf b;
	char *r;

	mp_buf_init(&b, 4096);
	mp_redact(s, strlen(s), &b);
	r = strdup(b.data);
	mp_buf_free(&b);
	return r;
}

Test(scan, context_hides_secrets)
{
	struct fx x;
	char *a = key_value("AAAA1111BBBB2222");
	char *b = key_value("CCCC3333DDDD4444");
	char *ra = redacted_of(a), *rb = redacted_of(b);
	char *text = t_cat("prev line ", "\n", "user=", a, " other=", b, " end\n", "next line\n", NULL);
	char *ctx_a = t_cat("user=", ra, " other=*** end", NULL);
	char *ctx_b = t_cat("user=*** other=", rb, " end", NULL);

	fx_init(&x, NULL, false, R_KEY, NULL);
	cr_assert_eq(scan_str(&x, text), 2);
	cr_assert_str_eq(x.c.f[0].redacted, ra);
	cr_assert_str_eq(x.c.f[0].context, ctx_a);
	cr_assert_str_eq(x.c.f[1].context, ctx_b);
	for (int i = 0; i < 2; i++) {
		cr_assert_null(strstr(x.c.f[i].context, a), "context shows a secret");
		cr_assert_null(strstr(x.c.f[i].context, b), "context shows a secret");
	}
	fx_free(&x);
	free(a);
	free(b);
	free(ra);
	free(rb);
	free(text);
	free(ctx_a);
	free(ctx_b);
}

Test(scan, context_masks_other_rules_secrets_too)
{
	struct fx x;
	char *a = key_value("AAAA1111BBBB2222");
	char *t = t_cat("TOK", "ABCDEFGH12", NULL);
	char *text = t_cat(t, " and ", a, "\n", NULL);

	fx_init(&x, NULL, false, R_KEY, R_TOK, NULL);
	cr_assert_eq(scan_str(&x, text), 2);
	for (size_t i = 0; i < x.c.nf; i++) {
		cr_assert_null(strstr(x.c.f[i].context, a));
		cr_assert_null(strstr(x.c.f[i].context, t));
		cr_assert_not_null(strstr(x.c.f[i].context, "***"));
	}
	fx_free(&x);
	free(a);
	free(t);
	free(text);
}

Test(scan, context_with_show_secrets)
{
	struct fx x;
	char *a = key_value("AAAA1111BBBB2222");
	char *b = key_value("CCCC3333DDDD4444");
	char *line = t_cat("user=", a, " other=", b, " end", NULL);
	char *text = t_cat("prev\n", line, "\nnext\n", NULL);

	fx_init(&x, NULL, true, R_KEY, NULL);
	cr_assert_eq(scan_str(&x, text), 2);
	cr_assert_str_eq(x.c.f[0].context, line);
	cr_assert_str_eq(x.c.f[1].context, line);
	/* The redacted form stays redacted. */
	cr_assert_null(strstr(x.c.f[0].redacted, a));
	fx_free(&x);
	free(a);
	free(b);
	free(line);
	free(text);
}

Test(scan, context_is_bounded_and_one_line)
{
	struct fx x;
	char *a = key_value("AAAA1111BBBB2222");
	char pad[201];
	char *ra = redacted_of(a);

	memset(pad, 'p', 200);
	pad[200] = '\0';
	char *text = t_cat("above\n", pad, " ", a, " ", pad, "\nbelow\n", NULL);
	fx_init(&x, NULL, false, R_KEY, NULL);
	cr_assert_eq(scan_str(&x, text), 1);
	const char *c = x.c.f[0].context;
	cr_assert_null(strstr(c, "above"));
	cr_assert_null(strstr(c, "below"));
	cr_assert_not_null(strstr(c, ra));
	/* At most MP_CONTEXT_RADIUS bytes on each side. */
	cr_assert_leq(strlen(c), 2 * MP_CONTEXT_RADIUS + strlen(ra));
	cr_assert_geq(strlen(c), 2 * MP_CONTEXT_RADIUS - 2 + strlen(ra));
	fx_free(&x);
	free(a);
	free(ra);
	free(text);
}

Test(scan, context_sanitizes_bytes)
{
	struct fx x;
	char *a = key_value("AAAA1111BBBB2222");
	char *text = t_cat("\x01\xff=", a, "\x1b[0m\n", NULL);

	fx_init(&x, NULL, false, R_KEY, NULL);
	cr_assert_eq(scan_str(&x, text), 1);
	cr_assert_not_null(strstr(x.c.f[0].context, "\xef\xbf\xbd"));
	cr_assert_null(strchr(x.c.f[0].context, '\x1b'));
	fx_free(&x);
	free(a);
	free(text);
}

/* ---- mp_count_newlines ---- */

Test(scan, count_newlines_matches_naive)
{
	uint64_t st = 1234;
	char *buf = malloc(5000);

	cr_assert_not_null(buf);
	for (int k = 0; k < 3000; k++) {
		size_t n = (size_t)(t_rand(&st) % 1200) | 1;  /* odd lengths */
		size_t start = (size_t)(t_rand(&st) % 8);     /* and unaligned */
		unsigned density = (unsigned)(t_rand(&st) % 4);
		for (size_t i = 0; i < start + n; i++) {
			uint64_t r = t_rand(&st);
			unsigned char c = (unsigned char)r;
			if (density == 0 && (r >> 8) % 2 == 0)
				c = '\n';
			else if (density == 1 && (r >> 8) % 16 == 0)
				c = '\n';
			else if (density == 2)  /* '\n' and its one-bit neighbours */
				c = (r >> 8) % 3 == 0 ? '\n' : (unsigned char)('\n' ^ (1u << ((r >> 16) % 8)));
			buf[i] = (char)c;
		}
		size_t naive = 0;
		for (size_t i = start; i < start + n; i++)
			naive += buf[i] == '\n';
		cr_assert_eq(mp_count_newlines(buf + start, n), naive, "n=%zu start=%zu", n, start);
	}
	/* Bytes that differ from '\n' in one bit, and all-newline runs. */
	const char tricky[] = "\x0b\x08\x8a\x0e\x02\x4a\x1a\x2a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x00\xff";
	size_t naive = 0;
	for (size_t i = 0; i < sizeof tricky - 1; i++)
		naive += tricky[i] == '\n';
	cr_assert_eq(mp_count_newlines(tricky, sizeof tricky - 1), naive);
	cr_assert_eq(mp_count_newlines("", 0), 0);
	free(buf);
}

/* ---- streams ---- */

struct chunk_reader {
	const char *data;
	size_t len, pos;
	const size_t *sizes;  /* cycled */
	size_t nsizes, k;
	size_t fail_at;       /* return -1 once pos reaches this (0: never) */
	unsigned long calls;
};

static long chunk_read(void *ctx, void *buf, size_t n)
{
	struct chunk_reader *r = ctx;
	size_t want;

	r->calls++;
	cr_assert_gt(n, 0, "read asked for zero bytes");
	if (r->fail_at && r->pos >= r->fail_at)
		return -1;
	if (r->pos == r->len)
		return 0;
	want = r->sizes ? r->sizes[r->k++ % r->nsizes] : r->len;
	if (want > n)
		want = n;
	if (want > r->len - r->pos)
		want = r->len - r->pos;
	if (r->fail_at && want > r->fail_at - r->pos)
		want = r->fail_at - r->pos;
	memcpy(buf, r->data + r->pos, want);
	r->pos += want;
	return (long)want;
}

static const char *chunk_error(void *ctx)
{
	(void)ctx;
	return "injected failure";
}

static uint64_t scan_stream(struct fx *x, const char *data, size_t len, const size_t *sizes, size_t nsizes,
			    uint64_t *bytes)
{
	struct chunk_reader cr = {.data = data, .len = len, .sizes = sizes, .nsizes = nsizes};
	struct mp_reader rd = {.read = chunk_read, .error = chunk_error, .ctx = &cr};

	coll_clear(&x->c);
	return mp_scan_stream(x->sc, &x->loc, &rd, bytes);
}

enum { U_KEY, U_TOK, U_KW, U__COUNT };

static const char *const unit_rule[U__COUNT] = {"t.key", "t.tok", "t.kw"};
static const size_t unit_len[U__COUNT] = {20, 23, 14};
static const size_t unit_prefix[U__COUNT] = {0, 0, 7};  /* "apikey=" */

struct planted {
	int type;
	size_t off;       /* of the secret */
	uint64_t line, column;
};

struct plan {
	char *data;
	size_t len;
	struct planted *p;
	size_t n, cap;
	size_t busy_until;  /* no unit may start its span before this */
	size_t nanchors, anchored;
};

static void fill_random(char *buf, size_t n, uint64_t *st)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t r = t_rand(st);
		unsigned k = (unsigned)(r % 100);
		if (k < 2)
			buf[i] = '\n';
		else if (k == 2 && i + 1 < n) {
			buf[i++] = '\r';
			buf[i] = '\n';
		} else if (k < 16)
			buf[i] = ' ';
		else
			buf[i] = (char)('a' + (r >> 8) % 26);
	}
}

/* Plant a unit with its secret at off, if its span is free. */
static bool plant(struct plan *pl, int type, size_t off, uint64_t *st)
{
	static const char alnum[] = "ABCDEFGHJ0123456789";  /* no 'T': never a nested TOK */
	static const char hex[] = "0123456789ABCDEF";
	size_t pre = unit_prefix[type], len = unit_len[type];

	if (off < pre + 1 || off + len + 1 > pl->len)
		return false;
	size_t span0 = off - pre - 1, span1 = off + len + 1;
	if (span0 < pl->busy_until)
		return false;
	char *d = pl->data;
	d[span0] = ' ';
	d[span1 - 1] = ' ';
	if (type == U_KW)
		memcpy(d + off - pre, "apikey=", pre);
	if (type == U_KEY) {
		memcpy(d + off, "KEY", 3);
		d[off + 3] = '_';
		for (size_t i = 4; i < len; i++)
			d[off + i] = alnum[t_rand(st) % (sizeof alnum - 1)];
	} else if (type == U_TOK) {
		memcpy(d + off, "TOK", 3);
		for (size_t i = 3; i < len; i++)
			d[off + i] = alnum[t_rand(st) % (sizeof alnum - 1)];
	} else {
		memcpy(d + off, "KW", 2);
		for (size_t i = 2; i < len; i++)
			d[off + i] = hex[t_rand(st) % 16];
	}
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 256;
		pl->p = realloc(pl->p, pl->cap * sizeof *pl->p);
		cr_assert_not_null(pl->p);
	}
	pl->p[pl->n].type = type;
	pl->p[pl->n].off = off;
	pl->n++;
	pl->busy_until = span1;
	return true;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* Where the stream's segment machinery cuts: buffer starts (k*seg), window
 * edges (k*seg + back), buffer ends, the hit floor, and multiples of
 * seg - back. */
static size_t anchors(const struct fx *x, size_t len, size_t *out, size_t max)
{
	size_t seg = (size_t)x->caps[MP_CAP_SEGMENT_SIZE], back = x->eng.back, fwd = x->eng.fwd, n = 0;

	for (size_t k = 1; k * seg < len; k++) {
		size_t c[] = {k * seg, k * seg + back, k * seg + back + fwd, k * seg + back - MP_CONTEXT_RADIUS,
			      k * seg - back, k * (seg - back), k * seg + 2 * back, k * seg + back - fwd,
			      k * (seg - back - fwd)};
		for (size_t i = 0; i < sizeof c / sizeof c[0] && n < max; i++)
			if (c[i] > 64 && c[i] + 64 < len)
				out[n++] = c[i];
	}
	qsort(out, n, sizeof *out, cmp_size);
	size_t u = 0;  /* drop coincident anchors (back == fwd makes several) */
	for (size_t i = 0; i < n; i++)
		if (u == 0 || out[i] != out[u - 1])
			out[u++] = out[i];
	return u;
}

/* Build an object with units at every anchor (secret start or end at
 * anchor + delta) and more at random places, then fill in lines. */
static void make_plan(struct plan *pl, const struct fx *x, size_t len, int type, bool at_end, int delta,
		      uint64_t seed)
{
	uint64_t st = seed;
	size_t an[128];
	size_t na = anchors(x, len, an, 128);

	memset(pl, 0, sizeof *pl);
	pl->len = len;
	pl->data = malloc(len + 1);
	cr_assert_not_null(pl->data);
	fill_random(pl->data, len, &st);
	pl->data[len] = '\0';
	pl->nanchors = na;
	size_t next_random = 100;
	for (size_t i = 0; i <= na; i++) {
		size_t limit = i < na ? an[i] - 80 : len;
		while (next_random < limit) {
			plant(pl, (int)(t_rand(&st) % U__COUNT), next_random, &st);
			next_random += 500 + (size_t)(t_rand(&st) % 6000);
		}
		if (i < na) {
			size_t off = (size_t)((long)an[i] + delta) - (at_end ? unit_len[type] : 0);
			pl->anchored += plant(pl, type, off, &st);
			if (next_random < pl->busy_until + 40)
				next_random = pl->busy_until + 40;
		}
	}
	/* Expected positions, from the final bytes. */
	uint64_t line = 1, ls = 0;
	size_t pos = 0;
	for (size_t i = 0; i < pl->n; i++) {
		for (; pos < pl->p[i].off; pos++)
			if (pl->data[pos] == '\n') {
				line++;
				ls = pos + 1;
			}
		pl->p[i].line = line;
		pl->p[i].column = pl->p[i].off - ls + 1;
	}
}

static void plan_free(struct plan *pl)
{
	free(pl->data);
	free(pl->p);
}

static int cmp_cfind(const void *a, const void *b)
{
	const struct cfind *x = a, *y = b;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

/* Deep copy of the collected findings, sorted. */
static struct cfind *snapshot(const struct coll *c, size_t *n)
{
	struct cfind *v = calloc(c->nf ? c->nf : 1, sizeof *v);

	cr_assert_not_null(v);
	for (size_t i = 0; i < c->nf; i++) {
		v[i] = c->f[i];
		v[i].secret = strdup(c->f[i].secret);
		v[i].redacted = strdup(c->f[i].redacted);
		v[i].context = strdup(c->f[i].context);
	}
	qsort(v, c->nf, sizeof *v, cmp_cfind);
	*n = c->nf;
	return v;
}

static void snapshot_free(struct cfind *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].secret);
		free(v[i].redacted);
		free(v[i].context);
	}
	free(v);
}

static void check_against_plan(const struct coll *c, const struct plan *pl, const char *what)
{
	if (c->nf != pl->n)
		dump(c);
	cr_assert_eq(c->nf, pl->n, "%s: %zu findings for %zu planted secrets", what, c->nf, pl->n);
	for (size_t i = 0; i < pl->n; i++) {
		const struct planted *p = &pl->p[i];
		const struct cfind *f = find_at(c, unit_rule[p->type], p->off);
		cr_assert_not_null(f, "%s: %s planted at %zu not reported", what, unit_rule[p->type], p->off);
		cr_assert_eq(f->length, unit_len[p->type], "%s: at %zu", what, p->off);
		cr_assert_eq(memcmp(f->secret, pl->data + p->off, unit_len[p->type]), 0);
		cr_assert_eq(f->line, p->line, "%s: at %zu line %llu, want %llu", what, p->off,
			     (unsigned long long)f->line, (unsigned long long)p->line);
		cr_assert_eq(f->column, p->column, "%s: at %zu column %llu, want %llu", what, p->off,
			     (unsigned long long)f->column, (unsigned long long)p->column);
		cr_assert_eq(f->end_line, p->line);
		cr_assert_eq(f->end_column, p->column + unit_len[p->type]);
	}
	cr_assert_eq(c->nn, 0, "%s: unexpected notice", what);
}

static void check_same(const struct cfind *a, size_t na, const struct cfind *b, size_t nb, bool with_context,
		       const char *what)
{
	cr_assert_eq(na, nb, "%s", what);
	for (size_t i = 0; i < na; i++) {
		cr_assert_str_eq(a[i].rule, b[i].rule, "%s", what);
		cr_assert_eq(a[i].offset, b[i].offset, "%s", what);
		cr_assert_eq(a[i].length, b[i].length, "%s", what);
		cr_assert_eq(a[i].line, b[i].line, "%s", what);
		cr_assert_eq(a[i].column, b[i].column, "%s", what);
		cr_assert_eq(a[i].end_line, b[i].end_line, "%s", what);
		cr_assert_eq(a[i].end_column, b[i].end_column, "%s", what);
		cr_assert_eq(a[i].conf, b[i].conf, "%s", what);
		cr_assert_str_eq(a[i].redacted, b[i].redacted, "%s", what);
		cr_assert_str_eq(a[i].fingerprint, b[i].fingerprint, "%s", what);
		if (with_context)
			cr_assert_str_eq(a[i].context, b[i].context, "%s: offset %llu", what,
					 (unsigned long long)a[i].offset);
	}
}

static void small_segment_caps(uint64_t caps[MP_CAP__COUNT])
{
	mp_caps_defaults(caps);
	caps[MP_CAP_SEGMENT_SIZE] = mp_cap_defs[MP_CAP_SEGMENT_SIZE].min;
	caps[MP_CAP_MATCH_WIDTH] = mp_cap_defs[MP_CAP_MATCH_WIDTH].min;
}

static const size_t sz_1[] = {1};
static const size_t sz_7[] = {7};
static const size_t sz_4093[] = {4093};
static const size_t sz_mix[] = {1, 7, 4093, 7, 1, 65536, 3};

struct reader_kind {
	const size_t *sizes;
	size_t n;
	const char *name;
};

static const struct reader_kind readers[] = {
	{sz_1, 1, "1-byte reads"},
	{sz_7, 1, "7-byte reads"},
	{sz_4093, 1, "4093-byte reads"},
	{sz_mix, sizeof sz_mix / sizeof sz_mix[0], "mixed reads"},
	{NULL, 0, "whole reads"},
};

static void stream_round(struct fx *x, int type, bool at_end, int delta, const struct reader_kind *rk,
			 bool with_context)
{
	struct plan pl;
	size_t seg = (size_t)x->caps[MP_CAP_SEGMENT_SIZE];
	size_t len = 4 * seg + 7777;
	char what[128];
	uint64_t bytes = 0;

	snprintf(what, sizeof what, "%s %s %+d, %s", unit_rule[type], at_end ? "end" : "start", delta, rk->name);
	make_plan(&pl, x, len, type, at_end, delta, 0x9e3779b97f4a7c15ull ^ (uint64_t)(type * 131 + delta * 7 + at_end));
	cr_assert_gt(pl.n, 100, "%s: too few units planted", what);
	cr_assert_eq(pl.anchored, pl.nanchors, "%s: only %zu of %zu anchors planted", what, pl.anchored,
		     pl.nanchors);
	cr_log_info("%s: %zu units, %zu of %zu anchors", what, pl.n, pl.anchored, pl.nanchors);

	coll_clear(&x->c);
	uint64_t nm = mp_scan_mem(x->sc, &x->loc, pl.data, pl.len);
	cr_assert_eq(nm, pl.n, "%s (mem)", what);
	check_against_plan(&x->c, &pl, "mem");
	size_t nmem;
	struct cfind *mem = snapshot(&x->c, &nmem);

	uint64_t ns = scan_stream(x, pl.data, pl.len, rk->sizes, rk->n, &bytes);
	cr_assert_eq(bytes, len, "%s: bytes read", what);
	cr_assert_eq(ns, pl.n, "%s (stream)", what);
	check_against_plan(&x->c, &pl, what);
	size_t nstr;
	struct cfind *str = snapshot(&x->c, &nstr);
	check_same(mem, nmem, str, nstr, with_context, what);

	snapshot_free(mem, nmem);
	snapshot_free(str, nstr);
	plan_free(&pl);
}

Test(stream, secrets_across_segment_boundaries_reported_once, .timeout = 300)
{
	struct fx x;
	uint64_t caps[MP_CAP__COUNT];
	int round = 0;

	small_segment_caps(caps);
	fx_init(&x, caps, false, R_KEY, R_TOK, R_KW, NULL);
	for (int type = 0; type < U__COUNT; type++)
		for (int at_end = 0; at_end < 2; at_end++)
			for (int delta = -3; delta <= 3; delta++, round++)
				stream_round(&x, type, at_end, delta,
					     &readers[(size_t)round % (sizeof readers / sizeof readers[0])], false);
	fx_free(&x);
}

Test(stream, every_reader_gives_the_same_findings, .timeout = 300)
{
	struct fx x;
	uint64_t caps[MP_CAP__COUNT];

	small_segment_caps(caps);
	fx_init(&x, caps, false, R_KEY, R_TOK, R_KW, NULL);
	for (size_t r = 0; r < sizeof readers / sizeof readers[0]; r++)
		stream_round(&x, U_KW, true, 0, &readers[r], false);
	fx_free(&x);
}

Test(stream, contexts_equal_mem_across_boundaries, .timeout = 300)
{
	struct fx x;
	uint64_t caps[MP_CAP__COUNT];

	small_segment_caps(caps);
	fx_init(&x, caps, false, R_KEY, R_TOK, R_KW, NULL);
	for (int type = 0; type < U__COUNT; type++)
		for (int delta = -3; delta <= 3; delta++)
			stream_round(&x, type, delta % 2 != 0, delta, &readers[4], true);
	fx_free(&x);
}

Test(stream, line_numbers_across_many_segments, .timeout = 120)
{
	struct fx x;
	uint64_t caps[MP_CAP__COUNT];
	size_t seg = 256u << 10, len = 3 * seg + 1000;
	char *data = malloc(len);
	char *k = key_value("LINE0000NUMB1234");
	uint64_t bytes;

	small_segment_caps(caps);
	fx_init(&x, caps, false, R_KEY, NULL);
	cr_assert_not_null(data);
	/* Short lines, so every segment starts deep inside the line count. */
	for (size_t i = 0; i < len; i++)
		data[i] = i % 4 == 3 ? '\n' : 'a';
	size_t offs[] = {seg - 10, 2 * seg + x.eng.back - 10, len - 30};
	for (size_t i = 0; i < 3; i++) {
		size_t o = offs[i] - offs[i] % 4;  /* start of a line */
		data[o] = ' ';
		memcpy(data + o + 1, k, 20);
		data[o + 21] = ' ';
		data[o + 22] = '\n';
		offs[i] = o + 1;
	}
	uint64_t n = scan_stream(&x, data, len, sz_mix, sizeof sz_mix / sizeof sz_mix[0], &bytes);
	cr_assert_eq(n, 3);
	for (size_t i = 0; i < 3; i++) {
		uint64_t want_line = 1;
		for (size_t j = 0; j < offs[i]; j++)
			want_line += data[j] == '\n';
		const struct cfind *f = find_at(&x.c, "t.key", offs[i]);
		cr_assert_not_null(f);
		cr_assert_eq(f->line, want_line);
		cr_assert_eq(f->column, 2);
	}
	fx_free(&x);
	free(k);
	free(data);
}

Test(stream, findings_cap_in_a_stream)
{
	struct fx x;
	uint64_t caps[MP_CAP__COUNT];
	char *keys[10];
	char *text = ten_keys(keys);
	uint64_t bytes;

	mp_caps_defaults(caps);
	caps[MP_CAP_FINDINGS_PER_OBJECT] = 3;
	fx_init(&x, caps, false, R_KEY, NULL);
	cr_assert_eq(scan_stream(&x, text, strlen(text), sz_7, 1, &bytes), 3);
	cr_assert_eq(x.c.nf, 3);
	cr_assert_eq(count_kind(&x.c, "limit"), 1);
	cr_assert_eq(x.c.nn, 1);
	fx_free(&x);
	for (int i = 0; i < 10; i++)
		free(keys[i]);
	free(text);
}

Test(stream, read_error_becomes_notice)
{
	struct fx x;
	char *k1 = key_value("AAAA1111BBBB2222");
	char *k2 = key_value("CCCC3333DDDD4444");
	char *text = t_cat("a ", k1, " b\n", "c ", k2, " d\n", NULL);
	struct chunk_reader cr = {.data = text, .len = strlen(text), .sizes = sz_7, .nsizes = 1,
				  .fail_at = offset_of(text, k2) + 5};
	struct mp_reader rd = {.read = chunk_read, .error = chunk_error, .ctx = &cr};
	uint64_t bytes = 0;

	fx_init(&x, NULL, false, R_KEY, NULL);
	cr_assert_eq(mp_scan_stream(x.sc, &x.loc, &rd, &bytes), 1);
	cr_assert_str_eq(x.c.f[0].secret, k1, "what was read before the error is scanned");
	cr_assert_eq(count_kind(&x.c, "read-error"), 1);
	cr_assert_not_null(strstr(x.c.n[0].msg, "injected failure"), "%s", x.c.n[0].msg);
	cr_assert_eq(bytes, cr.fail_at);
	fx_free(&x);
	free(k1);
	free(k2);
	free(text);
}

Test(stream, empty_stream)
{
	struct fx x;
	uint64_t bytes = 99;

	fx_init(&x, NULL, false, R_KEY, NULL);
	cr_assert_eq(scan_stream(&x, "", 0, sz_7, 1, &bytes), 0);
	cr_assert_eq(bytes, 0);
	cr_assert_eq(x.c.nf, 0);
	cr_assert_eq(x.c.nn, 0);
	fx_free(&x);
}

Test(stream, scanner_reusable_across_objects)
{
	struct fx x;
	char *k1 = key_value("AAAA1111BBBB2222");
	char *text = t_cat("\n\n", k1, "\n", NULL);
	uint64_t bytes;

	fx_init(&x, NULL, false, R_KEY, NULL);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(scan_stream(&x, text, strlen(text), sz_4093, 1, &bytes), 1);
		cr_assert_eq(x.c.f[0].line, 3, "line numbers restart with each object");
		cr_assert_eq(scan_str(&x, text), 1);
		cr_assert_eq(x.c.f[0].line, 3);
	}
	fx_free(&x);
	free(k1);
	free(text);
}

/* Regression: in a stream, a secret ending in the previous window within
 * width + MP_CONTEXT_RADIUS of r0 was not a candidate, so a finding just
 * after r0 showed it in clear in its context. Stream and mem must agree. */
Test(stream, context_masks_secret_from_previous_window)
{
	struct fx x;
	uint64_t caps[MP_CAP__COUNT];
	uint64_t bytes;

	small_segment_caps(caps);
	fx_init(&x, caps, false, R_KEY, R_LONG, NULL);
	size_t seg = (size_t)caps[MP_CAP_SEGMENT_SIZE], len = 2 * seg;
	size_t edge = seg + x.eng.back;  /* where the first window ends */
	char *data = malloc(len);
	char *a = key_value("AAAA1111BBBB2222");
	char *b = t_cat("LONG", "0123456789", "ABCDEFGHJK", "0123456789", "ABCDEF", NULL);

	cr_assert_not_null(data);
	cr_assert_eq(strlen(b), 40);
	memset(data, 'x', len);
	for (size_t i = 100; i < len; i += 400)
		data[i] = '\n';
	/* a ends 65 bytes before the edge; b starts 30 before it and ends after it. */
	size_t ao = edge - 85, bo = edge - 30;
	data[ao - 1] = ' ';
	memcpy(data + ao, a, 20);
	data[ao + 20] = ' ';
	data[bo - 1] = ' ';
	memcpy(data + bo, b, 40);
	data[bo + 40] = ' ';
	for (size_t i = ao - 100; i < bo + 100; i++)
		cr_assert_neq(data[i], '\n', "the two secrets must share a line");

	cr_assert_eq(mp_scan_mem(x.sc, &x.loc, data, len), 2);
	const struct cfind *fm = find_at(&x.c, "t.long", bo);
	cr_assert_not_null(fm);
	cr_assert_null(strstr(fm->context, a), "mem context leaks a secret");
	char *mem_ctx = strdup(fm->context);

	cr_assert_eq(scan_stream(&x, data, len, sz_4093, 1, &bytes), 2);
	const struct cfind *fs = find_at(&x.c, "t.long", bo);
	cr_assert_not_null(fs);
	cr_assert_null(strstr(fs->context, a), "stream context shows another secret in clear: %s", fs->context);
	cr_assert_str_eq(fs->context, mem_ctx);
	free(mem_ctx);
	free(a);
	free(b);
	free(data);
	fx_free(&x);
}

/* ---- yielding rules ---- */

Test(scan, yielding_rule_gives_way_only_to_a_finding)
{
	struct fx x;
	/* 4539 1488 0343 6467 passes Luhn; the last digit changed fails it. */
	char *good = t_cat("4539", "1488", "0343", "6467", NULL);
	char *bad = t_cat("4539", "1488", "0343", "6468", NULL);
	char *text = t_cat("a ", good, " b ", bad, "\n", NULL);

	fx_init(&x, NULL, false, R_CARD, R_DIGITS16, NULL);
	scan_str(&x, text);
	dump(&x.c);
	cr_assert_eq(x.c.nf, 2);
	cr_assert_not_null(find_at(&x.c, "t.card", offset_of(text, good)), "the valid card");
	cr_assert_null(find_at(&x.c, "t.digits16", offset_of(text, good)),
		       "the yielding rule gives way to the card finding");
	cr_assert_not_null(find_at(&x.c, "t.digits16", offset_of(text, bad)),
			   "a card match that fails Luhn is no finding, so it hides nothing");
	cr_assert_null(find_at(&x.c, "t.card", offset_of(text, bad)));
	fx_free(&x);
	free(good);
	free(bad);
	free(text);
}

/* ---- findings-per-rule ---- */

Test(scan, findings_per_rule_counts_the_rest)
{
	struct fx x;
	uint64_t caps[MP_CAP__COUNT];
	char *keys[10];
	char *text = ten_keys(keys);
	char *tok = t_cat(text, "TOKABCDEFGH12\n", NULL);

	mp_caps_defaults(caps);
	caps[MP_CAP_FINDINGS_PER_RULE] = 3;
	fx_init(&x, caps, false, R_KEY, R_TOK, NULL);
	x.c.unreported = 0;
	cr_assert_eq(scan_str(&x, tok), 4, "three keys and the token are written");
	cr_assert_eq(count_rule(&x.c, "t.key"), 3);
	cr_assert_eq(count_rule(&x.c, "t.tok"), 1, "another rule in the same object is not held back");
	for (int i = 0; i < 3; i++)
		cr_assert_str_eq(x.c.f[i].secret, keys[i], "the first three are written");
	cr_assert_eq(x.c.unreported, 7, "the other seven keys are counted");
	cr_assert_eq(x.c.nn, 1);
	cr_assert_str_eq(x.c.n[0].kind, "limit");
	cr_assert_not_null(strstr(x.c.n[0].msg, "findings-per-rule limit (3)"), "%s", x.c.n[0].msg);
	cr_assert_not_null(strstr(x.c.n[0].msg, "t.key 7"), "%s", x.c.n[0].msg);

	/* The count starts again with the next object. */
	x.c.unreported = 0;
	char *three = t_cat(keys[0], "\n", keys[1], "\n", keys[2], "\n", NULL);
	cr_assert_eq(scan_str(&x, three), 3);
	cr_assert_eq(x.c.unreported, 0);
	cr_assert_eq(x.c.nn, 0, "exactly at the limit: no notice");

	/* 0: count only. */
	fx_free(&x);
	caps[MP_CAP_FINDINGS_PER_RULE] = 0;
	fx_init(&x, caps, false, R_KEY, NULL);
	x.c.unreported = 0;
	cr_assert_eq(scan_str(&x, text), 0);
	cr_assert_eq(x.c.unreported, 10);
	fx_free(&x);
	free(three);
	free(tok);
	free(text);
	for (int i = 0; i < 10; i++)
		free(keys[i]);
}

Test(scan, rule_set_of_digit_rules_only)
{
	struct fx x;
	char *good = t_cat("4539", "1488", "0343", "6467", NULL);
	char *text = t_cat("card ", good, "\n", NULL);

	/* Vectorscan gets no pattern of these rules: the database still builds. */
	fx_init(&x, NULL, false, R_DIGITRUN, NULL);
	cr_assert(x.rs.rules[0].digit_run);
	cr_assert_eq(scan_str(&x, text), 1);
	cr_assert_not_null(find_at(&x.c, "t.digitrun", offset_of(text, good)));
	fx_free(&x);
	free(good);
	free(text);
}

Test(scan, delimiters_shared_by_two_matches_do_not_merge_them)
{
	struct fx x;
	char *good = t_cat("4539", "1488", "0343", "6467", NULL);
	char *bad = t_cat("4539", "1488", "0343", "6468", NULL);
	/* Each match consumes the space between the two numbers. */
	char *text = t_cat(bad, " ", good, " ", good, "\n", NULL);

	fx_init(&x, NULL, false, R_CARDDELIM, NULL);
	scan_str(&x, text);
	dump(&x.c);
	cr_assert_eq(x.c.nf, 2, "a failing first match must not hide the next one");
	cr_assert_eq(x.c.f[0].offset, 17);
	cr_assert_eq(x.c.f[1].offset, 34);
	fx_free(&x);
	free(good);
	free(bad);
	free(text);
}

Test(scan, generic_rules_give_way_to_yielding_containers)
{
	struct fx x;
	const char *text = "pass=Ab3dEf6hIj9k word=Zy8xWv7uTs6r\n";

	/* Both yield, but a generic rule yields to a container rule. */
	fx_init(&x, NULL, false, R_CONTAINER, R_GENERIC, NULL);
	scan_str(&x, text);
	dump(&x.c);
	cr_assert_eq(x.c.nf, 2);
	cr_assert_not_null(find_at(&x.c, "t.container", 5), "the container rule reports the password");
	cr_assert_null(find_at(&x.c, "t.generic", 5), "the generic rule gives way to it");
	cr_assert_not_null(find_at(&x.c, "t.generic", 23), "and still reports what nobody else does");
	fx_free(&x);
}

/* ---- per-object options: binary content, UTF-16 text ---- */

Test(options, no_pii_drops_pii_rules_for_one_object)
{
	struct fx x;
	char *k = key_value("AAAA1111BBBB2222");
	char *text = t_cat("card 4111", "1111", "1111", "1111 and ", k, "\n", NULL);

	fx_init(&x, NULL, false, R_KEY, R_PIICARD, NULL);
	mp_scanner_next_object(x.sc, MP_SCAN_NO_PII);
	cr_assert_eq(mp_scan_mem(x.sc, &x.loc, text, strlen(text)), 1);
	cr_assert_str_eq(x.c.f[0].rule, "t.key");
	coll_clear(&x.c);
	/* The option ended with that object. */
	cr_assert_eq(mp_scan_mem(x.sc, &x.loc, text, strlen(text)), 2);
	fx_free(&x);
	free(k);
	free(text);
}

/* UTF-8 to UTF-16 (test-side, independent of text.c): out must hold
 * 4 * strlen(s) + 2 bytes. Returns the bytes written. */
static size_t to_utf16(const char *s, bool be, bool bom, unsigned char *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k = 0;
	uint32_t units[2];

	if (bom) {
		out[k++] = be ? 0xfe : 0xff;
		out[k++] = be ? 0xff : 0xfe;
	}
	while (*p) {
		uint32_t c;
		int n = 0;
		if (*p < 0x80)
			c = *p++;
		else if (*p < 0xe0)
			c = (uint32_t)(*p++ & 0x1f), n = 1;
		else if (*p < 0xf0)
			c = (uint32_t)(*p++ & 0x0f), n = 2;
		else
			c = (uint32_t)(*p++ & 0x07), n = 3;
		while (n-- > 0)
			c = c << 6 | (uint32_t)(*p++ & 0x3f);
		int nu = 1;
		if (c >= 0x10000) {
			units[0] = 0xd800 + ((c - 0x10000) >> 10);
			units[1] = 0xdc00 + ((c - 0x10000) & 0x3ff);
			nu = 2;
		} else {
			units[0] = c;
		}
		for (int i = 0; i < nu; i++) {
			out[k++] = (unsigned char)(be ? units[i] >> 8 : units[i] & 0xff);
			out[k++] = (unsigned char)(be ? units[i] & 0xff : units[i] >> 8);
		}
	}
	return k;
}

/* Where needle's UTF-16 form first occurs in the UTF-16 bytes u. */
static size_t u16_find(const unsigned char *u, size_t n, const char *needle, bool be)
{
	unsigned char nb[256];
	size_t m = to_utf16(needle, be, false, nb);

	for (size_t i = 0; i + m <= n; i += 2)
		if (memcmp(u + i, nb, m) == 0)
			return i;
	cr_assert_fail("%s not in the UTF-16 data", needle);
	return 0;
}

static void utf16_round(struct fx *x, const char *text, bool be, bool bom, const struct reader_kind *rk)
{
	size_t len = strlen(text);
	unsigned char *u = malloc(4 * len + 2);
	size_t n;
	struct chunk_reader cr;
	struct mp_reader src, rd;
	struct mp_utf16 *t = malloc(sizeof *t);
	uint64_t bytes = 0;

	cr_assert_not_null(u);
	cr_assert_not_null(t);
	n = to_utf16(text, be, bom, u);
	memset(&cr, 0, sizeof cr);
	cr.data = (const char *)u;
	cr.len = n;
	cr.sizes = rk->sizes;
	cr.nsizes = rk->n;
	src = (struct mp_reader){.read = chunk_read, .error = chunk_error, .ctx = &cr};
	mp_utf16_init(t, &src, be);
	rd = mp_utf16_reader(t);
	coll_clear(&x->c);
	x->c.utf16 = true;
	mp_scanner_next_object(x->sc, MP_SCAN_UTF16);
	mp_scan_stream(x->sc, &x->loc, &rd, &bytes);
	cr_assert_eq(x->c.nf, 3, "%s: %zu findings", rk->name, x->c.nf);
	for (size_t i = 0; i < x->c.nf; i++) {
		const struct cfind *f = &x->c.f[i];
		size_t off = u16_find(u, n, f->secret, be);
		/* The line's start in the original: just past the last '\n' unit. */
		size_t ls = 0;
		for (size_t j = 0; j + 2 <= off; j += 2)
			if (u[j + (be ? 1 : 0)] == '\n' && u[j + (be ? 0 : 1)] == 0)
				ls = j + 2;
		cr_assert_eq(f->offset, off, "%s: %s at %llu, want %zu", rk->name, f->secret,
			     (unsigned long long)f->offset, off);
		cr_assert_eq(f->length, 2 * strlen(f->secret));
		cr_assert_eq(f->column, off - ls + 1, "%s: column %llu, want %zu", rk->name,
			     (unsigned long long)f->column, off - ls + 1);
		cr_assert_eq(f->end_column, f->column + f->length);
	}
	x->c.utf16 = false;
	free(t);
	free(u);
}

Test(options, utf16_positions_point_into_the_original)
{
	uint64_t caps[MP_CAP__COUNT];
	struct fx x;
	char *k1 = key_value("AAAA1111BBBB2222");
	char *k2 = key_value("CCCC3333DDDD4444");
	char *k3 = key_value("EEEE5555FFFF6666");
	/* Characters of 1, 2, 3 and 4 UTF-8 bytes (the last a surrogate pair)
	 * before the keys, and enough of them to cross segments. */
	size_t fill = 400000, at = 0;
	char *text = malloc(fill + 512);
	static const char *const pieces[] = {"a", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "\n", " "};

	cr_assert_not_null(text);
	at += (size_t)sprintf(text, "h\xc3\xa9llo %s\n", k1);
	for (uint64_t r = 7; at < fill;)
		at += (size_t)sprintf(text + at, "%s", pieces[t_rand(&r) % 6]);
	at += (size_t)sprintf(text + at, " \xe4\xb8\xad %s\n\xf0\x9f\x98\x80 %s", k2, k3);
	small_segment_caps(caps);
	fx_init(&x, caps, false, R_KEY, NULL);
	for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++) {
		utf16_round(&x, text, false, true, &readers[i]);
		utf16_round(&x, text, true, false, &readers[i]);
	}
	fx_free(&x);
	free(text);
	free(k1);
	free(k2);
	free(k3);
}

/* A consumer that drops what it already knows (a baseline, lines a commit
 * does not add): the first `known` keys. Only what it keeps counts towards
 * findings-per-rule. */
struct dropper {
	struct coll c;
	char *known[10];
	size_t nknown;
	size_t kept_past_cap;
};

static bool dropper_knows(struct dropper *d, const struct mp_finding *f)
{
	for (size_t i = 0; i < d->nknown; i++)
		if (f->secret_len == strlen(d->known[i]) && memcmp(f->secret, d->known[i], f->secret_len) == 0)
			return true;
	return false;
}

static bool dropper_finding(void *ctx, const struct mp_loc *loc, const struct mp_finding *f)
{
	struct dropper *d = ctx;

	if (dropper_knows(d, f))
		return false;
	return on_finding(&d->c, loc, f);
}

static bool dropper_keep(void *ctx, const struct mp_loc *loc, const struct mp_finding *f)
{
	struct dropper *d = ctx;

	(void)loc;
	cr_assert_neq(f->line, 0, "position is set for the filters");
	cr_assert_eq(strncmp(f->fingerprint, "sha256:", 7), 0, "so is the fingerprint");
	if (dropper_knows(d, f))
		return false;
	d->kept_past_cap++;
	return true;
}

Test(scan, findings_per_rule_counts_only_what_the_consumer_keeps)
{
	struct fx x;
	uint64_t caps[MP_CAP__COUNT];
	char *keys[10];
	char *text = ten_keys(keys);
	struct dropper d;

	memset(&d, 0, sizeof d);
	for (int i = 0; i < 6; i++)
		d.known[d.nknown++] = keys[i];
	mp_caps_defaults(caps);
	caps[MP_CAP_FINDINGS_PER_RULE] = 3;
	fx_init(&x, caps, false, R_KEY, NULL);
	struct mp_emit emit = {.finding = dropper_finding,
			       .notice = on_notice,
			       .unreported = on_unreported,
			       .keep = dropper_keep,
			       .ctx = &d};
	struct mp_scanner *sc = mp_scanner_new(&x.eng, &emit);
	cr_assert_not_null(sc);
	mp_scan_mem(sc, &x.loc, text, strlen(text));
	/* Six known keys do not use up the cap: keys 6, 7 and 8 are written,
	 * key 9 is past the cap and counted. */
	cr_assert_eq(d.c.nf, 3);
	for (int i = 0; i < 3; i++)
		cr_assert_str_eq(d.c.f[i].secret, keys[6 + i]);
	cr_assert_eq(d.c.unreported, 1);
	cr_assert_eq(d.kept_past_cap, 1);
	mp_scanner_free(sc);
	coll_free(&d.c);
	fx_free(&x);
	free(text);
	for (int i = 0; i < 10; i++)
		free(keys[i]);
}
