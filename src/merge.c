/* merge.c - `magpie merge`: the shards of one scan, combined into the result
 * one machine would have written.
 *
 * Two passes over the inputs (JSON or JSON Lines written by `magpie scan`):
 * the first reads only each file's summary record and checks that the files
 * belong together (one configuration hash; each shard of N once, or no
 * shards at all); nothing is written unless they do. The second replays the
 * records, inputs in shard order and records in file order: for json and
 * jsonl the lines are copied byte for byte, for text and sarif each record
 * is parsed back into a finding or notice and written by the usual writers.
 * Then one summary: the inputs' summaries added up. Memory holds the
 * summaries and one line at a time (SARIF, as for scan, holds its results).
 */
#include "mp_config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "discover.h"
#include "image.h"
#include "log.h"
#include "report.h"
#include "rules.h"
#include "run.h"
#include "stats.h"
#include "validate.h"

/* The longest record line accepted from an input. magpie writes far
 * shorter ones; a longer line means the file is not its output. */
#define MERGE_LINE_MAX (64u << 20)

struct input {
	const char *path;
	json_object *summary; /* owned; the file's last summary record */
	int64_t shard_k;      /* -1: not sharded */
	int64_t shard_n;
	const char *hash; /* borrowed from summary */
};

/* A bucket record of some input (--report), to be added to the others of
 * the same root and bucket. */
struct mbucket {
	json_object *o;   /* owned */
	size_t root;      /* index of its root in struct buckets' roots, by first appearance */
	bool other;       /* the (other) bucket of its root */
	const char *name; /* borrowed from o */
};

struct buckets {
	struct mbucket *b;
	size_t n, cap;
	const char **roots; /* borrowed from the records */
	size_t nroots;
};

/* One record line of a json or jsonl file, trimmed of the array's framing:
 * NULL at the end. *n gets its length; err is set on a read error or a line
 * too long. */
static const char *next_record(FILE *f, struct mp_buf *line, size_t *n, const char *path, bool *err)
{
	char chunk[1 << 16];

	for (;;) {
		bool whole = false;
		mp_buf_reset(line);
		/* A line is read in chunks into a buffer capped at MERGE_LINE_MAX,
		 * so a file that is not magpie's output cannot take more. */
		while (fgets(chunk, sizeof chunk, f) != NULL) {
			size_t k = strlen(chunk);
			if (mp_buf_add(line, chunk, k) != 0) {
				mp_log_error("%s: a line of more than %u bytes: not magpie output", path,
					     MERGE_LINE_MAX);
				*err = true;
				return NULL;
			}
			if (k > 0 && chunk[k - 1] == '\n') {
				whole = true;
				break;
			}
		}
		if (!whole && line->len == 0)
			break; /* the end, or a read error */
		char *p = line->data;
		size_t len = line->len;
		while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r' || p[len - 1] == ' '))
			len--;
		if (len > 0 && p[len - 1] == ',')
			len--;
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		if (len == 0 || (len == 1 && (*p == '[' || *p == ']')))
			continue;
		p[len] = '\0';
		*n = len;
		return p;
	}
	if (ferror(f)) {
		mp_log_error("%s: read error", path);
		*err = true;
	}
	return NULL;
}

/* Is the record p[0..n) of this type? magpie writes "type" first. */
static bool is_type(const char *p, size_t n, const char *type)
{
	size_t k = strlen(type);
	return n >= k + 11 && memcmp(p, "{\"type\":\"", 9) == 0 && memcmp(p + 9, type, k) == 0 &&
	       p[9 + k] == '"';
}

static int64_t jget_int(json_object *o, const char *k, int64_t dflt)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_int)
		       ? json_object_get_int64(v)
		       : dflt;
}

static const char *jget_str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/* An input for reading, or NULL (said on stderr). */
static FILE *open_input(const char *path)
{
	char eb[128];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		mp_log_error("%s: cannot open: %s", path, mp_strerror(errno, eb, sizeof eb));
	return f;
}

static const char *jget_str(json_object *o, const char *k);

/* Keep a bucket record for the merge. Returns 0, or -1 when out of memory
 * or the record is not one. */
static int keep_bucket(struct buckets *bs, const char *p, const char *path)
{
	json_object *o = json_tokener_parse(p), *v;
	const char *root = o ? jget_str(o, "root") : NULL, *name = o ? jget_str(o, "bucket") : NULL;
	size_t r;

	if (root == NULL || name == NULL) {
		mp_log_error("%s: a bucket record without root and bucket", path);
		json_object_put(o);
		return -1;
	}
	for (r = 0; r < bs->nroots && strcmp(bs->roots[r], root) != 0; r++)
		;
	if (bs->n == bs->cap || r == bs->nroots) {
		size_t nc = bs->cap ? bs->cap * 2 : 64;
		struct mbucket *nb = realloc(bs->b, nc * sizeof *nb);
		const char **nr = realloc(bs->roots, nc * sizeof *nr);
		if (nb != NULL)
			bs->b = nb;
		if (nr != NULL)
			bs->roots = nr;
		if (nb == NULL || nr == NULL) {
			mp_log_error("out of memory");
			json_object_put(o);
			return -1;
		}
		bs->cap = nc;
	}
	if (r == bs->nroots)
		bs->roots[bs->nroots++] = root;
	bs->b[bs->n++] = (struct mbucket){
		.o = o,
		.root = r,
		.other = json_object_object_get_ex(o, "other", &v) && json_object_get_boolean(v),
		.name = name,
	};
	return 0;
}

