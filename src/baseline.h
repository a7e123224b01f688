/* baseline.h - findings known and accepted: --baseline and --write-baseline.
 *
 * A baseline file is JSON: an object whose "findings" array holds one object
 * per finding, {"fingerprint", "rule", "path", "line"}, written one a line
 * and sorted (path, line, rule, fingerprint), so that it diffs cleanly. A
 * finding is suppressed when its rule id and fingerprint are in the file;
 * path and line are there for the reader, and do not have to match (the
 * same secret moved is still the same secret).
 */
#ifndef MP_BASELINE_H
#define MP_BASELINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mp_baseline_entry {
	char *rule;        /* rule id; owned */
	char *fingerprint; /* "sha256:..."; owned */
	char *path;        /* display form of the location ("a!b" when nested); owned */
	uint64_t line;     /* 1-based; 0 when unknown */
};

struct mp_baseline {
	struct mp_baseline_entry *e; /* n entries; sorted by rule, fingerprint once loaded */
	size_t n, cap;
	bool failed;          /* an add ran out of memory */
	pthread_mutex_t lock; /* mp_baseline_add may be called from any thread */
};

void mp_baseline_init(struct mp_baseline *b);
/* Free the entries. Accepts a zeroed or initialised baseline. */
void mp_baseline_free(struct mp_baseline *b);

/* Read file into b (initialised, empty). Returns 0, or -1 with a one-line
 * reason in err (the caller adds the file name). */
int mp_baseline_load(struct mp_baseline *b, const char *file, char *err, size_t errlen);
/* True when (rule, fingerprint) is in b, which mp_baseline_load filled. Pure;
 * any thread. */
bool mp_baseline_has(const struct mp_baseline *b, const char *rule, const char *fingerprint);

/* Record a finding for mp_baseline_write. Thread-safe. */
void mp_baseline_add(struct mp_baseline *b, const char *rule, const char *fingerprint, const char *path,
		     uint64_t line);
/* Sort b, drop duplicates and write it to file (through a temporary name,
 * then rename). Returns 0, or -1 with a reason in err. */
int mp_baseline_write(struct mp_baseline *b, const char *file, char *err, size_t errlen);

#endif
