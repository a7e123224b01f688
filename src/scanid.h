/* scanid.h - a hash of what a scan is: its rules, options and roots.
 *
 * Shards of one scan must have been run the same way before their outputs
 * can be merged. Every shard writes this hash in its summary
 * ("config_hash"), and `magpie merge` refuses outputs whose hashes differ.
 * It covers magpie's version, every enabled rule (all that decides what it
 * finds), every limit, the options that change what is found or written
 * (confidence, test values, binary and media modes, secrets shown, links
 * followed, file systems crossed, --fail-on, exclusions, --sample, --report
 * and --report-samples), the
 * baseline's entries, the .magpie.yml's bytes and the roots as given. Not
 * covered: the shard (merge checks shard counts itself, and a merged
 * result must carry the hash of the same scan run on one machine),
 * threads, output format and file, cache and progress options, and the
 * contents of a --files-from list (lists may be split outside magpie).
 */
#ifndef MP_SCANID_H
#define MP_SCANID_H

#include "baseline.h"
#include "rules.h"
#include "settings.h"

/* "sha256:" + 64 hex digits into out. base may be NULL. sample is the
 * --sample fraction (0: none). Returns 0, or -1 when out of memory or the
 * configuration file cannot be read again. */
int mp_scan_config_hash(const struct mp_settings *s, const struct mp_ruleset *rs,
			const struct mp_baseline *base, double sample, char out[72]);

#endif