/* Pass 1 for one file: its summary, and its bucket records. */
static int read_summary(struct input *in, struct buckets *bs)
{
	struct mp_buf line;
	size_t n;
	bool err = false;
	const char *p;
	FILE *f = open_input(in->path);

	if (f == NULL)
		return -1;
	mp_buf_init(&line, MERGE_LINE_MAX);
	while ((p = next_record(f, &line, &n, in->path, &err)) != NULL) {
		if (is_type(p, n, "bucket")) {
			if (keep_bucket(bs, p, in->path) != 0) {
				err = true;
				break;
			}
			continue;
		}
		if (!is_type(p, n, "summary"))
			continue;
		json_object_put(in->summary);
		in->summary = json_tokener_parse(p);
	}
	mp_buf_free(&line);
	fclose(f);
	if (err)
		return -1;
	if (in->summary == NULL) {
		mp_log_error("%s: no summary record: the scan did not finish, or this is not the json or "
			     "jsonl output of magpie scan",
			     in->path);
		return -1;
	}
	json_object *sh;
	in->shard_k = in->shard_n = -1;
	if (json_object_object_get_ex(in->summary, "shard", &sh)) {
		in->shard_k = jget_int(sh, "index", -1);
		in->shard_n = jget_int(sh, "count", -1);
		if (in->shard_n < 1 || in->shard_k < 0 || in->shard_k >= in->shard_n) {
			mp_log_error("%s: the summary's shard is not an index below a count", in->path);
			return -1;
		}
	}
	in->hash = jget_str(in->summary, "config_hash");
	if (in->hash == NULL) {
		mp_log_error("%s: the summary has no config_hash (written by an older magpie?)", in->path);
		return -1;
	}
	return 0;
}

static int by_shard(const void *a, const void *b)
{
	const struct input *x = a, *y = b;
	return (x->shard_k > y->shard_k) - (x->shard_k < y->shard_k);
}

/* Check that the inputs are the shards of one scan; order them by shard.
 * *missing gets the absent shard indices (caller frees), *nmissing their
 * count, *count the shard count (0 when not sharded). */
static int check_inputs(const struct mp_settings *s, struct input *in, size_t n, int64_t **missing,
			size_t *nmissing, int64_t *count)
{
	*missing = NULL;
	*nmissing = 0;
	*count = 0;
	for (size_t i = 1; i < n; i++) {
		if (strcmp(in[i].hash, in[0].hash) != 0) {
			mp_log_error(
				"%s and %s come from scans with different configurations (rules, options or "
				"roots): config_hash %s and %s",
				in[0].path, in[i].path, in[0].hash, in[i].hash);
			return -1;
		}
		if ((in[i].shard_n < 0) != (in[0].shard_n < 0)) {
			mp_log_error("%s and %s: one is a shard and the other is not", in[0].path,
				     in[i].path);
			return -1;
		}
		if (in[i].shard_n != in[0].shard_n) {
			mp_log_error(
				"%s is shard %lld/%lld but %s is shard %lld/%lld: different shard counts",
				in[0].path, (long long)in[0].shard_k, (long long)in[0].shard_n, in[i].path,
				(long long)in[i].shard_k, (long long)in[i].shard_n);
			return -1;
		}
	}
	if (in[0].shard_n < 0)
		return 0; /* pieces split outside magpie (e.g. --files-from lists): no completeness check */
	qsort(in, n, sizeof *in, by_shard);
	for (size_t i = 1; i < n; i++) {
		if (in[i].shard_k == in[i - 1].shard_k) {
			mp_log_error("shard %lld/%lld appears twice: %s and %s", (long long)in[i].shard_k,
				     (long long)in[i].shard_n, in[i - 1].path, in[i].path);
			return -1;
		}
	}
	*count = in[0].shard_n;
	if ((int64_t)n == *count)
		return 0;
	*missing = malloc((size_t)(*count - (int64_t)n) * sizeof **missing);
	if (*missing == NULL) {
		mp_log_error("out of memory");
		return -1;
	}
	size_t j = 0;
	for (int64_t k = 0; k < *count; k++) {
		if (j < n && in[j].shard_k == k)
			j++;
		else
			(*missing)[(*nmissing)++] = k;
	}
	if (!s->allow_partial) {
		char list[256];
		size_t used = 0;
		for (size_t i = 0; i < *nmissing && used < sizeof list - 16; i++)
			used += (size_t)snprintf(list + used, sizeof list - used, "%s%lld", i ? ", " : "",
						 (long long)(*missing)[i]);
		if (used >= sizeof list - 16)
			snprintf(list + used, sizeof list - used, ", ...");
		mp_log_error("%zu of %lld shards missing (%s); merge them all, or give --allow-partial",
			     *nmissing, (long long)*count, list);
		return -1;
	}
	return 0;
}

