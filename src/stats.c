/* stats.c - counters. */
#include "mp_config.h"

#include <stdlib.h>
#include <string.h>

#include "stats.h"

static const char *const kind_names[MP_NK__COUNT] = {
	[MP_NK_UNREADABLE] = "unreadable",
	[MP_NK_READ_ERROR] = "read-error",
	[MP_NK_SPECIAL_FILE] = "special-file",
	[MP_NK_SYMLINK_LOOP] = "symlink-loop",
	[MP_NK_LIMIT] = "limit",
	[MP_NK_RULE_ERROR] = "rule-error",
	[MP_NK_SCAN_ERROR] = "scan-error",
	[MP_NK_ERROR] = "error",
};

enum mp_notice_kind mp_notice_kind(const char *name)
{
	for (int i = 0; i < MP_NK__COUNT; i++)
		if (strcmp(kind_names[i], name) == 0)
			return (enum mp_notice_kind)i;
	return MP_NK_ERROR;
}

const char *mp_notice_kind_name(enum mp_notice_kind k)
{
	return kind_names[k];
}

int mp_stats_init(struct mp_stats *s, size_t nrules)
{
	memset(s, 0, sizeof *s);
	s->nrules = nrules;
	s->by_rule = calloc(nrules ? nrules : 1, sizeof *s->by_rule);
	return s->by_rule ? 0 : -1;
}

void mp_stats_add(struct mp_stats *into, const struct mp_stats *from)
{
	into->files += from->files;
	into->bytes += from->bytes;
	into->findings += from->findings;
	for (size_t i = 0; i < into->nrules && i < from->nrules; i++)
		into->by_rule[i] += from->by_rule[i];
	into->notices += from->notices;
	for (int i = 0; i < MP_NK__COUNT; i++)
		into->by_kind[i] += from->by_kind[i];
	into->skipped_symlinks += from->skipped_symlinks;
	into->skipped_excluded += from->skipped_excluded;
	into->skipped_system += from->skipped_system;
	into->skipped_test_values += from->skipped_test_values;
}

void mp_stats_free(struct mp_stats *s)
{
	free(s->by_rule);
	s->by_rule = NULL;
}
