/* scan.h - the matcher: Vectorscan over bounded segments, PCRE2 confirmation,
 * validation, location, and reporting through callbacks.
 *
 * An engine (rules + database + limits) is built once and shared read-only.
 * A scanner is one worker's mutable state: Vectorscan scratch, PCRE2 match
 * data, the segment buffer. Scanners are not shared between threads.
 *
 * Segments: a stream is read into a buffer of segment-size + overlap bytes.
 * Each Vectorscan call covers the whole buffer, but reports only matches that
 * END inside the segment's own window (r0, r1]. The buffer keeps `back`
 * bytes before r0 (enough for the widest match plus keyword distance and
 * context) and `fwd` bytes after r1 (enough for greedy extension, keywords
 * after the value, and context), so a match is seen whole by exactly one
 * segment and reported once however the stream is cut.
 */
#ifndef MP_SCAN_H
#define MP_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "caps.h"
#include "finding.h"
#include "hsdb.h"
#include "rules.h"
#include "structured.h"

/* Bytes of text shown on each side of a secret in a finding's context. */
#define MP_CONTEXT_RADIUS 60

/* --binary: what binary content is scanned for. */
enum mp_binary_mode {
	MP_BIN_SECRETS, /* every rule but those of category pii (the default) */
	MP_BIN_ALL,     /* every rule */
	MP_BIN_SKIP     /* not scanned; counted */
};

struct mp_engine {
	struct mp_ruleset *rules; /* borrowed; frozen */
	struct mp_hsdb hs;        /* owned */
	uint64_t caps[MP_CAP__COUNT];
	bool show_secrets;                 /* contexts keep secrets in clear */
	enum mp_confidence min_confidence; /* findings below it are not reported; 0: all */
	bool include_test_values;          /* report documented example values (marked) */
	enum mp_binary_mode binary;        /* --binary */
	bool scan_media;                   /* --media=scan: media is scanned as binary content */
	size_t back;                       /* overlap kept before a segment's window */
	size_t fwd;                        /* bytes read past a segment's window */
	struct mp_labels *labels;          /* owned: keywords of the gated rules, for CSV headers
	                                    * and JSON keys */
};

/* Build the database for rs and derive the overlap. e->min_confidence,
 * e->include_test_values, e->binary and e->scan_media, if set by the caller
 * before the call, are kept;
 * every other field is reset.
 * Returns 0 or -1 (err). */
int mp_engine_init(struct mp_engine *e, struct mp_ruleset *rs, const uint64_t caps[MP_CAP__COUNT],
		   const struct mp_hsdb_opts *opts, bool show_secrets, char *err, size_t errlen);
void mp_engine_free(struct mp_engine *e);

/* Where a scanner sends results. Called on the scanner's thread; pointers in
 * the arguments are valid only during the call. */
struct mp_emit {
	/* Returns whether the finding counts (the consumer did not drop it:
	 * a baseline, a line a commit does not add). Only those count towards
	 * findings-per-rule. */
	bool (*finding)(void *ctx, const struct mp_loc *loc, const struct mp_finding *f);
	/* The same filters, for a finding past findings-per-rule that is only
	 * counted: whether it counts. May be NULL (every finding counts). Sees
	 * the rule, position and fingerprint; not the confidence, redaction or
	 * context. */
	bool (*keep)(void *ctx, const struct mp_loc *loc, const struct mp_finding *f);
	void (*notice)(void *ctx, const struct mp_loc *loc, const char *kind, const char *message);
	/* A finding counted but not written (findings-per-rule); may be NULL. */
	void (*unreported)(void *ctx, const struct mp_rule *r);
	void *ctx;
};

/* A byte source. read returns bytes read (> 0), 0 at the end, or -1 on
 * error, after which error() describes it. seek, when not NULL, moves to
 * offset from whence (SEEK_SET, SEEK_CUR, SEEK_END) like lseek and returns
 * the new offset, or -1 on error; only a regular file offers it. */
struct mp_reader {
	long (*read)(void *ctx, void *buf, size_t n);
	const char *(*error)(void *ctx);
	int64_t (*seek)(void *ctx, int64_t offset, int whence);
	void *ctx;
};

struct mp_scanner;

/* A scanner for one thread. NULL when out of memory. */
struct mp_scanner *mp_scanner_new(const struct mp_engine *e, const struct mp_emit *emit);
void mp_scanner_free(struct mp_scanner *s);

/* Count hits and time into p (per rule, as struct mp_prof); NULL stops. */
struct mp_prof;
void mp_scanner_profile(struct mp_scanner *s, struct mp_prof *p);

/* Options for the next object the scanner scans; they end with it. */
#define MP_SCAN_NO_PII 1u /* rules of category pii are not run (binary content) */
/* The bytes come from an mp_utf16 reader (text.h): offset, length, column
 * and end_column are reported in bytes of the UTF-16 original (column:
 * original bytes from the line's start, plus 1). Contexts, redactions and
 * fingerprints use the UTF-8 text. */
#define MP_SCAN_UTF16 2u
void mp_scanner_next_object(struct mp_scanner *s, unsigned flags);

/* What the next object is (mp_struct_detect): findings in a CSV or JSON
 * object then carry a record location (finding.h), and the column's header
 * or the value's keys count as keyword context. Ends with that object.
 * Ignored with MP_SCAN_UTF16. */
void mp_scanner_next_structure(struct mp_scanner *s, const struct mp_struct_info *info);

/* Scan data already in memory as one object. Returns findings reported. */
uint64_t mp_scan_mem(struct mp_scanner *s, const struct mp_loc *loc, const void *data, size_t len);

/* Scan a stream to its end (or to a limit). Read errors become notices.
 * Returns findings reported; *bytes gets the bytes read. */
uint64_t mp_scan_stream(struct mp_scanner *s, const struct mp_loc *loc, const struct mp_reader *rd,
			uint64_t *bytes);

/* Count of '\n' bytes in p[0..n). Exposed for tests. */
size_t mp_count_newlines(const char *p, size_t n);

#endif