/* acc += add, field by field: integers are added, objects merged the same
 * way, anything else kept from acc (or taken from add when acc lacks it). */
static void add_counts(json_object *acc, json_object *add)
{
	json_object_object_foreach(add, key, v)
	{
		json_object *have;
		if (!json_object_object_get_ex(acc, key, &have)) {
			json_object_object_add(acc, key, json_object_get(v));
			continue;
		}
		if (json_object_is_type(v, json_type_int) && json_object_is_type(have, json_type_int))
			json_object_set_int64(have, json_object_get_int64(have) + json_object_get_int64(v));
		else if (json_object_is_type(v, json_type_object) &&
			 json_object_is_type(have, json_type_object))
			add_counts(have, v);
	}
}

/* A per-rule object rewritten in the rules' load order (the order scan
 * writes), ids unknown to the rules after them, sorted. */
static void order_by_rules(json_object *sum, const char *key, const struct mp_ruleset *rs)
{
	json_object *old, *nw = json_object_new_object();
	size_t nextra = 0;
	const char **extra;

	if (!json_object_object_get_ex(sum, key, &old) || !json_object_is_type(old, json_type_object)) {
		json_object_put(nw);
		return;
	}
	extra = calloc((size_t)json_object_object_length(old) + 1, sizeof *extra);
	for (size_t i = 0; i < rs->n; i++) {
		json_object *v;
		if (json_object_object_get_ex(old, rs->rules[i].id, &v))
			json_object_object_add(nw, rs->rules[i].id, json_object_get(v));
	}
	json_object_object_foreach(old, k, v)
	{
		(void)v;
		if (mp_rules_find(rs, k) < 0 && extra != NULL)
			extra[nextra++] = k;
	}
	for (size_t i = 1; i < nextra; i++) /* insertion sort: few unknown ids */
		for (size_t j = i; j > 0 && strcmp(extra[j - 1], extra[j]) > 0; j--) {
			const char *t = extra[j];
			extra[j] = extra[j - 1];
			extra[j - 1] = t;
		}
	for (size_t i = 0; i < nextra; i++) {
		json_object *ev;
		json_object_object_get_ex(old, extra[i], &ev);
		json_object_object_add(nw, extra[i], json_object_get(ev));
	}
	free(extra);
	json_object_object_add(sum, key, nw);
}

/* est's counts made again from the counts beside it in src, as the scan
 * makes them: count * population / sampled, rounded (mp_estimate). */
static void re_estimate(json_object *est, json_object *src, uint64_t population, uint64_t sampled)
{
	json_object_object_foreach(est, key, v)
	{
		json_object *have;
		if (!json_object_object_get_ex(src, key, &have))
			continue;
		if (json_object_is_type(v, json_type_int))
			json_object_set_int64(v, (int64_t)mp_estimate((uint64_t)json_object_get_int64(have),
								      population, sampled));
		else if (json_object_is_type(v, json_type_object))
			re_estimate(v, have, population, sampled);
	}
}

/* o's "estimate", if it has one, from its summed counts and its own
 * population and sampled. */
static void fix_estimate(json_object *o)
{
	json_object *est;
	if (json_object_object_get_ex(o, "estimate", &est))
		re_estimate(est, o, (uint64_t)jget_int(o, "population", 0),
			    (uint64_t)jget_int(o, "sampled", 0));
}

/* The order of top entries: score, then findings, both descending, then
 * path, bytewise (discover.h, mp_top_cmp). */
static int cmp_top(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	int64_t sx = jget_int(x, "score", 0), sy = jget_int(y, "score", 0);
	int64_t fx = jget_int(x, "findings", 0), fy = jget_int(y, "findings", 0);
	const char *px = jget_str(x, "path"), *py = jget_str(y, "path");

	if (sx != sy)
		return sx > sy ? -1 : 1;
	if (fx != fy)
		return fx > fy ? -1 : 1;
	return strcmp(px ? px : "", py ? py : "");
}

/* Bucket records by root (first appearance), the (other) bucket last, then
 * name: the order scan writes them in. */
