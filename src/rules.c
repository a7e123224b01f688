/* rules.c - reading rule files with libyaml's document API. */
#include "mp_config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "buf.h"
#include "log.h"
#include "rules.h"
#include "validate.h"

#define RULE_FILE_MAX (16u << 20) /* a rule file larger than this is refused */

static const char *const category_names[] = {"secret", "pii", "generic"};
static const char *const severity_names[] = {"info", "low", "medium", "high", "critical"};
static const char *const confidence_names[] = {"", "low", "medium", "high"};

const char *mp_category_name(enum mp_category c)
{
	return category_names[c];
}
const char *mp_severity_name(enum mp_severity s)
{
	return severity_names[s];
}
const char *mp_confidence_name(enum mp_confidence c)
{
	return confidence_names[c];
}

static int lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

int mp_confidence_parse(const char *s, enum mp_confidence *out)
{
	int i = lookup(confidence_names, 4, s);
	if (i < 1)
		return -1;
	*out = (enum mp_confidence)i;
	return 0;
}

int mp_severity_parse(const char *s, enum mp_severity *out)
{
	int i = lookup(severity_names, MP_SEV__COUNT, s);
	if (i < 0)
		return -1;
	*out = (enum mp_severity)i;
	return 0;
}

void mp_rules_add_error(struct mp_ruleset *rs, const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	char *full;
	char **v;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (asprintf(&full, "%s:%d: %s", file, line, msg) < 0)
		return;
	v = realloc(rs->errors, (rs->nerrors + 1) * sizeof *v);
	if (v == NULL) {
		free(full);
		return;
	}
	rs->errors = v;
	v[rs->nerrors++] = full;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void rule_free(struct mp_rule *r)
{
	free(r->id);
	free(r->name);
	free(r->pattern);
	free(r->description);
	free_strv(r->keywords, r->nkeywords);
	free_strv(r->neg_keywords, r->nneg_keywords);
	free_strv(r->test_values, r->ntest_values);
	free_strv(r->examples, r->nexamples);
	free_strv(r->negatives, r->nnegatives);
	free(r->file);
	struct mp_rx *rx = atomic_load(&r->rx);
	if (rx) {
		pcre2_code_free(rx->code);
		free(rx);
	}
	memset(r, 0, sizeof *r);
}

/* ---- YAML helpers ---- */

struct ctx {
	struct mp_ruleset *rs;
	yaml_document_t *doc;
	const char *file;
	int source;
	int failed; /* the current rule has an error */
};

static int line_of(yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

static const char *scalar(yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void rule_error(struct ctx *c, yaml_node_t *at, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void rule_error(struct ctx *c, yaml_node_t *at, const char *id, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (id)
		mp_rules_add_error(c->rs, c->file, line_of(at), "rule '%s': %s", id, msg);
	else
		mp_rules_add_error(c->rs, c->file, line_of(at), "%s", msg);
	c->failed = 1;
}

static char *want_string(struct ctx *c, yaml_node_t *v, const char *id, const char *key)
{
	const char *s = scalar(v);
	if (s == NULL) {
		rule_error(c, v, id, "'%s' must be a string", key);
		return NULL;
	}
	char *d = strdup(s);
	if (d == NULL)
		rule_error(c, v, id, "out of memory");
	return d;
}

/* A boolean: true/yes or false/no. */
static void want_bool(struct ctx *c, yaml_node_t *v, const char *id, const char *key, bool *out)
{
	const char *s = scalar(v);

	if (s && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0))
		*out = true;
	else if (s && (strcmp(s, "false") == 0 || strcmp(s, "no") == 0))
		*out = false;
	else
		rule_error(c, v, id, "'%s' must be true or false", key);
}

static int want_uint(struct ctx *c, yaml_node_t *v, const char *id, const char *key, unsigned long min,
		     unsigned long max, uint32_t *out)
{
	const char *s = scalar(v);
	char *end;
	unsigned long x;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		goto bad;
	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || x < min || x > max)
		goto bad;
	*out = (uint32_t)x;
	return 0;
bad:
	rule_error(c, v, id, "'%s' must be a whole number from %lu to %lu", key, min, max);
	return -1;
}

/* A sequence of strings. For examples, "{{}}" splice markers are removed. */
static int want_strv(struct ctx *c, yaml_node_t *v, const char *id, const char *key, int splice, int lower,
		     char ***out, size_t *nout)
{
	char **vec = NULL;
	size_t n = 0;

	if (v->type != YAML_SEQUENCE_NODE) {
		rule_error(c, v, id, "'%s' must be a list of strings", key);
		return -1;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);
		const char *s = e ? scalar(e) : NULL;
		if (s == NULL) {
			rule_error(c, e ? e : v, id, "'%s' must be a list of strings", key);
			free_strv(vec, n);
			return -1;
		}
		char **nv = realloc(vec, (n + 1) * sizeof *nv);
		char *d = strdup(s);
		if (nv == NULL || d == NULL) {
			free(d);
			free_strv(nv ? nv : vec, n);
			rule_error(c, v, id, "out of memory");
			return -1;
		}
		vec = nv;
		if (splice) {
			char *w = d;
			for (char *r = d; *r;) {
				if (strncmp(r, "{{}}", 4) == 0) {
					r += 4;
					continue;
				}
				*w++ = *r++;
			}
			*w = '\0';
		}
		if (lower)
			for (char *p = d; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		vec[n++] = d;
	}
	*out = vec;
	*nout = n;
	return 0;
}

static bool valid_id(const char *s)
{
	if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s)))
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '.' || *s == '-'))
			return false;
	return true;
}

