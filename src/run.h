/* run.h - the commands: scan, rules list, rules check, merge.
 *
 * Each returns the process exit status: 0 nothing found (or all good),
 * 1 findings, 2 usage or fatal error. Called on the main thread.
 */
#ifndef MP_RUN_H
#define MP_RUN_H

#include "settings.h"

#define MP_EXIT_CLEAN    0
#define MP_EXIT_FINDINGS 1
#define MP_EXIT_ERROR    2

int mp_run_scan(const struct mp_settings *s);
int mp_run_rules_list(const struct mp_settings *s);
int mp_run_rules_check(const struct mp_settings *s);
/* merge.c: combine the JSON outputs of a scan's shards into one result. */
int mp_run_merge(const struct mp_settings *s);

/* Load the rules as the commands do: the defaults (unless
 * --no-default-rules or files given), then files, then --rules paths,
 * then --enable-rule/--disable-rule. Returns 0, or -1 (message printed). */
int mp_run_load_rules(const struct mp_settings *s, struct mp_ruleset *rs, char **files, size_t nfiles);

/* The default rule directory: $MAGPIE_RULES_DIR if set; the source tree's
 * patterns/ when the running binary is the uninstalled one in the build
 * tree; otherwise $(pkgdatadir)/patterns. */
const char *mp_default_rules_dir(void);

#endif
