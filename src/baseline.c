/* baseline.c - reading, matching and writing baseline files. */
#include "mp_config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "log.h"

/* Largest number of entries a baseline file may hold. */
#define BASELINE_MAX_ENTRIES 10000000u
/* Largest baseline file read. */
#define BASELINE_MAX_BYTES (1u << 30)

void mp_baseline_init(struct mp_baseline *b)
{
	memset(b, 0, sizeof *b);
	pthread_mutex_init(&b->lock, NULL);
}

void mp_baseline_free(struct mp_baseline *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->e[i].rule);
		free(b->e[i].fingerprint);
		free(b->e[i].path);
	}
	free(b->e);
	b->e = NULL;
	b->n = b->cap = 0;
}

/* Append; strings are copied. Returns 0 or -1 (memory, or the cap). */
static int push(struct mp_baseline *b, const char *rule, const char *fp, const char *path, uint64_t line)
{
	struct mp_baseline_entry *e;

	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		if (b->n >= BASELINE_MAX_ENTRIES)
			return -1;
		e = realloc(b->e, cap * sizeof *e);
		if (e == NULL)
			return -1;
		b->e = e;
		b->cap = cap;
	}
	e = &b->e[b->n];
	e->rule = strdup(rule);
	e->fingerprint = strdup(fp);
	e->path = strdup(path ? path : "");
	e->line = line;
	if (e->rule == NULL || e->fingerprint == NULL || e->path == NULL) {
		free(e->rule);
		free(e->fingerprint);
		free(e->path);
		return -1;
	}
	b->n++;
	return 0;
}

static int cmp_key(const void *x, const void *y)
{
	const struct mp_baseline_entry *a = x, *b = y;
	int c = strcmp(a->rule, b->rule);
	return c ? c : strcmp(a->fingerprint, b->fingerprint);
}