static void parse_negative_keywords(struct ctx *c, yaml_node_t *v, struct mp_rule *r)
{
	bool have_words = false, have_distance = false;

	if (v->type != YAML_MAPPING_NODE) {
		rule_error(c, v, r->id, "'negative_keywords' must be a mapping with words and distance");
		return;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(c->doc, p->value);
		const char *key = scalar(k);
		if (key && strcmp(key, "words") == 0) {
			have_words = true;
			if (want_strv(c, val, r->id, "negative_keywords.words", 0, 1, &r->neg_keywords,
				      &r->nneg_keywords) == 0 &&
			    (r->nneg_keywords == 0 || r->nneg_keywords > MP_RULE_KEYWORDS_MAX))
				rule_error(c, val, r->id, "'negative_keywords.words' must hold 1 to %d words",
					   MP_RULE_KEYWORDS_MAX);
		} else if (key && strcmp(key, "distance") == 0) {
			have_distance = true;
			want_uint(c, val, r->id, "negative_keywords.distance", 1, MP_RULE_KW_DISTANCE_MAX,
				  &r->neg_distance);
		} else {
			rule_error(c, k, r->id, "unknown key 'negative_keywords.%s'", key ? key : "?");
		}
	}
	if (!have_words || !have_distance)
		rule_error(c, v, r->id, "'negative_keywords' needs words and distance");
}

static void parse_keywords(struct ctx *c, yaml_node_t *v, struct mp_rule *r)
{
	bool have_words = false, have_distance = false;

	if (v->type != YAML_MAPPING_NODE) {
		rule_error(c, v, r->id, "'keywords' must be a mapping with words, distance and required");
		return;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(c->doc, p->value);
		const char *key = scalar(k);
		if (key == NULL) {
			rule_error(c, k, r->id, "keys must be strings");
		} else if (strcmp(key, "words") == 0) {
			have_words = true;
			if (want_strv(c, val, r->id, "keywords.words", 0, 1, &r->keywords, &r->nkeywords) ==
			    0) {
				if (r->nkeywords == 0 || r->nkeywords > MP_RULE_KEYWORDS_MAX)
					rule_error(c, val, r->id, "'keywords.words' must hold 1 to %d words",
						   MP_RULE_KEYWORDS_MAX);
				for (size_t i = 0; i < r->nkeywords; i++) {
					yaml_node_t *e = yaml_document_get_node(
						c->doc, val->data.sequence.items.start[i]);
					if (r->keywords[i][0] == '\0' ||
					    strlen(r->keywords[i]) > MP_RULE_KEYWORD_LEN_MAX)
						rule_error(c, e ? e : val, r->id,
							   "'keywords.words' entries must be 1 to %d bytes",
							   MP_RULE_KEYWORD_LEN_MAX);
				}
			}
		} else if (strcmp(key, "distance") == 0) {
			have_distance = true;
			want_uint(c, val, r->id, "keywords.distance", 1, MP_RULE_KW_DISTANCE_MAX,
				  &r->kw_distance);
		} else if (strcmp(key, "required") == 0) {
			want_bool(c, val, r->id, "keywords.required", &r->kw_required);
		} else if (strcmp(key, "same_line") == 0) {
			want_bool(c, val, r->id, "keywords.same_line", &r->kw_same_line);
		} else {
			rule_error(c, k, r->id, "unknown key 'keywords.%s'", key);
		}
	}
	if (!have_words)
		rule_error(c, v, r->id, "'keywords' needs 'words'");
	if (!have_distance)
		rule_error(c, v, r->id, "'keywords' needs 'distance'");
}

