/* discover.c - per-object tallies, bucket names, per-bucket rollup. */
#include "mp_config.h"

#include <stdlib.h>
#include <string.h>

#include "discover.h"
#include "pathhash.h"

#define SAMPLES_MAX (16u << 20) /* bytes of formatted samples kept per object */

static const char *const class_names[MP_CLASS__COUNT] = {
	[MP_CLASS_CREDENTIALS] = "credentials",
	[MP_CLASS_FINANCIAL] = "financial",
	[MP_CLASS_PERSONAL] = "personal",
};

const char *mp_class_name(enum mp_class c)
{
	return class_names[c];
}

enum mp_class mp_rule_class(const struct mp_rule *r)
{
	static const char *const financial[] = {"pii.payment-card", "pii.iban", "pii.us-aba-routing",
						"pii.us-bank-account"};

	if (r->category != MP_CAT_PII)
		return MP_CLASS_CREDENTIALS;
	if (strncmp(r->id, "pii.financial.", 14) == 0)
		return MP_CLASS_FINANCIAL;
	for (size_t i = 0; i < sizeof financial / sizeof financial[0]; i++)
		if (strcmp(r->id, financial[i]) == 0)
			return MP_CLASS_FINANCIAL;
	return MP_CLASS_PERSONAL;
}

unsigned mp_score(int max_severity, unsigned classes, uint64_t findings)
{
	static const unsigned points[MP_SEV__COUNT] = {
		[MP_SEV_INFO] = 5,  [MP_SEV_LOW] = 15,      [MP_SEV_MEDIUM] = 30,
		[MP_SEV_HIGH] = 45, [MP_SEV_CRITICAL] = 60,
	};
	unsigned s;

	if (findings == 0 || max_severity < 0 || max_severity >= MP_SEV__COUNT)
		return 0;
	s = points[max_severity];
	if (classes > 1)
		s += 10 * (classes > 3 ? 2 : classes - 1);
	for (uint64_t t = 10; t <= 10000 && findings >= t; t *= 10)
		s += 5;
	return s > 100 ? 100 : s;
}

/* ---- one object ---- */

void mp_object_init(struct mp_object *o)
{
	memset(o, 0, sizeof *o);
	o->max_severity = -1;
	mp_buf_init(&o->samples, SAMPLES_MAX);
}

void mp_object_reset(struct mp_object *o)
{
	o->findings = 0;
	memset(o->by_class, 0, sizeof o->by_class);
	o->max_severity = -1;
	o->nrules = 0;
	o->nsamples = 0;
	mp_buf_reset(&o->samples);
}

void mp_object_free(struct mp_object *o)
{
	free(o->rules);
	free(o->counts);
	mp_buf_free(&o->samples);
	memset(o, 0, sizeof *o);
	o->max_severity = -1;
}

int mp_object_add(struct mp_object *o, uint32_t ri, const struct mp_rule *r, enum mp_class c)
{
	size_t i;

	o->findings++;
	o->by_class[c]++;
	if ((int)r->severity > o->max_severity)
		o->max_severity = (int)r->severity;
	/* Objects hold few rules: a linear search is cheaper than a table. */
	for (i = 0; i < o->nrules; i++) {
		if (o->rules[i] == ri) {
			o->counts[i]++;
			return 0;
		}
	}
	if (o->nrules == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 8;
		uint32_t *nr = realloc(o->rules, cap * sizeof *nr);
		if (nr == NULL)
			return -1;
		o->rules = nr;
		uint64_t *nc = realloc(o->counts, cap * sizeof *nc);
		if (nc == NULL)
			return -1;
		o->counts = nc;
		o->cap = cap;
	}
	o->rules[o->nrules] = ri;
	o->counts[o->nrules++] = 1;
	return 0;
}

unsigned mp_object_score(const struct mp_object *o)
{
	unsigned classes = 0;

	for (int c = 0; c < MP_CLASS__COUNT; c++)
		classes += o->by_class[c] > 0;
	return mp_score(o->max_severity, classes, o->findings);
}

/* ---- bucket names ---- */

void mp_buckets_init(struct mp_buckets *bs, uint64_t limit)
{
	memset(bs, 0, sizeof *bs);
	bs->limit = limit;
}

void mp_buckets_free(struct mp_buckets *bs)
{
	for (size_t i = 0; i < bs->n; i++)
		free(bs->b[i].name);
	free(bs->b);
	free(bs->roots);
	free(bs->other);
	free(bs->slots);
	memset(bs, 0, sizeof *bs);
}

uint32_t mp_buckets_root(struct mp_buckets *bs, const char *label)
{
	if (mp_array_grow(&bs->roots, &bs->caproots, bs->nroots, sizeof *bs->roots, 4) != 0)
		return MP_BUCKET_NONE;
	uint32_t *no = realloc(bs->other, bs->caproots * sizeof *no);
	if (no == NULL)
		return MP_BUCKET_NONE;
	bs->other = no;
	bs->roots[bs->nroots] = label;
	bs->other[bs->nroots] = MP_BUCKET_NONE;
	return (uint32_t)bs->nroots++;
}

