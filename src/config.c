/* config.c - .magpie.yml. */
#include "mp_config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "caps.h"
#include "config.h"
#include "log.h"
#include "settings.h"

#define CONFIG_NAME ".magpie.yml"
#define CONFIG_MAX  (1u << 20) /* bytes; a larger file is an error */

struct ctx {
	struct mp_settings *s;
	struct mp_config *c;
	yaml_document_t *doc;
	const char *file;
	char *dir;              /* the file's directory, for relative rule paths */
	const char *allow_rule; /* the rule of the allow list being read, or NULL */
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct ctx *x, const yaml_node_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct ctx *x, const yaml_node_t *at, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (x->failed)
		return; /* the first error is the one reported */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errlen, "%s:%lu: %s", x->file, at ? (unsigned long)at->start_mark.line + 1 : 1UL,
		 msg);
	x->failed = true;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A copy owned by the configuration (settings keep pointers to it). */
static char *keep(struct ctx *x, const char *s)
{
	char *d;

	if (x->c->nstrs == x->c->capstrs) {
		size_t cap = x->c->capstrs ? 2 * x->c->capstrs : 16;
		char **v = realloc(x->c->strs, cap * sizeof *v);
		if (v == NULL)
			return NULL;
		x->c->strs = v;
		x->c->capstrs = cap;
	}
	d = strdup(s);
	if (d != NULL)
		x->c->strs[x->c->nstrs++] = d;
	return d;
}

static int push(char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);

	if (nv == NULL)
		return -1;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

/* Each string of a sequence node, given to fn. */
static void each_string(struct ctx *x, yaml_node_t *v, const char *key,
			void (*fn)(struct ctx *, yaml_node_t *))
{
	if (v->type != YAML_SEQUENCE_NODE) {
		fail(x, v, "'%s' must be a list of strings", key);
		return;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(x->doc, *it);
		if (scalar(e) == NULL || scalar(e)[0] == '\0') {
			fail(x, e ? e : v, "'%s' must be a list of non-empty strings", key);
			return;
		}
		fn(x, e);
	}
}

static void add_exclude(struct ctx *x, yaml_node_t *e)
{
	if (mp_ignore_add(&x->s->ignore, scalar(e)) != 0)
		fail(x, e, "out of memory");
}

static void add_disable(struct ctx *x, yaml_node_t *e)
{
	char *g = keep(x, scalar(e));
	if (g == NULL || push(&x->s->disable_rules, &x->s->ndisable_rules, g) != 0)
		fail(x, e, "out of memory");
}

static void add_enable(struct ctx *x, yaml_node_t *e)
{
	char *g = keep(x, scalar(e));
	if (g == NULL || push(&x->s->enable_rules, &x->s->nenable_rules, g) != 0)
		fail(x, e, "out of memory");
}

static void add_rules(struct ctx *x, yaml_node_t *e)
{
	const char *p = scalar(e);
	char buf[PATH_MAX];
	struct stat st;

	if (p[0] != '/' && snprintf(buf, sizeof buf, "%s/%s", x->dir ? x->dir : ".", p) < (int)sizeof buf)
		p = buf;
	if (stat(p, &st) != 0) {
		char eb[128];
		fail(x, e, "rule path '%s' cannot be read: %s", scalar(e), mp_strerror(errno, eb, sizeof eb));
		return;
	}
	char *k = keep(x, p);
	if (k == NULL || push(&x->s->rule_paths, &x->s->nrule_paths, k) != 0)
		fail(x, e, "out of memory");
}

