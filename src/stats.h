/* stats.h - counters kept per thread and added up at the end. */
#ifndef MP_STATS_H
#define MP_STATS_H

#include <stddef.h>
#include <stdint.h>

enum mp_notice_kind {
	MP_NK_UNREADABLE,    /* open or stat refused */
	MP_NK_READ_ERROR,    /* read failed part way */
	MP_NK_SPECIAL_FILE,  /* FIFO, socket or device: never opened */
	MP_NK_SYMLINK_LOOP,  /* a followed link leads back to an ancestor */
	MP_NK_LIMIT,         /* a named limit stopped part of the work */
	MP_NK_RULE_ERROR,    /* a rule or rule file was rejected */
	MP_NK_SCAN_ERROR,    /* the matcher failed */
	MP_NK_ARCHIVE_ERROR, /* an archive or compressed stream is damaged, truncated or unsupported */
	MP_NK_ENCRYPTED,     /* an encrypted archive member was not scanned */
	MP_NK_IMAGE_ERROR,   /* a container image's index, manifest, config or layer is wrong */
	MP_NK_ERROR,         /* anything else */
	MP_NK__COUNT
};

/* Kind from its name; unknown names count as MP_NK_ERROR. */
enum mp_notice_kind mp_notice_kind(const char *name);
const char *mp_notice_kind_name(enum mp_notice_kind k);

/* --profile: where the time went, per rule. Times are per thread and
 * added up, so with N threads they are CPU time, not wall time. */
struct mp_prof {
	uint64_t *hits;     /* per rule: raw hits (Vectorscan matches or digit runs) */
	uint64_t *matches;  /* per rule: matches PCRE2 confirmed */
	uint64_t *ns;       /* per rule: PCRE2 and the checks, in nanoseconds */
	uint64_t hs_ns;     /* the Vectorscan scans */
	uint64_t db_ns[16]; /* per database (MP_HSDB_MAX) */
	uint64_t runs_ns;   /* the digit-run finder */
};

struct mp_stats {
	uint64_t files;      /* objects opened and scanned */
	uint64_t bytes;      /* bytes read from the inputs (files and stdin) */
	uint64_t expanded;   /* bytes unpacked from archives and compressed streams, every level */
	uint64_t archives;   /* archives and compressed streams opened */
	uint64_t members;    /* archive members whose data was read */
	uint64_t binaries;   /* objects typed binary and scanned (--binary) */
	uint64_t utf16;      /* objects typed UTF-16 text and transcoded */
	uint64_t findings;   /* written */
	uint64_t *by_rule;   /* nrules counters of written findings */
	uint64_t unreported; /* counted, not written (findings-per-rule) */
	uint64_t *unreported_by_rule;
	size_t nrules;
	uint64_t notices;
	uint64_t by_kind[MP_NK__COUNT];
	uint64_t skipped_symlinks;    /* links not followed */
	uint64_t skipped_excluded;    /* paths matching --exclude */
	uint64_t skipped_shard;       /* objects of other shards (--shard) */
	uint64_t skipped_sample;      /* objects left out of the sample (--sample) */
	uint64_t skipped_test_values; /* documented example values not reported */
	uint64_t skipped_system;      /* /proc, /sys, /dev under a scan of / */
	uint64_t skipped_media;       /* images, audio, video not scanned (--media=skip) */
	uint64_t skipped_binary;      /* binary objects not scanned (--binary=skip) */
	uint64_t suppressed;          /* findings in the --baseline (written only with --show-suppressed) */
	uint64_t skipped_not_added;   /* --staged: findings on lines the staged diff does not add */
	struct mp_prof *prof;         /* NULL unless profiling */

	/* Objects: for --report and --sample. */
	uint64_t with_findings; /* inputs with a finding counted (written or unreported) */
	uint64_t queued;        /* objects the walker queued (the sample, with --sample) */
};

int mp_stats_init(struct mp_stats *s, size_t nrules);
/* Allocate s->prof. Returns 0 or -1. */
int mp_stats_profile(struct mp_stats *s);
/* into += from */
void mp_stats_add(struct mp_stats *into, const struct mp_stats *from);
void mp_stats_free(struct mp_stats *s);

#endif
