/* discover.h - data-lake results: what each object holds, rolled up per
 * bucket, and the estimate of a sample (--report, --sample).
 *
 * Three parts, each with one owner:
 *
 * - struct mp_object: one worker's tally of the object in hand (counts per
 *   rule and per data class, the samples). Reset before each object.
 * - struct mp_buckets: the names of the buckets (top-level directories of
 *   the scan roots) and what the walker saw of each (population, sampled).
 *   Only the walking (main) thread touches it while workers run; it hands
 *   out small integer ids, which work items carry.
 * - struct mp_rollup: counters per bucket id, one per worker, added up on
 *   the main thread after the join (mp_rollup_merge), like struct mp_stats.
 *   It holds counters and at most MP_TOP_N objects per bucket, whatever the
 *   number of objects.
 *
 * Every number here is a count (never a ratio), and the top lists carry
 * their sort key, so rollups of disjoint parts of a scan (threads, shards)
 * add up exactly to the rollup of the whole.
 */
#ifndef MP_DISCOVER_H
#define MP_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rules.h"

/* What kind of data a finding is. A rule of category secret or generic
 * finds credentials; a pii rule finds financial data when its id is one of
 * pii.payment-card, pii.iban, pii.us-aba-routing or pii.us-bank-account
 * (or starts with "pii.financial."), personal data otherwise. */
enum mp_class {
	MP_CLASS_CREDENTIALS,
	MP_CLASS_FINANCIAL,
	MP_CLASS_PERSONAL,
	MP_CLASS__COUNT
};

enum mp_class mp_rule_class(const struct mp_rule *r);
/* "credentials", "financial", "personal". */
const char *mp_class_name(enum mp_class c);

/* The sensitivity score of an object, 1..100 (0 when nothing was found):
 * the points of its most severe finding (critical 60, high 45, medium 30,
 * low 15, info 5), plus 10 for each data class found beyond the first
 * (at most 20), plus 5 for 10 or more findings, 10 for 100, 15 for 1,000,
 * 20 for 10,000 or more. max_severity is an enum mp_severity, or -1 for
 * none; classes is how many of the three were found. Pure. */
unsigned mp_score(int max_severity, unsigned classes, uint64_t findings);

/* ---- one object ---- */

struct mp_object {
	uint64_t findings;                  /* counted: written plus counted past findings-per-rule */
	uint64_t by_class[MP_CLASS__COUNT]; /* the same, per data class */
	int max_severity;                   /* enum mp_severity of the most severe, -1 for none */
	uint32_t *rules;                    /* rule indexes found, in first-found order; nrules entries */
	uint64_t *counts;                   /* counts[i]: findings of rules[i] */
	size_t nrules, cap;
	size_t nsamples;       /* samples in `samples` */
	struct mp_buf samples; /* the formatted samples, comma-separated */
};

/* An empty tally; allocates nothing yet. */
void mp_object_init(struct mp_object *o);
/* Forget the object, keep the memory. */
void mp_object_reset(struct mp_object *o);
void mp_object_free(struct mp_object *o);
/* Count one finding of rule r (index ri in the rule set) of class c.
 * Returns 0, or -1 when out of memory (the finding is then counted in the
 * totals but not per rule). */
int mp_object_add(struct mp_object *o, uint32_t ri, const struct mp_rule *r, enum mp_class c);
/* The object's score (mp_score). */
unsigned mp_object_score(const struct mp_object *o);

/* ---- bucket names (the walking thread) ---- */

#define MP_BUCKET_NONE UINT32_MAX /* an item that belongs to no bucket (no rollup) */

struct mp_bucket_name {
	uint32_t root;       /* index of the scan root, mp_buckets_root order */
	bool other;          /* the root's overflow bucket, past the buckets limit */
	char *name;          /* the top-level directory; "." for files at the root (owned) */
	uint64_t population; /* regular files the walker saw (of this shard), sampled or not */
	uint64_t sampled;    /* of those, taken by --sample (all when not sampling) */
};

