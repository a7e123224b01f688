/* structured.h - positions inside CSV/TSV and JSON/JSON Lines objects.
 *
 * What an object is (mp_struct_detect) is decided once, from its name and
 * its first bytes. Where a byte lies in it (row and column of a CSV, record
 * index and JSONPath of a JSON value) is answered by forward-only cursors
 * that the scanner advances lazily: only up to the offsets where it needs a
 * location, and over the bytes a sliding segment buffer drops. An object
 * without findings is never parsed; nothing is parsed twice except where a
 * caller copies a cursor on purpose.
 *
 * Cursors read the object's bytes from the caller's buffer: `data` holds the
 * object's bytes from object offset `base` on, and every advance must stay
 * inside it. A cursor never looks back at bytes it has passed.
 *
 * Labels: a CSV header cell or a JSON key is a label. A rule's keyword
 * matches a label as in doc/internals.md "Structured objects": ASCII case is
 * ignored, ' ', '_' and '-' are one character, and the punctuation a rule
 * file puts around a keyword ("ssn:", "ssn\"") stands for a label boundary.
 *
 * Everything here is pure and thread-safe except where a cursor or a label
 * set is shared: a cursor belongs to one scanner; a label set is built once
 * and then only read.
 */
#ifndef MP_STRUCTURED_H
#define MP_STRUCTURED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

enum mp_struct_kind {
	MP_STRUCT_NONE,
	MP_STRUCT_CSV,  /* CSV or TSV: records of fields, RFC 4180 quoting */
	MP_STRUCT_JSON, /* one JSON document (or several, one after another) */
	MP_STRUCT_JSONL /* JSON Lines: one value per line */
};

/* Bytes of an object's start that detection looks at, and records sampled. */
#define MP_STRUCT_SNIFF_BYTES   (64u << 10)
#define MP_STRUCT_SNIFF_RECORDS 20

struct mp_struct_info {
	enum mp_struct_kind kind;
	char delim;  /* CSV: ',', '\t', ';' or '|' */
	bool header; /* CSV: the first record names the columns */
};

/* Decide what an object named `name` (a file name, an archive member's name,
 * or a path: only the part after the last '/' counts) whose first bytes are
 * p[0..n) is. The name proposes (.csv .tsv .tab .json .jsonl .ndjson, any
 * case, after removing a compression suffix such as .gz), the bytes
 * confirm: JSON must start with '{' or '[' (after a UTF-8 BOM and white
 * space); a CSV must show 2 or more fields per record, the same number in
 * the sampled records, for one of the delimiters. Fills *out (kind NONE when
 * either says no). */
void mp_struct_detect(const char *name, const void *p, size_t n, struct mp_struct_info *out);

/* The name with a compression suffix (.gz .gzip .bz2 .xz .lzma .zst .zstd
 * .lz4 .lz .Z) removed: the length of what is left, or 0 when the name has
 * no such suffix. For naming the content of a compressed file. */
size_t mp_struct_strip_compression(const char *name, size_t len);

/* Does the cell p[0..n) look like a number (digits, with signs, separators,
 * decimal points, currency or percent signs)? Exposed for tests. */
bool mp_csv_looks_numeric(const char *p, size_t n);

/* ---- labels ---- */

/* Does one of rule r's keywords match the label p[0..n)? */
bool mp_label_match(const struct mp_rule *r, const char *p, size_t n);

/* Every keyword of the keyword-gated rules of a rule set, indexed for
 * matching many labels quickly. Built once (mp_labels_new), then read-only. */
struct mp_labels;

/* NULL when out of memory. rs is borrowed and must outlive the set. */
struct mp_labels *mp_labels_new(const struct mp_ruleset *rs);
void mp_labels_free(struct mp_labels *ls);

/* Indices of the gated rules with a keyword matching p[0..n), into
 * out[0..max), each once, ascending. Returns how many (at most max). */
size_t mp_labels_match(const struct mp_labels *ls, const char *p, size_t n, uint32_t *out, size_t max);

/* ---- CSV ---- */