static void parse_digits(struct ctx *c, yaml_node_t *v, struct mp_rule *r)
{
	bool have_min = false, have_max = false;

	if (v->type != YAML_MAPPING_NODE) {
		rule_error(c, v, r->id, "'digits' must be a mapping with min and max");
		return;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(c->doc, p->value);
		const char *key = scalar(k);
		if (key && strcmp(key, "min") == 0) {
			have_min = true;
			want_uint(c, val, r->id, "digits.min", 1, MP_RULE_DIGITS_MAX, &r->digits_min);
		} else if (key && strcmp(key, "max") == 0) {
			have_max = true;
			want_uint(c, val, r->id, "digits.max", 1, MP_RULE_DIGITS_MAX, &r->digits_max);
		} else {
			rule_error(c, k, r->id, "unknown key 'digits.%s'", key ? key : "?");
		}
	}
	if (!have_min || !have_max)
		rule_error(c, v, r->id, "'digits' needs min and max");
	else if (r->digits_min > r->digits_max)
		rule_error(c, v, r->id, "'digits.min' is larger than 'digits.max'");
}

static void parse_validators(struct ctx *c, yaml_node_t *v, struct mp_rule *r)
{
	if (v->type != YAML_SEQUENCE_NODE) {
		rule_error(c, v, r->id, "'validators' must be a list of strings");
		return;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);
		const char *name = e ? scalar(e) : NULL;
		int bit = name ? mp_validator_lookup(name) : -1;
		if (name == NULL)
			rule_error(c, e ? e : v, r->id, "'validators' must be a list of strings");
		else if (bit < 0)
			rule_error(c, e, r->id, "unknown validator '%s'", name);
		else
			r->validators |= 1u << bit;
	}
}

static void add_rule(struct ctx *c, struct mp_rule *r, yaml_node_t *at)
{
	struct mp_ruleset *rs = c->rs;
	long i = mp_rules_find(rs, r->id);

	if (i >= 0) {
		struct mp_rule *old = &rs->rules[i];
		if (old->source == r->source) {
			rule_error(c, at, r->id, "duplicate id (first defined at %s:%d)", old->file,
				   old->line);
			rule_free(r);
			return;
		}
		if (old->source > r->source) {
			/* A later source always wins, whatever the load order. */
			rule_free(r);
			return;
		}
		/* A later --rules source overrides the earlier definition. */
		rule_free(old);
		*old = *r;
		return;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct mp_rule *v = realloc(rs->rules, cap * sizeof *v);
		if (v == NULL) {
			rule_error(c, at, r->id, "out of memory");
			rule_free(r);
			return;
		}
		rs->rules = v;
		rs->cap = cap;
	}
	rs->rules[rs->n++] = *r;
}

