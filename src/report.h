/* report.h - records (findings, notices, the summary) and the one sink that
 * writes them.
 *
 * Threads format records into their own batch without locking; the sink's
 * lock is taken only to write a whole batch. Every JSON record is one line,
 * so `json` (an array) and `jsonl` (a line each) carry the same records.
 */
#ifndef MP_REPORT_H
#define MP_REPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "buf.h"
#include "finding.h"
#include "stats.h"

enum mp_format {
	MP_FMT_JSON,
	MP_FMT_JSONL,
	MP_FMT_TEXT
};

struct mp_sink {
	FILE *out;
	enum mp_format fmt;
	bool show_secrets; /* findings carry secret.value */
	pthread_mutex_t lock;
	uint64_t records; /* records written so far */
	bool write_failed;
};

struct mp_batch {
	struct mp_buf buf; /* formatted records, each ending in '\n' */
};

/* Batches flush themselves to the sink beyond this many bytes. */
#define MP_BATCH_FLUSH (64u << 10)

void mp_sink_init(struct mp_sink *s, FILE *out, enum mp_format fmt, bool show_secrets);
/* Write and empty a batch. Thread-safe. */
void mp_sink_write(struct mp_sink *s, struct mp_batch *b);

struct mp_summary {
	const struct mp_stats *stats;
	const struct mp_ruleset *rules;
	unsigned threads;
	double elapsed; /* seconds */
};
/* Write the summary and close the JSON array. Returns 0, or -1 when any
 * write to the output failed. Call after every thread has finished. */
int mp_sink_finish(struct mp_sink *s, const struct mp_summary *sum, bool quiet);
void mp_sink_destroy(struct mp_sink *s);

void mp_batch_init(struct mp_batch *b);
void mp_batch_free(struct mp_batch *b);

/* Format one record into b. */
void mp_record_finding(struct mp_batch *b, const struct mp_sink *s, const struct mp_loc *loc,
		       const struct mp_finding *f);
/* The same, marked "suppressed": a finding the baseline holds. */
void mp_record_suppressed(struct mp_batch *b, const struct mp_sink *s, const struct mp_loc *loc,
			  const struct mp_finding *f);
void mp_record_notice(struct mp_batch *b, const struct mp_sink *s, const struct mp_loc *loc, const char *kind,
		      const char *message);

/* "path!chain[0]!chain[1]..." for messages, sanitized to printable UTF-8. */
void mp_loc_display(const struct mp_loc *loc, struct mp_buf *out);

#endif
