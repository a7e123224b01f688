/* caps.h - named limits on everything an input can make magpie do.
 *
 * Every input-driven loop and buffer is bounded by one of these. Each has a
 * name (used by --limit NAME=VALUE and in notices), a default, and a range.
 * The table lives in caps.c; settings hold the values in effect.
 */
#ifndef MP_CAPS_H
#define MP_CAPS_H

#include <stddef.h>
#include <stdint.h>

enum mp_cap {
	MP_CAP_FILE_SIZE,           /* bytes of one file; 0 = no limit */
	MP_CAP_SEGMENT_SIZE,        /* bytes handed to one Vectorscan call */
	MP_CAP_MATCH_WIDTH,         /* bytes one match may span (caps a rule's max_length) */
	MP_CAP_HITS_PER_SEGMENT,    /* raw Vectorscan hits kept per segment */
	MP_CAP_FINDINGS_PER_OBJECT, /* findings reported per object before a notice */
	MP_CAP_FINDINGS_PER_RULE,   /* findings of one rule written per object; more are counted */
	MP_CAP_PCRE2_MATCH_LIMIT,   /* PCRE2 match limit per confirmation */
	MP_CAP_QUEUE_DEPTH,         /* work items waiting between walker and workers */
	MP_CAP_WALK_DEPTH,          /* directory levels below a scan root */
	MP_CAP_ARCHIVE_DEPTH,       /* archives or compressed streams open one inside another; 0: none */
	MP_CAP_MEMBER_SIZE,         /* bytes scanned per archive member; 0 = no limit */
	MP_CAP_EXPANDED_SIZE,       /* bytes unpacked per top-level input, all levels; 0 = no limit */
	MP_CAP_COMPRESSION_RATIO,   /* unpacked : read, per top-level input, past ratio-grace; 0 = none */
	MP_CAP_RATIO_GRACE,         /* bytes unpacked before compression-ratio applies */
	MP_CAP_ARCHIVE_ENTRIES,     /* entries read per archive */
	MP_CAP_INPUT_TIME,          /* wall-clock seconds per top-level input; 0 = no limit */
	MP_CAP_DECODER_MEMORY,      /* dictionary an xz or lzma stream may declare; 0 = no limit */
	MP_CAP_JSON_DEPTH,          /* JSON containers open one inside another with a known path */
	MP_CAP_JSON_PATH,           /* bytes of one JSONPath */
	MP_CAP_CSV_COLUMNS,         /* CSV header columns whose names are kept */
	MP_CAP_BUCKETS,             /* buckets (top-level directories) named in the rollup, all roots */
	MP_CAP_IMAGE_METADATA,      /* bytes of one image index, manifest or config (JSON) */
	MP_CAP_IMAGE_PATHS,         /* layer entries recorded per container image (for the status) */
	MP_CAP_IMAGE_FINDINGS,      /* findings held per container image until it is complete */
	MP_CAP__COUNT
};

struct mp_cap_def {
	const char *name; /* as written on the command line */
	uint64_t def;     /* default value */
	uint64_t min;     /* smallest accepted value */
	uint64_t max;     /* largest accepted value */
	int is_size;      /* accepts K/M/G/T suffixes (powers of 1024) */
	const char *help; /* one line for --help and the man page */
};

extern const struct mp_cap_def mp_cap_defs[MP_CAP__COUNT];

/* Fill caps[] with the defaults. */
void mp_caps_defaults(uint64_t caps[MP_CAP__COUNT]);

/* Parse "NAME=VALUE" into caps[]. Returns 0, or -1 with a message in err. */
int mp_caps_set(uint64_t caps[MP_CAP__COUNT], const char *spec, char *err, size_t errlen);

/* Set one cap from a value string. Returns 0, or -1 with a message in err. */
int mp_caps_set_one(uint64_t caps[MP_CAP__COUNT], enum mp_cap cap, const char *value, char *err,
		    size_t errlen);

/* Parse a decimal size with an optional K, M, G or T suffix (powers of
 * 1024, an optional trailing "iB" or "B" is accepted). Returns 0 or -1. */
int mp_parse_size(const char *s, uint64_t *out);

#endif
