/* finding.h - what a scanner reports, and how a secret is hidden.
 *
 * All functions are pure and thread-safe.
 */
#ifndef MP_FINDING_H
#define MP_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rules.h"

/* Where an object lives: a path on disk (or "-" for stdin) and, for content
 * found inside other content, the names of each nested step. */
struct mp_image_ref;
struct mp_loc {
	const char *path;         /* raw bytes as the file system gave them */
	const char *const *chain; /* nchain names, outermost first */
	size_t nchain;
	const struct mp_image_ref *image; /* inside a container image (image.h), or NULL */
};

/* Where a finding lies inside a structured object (structured.h): a CSV
 * cell, or a JSON value. Both false for other objects. */
struct mp_record {
	bool cell;               /* CSV or TSV: row, column, column_name */
	bool json;               /* JSON or JSON Lines: index, json_path */
	uint64_t row;            /* 1-based record, the header (if any) being record 1 */
	uint64_t column;         /* 1-based field */
	const char *column_name; /* borrowed: the header cell (decoded), or NULL */
	size_t column_name_len;
	uint64_t index;        /* JSON Lines: 0-based line; JSON: 0-based top-level value */
	const char *json_path; /* borrowed: "$..." with masked keys, or NULL when not known */
	size_t json_path_len;
};

struct mp_finding {
	const struct mp_rule *rule;
	enum mp_confidence confidence;
	/* Positions are bytes of the object as stored: for UTF-16 text
	 * (MP_SCAN_UTF16) they are bytes of the UTF-16 original, so length is
	 * then not secret_len (the secret is given in UTF-8). */
	uint64_t offset;               /* of the secret, in bytes from the object's start */
	uint64_t length;               /* of the secret, in bytes */
	uint64_t line, column;         /* 1-based; column counts bytes */
	uint64_t end_line, end_column; /* position just past the secret (exclusive) */
	double entropy;                /* Shannon, bits per byte, of the secret */
	bool test_value;               /* matches one of the rule's documented example values */
	bool allowed;                  /* a "magpie:allow" comment on its line covers its rule */
	const char *secret;            /* borrowed: the raw value, secret_len bytes */
	size_t secret_len;
	const char *redacted; /* borrowed: NUL-terminated, valid UTF-8 */
	const char *context;  /* borrowed: one line, other secrets masked; valid UTF-8 */
	char fingerprint[72]; /* "sha256:" + 64 hex digits */
	struct mp_record record;
};

/* Characters of a secret shown before the mask. */
#define MP_REDACT_MAX_SHOWN 6

/* Write the redacted form of s into out: at most a third of it (and at most
 * MP_REDACT_MAX_SHOWN characters) in clear, then "…". */
void mp_redact(const char *s, size_t n, struct mp_buf *out);

/* "sha256:" + hex(SHA-256(rule_id || 0x00 || secret)) into out[72]. */
void mp_fingerprint(const char *rule_id, const char *s, size_t n, char out[72]);

/* Append bytes to out as valid UTF-8: invalid sequences and control
 * characters other than tab become U+FFFD. */
int mp_utf8_sanitize(struct mp_buf *out, const char *s, size_t n);

/* Append bytes to out, replacing only invalid UTF-8 sequences with U+FFFD
 * (control characters are kept; JSON escapes them). */
int mp_utf8_lossy(struct mp_buf *out, const char *s, size_t n);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
size_t mp_utf8_seq(const unsigned char *s, size_t n);

/* True when s[0..n) is valid UTF-8. */
bool mp_utf8_valid(const char *s, size_t n);

#endif
