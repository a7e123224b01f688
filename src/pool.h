/* pool.h - worker threads: pop an item, scan it, hand records to the sink.
 *
 * Each worker owns a scanner (Vectorscan scratch, PCRE2 match data, segment
 * buffer), a record batch and its own counters; nothing mutable is shared
 * except the queue and the sink, which have their own locks.
 */
#ifndef MP_POOL_H
#define MP_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "baseline.h"
#include "discover.h"
#include "queue.h"
#include "report.h"
#include "scan.h"
#include "stats.h"
#include "unpack.h"
#include "walk.h"

/* --report: what workers tally per object. */
struct mp_report_opts {
	bool objects;              /* write an object record after each object with findings */
	bool buckets;              /* add each object to the worker's per-bucket rollup */
	size_t samples;            /* sample locations per object record (--report-samples) */
	const uint8_t *rule_class; /* enum mp_class of each rule, by index */
};

struct mp_pool_shared {
	const struct mp_report_opts *report; /* NULL: no object records and no rollup */
	const struct mp_engine *engine;
	struct mp_sink *sink;
	struct mp_queue *queue;             /* of struct mp_item *; workers free items */
	bool profile;                       /* keep per-rule costs (stats.prof) */
	const struct mp_baseline *baseline; /* --baseline: findings to suppress, or NULL */
	bool show_suppressed;               /* write suppressed findings, marked */
	struct mp_baseline *collect;        /* --write-baseline: every finding goes here, or NULL */
	bool staged;                        /* --staged: items carry the lines a commit adds */
	const struct mp_config *allow;      /* .magpie.yml's allowlist, or NULL */
	struct mp_progress *progress;       /* live counts for the progress line, or NULL */
	bool final_only;                    /* --final-only: drop image findings deleted or overwritten */
};

/* What the progress line shows; workers add to it after each input. */
struct mp_progress {
	_Atomic uint64_t files, bytes, findings;
};

struct mp_worker {
	pthread_t thread;
	int started;
	const struct mp_pool_shared *sh;
	struct mp_scanner *scanner;
	struct mp_unpacker *unpacker; /* opens archives; borrows scanner */
	struct mp_batch batch;
	struct mp_stats stats;
	const struct mp_item *item; /* being scanned */
	struct mp_object obj;       /* --report: the tally of item */
	uint64_t obj_size;          /* item's size in bytes, once opened */
	unsigned obj_type;          /* item's type (mp_unpack_type_name), once scanned */
	bool obj_scanned;           /* item reached the unpacker (was opened) */
	struct mp_rollup rollup;    /* --report: this worker's per-bucket counters */
};

struct mp_pool {
	struct mp_worker *workers;
	unsigned n;
};

/* Start n workers. Returns 0, or -1 when none could start (resources
 * freed). Workers run until the queue is closed and drained. */
int mp_pool_start(struct mp_pool *p, unsigned n, const struct mp_pool_shared *sh);
/* Wait for every worker, add their counters into total and, when rollup is
 * not NULL, their per-bucket counters into rollup; free the pool. */
void mp_pool_join(struct mp_pool *p, struct mp_stats *total, struct mp_rollup *rollup);

/* The emitter a worker uses, exposed so the main thread can format notices
 * the same way. ctx is a struct mp_worker. */
void mp_worker_notice(void *ctx, const struct mp_loc *loc, const char *kind, const char *message);

#endif
