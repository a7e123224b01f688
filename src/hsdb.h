/* hsdb.h - the Vectorscan block-mode databases of the enabled rules,
 * cached on disk.
 *
 * Most rules share one database. A personal-data rule that is neither
 * keyword-gated nor a digit run (addresses, phone numbers: values without
 * a literal prefix) gets a database of its own: put together, such
 * patterns made Vectorscan slower than scanning for each one separately
 * (doc/performance.md has the figures). Every segment is scanned with each
 * database in turn, into the same hit list.
 *
 * Built once on the main thread; afterwards the databases and the
 * prototype scratch (sized for all of them) are read-only and shared. Each
 * worker clones the scratch.
 */
#ifndef MP_HSDB_H
#define MP_HSDB_H

#include <hs/hs.h>
#include <stdbool.h>
#include <stddef.h>

#include "rules.h"

#define MP_HSDB_MAX 16 /* databases at most; further separate rules share the last */

struct mp_hsdb {
	hs_database_t *db[MP_HSDB_MAX]; /* pattern id = rule index */
	unsigned ndb;
	long db_rule[MP_HSDB_MAX]; /* the rule of a one-rule database, else -1 */
	hs_scratch_t *scratch;     /* prototype for hs_clone_scratch, fits every db */
	bool from_cache;           /* loaded from the cache rather than compiled */
	unsigned npatterns;        /* rules in the database */
};

struct mp_hsdb_opts {
	const char *cache_dir; /* NULL: $XDG_CACHE_HOME/magpie or ~/.cache/magpie */
	bool use_cache;
	uint64_t match_width; /* the match-width cap */
};

/* Validate every rule's pattern (Vectorscan and PCRE2), set each rule's
 * width, prefilter and disabled fields, and build or load the database.
 * A rule whose pattern is rejected is disabled with a message appended to
 * rs->errors. Returns 0, or -1 with err set when no database could be made
 * (e.g. no usable rule). */
int mp_hsdb_build(struct mp_ruleset *rs, const struct mp_hsdb_opts *opts, struct mp_hsdb *out, char *err,
		  size_t errlen);

void mp_hsdb_free(struct mp_hsdb *h);

/* A required keyword as the Vectorscan expression that finds it (to be
 * compiled caseless): lowercase letters and digits as they are, each of
 * ' ', '_' and '-' as the class of all three (keywords.h), every other byte
 * as \xHH. The result is malloc'd; NULL when out of memory. */
char *mp_hsdb_keyword_expr(const char *kw);

/* The cache directory in use for opts (malloc'd), or NULL. */
char *mp_hsdb_cache_dir(const struct mp_hsdb_opts *opts);

#endif
