/* config.h - .magpie.yml: a project's exclusions, rule choices, allowlist
 * and limits, next to its code.
 *
 * Found at the scan root, or at the top of the git work tree above it (the
 * directory holding .git), or given with --config. Command-line options
 * win over it: its excludes, rule globs and rule files are added to theirs,
 * and a limit set on the command line is not changed.
 */
#ifndef MP_CONFIG_H
#define MP_CONFIG_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>

struct mp_settings;

/* One allowlist entry: a value, or a regular expression searched in the
 * value; for one rule, or for every rule (rule NULL). */
struct mp_allow_entry {
	char *rule;
	char *value;
	size_t value_len;
	pcre2_code *rx;
};

struct mp_config {
	char *path;  /* the file read */
	char **strs; /* strings the settings point into */
	size_t nstrs, capstrs;
	struct mp_allow_entry *allow; /* allowlist */
	size_t nallow, capallow;
};

/* Find the configuration for a scan of s->paths (or of the git work tree
 * for --staged): PATH/.magpie.yml for the first path that is a directory,
 * then .magpie.yml at the top of the work tree holding it. Returns a
 * malloc'd path, or NULL when there is none. */
char *mp_config_find(const struct mp_settings *s);

/* Read path and apply it to s (which takes c as s->config). Returns 0, or
 * -1 with "file:line: message" in err. */
int mp_config_load(struct mp_settings *s, struct mp_config *c, const char *path, char *err, size_t errlen);

/* Does the allowlist cover this value of rule id? Thread-safe. */
bool mp_config_allows(const struct mp_config *c, const char *id, const char *value, size_t n);

void mp_config_free(struct mp_config *c);

#endif