struct mp_buckets {
	struct mp_bucket_name *b; /* n entries; the id of a bucket is its index */
	size_t n, cap;
	const char **roots; /* nroots labels (borrowed) */
	uint32_t *other;    /* per root: its overflow bucket's id, or MP_BUCKET_NONE */
	size_t nroots, caproots;
	uint32_t *slots; /* open addressing: id + 1, 0 empty; nslots a power of two */
	size_t nslots;
	uint64_t limit; /* named buckets at most (the buckets cap); then each root's "other" */
	size_t named;   /* named buckets so far */
};

void mp_buckets_init(struct mp_buckets *bs, uint64_t limit);
void mp_buckets_free(struct mp_buckets *bs);
/* Add a scan root; label is borrowed and must outlive bs. Returns its
 * index, or MP_BUCKET_NONE when out of memory. */
uint32_t mp_buckets_root(struct mp_buckets *bs, const char *label);
/* The id of bucket name[0..n) of root (n may be 0 for "."). Past the
 * limit, a new name gets the root's overflow bucket, and *overflowed is
 * set the first time that happens for the root (else left alone). Returns
 * MP_BUCKET_NONE only when out of memory. */
uint32_t mp_buckets_find(struct mp_buckets *bs, uint32_t root, const char *name, size_t n, bool *overflowed);
/* The bucket of a path relative to its root: its first component, or "."
 * when it has none (a file directly at the root). */
uint32_t mp_buckets_find_rel(struct mp_buckets *bs, uint32_t root, const char *rel, size_t n,
			     bool *overflowed);

/* ---- per-bucket counters (one per worker, merged after the join) ---- */

/* The most sensitive objects kept per bucket. */
#define MP_TOP_N 10

struct mp_top {
	unsigned score;
	uint64_t findings;
	uint64_t by_class[MP_CLASS__COUNT];
	char *path; /* owned; pathlen bytes and a NUL */
	size_t pathlen;
};

/* Order of the top list: score, then findings, descending; then the path's
 * bytes, ascending. A total order, so the list does not depend on the order
 * objects were seen in. Negative when a comes first. */
int mp_top_cmp(const struct mp_top *a, const struct mp_top *b);

struct mp_bucket_acc {
	uint64_t objects;       /* objects scanned */
	uint64_t with_findings; /* of those, with at least one finding */
	uint64_t bytes;         /* their sizes */
	uint64_t findings;      /* counted findings */
	uint64_t by_class[MP_CLASS__COUNT];
	uint64_t *by_rule;           /* nrules counters, allocated at the first finding, or NULL */
	uint64_t *by_type;           /* ntypes counters of objects per detected type, or NULL */
	struct mp_top top[MP_TOP_N]; /* ntop entries, in mp_top_cmp order */
	size_t ntop;
};

struct mp_rollup {
	struct mp_bucket_acc *b; /* indexed by bucket id; n entries (grown on demand) */
	size_t n, cap;
	size_t nrules; /* rule count (by_rule's size) */
	size_t ntypes; /* type count (by_type's size) */
};

void mp_rollup_init(struct mp_rollup *r, size_t nrules, size_t ntypes);
void mp_rollup_free(struct mp_rollup *r);
/* One scanned object of bucket id: its size, type (< ntypes), and tally o
 * (its findings; may have none). path[0..pathlen) is copied only when the
 * object enters the top list. Returns 0, or -1 when out of memory (the
 * object is then not counted, or counted without its per-rule counts). */
int mp_rollup_object(struct mp_rollup *r, uint32_t id, uint64_t size, unsigned type,
		     const struct mp_object *o, const char *path, size_t pathlen);
/* into += from; from's top paths move into `into` or are freed, and from
 * is left empty. Returns 0, or -1 when out of memory. */
int mp_rollup_merge(struct mp_rollup *into, struct mp_rollup *from);

/* ---- the estimate of a sample ---- */

/* Ratio estimate of a count in the population from its count in the
 * sample: count * population / sampled, rounded to the nearest integer
 * (count when sampled is 0 or the sample is the population). */
uint64_t mp_estimate(uint64_t count, uint64_t population, uint64_t sampled);

#endif
