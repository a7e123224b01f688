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
#include "discover.h"
#include "finding.h"
#include "stats.h"

enum mp_format {
	MP_FMT_JSON,
	MP_FMT_JSONL,
	MP_FMT_TEXT,
	MP_FMT_SARIF /* one SARIF 2.1.0 document, written by mp_sink_finish (sarif.h) */
};

struct mp_sink {
	FILE *out;
	enum mp_format fmt;
	bool show_secrets; /* findings carry secret.value */
	pthread_mutex_t lock;
	uint64_t records; /* records written so far */
	bool write_failed;
	struct mp_buf held; /* SARIF: every batch, kept for mp_sink_finish */
	bool held_full;     /* SARIF: held reached MP_SARIF_HELD_MAX */
	bool color;         /* text: ANSI colours (a terminal, NO_COLOR unset) */
};

struct mp_batch {
	struct mp_buf buf;  /* formatted records, each ending in '\n' */
	struct mp_buf last; /* text: the path of the last finding, for file headings */
};

/* Batches flush themselves to the sink beyond this many bytes. */
#define MP_BATCH_FLUSH (64u << 10)

void mp_sink_init(struct mp_sink *s, FILE *out, enum mp_format fmt, bool show_secrets);
/* Write and empty a batch. Thread-safe. For SARIF, the batch is kept in
 * memory instead, and written by mp_sink_finish. */
void mp_sink_write(struct mp_sink *s, struct mp_batch *b);

/* --sample: what the sample saw, the raw counts the estimate is made of
 * (merged runs add these up and estimate again). */
struct mp_sample_summary {
	double fraction;
	uint64_t population;    /* regular files the walker saw, sampled or not */
	uint64_t sampled;       /* of those, the ones the sample took */
	uint64_t with_findings; /* objects of the sample with findings */
	uint64_t findings;      /* findings counted in the sample (written and unreported) */
	uint64_t by_class[MP_CLASS__COUNT];
};

struct mp_summary {
	const struct mp_sample_summary *sample; /* NULL unless --sample */
	const struct mp_stats *stats;
	const struct mp_ruleset *rules;
	unsigned threads;
	double elapsed;            /* seconds */
	bool failed;               /* the exit status will be 2 (SARIF executionSuccessful) */
	uint32_t shard_k, shard_n; /* --shard; shard_n 0: not sharded */
	const char *shard_source;  /* "option", "slurm", "kubernetes", "aws-batch" */
	const char *config_hash;   /* scanid.h; NULL: not written */
	/* json, jsonl: a whole summary record (one line of JSON) written as
	 * it is instead of one made from the fields above (magpie merge). */
	const char *summary_json;
};
/* Write the summary and close the JSON array (for SARIF: the document). Returns 0, or -1 when any
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

/* One sample location of an object record: {"rule":ID,"location":{...}}
 * with the location exactly as the finding record has it, appended to o. */
void mp_record_sample(struct mp_buf *o, const struct mp_loc *loc, const struct mp_finding *f);

/* What an object record shows (--report objects). */
struct mp_object_view {
	const char *path;   /* the object's path (NUL-terminated) */
	const char *bucket; /* its top-level directory, bucketlen bytes ("." when 0) */
	size_t bucketlen;
	uint64_t size;                  /* bytes, as stored */
	unsigned type;                  /* mp_unpack_type_name */
	unsigned score;                 /* mp_object_score */
	const struct mp_object *object; /* counts and samples */
	const struct mp_ruleset *rules;
};
/* Format an object record into b (nothing for SARIF; one line for text). */
void mp_record_object(struct mp_batch *b, const struct mp_sink *s, const struct mp_object_view *v);

/* What a bucket record shows (--report). */
struct mp_bucket_view {
	const char *root;                  /* the scan root as given */
	const struct mp_bucket_name *name; /* name, population, sampled */
	const struct mp_bucket_acc *acc;   /* merged counters; NULL when nothing was scanned */
	const struct mp_ruleset *rules;
	bool sampling; /* add the estimate (--sample) */
};
/* Format a bucket record into b (nothing for SARIF; a few lines for text). */
void mp_record_bucket(struct mp_batch *b, const struct mp_sink *s, const struct mp_bucket_view *v);

/* A JSON string of s[0..n): exact when valid UTF-8, else with U+FFFD for
 * invalid sequences. The caller owns the result. */
struct json_object *mp_json_lossy(const char *s, size_t n);
/* A JSON string of s[0..n) in standard base64, or NULL when out of memory. */
struct json_object *mp_json_base64(const char *s, size_t n);

/* A finding's record location (finding.h) as a JSON object
 * {"row","column","column_name"} or {"index","json_path"}; NULL when the
 * finding has none. The caller owns the result. */
struct json_object *mp_record_json(const struct mp_record *r);
/* The same for people: "row 12, column 3 (ssn)" or "record 0, $.a[1].b";
 * appended to out, sanitized to printable UTF-8; nothing when none. */
void mp_record_text(const struct mp_record *r, struct mp_buf *out);

/* Add "image" and, for a location in a layer, "layer" (with its status)
 * to o, as in the JSON location. */
struct mp_image_ref;
void mp_json_add_image(struct json_object *o, const struct mp_image_ref *r);

/* "path!chain[0]!chain[1]..." for messages, sanitized to printable UTF-8. */
void mp_loc_display(const struct mp_loc *loc, struct mp_buf *out);

#endif
