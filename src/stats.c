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
	[MP_NK_ARCHIVE_ERROR] = "archive-error",
	[MP_NK_ENCRYPTED] = "encrypted",
	[MP_NK_IMAGE_ERROR] = "image-error",
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
	s->unreported_by_rule = calloc(nrules ? nrules : 1, sizeof *s->unreported_by_rule);
	return s->by_rule && s->unreported_by_rule ? 0 : -1;
}

int mp_stats_profile(struct mp_stats *s)
{
	size_t n = s->nrules ? s->nrules : 1;

	s->prof = calloc(1, sizeof *s->prof);
	if (s->prof == NULL)
		return -1;
	s->prof->hits = calloc(n, sizeof *s->prof->hits);
	s->prof->matches = calloc(n, sizeof *s->prof->matches);
	s->prof->ns = calloc(n, sizeof *s->prof->ns);
	if (!s->prof->hits || !s->prof->matches || !s->prof->ns)
		return -1; /* mp_stats_free releases what was made */
	return 0;
}

void mp_stats_add(struct mp_stats *into, const struct mp_stats *from)
{
	into->files += from->files;
	into->bytes += from->bytes;
	into->expanded += from->expanded;
	into->archives += from->archives;
	into->members += from->members;
	into->binaries += from->binaries;
	into->utf16 += from->utf16;
	into->findings += from->findings;
	into->with_findings += from->with_findings;
	into->queued += from->queued;
	into->unreported += from->unreported;
	for (size_t i = 0; i < into->nrules && i < from->nrules; i++) {
		into->by_rule[i] += from->by_rule[i];
		into->unreported_by_rule[i] += from->unreported_by_rule[i];
	}
	into->notices += from->notices;
	for (int i = 0; i < MP_NK__COUNT; i++)
		into->by_kind[i] += from->by_kind[i];
	into->skipped_symlinks += from->skipped_symlinks;
	into->skipped_excluded += from->skipped_excluded;
	into->skipped_shard += from->skipped_shard;
	into->skipped_sample += from->skipped_sample;
	into->skipped_system += from->skipped_system;
	into->skipped_test_values += from->skipped_test_values;
	into->skipped_media += from->skipped_media;
	into->skipped_binary += from->skipped_binary;
	into->skipped_not_added += from->skipped_not_added;
	into->suppressed += from->suppressed;
	if (into->prof && from->prof) {
		for (size_t i = 0; i < into->nrules && i < from->nrules; i++) {
			into->prof->hits[i] += from->prof->hits[i];
			into->prof->matches[i] += from->prof->matches[i];
			into->prof->ns[i] += from->prof->ns[i];
		}
		into->prof->hs_ns += from->prof->hs_ns;
		for (int d = 0; d < 16; d++)
			into->prof->db_ns[d] += from->prof->db_ns[d];
		into->prof->runs_ns += from->prof->runs_ns;
	}
}

void mp_stats_free(struct mp_stats *s)
{
	free(s->by_rule);
	s->by_rule = NULL;
	free(s->unreported_by_rule);
	s->unreported_by_rule = NULL;
	if (s->prof) {
		free(s->prof->hits);
		free(s->prof->matches);
		free(s->prof->ns);
		free(s->prof);
		s->prof = NULL;
	}
}