static int cmp_order(const void *x, const void *y)
{
	const struct mp_baseline_entry *a = x, *b = y;
	int c = strcmp(a->path, b->path);

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return cmp_key(a, b);
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The file's bytes, NUL-terminated (malloc'ed), or NULL with err set. */
static char *slurp(const char *file, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(file, "r");
	char *buf = NULL, ebuf[128];
	size_t n = 0, cap = 0;

	if (f == NULL) {
		snprintf(err, errlen, "cannot open baseline: %s", mp_strerror(errno, ebuf, sizeof ebuf));
		return NULL;
	}
	for (;;) {
		if (cap - n < 65536) {
			char *nb = cap < BASELINE_MAX_BYTES ? realloc(buf, cap ? 2 * cap : 65536) : NULL;
			if (nb == NULL) {
				snprintf(err, errlen, "baseline larger than %u bytes, or out of memory",
					 BASELINE_MAX_BYTES);
				goto fail;
			}
			buf = nb;
			cap = cap ? 2 * cap : 65536;
		}
		size_t k = fread(buf + n, 1, cap - n - 1, f);
		n += k;
		if (k == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read baseline: %s", mp_strerror(errno, ebuf, sizeof ebuf));
		goto fail;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

int mp_baseline_load(struct mp_baseline *b, const char *file, char *err, size_t errlen)
{
	json_tokener *tok = NULL;
	json_object *doc = NULL, *arr;
	size_t len = 0;
	char *text = slurp(file, &len, err, errlen);
	int rc = -1;

	if (text == NULL)
		return -1;
	if ((tok = json_tokener_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	doc = json_tokener_parse_ex(tok, text, (int)len);
	if (doc == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		size_t at = json_tokener_get_parse_end(tok), line = 1;
		for (size_t i = 0; i < at && i < len; i++)
			line += text[i] == '\n';
		snprintf(err, errlen, "line %zu: not valid JSON: %s", line,
			 e == json_tokener_continue ? "unexpected end of file" : json_tokener_error_desc(e));
		goto out;
	}
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (strchr(" \t\r\n", text[i]) == NULL) {
			snprintf(err, errlen, "not valid JSON: data after the end of the document");
			goto out;
		}
	}
	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "findings", &arr) || !json_object_is_type(arr, json_type_array)) {
		snprintf(err, errlen, "not a magpie baseline: no \"findings\" array");
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i), *ln;
		const char *rule = get_str(o, "rule"), *fp = get_str(o, "fingerprint"),
			   *path = get_str(o, "path");
		int64_t line = 0;

		if (!json_object_is_type(o, json_type_object) || rule == NULL || fp == NULL ||
		    strncmp(fp, "sha256:", 7) != 0 || strlen(fp) != 71) {
			snprintf(err, errlen,
				 "not a magpie baseline: entry %zu needs \"rule\" and a \"fingerprint\" "
				 "of the form sha256:HEX",
				 i + 1);
			goto out;
		}
		if (json_object_object_get_ex(o, "line", &ln))
			line = json_object_get_int64(ln);
		if (push(b, rule, fp, path, line > 0 ? (uint64_t)line : 0) != 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	if (b->n > 1)
		qsort(b->e, b->n, sizeof *b->e, cmp_key);
	rc = 0;
out:
	json_object_put(doc);
	if (tok)
		json_tokener_free(tok);
	free(text);
	return rc;
}

bool mp_baseline_has(const struct mp_baseline *b, const char *rule, const char *fingerprint)
{
	struct mp_baseline_entry key = {.rule = (char *)rule, .fingerprint = (char *)fingerprint};

	return b->n > 0 && bsearch(&key, b->e, b->n, sizeof key, cmp_key) != NULL;
}

void mp_baseline_add(struct mp_baseline *b, const char *rule, const char *fingerprint, const char *path,
		     uint64_t line)
{
	pthread_mutex_lock(&b->lock);
	if (!b->failed && push(b, rule, fingerprint, path, line) != 0)
		b->failed = true;
	pthread_mutex_unlock(&b->lock);
}

int mp_baseline_write(struct mp_baseline *b, const char *file, char *err, size_t errlen)
{
	size_t tlen = strlen(file) + 16;
	char *tmp = malloc(tlen);
	FILE *f = NULL;
	size_t written = 0;
	char ebuf[128];
	int rc = -1;

	if (tmp == NULL || b->failed) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(tmp, tlen, "%s.tmp%ld", file, (long)getpid());
	if (b->n > 1)
		qsort(b->e, b->n, sizeof *b->e, cmp_order);
	if ((f = fopen(tmp, "w")) == NULL) {
		snprintf(err, errlen, "cannot write baseline: %s", mp_strerror(errno, ebuf, sizeof ebuf));
		goto out;
	}
	fputs("{\"magpie_baseline\":1,\"findings\":[", f);
	for (size_t i = 0; i < b->n; i++) {
		const struct mp_baseline_entry *e = &b->e[i];
		json_object *o;

		if (i > 0 && cmp_order(e, &b->e[i - 1]) == 0)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "fingerprint", json_object_new_string(e->fingerprint));
		json_object_object_add(o, "rule", json_object_new_string(e->rule));
		json_object_object_add(o, "path", json_object_new_string(e->path));
		json_object_object_add(o, "line", json_object_new_int64((int64_t)e->line));
		fprintf(f, "%s\n%s", written++ ? "," : "",
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
	fputs("\n]}\n", f);
	if (ferror(f) | fclose(f)) {
		f = NULL;
		snprintf(err, errlen, "cannot write baseline: %s",
			 mp_strerror(errno ? errno : EIO, ebuf, sizeof ebuf));
		unlink(tmp);
		goto out;
	}
	f = NULL;
	if (rename(tmp, file) != 0) {
		snprintf(err, errlen, "cannot write baseline: %s", mp_strerror(errno, ebuf, sizeof ebuf));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}