static int cmp_mbucket(const void *a, const void *b)
{
	const struct mbucket *x = a, *y = b;

	if (x->root != y->root)
		return x->root < y->root ? -1 : 1;
	if (x->other != y->other)
		return x->other ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Add up the bucket records of one root and bucket: each run of equal
 * ones becomes its first, holding the sum, the union of the top lists
 * sorted and cut to MP_TOP_N, and the estimate made again. Returns the
 * number of merged records, now at the front of bs->b, in scan's order. */
static size_t merge_buckets(struct buckets *bs, const struct mp_ruleset *rs)
{
	size_t out = 0;

	if (bs->n > 1) /* qsort's array may not be NULL, even empty */
		qsort(bs->b, bs->n, sizeof *bs->b, cmp_mbucket);
	for (size_t i = 0; i < bs->n;) {
		size_t j = i + 1;
		json_object *acc = bs->b[i].o, *top;
		json_object *all = json_object_new_array();
		while (j < bs->n && cmp_mbucket(&bs->b[i], &bs->b[j]) == 0)
			j++;
		for (size_t k = i; k < j; k++) {
			if (k > i)
				add_counts(acc, bs->b[k].o);
			if (json_object_object_get_ex(bs->b[k].o, "top", &top))
				for (size_t t = 0; t < json_object_array_length(top); t++)
					json_object_array_add(
						all, json_object_get(json_object_array_get_idx(top, t)));
		}
		json_object_array_sort(all, cmp_top);
		json_object *kept = json_object_new_array();
		for (size_t t = 0; t < json_object_array_length(all) && t < MP_TOP_N; t++)
			json_object_array_add(kept, json_object_get(json_object_array_get_idx(all, t)));
		json_object_put(all);
		json_object_object_add(acc, "top", kept);
		fix_estimate(acc);
		order_by_rules(acc, "findings_by_rule", rs);
		for (size_t k = i + 1; k < j; k++) {
			json_object_put(bs->b[k].o);
			bs->b[k].o = NULL;
		}
		bs->b[out++] = bs->b[i];
		i = j;
	}
	bs->n = out; /* the rest were merged into these and freed, or moved here */
	return out;
}

/* The merged summary: the first input's, with every other added in. */
static json_object *merged_summary(const struct input *in, size_t n, const int64_t *missing, size_t nmissing,
				   int64_t count, const struct mp_ruleset *rs)
{
	json_object *sum = NULL;
	int64_t threads = 0;
	double elapsed = 0;

	if (json_object_deep_copy(in[0].summary, &sum, NULL) != 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *v;
		if (i > 0)
			add_counts(sum, in[i].summary);
		if (jget_int(in[i].summary, "threads", 0) > threads)
			threads = jget_int(in[i].summary, "threads", 0);
		if (json_object_object_get_ex(in[i].summary, "elapsed_seconds", &v) &&
		    json_object_get_double(v) > elapsed)
			elapsed = json_object_get_double(v);
	}
	/* Not counts: the largest shard's threads, the slowest shard's time,
	 * one rule count (the configurations are the same). */
	json_object_object_add(sum, "threads", json_object_new_int64(threads));
	char el[32];
	snprintf(el, sizeof el, "%.3f", elapsed);
	json_object_object_add(sum, "elapsed_seconds", json_object_new_double_s(elapsed, el));
	json_object_object_add(sum, "rules", json_object_new_int64(jget_int(in[0].summary, "rules", 0)));
	json_object_object_del(sum, "shard");
	order_by_rules(sum, "findings_by_rule", rs);
	order_by_rules(sum, "unreported_by_rule", rs);
	json_object *smp;
	if (json_object_object_get_ex(sum, "sample", &smp))
		fix_estimate(smp);
	json_object *sk;
	if (count > 0 && json_object_object_get_ex(sum, "skipped", &sk)) {
		/* Each shard counted the others' objects; together they left
		 * out nothing but the missing shards' objects: those the first
		 * shard walked past, less what the other present shards scanned. */
		int64_t other = 0;
		if (nmissing > 0) {
			json_object *sk0;
			int64_t files = 0;
			if (json_object_object_get_ex(in[0].summary, "skipped", &sk0))
				other = jget_int(sk0, "other_shards", 0);
			for (size_t i = 1; i < n; i++)
				files += jget_int(in[i].summary, "files", 0);
			other = other > files ? other - files : 0;
		}
		json_object_object_add(sk, "other_shards", json_object_new_int64(other));
	}
	if (nmissing > 0) {
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < nmissing; i++)
			json_object_array_add(arr, json_object_new_int64(missing[i]));
		json_object *ms = json_object_new_object();
		json_object_object_add(ms, "count", json_object_new_int64(count));
		json_object_object_add(ms, "missing", arr);
		json_object_object_add(sum, "partial_shards", ms);
	}
	return sum;
}

/* The rule a record names: from the rules loaded, else a stand-in made
 * from the record (appended to rs). NULL when out of memory. */
