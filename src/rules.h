/* rules.h - rule files: YAML in, a frozen array of rules out.
 *
 * Loading happens on the main thread before any worker starts. After
 * mp_hsdb_build the rule set is read-only, except for each rule's lazily
 * compiled PCRE2 code, which is published once with an atomic compare-and-swap
 * (see confirm.c), so any thread may read rules concurrently.
 */
#ifndef MP_RULES_H
#define MP_RULES_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mp_rx;

enum mp_category {
	MP_CAT_SECRET,
	MP_CAT_PII,
	MP_CAT_GENERIC,
	MP_CAT__COUNT
};
enum mp_severity {
	MP_SEV_INFO,
	MP_SEV_LOW,
	MP_SEV_MEDIUM,
	MP_SEV_HIGH,
	MP_SEV_CRITICAL,
	MP_SEV__COUNT
};
enum mp_confidence {
	MP_CONF_LOW = 1,
	MP_CONF_MEDIUM,
	MP_CONF_HIGH
};

/* Bounds on what a rule may declare. */
#define MP_RULE_KW_DISTANCE_MAX 1024 /* bytes between a keyword and the value */
#define MP_RULE_KEYWORDS_MAX    64   /* keywords per rule */
#define MP_RULE_KEYWORD_LEN_MAX 64   /* bytes in one keyword */
#define MP_RULE_DIGITS_MAX      64   /* digits: max */

/* A keyword list prepared for one pass over a window: which (folded) bytes
 * start a keyword, and each keyword's length. */
struct mp_kwset {
	uint32_t first[8];  /* bitmap of folded first bytes */
	uint32_t pair[32];  /* 1024-bit hash set of folded first-two-byte pairs */
	uint32_t single[8]; /* first bytes of one-byte keywords */
	uint8_t len[MP_RULE_KEYWORDS_MAX];
	bool ready;
};

struct mp_rule {
	char *id; /* unique, [a-z0-9][a-z0-9.-]* */
	char *name;
	char *pattern;     /* PCRE2 syntax */
	char *description; /* free text for people, or NULL */
	enum mp_category category;
	enum mp_severity severity;
	enum mp_confidence confidence; /* base confidence before checks */
	uint32_t max_length;           /* declared widest match in bytes; 0 = not declared */
	char **keywords;               /* lower-cased; nkeywords entries */
	size_t nkeywords;
	uint32_t kw_distance; /* bytes; 0 when no keywords */
	bool kw_required;     /* no keyword nearby => no finding */
	bool kw_same_line;    /* the keyword must be on the value's line */
	bool yields;          /* a non-yielding rule on overlapping bytes wins (implied by generic) */
	char **neg_keywords;  /* `negative_keywords`: any of them nearby => no finding */
	size_t nneg_keywords;
	uint32_t neg_distance; /* bytes */
	char **test_values;    /* globs of documented example values (ignore.h syntax) */
	size_t ntest_values;
	double min_entropy;  /* bits per byte; 0 = no check */
	uint32_t digits_min; /* `digits:` the value is a number of this many digits ... */
	uint32_t digits_max; /* ... at most; 0/0 when the rule has no `digits:` */
	unsigned validators; /* MP_VALIDATE_* bits (validate.h) */
	char **examples;     /* with the "{{}}" splice markers removed */
	size_t nexamples;
	char **negatives;
	size_t nnegatives;
	char *file; /* rule file, as given */
	int line;   /* line of the rule's "id" (1-based) */
	int source; /* index of the --rules argument it came from (0 = defaults) */

	/* Set by mp_hsdb_build. */
	uint32_t width;                   /* bytes; the window PCRE2 looks back from a hit */
	bool prefilter;                   /* Vectorscan only approximates it */
	bool gated;                       /* keywords required: Vectorscan looks for the keywords and
	                          * PCRE2 searches for the value around each one */
	bool digit_run;                   /* candidates come from the digit-run finder, not Vectorscan */
	bool disabled;                    /* its pattern did not compile; error reported */
	struct mp_kwset kwset, neg_kwset; /* keywords and neg_keywords, prepared */

	/* Set by mp_confirm_rx() on first use; NULL until then. Published once
	 * with compare-and-swap; immutable afterwards. */
	_Atomic(struct mp_rx *) rx;
};

/* A rule's compiled PCRE2 program. */
struct mp_rx {
	pcre2_code *code; /* JIT-compiled where the platform allows */
	int secret_group; /* capture group holding the value; 0 = whole match */
};

struct mp_ruleset {
	struct mp_rule *rules; /* n entries, in load order */
	size_t n;
	size_t cap;
	char **errors; /* "file:line: message", one per rejected rule or file */
	size_t nerrors;
	uint32_t max_width;      /* max over enabled rules of width (set by hsdb) */
	uint32_t max_distance;   /* max over rules of kw_distance */
	uint32_t max_gate_reach; /* max over gated rules of width + distance + keyword length */
	uint32_t digits_min;     /* min over digit-run rules of digits_min; 0 = no such rule */
};

/* Load a rule file, or every *.yml / *.yaml file below a directory (sorted
 * by name). Rules from a larger source index replace same-id rules from a
 * smaller one; the same id twice within one source is an error. Problems in
 * rule content are appended to rs->errors and the rule (or, for YAML syntax
 * errors, the file) is skipped. Returns 0, or -1 when path itself cannot be
 * read (message in err). */
int mp_rules_load(struct mp_ruleset *rs, const char *path, int source, char *err, size_t errlen);

/* Load rules from a YAML text in memory; file names it in messages. */
int mp_rules_load_text(struct mp_ruleset *rs, const char *text, size_t len, const char *file, int source);

/* Append "file:line: message" to rs->errors (dropped if out of memory). */
void mp_rules_add_error(struct mp_ruleset *rs, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Rules not disabled by mp_hsdb_build. */
size_t mp_rules_enabled(const struct mp_ruleset *rs);

/* Keep only the rules whose id matches one of the `enable` globs (all, if
 * there are none) and none of the `disable` globs; the others are freed.
 * Globs are fnmatch(3) patterns ("pii.*"). `used`, if not NULL, has
 * nenable + ndisable entries, set true for each glob that matched a rule.
 * Returns the number of rules removed. */
size_t mp_rules_select(struct mp_ruleset *rs, char *const *enable, size_t nenable, char *const *disable,
		       size_t ndisable, bool *used);

/* Index of the rule with this id, or -1. */
long mp_rules_find(const struct mp_ruleset *rs, const char *id);

/* Frees everything, including compiled PCRE2 codes. Accepts a zeroed set. */
void mp_ruleset_free(struct mp_ruleset *rs);

const char *mp_category_name(enum mp_category c);
const char *mp_severity_name(enum mp_severity s);
const char *mp_confidence_name(enum mp_confidence c);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int mp_confidence_parse(const char *s, enum mp_confidence *out);
int mp_severity_parse(const char *s, enum mp_severity *out);

#endif