static void parse_rule(struct ctx *c, yaml_node_t *node)
{
	struct mp_rule r;
	yaml_node_t *id_node = node;
	bool have_cat = false, have_sev = false;

	memset(&r, 0, sizeof r);
	r.confidence = MP_CONF_MEDIUM;
	r.source = c->source;
	c->failed = 0;
	if (node->type != YAML_MAPPING_NODE) {
		rule_error(c, node, NULL, "a rule must be a mapping");
		return;
	}
	/* Find the id first so that every message can name the rule. */
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		const char *key = scalar(k);
		if (key && strcmp(key, "id") == 0) {
			id_node = yaml_document_get_node(c->doc, p->value);
			r.id = want_string(c, id_node, NULL, "id");
		}
	}
	if (r.id == NULL) {
		if (!c->failed)
			rule_error(c, node, NULL, "rule without an 'id'");
		return;
	}
	if (!valid_id(r.id))
		rule_error(c, id_node, r.id, "id must be lowercase letters, digits, '.' and '-'");
	r.line = line_of(id_node);

	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		const char *key = scalar(k);
		const char *s = scalar(v);
		int idx;

		bool dup = false;
		for (yaml_node_pair_t *q = node->data.mapping.pairs.start; key && q < p; q++) {
			const char *prev = scalar(yaml_document_get_node(c->doc, q->key));
			dup = dup || (prev && strcmp(prev, key) == 0);
		}
		if (key == NULL) {
			rule_error(c, k, r.id, "keys must be strings");
		} else if (dup) {
			rule_error(c, k, r.id, "key '%s' given twice", key);
		} else if (strcmp(key, "id") == 0) {
			/* done above */
		} else if (strcmp(key, "name") == 0) {
			free(r.name);
			r.name = want_string(c, v, r.id, key);
		} else if (strcmp(key, "pattern") == 0) {
			free(r.pattern);
			r.pattern = want_string(c, v, r.id, key);
			if (r.pattern && r.pattern[0] == '\0')
				rule_error(c, v, r.id, "'pattern' is empty");
		} else if (strcmp(key, "category") == 0) {
			have_cat = true;
			if (s == NULL || (idx = lookup(category_names, MP_CAT__COUNT, s)) < 0)
				rule_error(c, v, r.id, "'category' must be secret, pii or generic");
			else
				r.category = (enum mp_category)idx;
		} else if (strcmp(key, "severity") == 0) {
			have_sev = true;
			if (s == NULL || (idx = lookup(severity_names, MP_SEV__COUNT, s)) < 0)
				rule_error(c, v, r.id,
					   "'severity' must be critical, high, medium, low or info");
			else
				r.severity = (enum mp_severity)idx;
		} else if (strcmp(key, "confidence") == 0) {
			if (s == NULL || mp_confidence_parse(s, &r.confidence) != 0)
				rule_error(c, v, r.id, "'confidence' must be high, medium or low");
		} else if (strcmp(key, "max_length") == 0) {
			want_uint(c, v, r.id, key, 1, UINT32_MAX, &r.max_length);
		} else if (strcmp(key, "keywords") == 0) {
			parse_keywords(c, v, &r);
		} else if (strcmp(key, "yields") == 0) {
			want_bool(c, v, r.id, "yields", &r.yields);
		} else if (strcmp(key, "negative_keywords") == 0) {
			parse_negative_keywords(c, v, &r);
		} else if (strcmp(key, "test_values") == 0) {
			want_strv(c, v, r.id, key, 1, 0, &r.test_values, &r.ntest_values);
		} else if (strcmp(key, "min_entropy") == 0) {
			char *end = NULL;
			r.min_entropy = s ? strtod(s, &end) : -1;
			if (s == NULL || *end != '\0' || !(r.min_entropy >= 0 && r.min_entropy <= 8))
				rule_error(c, v, r.id, "'min_entropy' must be a number from 0 to 8");
		} else if (strcmp(key, "digits") == 0) {
			parse_digits(c, v, &r);
		} else if (strcmp(key, "validators") == 0) {
			parse_validators(c, v, &r);
		} else if (strcmp(key, "examples") == 0) {
			want_strv(c, v, r.id, key, 1, 0, &r.examples, &r.nexamples);
		} else if (strcmp(key, "negative_examples") == 0) {
			want_strv(c, v, r.id, key, 1, 0, &r.negatives, &r.nnegatives);
		} else if (strcmp(key, "description") == 0) {
			const char *d = scalar(v);
			if (d == NULL)
				rule_error(c, v, r.id, "'description' must be a string");
			else if (r.description == NULL)
				r.description = strdup(d);
		} else if (strcmp(key, "references") == 0) {
			/* Free text for people; accepted and ignored. */
		} else {
			rule_error(c, k, r.id, "unknown key '%s'", key);
		}
	}
	if (r.name == NULL)
		rule_error(c, node, r.id, "missing 'name'");
	if (r.pattern == NULL)
		rule_error(c, node, r.id, "missing 'pattern'");
	if (!have_cat)
		rule_error(c, node, r.id, "missing 'category'");
	if (!have_sev)
		rule_error(c, node, r.id, "missing 'severity'");
	if (r.nexamples == 0)
		rule_error(c, node, r.id, "needs at least one entry in 'examples'");
	if (r.nnegatives == 0)
		rule_error(c, node, r.id, "needs at least one entry in 'negative_examples'");
	if (c->failed) {
		rule_free(&r);
		return;
	}
	if (r.category == MP_CAT_GENERIC)
		r.yields = true;
	r.file = strdup(c->file);
	if (r.file == NULL) {
		rule_error(c, node, r.id, "out of memory");
		rule_free(&r);
		return;
	}
	add_rule(c, &r, id_node);
}

int mp_rules_load_text(struct mp_ruleset *rs, const char *text, size_t len, const char *file, int source)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct ctx c = {.rs = rs, .doc = &doc, .file = file, .source = source};
	yaml_node_t *root, *list = NULL;

	if (!yaml_parser_initialize(&parser)) {
		mp_rules_add_error(rs, file, 1, "cannot initialise the YAML parser");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		mp_rules_add_error(rs, file, (int)parser.problem_mark.line + 1, "YAML: %s%s%s",
				   parser.problem ? parser.problem : "syntax error",
				   parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -1;
	}
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		mp_rules_add_error(rs, file, 1, "empty rule file (expected a mapping with 'rules')");
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		mp_rules_add_error(rs, file, line_of(root), "expected a mapping with 'rules'");
		goto out;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		const char *key = scalar(k);
		if (key && strcmp(key, "rules") == 0)
			list = yaml_document_get_node(&doc, p->value);
		else
			mp_rules_add_error(rs, file, line_of(k), "unknown top-level key '%s'",
					   key ? key : "?");
	}
	if (list == NULL) {
		mp_rules_add_error(rs, file, line_of(root), "no 'rules' list");
	} else if (list->type != YAML_SEQUENCE_NODE) {
		mp_rules_add_error(rs, file, line_of(list), "'rules' must be a list");
	} else {
		for (yaml_node_item_t *it = list->data.sequence.items.start;
		     it < list->data.sequence.items.top; it++)
			parse_rule(&c, yaml_document_get_node(&doc, *it));
	}
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return 0;
}