static const struct mp_rule *record_rule(struct mp_ruleset *rs, json_object *jr)
{
	const char *id = jget_str(jr, "id"), *name = jget_str(jr, "name");
	const char *cat = jget_str(jr, "category"), *sev = jget_str(jr, "severity");
	long k;

	if (id == NULL)
		return NULL;
	if ((k = mp_rules_find(rs, id)) >= 0)
		return &rs->rules[k];
	if (rs->n == rs->cap) {
		size_t nc = rs->cap ? rs->cap * 2 : 16;
		struct mp_rule *nr = realloc(rs->rules, nc * sizeof *nr);
		if (nr == NULL)
			return NULL;
		rs->rules = nr;
		rs->cap = nc;
	}
	struct mp_rule *r = &rs->rules[rs->n];
	memset(r, 0, sizeof *r);
	r->id = strdup(id);
	r->name = strdup(name ? name : id);
	r->pattern = strdup("");
	r->file = strdup("(merged output)");
	if (r->id == NULL || r->name == NULL || r->pattern == NULL || r->file == NULL) {
		free(r->id);
		free(r->name);
		free(r->pattern);
		free(r->file);
		return NULL;
	}
	for (int c = 0; c < MP_CAT__COUNT; c++)
		if (cat && strcmp(cat, mp_category_name((enum mp_category)c)) == 0)
			r->category = (enum mp_category)c;
	if (sev)
		mp_severity_parse(sev, &r->severity);
	r->disabled = true; /* a stand-in: never matched, only named */
	rs->n++;
	return r;
}

/* A string field, or its _base64 twin decoded (names that are not UTF-8).
 * Returns a malloc'd NUL-terminated copy, or NULL. */
static char *jget_bytes(json_object *o, const char *k, size_t *len)
{
	char k64[64];
	const char *b64, *s;

	snprintf(k64, sizeof k64, "%s_base64", k);
	if ((b64 = jget_str(o, k64)) != NULL) {
		size_t n = strlen(b64);
		unsigned char *out = malloc(n * 3 / 4 + 4);
		long got = out ? mp_base64_decode(b64, n, out) : -1;
		if (got < 0) {
			free(out);
			return NULL;
		}
		out[got] = '\0';
		if (len)
			*len = (size_t)got;
		return (char *)out;
	}
	if ((s = jget_str(o, k)) == NULL)
		return NULL;
	if (len)
		*len = strlen(s);
	return strdup(s);
}

/* The chain of a location: names, or the base64 twins. */
static char **jget_chain(json_object *loc, size_t *n)
{
	json_object *arr;
	bool b64 = json_object_object_get_ex(loc, "chain_base64", &arr);

	*n = 0;
	if (!b64 && !json_object_object_get_ex(loc, "chain", &arr))
		return NULL;
	size_t len = json_object_array_length(arr);
	char **v = calloc(len + 1, sizeof *v);
	for (size_t i = 0; v != NULL && i < len; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(arr, i));
		size_t sl = s ? strlen(s) : 0;
		if (b64) {
			unsigned char *out = malloc(sl * 3 / 4 + 4);
			long got = out ? mp_base64_decode(s ? s : "", sl, out) : -1;
			if (got < 0)
				got = 0;
			if (out)
				out[got] = '\0';
			v[i] = (char *)out;
		} else {
			v[i] = strdup(s ? s : "");
		}
		*n = i + 1;
	}
	return v;
}

