/* sarif.h - SARIF 2.1.0 output (--format sarif), for code-scanning services.
 *
 * A SARIF log is one JSON document whose rules array and result order must
 * not depend on which thread found what. So workers do not write SARIF
 * directly: they format each finding or notice into their batch as one
 * "held" line (a result or a notification object, prefixed by a letter),
 * the sink keeps those lines in memory, and mp_sarif_write() sorts them and
 * writes the document once every thread has finished. doc/output.md
 * describes the document.
 *
 * All functions are thread-safe: they touch only their arguments.
 */
#ifndef MP_SARIF_H
#define MP_SARIF_H

#include <stdbool.h>
#include <stdio.h>

#include "buf.h"
#include "finding.h"
#include "rules.h"
#include "stats.h"

/* Bytes of held lines a sink keeps for SARIF output; past this the output
 * fails (exit status 2) rather than growing without bound. */
#define MP_SARIF_HELD_MAX ((size_t)1 << 32)

/* SARIF level of a finding: "error" (critical, high), "warning" (medium)
 * or "note" (low, info). */
const char *mp_sarif_level(enum mp_severity sev);
/* GitHub's "security-severity" score for a severity ("9.5" for critical
 * down to "2.0" for low), or NULL for info (no score). */
const char *mp_sarif_security_severity(enum mp_severity sev);

/* SARIF level of a notice, by kind: "error" when magpie could not read or
 * match something it meant to scan (unreadable, read-error, scan-error,
 * error and unknown kinds), "warning" when content was skipped by design or
 * cannot be scanned (limit, encrypted, archive-error, special-file,
 * symlink-loop, rule-error). */
const char *mp_sarif_notice_level(const char *kind);

/* Append path[0..n) to out as a URI reference: unreserved characters and
 * the path characters ! $ & ' ( ) * + , ; = @ / are kept, every other byte
 * (space, %, :, ?, #, controls, every byte >= 0x80) becomes %XX with
 * uppercase hex. A path starting with '/' becomes "file://" + path. So the
 * result is ASCII, and it keeps the exact bytes of names that are not
 * UTF-8. Returns 0, or -1 when out grew past its maximum. */
int mp_sarif_uri(struct mp_buf *out, const char *path, size_t n);

/* Append one held line for a finding (a SARIF result without its
 * ruleIndex). With show_secrets the value goes in properties.secret. */
void mp_sarif_hold_result(struct mp_buf *out, const struct mp_loc *loc, const struct mp_finding *f,
			  bool suppressed, bool show_secrets);

/* Append one held line for a notice (a toolExecutionNotification). */
void mp_sarif_hold_notice(struct mp_buf *out, const struct mp_loc *loc, const char *kind,
			  const char *message);

/* The run's context, for the document. */
struct mp_sarif_run {
	const struct mp_ruleset *rules; /* looked up by the results' rule ids */
	const struct mp_stats *stats;   /* counts for invocations[0].properties */
	bool successful;                /* invocations[0].executionSuccessful */
};

/* Write the SARIF document built from held[0..len) (lines made by the two
 * functions above, in any order; the buffer is modified). Results are
 * sorted by uri, line, column, rule id, then the whole line; notifications
 * by their line; the rules array by id. So the same findings always give
 * the same bytes. Returns 0, or -1 when out of memory or a held line does
 * not parse (a bug); write errors show in ferror(out). */
int mp_sarif_write(FILE *out, char *held, size_t len, const struct mp_sarif_run *run);

#endif