/* A header row, parsed from the object's first bytes. */
struct mp_csv_header {
	size_t ncols;                    /* columns named (at most the csv-columns limit) */
	bool cut;                        /* the header had more columns than were kept */
	uint64_t end;                    /* object offset just past the header record (its '\n') */
	char *names;                     /* decoded cell texts, back to back; owned */
	size_t *name_off;                /* ncols + 1 offsets into names */
	uint64_t *cell_start, *cell_end; /* ncols: object offsets of each cell's raw bytes */
};

/* Parse the first record of p[0..n) (the object's first bytes, a UTF-8 BOM
 * skipped) as a header of at most max_cols columns. Returns 0, or -1 when out
 * of memory or the record does not end within n bytes (h is then empty). */
int mp_csv_header_parse(struct mp_csv_header *h, const char *p, size_t n, char delim, size_t max_cols);
void mp_csv_header_free(struct mp_csv_header *h);

enum mp_csv_state {
	MP_CSV_START,  /* at a field's first byte */
	MP_CSV_UNQ,    /* in an unquoted field */
	MP_CSV_QUOTED, /* inside quotes */
	MP_CSV_QQ      /* just after a '"' inside quotes: a doubled quote or the closing one */
};

struct mp_csv_cursor {
	uint64_t off;  /* object offset reached: bytes before it are accounted */
	uint64_t row;  /* 1-based record of the byte at off (the header, if any, is record 1) */
	uint64_t col;  /* 1-based field of the byte at off */
	uint8_t state; /* enum mp_csv_state at off */
	char delim;
	uint64_t field_start; /* object offset of the current field's content (walk only) */
	uint64_t quote_end;   /* object offset of its closing quote, or 0 (walk only) */
};

/* A cursor at the object's start; a UTF-8 BOM at p (the first bytes, n of
 * them) is stepped over. */
void mp_csv_init(struct mp_csv_cursor *c, char delim, const char *p, size_t n);

/* Advance to object offset `to` (c->off <= to); data[0..) holds the object
 * from offset base, and must cover [c->off, to). Quote-free stretches cost a
 * memchr and a newline count. */
void mp_csv_advance(struct mp_csv_cursor *c, const char *data, uint64_t base, uint64_t to);

/* Advance like mp_csv_advance, calling cell(ctx, col, start, end) for every
 * field that ends before `to`, with the object offsets of its content
 * (quotes and a trailing '\r' left out); a field cut by `to` is given up to
 * `to` when `flush` is set. The field's row is c->row during the call. */
void mp_csv_walk(struct mp_csv_cursor *c, const char *data, uint64_t base, uint64_t to, bool flush,
		 void (*cell)(void *ctx, const struct mp_csv_cursor *c, uint64_t col, uint64_t start,
			      uint64_t end),
		 void *ctx);

/* ---- JSON ---- */

struct mp_json_frame {
	uint8_t type;       /* '{' or '[' */
	uint8_t ngated;     /* gated rules whose keywords match this frame's current key */
	bool gated_done;    /* ngated is computed for the current key */
	uint32_t path_len;  /* length of the container's own path in the path buffer */
	uint64_t aindex;    /* array: index of the current element */
	uint64_t key_start; /* object: the current key's bytes, quotes excluded ... */
	uint64_t key_end;   /* ... (object offsets); key_end == key_start + raw length */
	uint32_t masked;    /* rule index + 1 of a match inside the current key; 0: none */
	uint16_t gated[4];  /* those rules' indices */
	bool has_key;       /* object: a key was read for the current member */
};

enum mp_json_error {
	MP_JSON_OK,
	MP_JSON_SYNTAX,    /* malformed: the structure after err_off is unknown */
	MP_JSON_TOO_DEEP,  /* json-depth exceeded: paths below are unknown until it closes */
	MP_JSON_PATH_LONG, /* json-path exceeded: paths below are unknown until it closes */
};