static uint64_t key_hash(uint32_t root, const char *name, size_t n)
{
	uint64_t h = 1469598103934665603ULL ^ root; /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)name[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

/* A new bucket entry; its id, or MP_BUCKET_NONE. */
static uint32_t add_bucket(struct mp_buckets *bs, uint32_t root, const char *name, size_t n, bool other)
{
	struct mp_bucket_name *e;

	if (bs->n >= MP_BUCKET_NONE - 1 || mp_array_grow(&bs->b, &bs->cap, bs->n, sizeof *bs->b, 16) != 0)
		return MP_BUCKET_NONE;
	e = &bs->b[bs->n];
	memset(e, 0, sizeof *e);
	e->root = root;
	e->other = other;
	e->name = malloc(n + 1);
	if (e->name == NULL)
		return MP_BUCKET_NONE;
	memcpy(e->name, name, n);
	e->name[n] = '\0';
	return (uint32_t)bs->n++;
}

/* Keep the table at most half full. Returns 0 or -1. */
static int grow_slots(struct mp_buckets *bs)
{
	size_t ns = bs->nslots ? 2 * bs->nslots : 64;
	uint32_t *s = calloc(ns, sizeof *s);

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < bs->nslots; i++) {
		uint32_t id = bs->slots[i];
		if (id == 0)
			continue;
		const struct mp_bucket_name *e = &bs->b[id - 1];
		size_t j = key_hash(e->root, e->name, strlen(e->name)) & (ns - 1);
		while (s[j] != 0)
			j = (j + 1) & (ns - 1);
		s[j] = id;
	}
	free(bs->slots);
	bs->slots = s;
	bs->nslots = ns;
	return 0;
}

uint32_t mp_buckets_find(struct mp_buckets *bs, uint32_t root, const char *name, size_t n, bool *overflowed)
{
	size_t j;
	uint32_t id;

	if (n == 0) {
		name = ".";
		n = 1;
	}
	if (root >= bs->nroots)
		return MP_BUCKET_NONE;
	if (bs->nslots == 0 && grow_slots(bs) != 0)
		return MP_BUCKET_NONE;
	j = key_hash(root, name, n) & (bs->nslots - 1);
	while ((id = bs->slots[j]) != 0) {
		const struct mp_bucket_name *e = &bs->b[id - 1];
		if (e->root == root && strncmp(e->name, name, n) == 0 && e->name[n] == '\0')
			return id - 1;
		j = (j + 1) & (bs->nslots - 1);
	}
	if (bs->named >= bs->limit) {
		if (bs->other[root] == MP_BUCKET_NONE) {
			bs->other[root] = add_bucket(bs, root, "(other)", 7, true);
			if (bs->other[root] != MP_BUCKET_NONE && overflowed)
				*overflowed = true;
		}
		return bs->other[root];
	}
	id = add_bucket(bs, root, name, n, false);
	if (id == MP_BUCKET_NONE)
		return id;
	bs->named++;
	bs->slots[j] = id + 1;
	/* Should growing fail, the old table still holds the new entry. */
	if (2 * (bs->named + 1) > bs->nslots)
		(void)grow_slots(bs);
	return id;
}

uint32_t mp_buckets_find_rel(struct mp_buckets *bs, uint32_t root, const char *rel, size_t n,
			     bool *overflowed)
{
	const char *slash;

	rel = mp_path_trim(rel, &n);
	slash = memchr(rel, '/', n);
	return mp_buckets_find(bs, root, rel, slash ? (size_t)(slash - rel) : 0, overflowed);
}

/* ---- per-bucket counters ---- */

int mp_top_cmp(const struct mp_top *a, const struct mp_top *b)
{
	size_t n = a->pathlen < b->pathlen ? a->pathlen : b->pathlen;
	int c;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->findings != b->findings)
		return a->findings > b->findings ? -1 : 1;
	c = memcmp(a->path, b->path, n);
	if (c != 0)
		return c;
	return a->pathlen < b->pathlen ? -1 : a->pathlen > b->pathlen;
}

void mp_rollup_init(struct mp_rollup *r, size_t nrules, size_t ntypes)
{
	memset(r, 0, sizeof *r);
	r->nrules = nrules;
	r->ntypes = ntypes;
}

static void acc_free(struct mp_bucket_acc *a)
{
	free(a->by_rule);
	free(a->by_type);
	for (size_t i = 0; i < a->ntop; i++)
		free(a->top[i].path);
	memset(a, 0, sizeof *a);
}

void mp_rollup_free(struct mp_rollup *r)
{
	for (size_t i = 0; i < r->n; i++)
		acc_free(&r->b[i]);
	free(r->b);
	r->b = NULL;
	r->n = r->cap = 0;
}