static void free_chain(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* location.record: a CSV cell or a JSON value (structured.h). Strings
 * stay borrowed from the parsed record. */
static void record_location(json_object *jl, struct mp_record *r)
{
	json_object *jr, *v;

	if (!json_object_object_get_ex(jl, "record", &jr))
		return;
	if (json_object_object_get_ex(jr, "row", &v)) {
		r->cell = true;
		r->row = (uint64_t)json_object_get_int64(v);
		r->column = (uint64_t)jget_int(jr, "column", 0);
		if (json_object_object_get_ex(jr, "column_name", &v)) {
			r->column_name = json_object_get_string(v);
			r->column_name_len = (size_t)json_object_get_string_len(v);
		}
	} else if (json_object_object_get_ex(jr, "index", &v)) {
		r->json = true;
		r->index = (uint64_t)json_object_get_int64(v);
		if (json_object_object_get_ex(jr, "json_path", &v)) {
			r->json_path = json_object_get_string(v);
			r->json_path_len = (size_t)json_object_get_string_len(v);
		}
	}
}

/* " (credentials N, financial N, personal N)" as the text format has it. */
static void text_classes(struct mp_buf *o, json_object *rec)
{
	json_object *c = NULL;
	json_object_object_get_ex(rec, "findings_by_class", &c);
	mp_buf_printf(o, "credentials %lld, financial %lld, personal %lld",
		      (long long)jget_int(c, "credentials", 0), (long long)jget_int(c, "financial", 0),
		      (long long)jget_int(c, "personal", 0));
}

/* An object record in the text format (report.c, mp_record_object). */
static void text_object(json_object *o, struct mp_batch *b, const char *path)
{
	int64_t nf = jget_int(o, "findings", 0);
	const char *type = jget_str(o, "detected_type");

	mp_buf_adds(&b->buf, "object ");
	mp_utf8_sanitize(&b->buf, path, strlen(path));
	mp_buf_printf(&b->buf, ": score %lld, %lld finding%s (", (long long)jget_int(o, "score", 0),
		      (long long)nf, nf == 1 ? "" : "s");
	text_classes(&b->buf, o);
	mp_buf_printf(&b->buf, "); %s, %lld bytes\n", type ? type : "unknown",
		      (long long)jget_int(o, "size", 0));
	mp_buf_reset(&b->last); /* the next finding repeats its heading */
}

/* A merged bucket record in the text format (report.c, mp_record_bucket). */
static void text_bucket(json_object *o, struct mp_buf *out)
{
	const char *root = jget_str(o, "root"), *name = jget_str(o, "bucket");
	int64_t objects = jget_int(o, "objects", 0), nf = jget_int(o, "findings", 0);
	json_object *top;

	mp_buf_adds(out, "bucket ");
	mp_utf8_sanitize(out, root ? root : "", root ? strlen(root) : 0);
	mp_buf_addc(out, ' ');
	mp_utf8_sanitize(out, name ? name : "", name ? strlen(name) : 0);
	mp_buf_printf(out, ": %lld object%s, %lld with findings, %.1f MB; %lld finding%s (",
		      (long long)objects, objects == 1 ? "" : "s",
		      (long long)jget_int(o, "objects_with_findings", 0),
		      (double)jget_int(o, "bytes", 0) / 1e6, (long long)nf, nf == 1 ? "" : "s");
	text_classes(out, o);
	mp_buf_adds(out, ")\n");
	if (!json_object_object_get_ex(o, "top", &top))
		return;
	for (size_t i = 0; i < json_object_array_length(top); i++) {
		json_object *t = json_object_array_get_idx(top, i);
		const char *p = jget_str(t, "path");
		int64_t tf = jget_int(t, "findings", 0);
		mp_buf_printf(out, "    %3lld  ", (long long)jget_int(t, "score", 0));
		mp_utf8_sanitize(out, p ? p : "", p ? strlen(p) : 0);
		mp_buf_printf(out, " (%lld finding%s)\n", (long long)tf, tf == 1 ? "" : "s");
	}
}

/* location.image and location.layer, read back into ref (strings and tags
 * borrowed from the parsed record; tags needs room for 64). Returns ref,
 * or NULL when the location is not in an image. */
static const struct mp_image_ref *image_location(json_object *jl, struct mp_image_ref *ref, const char **tags)
{
	json_object *im, *ly, *arr, *v;

	if (!json_object_object_get_ex(jl, "image", &im))
		return NULL;
	memset(ref, 0, sizeof *ref);
	if (json_object_object_get_ex(im, "repo_tags", &arr))
		for (size_t i = 0; i < json_object_array_length(arr) && ref->ntags < 64; i++)
			tags[ref->ntags++] = json_object_get_string(json_object_array_get_idx(arr, i));
	ref->repo_tags = tags;
	ref->platform = jget_str(im, "platform");
	ref->manifest_digest = jget_str(im, "manifest_digest");
	ref->config_digest = jget_str(im, "config_digest");
	if (json_object_object_get_ex(jl, "layer", &ly)) {
		ref->layer = (unsigned)jget_int(ly, "index", 0);
		ref->layer_digest = jget_str(ly, "digest");
		ref->diff_id = jget_str(ly, "diff_id");
		ref->media_type = jget_str(ly, "media_type");
		ref->created_by = jget_str(ly, "created_by");
		const char *st = jget_str(ly, "status");
		for (int k = MP_LS_NONE; st != NULL && k <= MP_LS_UNKNOWN; k++) {
			const char *name = mp_layer_status_name((enum mp_layer_status)k);
			if (name != NULL && strcmp(st, name) == 0)
				ref->status = (enum mp_layer_status)k;
		}
		if (json_object_object_get_ex(ly, "status_layer", &v))
			ref->status_layer = (unsigned)json_object_get_int64(v);
	}
	return ref;
}

/* Write one parsed record through the sink's usual writers (text, sarif). */
static void replay_record(json_object *o, struct mp_ruleset *rs, struct mp_batch *b,
			  const struct mp_sink *sink)
{
	const char *type = jget_str(o, "type");
	json_object *jl = NULL;
	size_t nchain = 0;

	if (type == NULL || !json_object_object_get_ex(o, "location", &jl))
		return;
	char *path = jget_bytes(jl, "path", NULL);
	char **chain = jget_chain(jl, &nchain);
	struct mp_image_ref ref;
	const char *tags[64];
	struct mp_loc loc = {.path = path ? path : "",
			     .chain = (const char *const *)chain,
			     .nchain = nchain,
			     .image = image_location(jl, &ref, tags)};

	if (strcmp(type, "object") == 0) {
		if (sink->fmt == MP_FMT_TEXT)
			text_object(o, b, loc.path);
	} else if (strcmp(type, "notice") == 0) {
		const char *kind = jget_str(o, "kind"), *msg = jget_str(o, "message");
		mp_record_notice(b, sink, &loc, kind ? kind : "error", msg ? msg : "");
	} else if (strcmp(type, "finding") == 0) {
		json_object *jr = NULL, *js = NULL, *v;
		struct mp_finding f;
		memset(&f, 0, sizeof f);
		json_object_object_get_ex(o, "rule", &jr);
		json_object_object_get_ex(o, "secret", &js);
		f.rule = jr ? record_rule(rs, jr) : NULL;
		if (f.rule != NULL && js != NULL) {
			const char *conf = jget_str(o, "confidence");
			if (conf)
				mp_confidence_parse(conf, &f.confidence);
			f.test_value = json_object_object_get_ex(o, "test_value", &v) &&
				       json_object_get_boolean(v);
			f.offset = (uint64_t)jget_int(jl, "offset", 0);
			f.length = (uint64_t)jget_int(jl, "length", 0);
			f.line = (uint64_t)jget_int(jl, "line", 0);
			f.column = (uint64_t)jget_int(jl, "column", 0);
			f.end_line = (uint64_t)jget_int(jl, "end_line", 0);
			f.end_column = (uint64_t)jget_int(jl, "end_column", 0);
			if (json_object_object_get_ex(js, "entropy", &v))
				f.entropy = json_object_get_double(v);
			const char *red = jget_str(js, "redacted"), *fp = jget_str(js, "fingerprint");
			const char *ctx = jget_str(o, "context");
			size_t slen = 0;
			char *secret = jget_bytes(js, "value", &slen);
			f.redacted = red ? red : "";
			f.context = ctx ? ctx : "";
			f.secret = secret ? secret : "";
			f.secret_len = secret ? slen : 0;
			snprintf(f.fingerprint, sizeof f.fingerprint, "%s", fp ? fp : "");
			record_location(jl, &f.record);
			bool suppressed = json_object_object_get_ex(o, "suppressed", &v) &&
					  json_object_get_boolean(v);
			if (suppressed)
				mp_record_suppressed(b, sink, &loc, &f);
			else
				mp_record_finding(b, sink, &loc, &f);
			free(secret);
		}
	}
	free(path);
	free_chain(chain, nchain);
}

/* Pass 2 for one file. */
static int replay(const struct input *in, struct mp_sink *sink, struct mp_batch *b, struct mp_ruleset *rs)
{
	struct mp_buf line;
	size_t n;
	bool err = false;
	const char *p;
	FILE *f = open_input(in->path);

	if (f == NULL)
		return -1;
	mp_buf_init(&line, MERGE_LINE_MAX);
	while ((p = next_record(f, &line, &n, in->path, &err)) != NULL) {
		if (is_type(p, n, "summary") || is_type(p, n, "bucket"))
			continue; /* written once, merged, at the end */
		if (sink->fmt == MP_FMT_JSON || sink->fmt == MP_FMT_JSONL) {
			if (mp_buf_add(&b->buf, p, n) != 0 || mp_buf_addc(&b->buf, '\n') != 0) {
				mp_log_error("out of memory");
				err = true;
				break;
			}
		} else {
			json_object *o = json_tokener_parse(p);
			if (o == NULL) {
				mp_log_error("%s: a record that is not JSON", in->path);
				err = true;
				break;
			}
			replay_record(o, rs, b, sink);
			json_object_put(o);
		}
		if (b->buf.len >= MP_BATCH_FLUSH)
			mp_sink_write(sink, b);
	}
	mp_sink_write(sink, b);
	mp_buf_free(&line);
	fclose(f);
	return err ? -1 : 0;
}

/* Counters of the merged summary, for the text and SARIF writers. */
static void summary_stats(json_object *sum, struct mp_stats *st)
{
	st->files = (uint64_t)jget_int(sum, "files", 0);
	st->bytes = (uint64_t)jget_int(sum, "bytes", 0);
	st->findings = (uint64_t)jget_int(sum, "findings", 0);
	st->unreported = (uint64_t)jget_int(sum, "unreported_findings", 0);
	st->suppressed = (uint64_t)jget_int(sum, "suppressed", 0);
	st->notices = (uint64_t)jget_int(sum, "notices", 0);
}

/* Whether the merged findings make the exit status 1, as scan decides. */
static bool merged_fails(const struct mp_settings *s, json_object *sum, const struct mp_ruleset *rs)
{
	static const char *const keys[] = {"findings_by_rule", "unreported_by_rule"};

	if (s->exit_zero)
		return false;
	for (size_t i = 0; i < 2; i++) {
		json_object *o;
		if (!json_object_object_get_ex(sum, keys[i], &o) || !json_object_is_type(o, json_type_object))
			continue;
		json_object_object_foreach(o, id, v)
		{
			long k = mp_rules_find(rs, id);
			if (json_object_get_int64(v) > 0 && (k < 0 || rs->rules[k].severity >= s->fail_on))
				return true;
		}
	}
	return false;
}

int mp_run_merge(const struct mp_settings *s)
{
	struct input *in = NULL;
	struct mp_ruleset rs;
	struct mp_sink sink;
	struct mp_batch b;
	struct mp_stats st;
	int64_t *missing = NULL, count = 0;
	size_t nmissing = 0;
	json_object *sum = NULL;
	struct buckets bs = {0};
	FILE *out = stdout;
	int status = MP_EXIT_ERROR;
	bool sink_open = false;

	memset(&rs, 0, sizeof rs);
	memset(&st, 0, sizeof st);
	mp_batch_init(&b);
	if (s->npaths == 0) {
		mp_log_error("merge: no FILE given (see 'magpie --help')");
		return MP_EXIT_ERROR;
	}
	in = calloc(s->npaths, sizeof *in);
	if (in == NULL)
		goto out;
	for (size_t i = 0; i < s->npaths; i++) {
		in[i].path = s->paths[i];
		if (read_summary(&in[i], &bs) != 0)
			goto out;
	}
	if (check_inputs(s, in, s->npaths, &missing, &nmissing, &count) != 0)
		goto out;
	if (mp_run_load_rules(s, &rs, NULL, 0) != 0)
		goto out;
	sum = merged_summary(in, s->npaths, missing, nmissing, count, &rs);
	if (sum == NULL)
		goto out;
	if (s->output != NULL && (out = fopen(s->output, "w")) == NULL) {
		char eb[128];
		mp_log_error("%s: cannot open for writing: %s", s->output, mp_strerror(errno, eb, sizeof eb));
		goto out;
	}
	enum mp_format fmt = s->format_set ? s->format : isatty(fileno(out)) ? MP_FMT_TEXT : MP_FMT_JSON;
	/* Secrets were written in full by the shards only with --show-secrets,
	 * which every shard shares (it is in the configuration hash). */
	mp_sink_init(&sink, out, fmt, s->show_secrets);
	sink_open = true;
	for (size_t i = 0; i < s->npaths; i++)
		if (replay(&in[i], &sink, &b, &rs) != 0)
			goto out;
	size_t nb = merge_buckets(&bs, &rs);
	for (size_t i = 0; i < nb; i++) {
		if (sink.fmt == MP_FMT_TEXT) {
			text_bucket(bs.b[i].o, &b.buf);
		} else if (sink.fmt != MP_FMT_SARIF) {
			mp_buf_adds(&b.buf, json_object_to_json_string_ext(
						    bs.b[i].o,
						    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
			mp_buf_addc(&b.buf, '\n');
		}
		if (b.buf.len >= MP_BATCH_FLUSH)
			mp_sink_write(&sink, &b);
	}
	mp_sink_write(&sink, &b);
	if (mp_stats_init(&st, rs.n) != 0)
		goto out;
	summary_stats(sum, &st);
	json_object *v;
	struct mp_summary ms = {.stats = &st,
				.rules = &rs,
				.threads = (unsigned)jget_int(sum, "threads", 1),
				.elapsed = json_object_object_get_ex(sum, "elapsed_seconds", &v)
						   ? json_object_get_double(v)
						   : 0,
				.summary_json = json_object_to_json_string_ext(
					sum, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)};
	struct mp_sample_summary sample;
	json_object *js;
	if (json_object_object_get_ex(sum, "sample", &js)) {
		json_object *c = NULL;
		memset(&sample, 0, sizeof sample);
		sample.fraction = json_object_object_get_ex(js, "fraction", &v) ? json_object_get_double(v)
										: 0;
		sample.population = (uint64_t)jget_int(js, "population", 0);
		sample.sampled = (uint64_t)jget_int(js, "sampled", 0);
		sample.with_findings = (uint64_t)jget_int(js, "objects_with_findings", 0);
		sample.findings = (uint64_t)jget_int(js, "findings", 0);
		json_object_object_get_ex(js, "findings_by_class", &c);
		for (int k = 0; k < MP_CLASS__COUNT; k++)
			sample.by_class[k] = (uint64_t)jget_int(c, mp_class_name((enum mp_class)k), 0);
		ms.sample = &sample;
	}
	if (mp_sink_finish(&sink, &ms, s->quiet) != 0) {
		mp_log_error("%s: write failed", s->output ? s->output : "standard output");
		goto out;
	}
	if (nmissing > 0)
		mp_log_error("merge: partial result: %zu of %lld shards missing (listed in the summary's "
			     "partial_shards)",
			     nmissing, (long long)count);
	status = merged_fails(s, sum, &rs) ? MP_EXIT_FINDINGS : MP_EXIT_CLEAN;
out:
	if (sink_open) {
		mp_sink_destroy(&sink);
		if (out != stdout && fclose(out) != 0) {
			mp_log_error("%s: write failed", s->output);
			status = MP_EXIT_ERROR;
		}
	}
	mp_batch_free(&b);
	mp_stats_free(&st);
	json_object_put(sum);
	for (size_t i = 0; in && i < s->npaths; i++)
		json_object_put(in[i].summary);
	free(in);
	free(missing);
	for (size_t i = 0; i < bs.n; i++)
		json_object_put(bs.b[i].o);
	free(bs.b);
	free(bs.roots);
	mp_ruleset_free(&rs);
	return status;
}