struct mp_json_cursor {
	uint64_t off; /* object offset reached */
	/* JSON: 0-based index of the top-level value at off; JSON Lines: the
	 * '\n' bytes before off, that is the 0-based line. */
	uint64_t index;
	bool lines;                   /* JSON Lines: every '\n' ends a record and resets the cursor */
	uint8_t state;                /* parser state (structured.c) */
	bool in_key;                  /* the string being read is an object key */
	uint8_t esc;                  /* in a string: 0, 1 after '\\', 2..5 reading \u hex digits */
	uint32_t uval;                /* \u digits read so far */
	uint32_t hi_sur;              /* a high surrogate waiting for its pair, or 0 */
	uint64_t str_start;           /* object offset of the current string's content */
	uint32_t depth;               /* open containers */
	uint32_t lost_depth;          /* containers open below max_depth (json-depth exceeded) */
	uint32_t max_depth;           /* frames available */
	uint32_t cut_depth;           /* depth at which the path stopped fitting; 0: it fits */
	enum mp_json_error err;       /* the first problem of this record (JSON Lines) or object */
	uint64_t err_off;             /* where it was found */
	bool broken;                  /* MP_JSON_SYNTAX: nothing more is parsed in this record */
	struct mp_json_frame *frames; /* max_depth */
	char *path;                   /* "$" and the components; path_cap bytes */
	size_t path_len, path_cap;
	char *key; /* the key being read, decoded; key_cap bytes */
	size_t key_len, key_cap;
	bool key_over; /* the key did not fit */
	/* Called when a key has been read (the top frame's key_start, key_end
	 * and path are set); may set the frame's masked or gated fields. */
	void (*on_key)(void *ctx, struct mp_json_cursor *c, struct mp_json_frame *f);
	/* Called for each scalar value read (walks only): object offsets of a
	 * string's content or of a number or literal. */
	void (*on_value)(void *ctx, struct mp_json_cursor *c, uint64_t start, uint64_t end);
	void *ctx;
};

/* Allocate a cursor's frames and buffers: max_depth frames (json-depth) and
 * path_cap bytes of path (json-path). Returns 0 or -1 (out of memory). */
int mp_json_alloc(struct mp_json_cursor *c, uint32_t max_depth, size_t path_cap);
void mp_json_free(struct mp_json_cursor *c);

/* Start at the object's start (a UTF-8 BOM at p is stepped over). Keeps
 * the buffers and the callbacks. */
void mp_json_init(struct mp_json_cursor *c, bool lines, const char *p, size_t n);

/* Make dst (allocated with the same limits) the same cursor as src. The
 * callbacks of dst are kept. */
void mp_json_copy(struct mp_json_cursor *dst, const struct mp_json_cursor *src);

/* Advance to object offset `to` (c->off <= to) over data (object offset
 * base at data[0]). JSON Lines without on_value: everything before the last
 * '\n' is skipped with a newline count, so only the tail of one line is
 * parsed. */
void mp_json_advance(struct mp_json_cursor *c, const char *data, uint64_t base, uint64_t to);

/* True when c->off is inside an object key (its path is then that of the
 * object holding the key). */
bool mp_json_at_key(const struct mp_json_cursor *c);

/* True when c->off is inside a string value (not a key). */
bool mp_json_in_value(const struct mp_json_cursor *c);

/* True when the path of the byte at c->off is known: no syntax error in this
 * record, not below json-depth, the path fits. */
bool mp_json_path_known(const struct mp_json_cursor *c);

/* Write the path of the current position to out (at most max bytes, not
 * NUL-terminated; returns the length, or 0 when it did not fit): inside a
 * key, the path of the object holding it. Key components of
 * frames whose `masked` is set replaced by ["<masked:RULE-ID>"] where
 * rule_id(ctx, rule) gives the id. */
size_t mp_json_path_render(const struct mp_json_cursor *c, char *out, size_t max,
			   const char *(*rule_id)(void *ctx, uint32_t rule), void *ctx);

/* The key of frame i (0: outermost) as written in the path buffer, without
 * its "." or the brackets and quotes of ["..."]: *p, returns its length; 0
 * for an array frame, or a frame whose key did not fit. Label matching
 * reads keys from here. */
size_t mp_json_component(const struct mp_json_cursor *c, uint32_t i, const char **p);

#endif