/* The counters of bucket id, made on first use; NULL when out of memory. */
static struct mp_bucket_acc *acc(struct mp_rollup *r, uint32_t id)
{
	if (id >= r->n) {
		if (mp_array_grow(&r->b, &r->cap, id, sizeof *r->b, 16) != 0)
			return NULL;
		memset(r->b + r->n, 0, (id + 1 - r->n) * sizeof *r->b);
		r->n = id + 1;
	}
	return &r->b[id];
}

/* Put t into a's top list if it belongs there; takes t->path either way
 * (stored, or freed). */
static void top_insert(struct mp_bucket_acc *a, struct mp_top *t)
{
	size_t i = a->ntop;

	if (a->ntop == MP_TOP_N) {
		if (mp_top_cmp(t, &a->top[MP_TOP_N - 1]) >= 0) {
			free(t->path);
			return;
		}
		free(a->top[MP_TOP_N - 1].path);
		i = MP_TOP_N - 1;
	} else {
		a->ntop++;
	}
	while (i > 0 && mp_top_cmp(t, &a->top[i - 1]) < 0) {
		a->top[i] = a->top[i - 1];
		i--;
	}
	a->top[i] = *t;
}

/* Would an entry with this key make it into a's top list? */
static bool top_wants(const struct mp_bucket_acc *a, const struct mp_top *t)
{
	return a->ntop < MP_TOP_N || mp_top_cmp(t, &a->top[MP_TOP_N - 1]) < 0;
}

int mp_rollup_object(struct mp_rollup *r, uint32_t id, uint64_t size, unsigned type,
		     const struct mp_object *o, const char *path, size_t pathlen)
{
	struct mp_bucket_acc *a = acc(r, id);
	int rc = 0;

	if (a == NULL)
		return -1;
	a->objects++;
	a->bytes += size;
	if (type < r->ntypes) {
		if (a->by_type == NULL)
			a->by_type = calloc(r->ntypes, sizeof *a->by_type);
		if (a->by_type != NULL)
			a->by_type[type]++;
		else
			rc = -1;
	}
	if (o == NULL || o->findings == 0)
		return rc;
	a->with_findings++;
	a->findings += o->findings;
	for (int c = 0; c < MP_CLASS__COUNT; c++)
		a->by_class[c] += o->by_class[c];
	if (a->by_rule == NULL)
		a->by_rule = calloc(r->nrules ? r->nrules : 1, sizeof *a->by_rule);
	if (a->by_rule == NULL) {
		rc = -1;
	} else {
		for (size_t i = 0; i < o->nrules; i++)
			if (o->rules[i] < r->nrules)
				a->by_rule[o->rules[i]] += o->counts[i];
	}
	struct mp_top t = {.score = mp_object_score(o),
			   .findings = o->findings,
			   .path = (char *)path,
			   .pathlen = pathlen};
	memcpy(t.by_class, o->by_class, sizeof t.by_class);
	if (!top_wants(a, &t))
		return rc;
	t.path = malloc(pathlen + 1);
	if (t.path == NULL)
		return -1;
	memcpy(t.path, path, pathlen);
	t.path[pathlen] = '\0';
	top_insert(a, &t);
	return rc;
}

int mp_rollup_merge(struct mp_rollup *into, struct mp_rollup *from)
{
	int rc = 0;

	for (size_t id = 0; id < from->n; id++) {
		struct mp_bucket_acc *f = &from->b[id], *a;
		if (f->objects == 0 && f->ntop == 0) {
			acc_free(f);
			continue;
		}
		a = acc(into, (uint32_t)id);
		if (a == NULL) {
			acc_free(f);
			rc = -1;
			continue;
		}
		a->objects += f->objects;
		a->with_findings += f->with_findings;
		a->bytes += f->bytes;
		a->findings += f->findings;
		for (int c = 0; c < MP_CLASS__COUNT; c++)
			a->by_class[c] += f->by_class[c];
		if (f->by_rule != NULL) {
			if (a->by_rule == NULL) {
				a->by_rule = f->by_rule;
				f->by_rule = NULL;
			} else {
				for (size_t i = 0; i < into->nrules && i < from->nrules; i++)
					a->by_rule[i] += f->by_rule[i];
			}
		}
		if (f->by_type != NULL) {
			if (a->by_type == NULL) {
				a->by_type = f->by_type;
				f->by_type = NULL;
			} else {
				for (size_t i = 0; i < into->ntypes && i < from->ntypes; i++)
					a->by_type[i] += f->by_type[i];
			}
		}
		for (size_t i = 0; i < f->ntop; i++)
			top_insert(a, &f->top[i]);
		f->ntop = 0;
		acc_free(f);
	}
	free(from->b);
	from->b = NULL;
	from->n = from->cap = 0;
	return rc;
}

uint64_t mp_estimate(uint64_t count, uint64_t population, uint64_t sampled)
{
	if (sampled == 0 || sampled >= population)
		return count;
	/* long double: count * population may pass 2^64 on a huge mirror. */
	return (uint64_t)((long double)count * (long double)population / (long double)sampled + 0.5L);
}
