/* run.h - the commands: scan, rules list, rules check.
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

/* The default rule directory: $MAGPIE_RULES_DIR if set; the source tree's
 * patterns/ when the running binary is the uninstalled one in the build
 * tree; otherwise $(pkgdatadir)/patterns. */
const char *mp_default_rules_dir(void);

#endif