static int load_file(struct mp_ruleset *rs, const char *path, int source, char *err, size_t errlen)
{
	char ebuf[128];
	FILE *f = fopen(path, "rb");
	struct mp_buf b;
	char chunk[65536];
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open rule file: %s", path,
			 mp_strerror(errno, ebuf, sizeof ebuf));
		return -1;
	}
	mp_buf_init(&b, RULE_FILE_MAX);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (mp_buf_add(&b, chunk, n) != 0) {
			snprintf(err, errlen, "%s: rule file larger than %u bytes", path, RULE_FILE_MAX);
			fclose(f);
			mp_buf_free(&b);
			return -1;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: cannot read rule file: %s", path,
			 mp_strerror(errno, ebuf, sizeof ebuf));
		fclose(f);
		mp_buf_free(&b);
		return -1;
	}
	fclose(f);
	mp_rules_load_text(rs, b.data ? b.data : "", b.len, path, source);
	mp_buf_free(&b);
	return 0;
}

static int is_rule_file(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && ((n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
				  (n > 5 && strcmp(name + n - 5, ".yaml") == 0));
}

static int load_dir(struct mp_ruleset *rs, const char *dir, int source, int depth, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	int n, rc = 0;
	char ebuf[128];

	if (depth > 16) {
		snprintf(err, errlen, "%s: rule directories nested too deep", dir);
		return -1;
	}
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		snprintf(err, errlen, "%s: cannot read rule directory: %s", dir,
			 mp_strerror(errno, ebuf, sizeof ebuf));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char *path = NULL;
		struct stat st;
		if (rc == 0 && names[i]->d_name[0] != '.' &&
		    asprintf(&path, "%s/%s", dir, names[i]->d_name) >= 0 && stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				rc = load_dir(rs, path, source, depth + 1, err, errlen);
			else if (S_ISREG(st.st_mode) && is_rule_file(names[i]->d_name))
				rc = load_file(rs, path, source, err, errlen);
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return rc;
}

int mp_rules_load(struct mp_ruleset *rs, const char *path, int source, char *err, size_t errlen)
{
	struct stat st;
	char ebuf[128];

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: cannot read rules: %s", path,
			 mp_strerror(errno, ebuf, sizeof ebuf));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return load_dir(rs, path, source, 0, err, errlen);
	return load_file(rs, path, source, err, errlen);
}

size_t mp_rules_enabled(const struct mp_ruleset *rs)
{
	size_t n = 0;
	for (size_t i = 0; i < rs->n; i++)
		n += !rs->rules[i].disabled;
	return n;
}

static bool match_any(const char *id, char *const *globs, size_t n, bool *used)
{
	bool hit = false;

	for (size_t i = 0; i < n; i++) {
		if (fnmatch(globs[i], id, 0) == 0) {
			hit = true;
			if (used)
				used[i] = true;
		}
	}
	return hit;
}

size_t mp_rules_select(struct mp_ruleset *rs, char *const *enable, size_t nenable, char *const *disable,
		       size_t ndisable, bool *used)
{
	size_t kept = 0, n = rs->n;

	for (size_t i = 0; i < n; i++) {
		struct mp_rule *r = &rs->rules[i];
		bool on = nenable == 0 || match_any(r->id, enable, nenable, used);
		if (match_any(r->id, disable, ndisable, used ? used + nenable : NULL))
			on = false;
		if (!on) {
			rule_free(r);
			continue;
		}
		if (kept != i)
			rs->rules[kept] = *r;
		kept++;
	}
	rs->n = kept;
	return n - kept;
}

long mp_rules_find(const struct mp_ruleset *rs, const char *id)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i].id, id) == 0)
			return (long)i;
	return -1;
}

void mp_ruleset_free(struct mp_ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		rule_free(&rs->rules[i]);
	free(rs->rules);
	free_strv(rs->errors, rs->nerrors);
	memset(rs, 0, sizeof *rs);
}