static void add_allow(struct ctx *x, yaml_node_t *e, const char *rule, bool regex)
{
	struct mp_config *c = x->c;
	struct mp_allow_entry a = {0};

	if (c->nallow == c->capallow) {
		size_t cap = c->capallow ? 2 * c->capallow : 16;
		struct mp_allow_entry *v = realloc(c->allow, cap * sizeof *v);
		if (v == NULL) {
			fail(x, e, "out of memory");
			return;
		}
		c->allow = v;
		c->capallow = cap;
	}
	a.rule = rule ? keep(x, rule) : NULL;
	if (regex) {
		int code;
		PCRE2_SIZE off;
		a.rx = pcre2_compile((PCRE2_SPTR)scalar(e), PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
		if (a.rx == NULL) {
			PCRE2_UCHAR m[160];
			pcre2_get_error_message(code, m, sizeof m);
			fail(x, e, "allow regex does not compile: %s at offset %zu", (char *)m, (size_t)off);
			return;
		}
	} else {
		a.value = keep(x, scalar(e));
		a.value_len = a.value ? strlen(a.value) : 0;
	}
	c->allow[c->nallow++] = a;
}

static void allow_value(struct ctx *x, yaml_node_t *e)
{
	add_allow(x, e, x->allow_rule, false);
}

static void allow_regex(struct ctx *x, yaml_node_t *e)
{
	add_allow(x, e, x->allow_rule, true);
}

/* {values: [...], regexes: [...]} for one rule (or every rule). */
static void parse_allow_list(struct ctx *x, yaml_node_t *v, const char *rule, bool top)
{
	if (v->type != YAML_MAPPING_NODE) {
		fail(x, v, "'allow' must be a mapping of values, regexes%s", top ? " and rules" : "");
		return;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(x->doc, p->value);
		const char *key = scalar(k);
		x->allow_rule = rule;
		if (key && strcmp(key, "values") == 0) {
			each_string(x, val, "allow.values", allow_value);
		} else if (key && strcmp(key, "regexes") == 0) {
			each_string(x, val, "allow.regexes", allow_regex);
		} else if (top && key && strcmp(key, "rules") == 0) {
			if (val->type != YAML_MAPPING_NODE) {
				fail(x, val, "'allow.rules' must map rule ids to {values, regexes}");
				continue;
			}
			for (yaml_node_pair_t *q = val->data.mapping.pairs.start;
			     q < val->data.mapping.pairs.top; q++) {
				yaml_node_t *rk = yaml_document_get_node(x->doc, q->key);
				if (scalar(rk) == NULL || scalar(rk)[0] == '\0') {
					fail(x, rk ? rk : val, "'allow.rules' keys must be rule ids");
					continue;
				}
				parse_allow_list(x, yaml_document_get_node(x->doc, q->value), scalar(rk),
						 false);
			}
		} else {
			fail(x, k, "unknown key '%s%s' in allow", top ? "" : "rules.<id>.", key ? key : "?");
		}
	}
}

static void parse_limits(struct ctx *x, yaml_node_t *v)
{
	if (v->type != YAML_MAPPING_NODE) {
		fail(x, v, "'limits' must be a mapping of limit names to values");
		return;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(x->doc, p->value);
		const char *name = scalar(k), *value = scalar(val);
		int cap = -1;
		char e[200];
		for (int i = 0; name && i < MP_CAP__COUNT; i++)
			if (strcmp(mp_cap_defs[i].name, name) == 0)
				cap = i;
		if (cap < 0) {
			fail(x, k, "unknown limit '%s'", name ? name : "?");
			continue;
		}
		if (value == NULL) {
			fail(x, val, "limit '%s' needs a value", name);
			continue;
		}
		if (x->s->caps_from_cli[cap])
			continue; /* the command line wins */
		if (mp_caps_set_one(x->s->caps, (enum mp_cap)cap, value, e, sizeof e) != 0)
			fail(x, val, "limit '%s': %s", name, e);
	}
}

int mp_config_load(struct mp_settings *s, struct mp_config *c, const char *path, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct ctx x = {.s = s, .c = c, .doc = &doc, .file = path, .err = err, .errlen = errlen};
	FILE *f;
	struct stat st;
	int rc = -1;

	memset(c, 0, sizeof *c);
	c->path = strdup(path);
	f = fopen(path, "rb");
	if (f == NULL || fstat(fileno(f), &st) != 0) {
		char eb[128];
		snprintf(err, errlen, "%s: cannot read: %s", path, mp_strerror(errno, eb, sizeof eb));
		if (f)
			fclose(f);
		return -1;
	}
	if ((uint64_t)st.st_size > CONFIG_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, CONFIG_MAX);
		fclose(f);
		return -1;
	}
	x.dir = strdup(path);
	if (x.dir == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(f);
		return -1;
	} else {
		char *slash = strrchr(x.dir, '/');
		if (slash == NULL)
			memcpy(x.dir, ".", 2); /* path is at least one byte: room for ".\0" */
		else if (slash == x.dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%lu: %s", path, (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "YAML syntax error");
		yaml_parser_delete(&parser);
		fclose(f);
		free(x.dir);
		return -1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root != NULL && root->type != YAML_MAPPING_NODE)
		fail(&x, root,
		     "the file must be a mapping (exclude, disable_rules, enable_rules, rules, allow, "
		     "limits)");
	for (yaml_node_pair_t *p = root && root->type == YAML_MAPPING_NODE ? root->data.mapping.pairs.start
									   : NULL;
	     p && p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		const char *key = scalar(k);
		if (key && strcmp(key, "exclude") == 0)
			each_string(&x, v, key, add_exclude);
		else if (key && strcmp(key, "disable_rules") == 0)
			each_string(&x, v, key, add_disable);
		else if (key && strcmp(key, "enable_rules") == 0)
			each_string(&x, v, key, add_enable);
		else if (key && strcmp(key, "rules") == 0)
			each_string(&x, v, key, add_rules);
		else if (key && strcmp(key, "allow") == 0)
			parse_allow_list(&x, v, NULL, true);
		else if (key && strcmp(key, "limits") == 0)
			parse_limits(&x, v);
		else
			fail(&x, k, "unknown key '%s'", key ? key : "?");
	}
	rc = x.failed ? -1 : 0;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	free(x.dir);
	return rc;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

char *mp_config_find(const struct mp_settings *s)
{
	char dir[PATH_MAX], cand[PATH_MAX + 16];
	const char *start = ".";

	if (!s->staged && s->npaths > 0 && strcmp(s->paths[0], "-") != 0)
		start = s->paths[0];
	if (realpath(start, dir) == NULL)
		return NULL;
	if (!is_dir(dir)) {
		char *slash = strrchr(dir, '/');
		if (slash == NULL)
			return NULL;
		*slash = '\0';
		if (dir[0] == '\0')
			strcpy(dir, "/");
	} else {
		/* The scan root itself. */
		snprintf(cand, sizeof cand, "%s/%s", dir, CONFIG_NAME);
		if (is_file(cand))
			return strdup(cand);
	}
	/* Up to the top of the git work tree, if there is one. */
	for (;;) {
		snprintf(cand, sizeof cand, "%s/.git", dir);
		if (is_dir(cand) || is_file(cand)) {
			snprintf(cand, sizeof cand, "%s/%s", dir, CONFIG_NAME);
			return is_file(cand) ? strdup(cand) : NULL;
		}
		char *slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			return NULL;
		*slash = '\0';
	}
}

bool mp_config_allows(const struct mp_config *c, const char *id, const char *value, size_t n)
{
	for (size_t i = 0; c && i < c->nallow; i++) {
		const struct mp_allow_entry *a = &c->allow[i];
		if (a->rule && strcmp(a->rule, id) != 0)
			continue;
		if (a->value) {
			if (a->value_len == n && memcmp(a->value, value, n) == 0)
				return true;
			continue;
		}
		pcre2_match_data *md = pcre2_match_data_create_from_pattern(a->rx, NULL);
		int r = md ? pcre2_match(a->rx, (PCRE2_SPTR)value, n, 0, 0, md, NULL) : -1;
		pcre2_match_data_free(md);
		if (r >= 0)
			return true;
	}
	return false;
}

void mp_config_free(struct mp_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nallow; i++)
		pcre2_code_free(c->allow[i].rx);
	free(c->allow);
	for (size_t i = 0; i < c->nstrs; i++)
		free(c->strs[i]);
	free(c->strs);
	free(c->path);
	memset(c, 0, sizeof *c);
}
