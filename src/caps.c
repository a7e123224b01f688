/* caps.c - the table of named limits. */
#include "mp_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

const struct mp_cap_def mp_cap_defs[MP_CAP__COUNT] = {
	[MP_CAP_FILE_SIZE] = {"file-size", 0, 0, UINT64_MAX, 1,
			      "largest file scanned, in bytes (0: no limit); larger files become notices"},
	[MP_CAP_SEGMENT_SIZE] =
		{"segment-size", 8 * MiB, 256 * KiB, 1 * GiB, 1,
		 "bytes scanned per Vectorscan call; a worker's buffer is this plus the overlap"},
	[MP_CAP_MATCH_WIDTH] = {"match-width", 64 * KiB, 64, 16 * MiB, 1,
				"widest match any rule may declare, in bytes; bounds the segment overlap"},
	[MP_CAP_HITS_PER_SEGMENT] = {"hits-per-segment", 1000000, 1000, 100000000, 0,
				     "raw pattern hits kept per segment; more become a notice"},
	[MP_CAP_FINDINGS_PER_OBJECT] =
		{"findings-per-object", 100000, 1, 100000000, 0,
		 "findings reported per object; the rest of the object is skipped with a notice"},
	[MP_CAP_FINDINGS_PER_RULE] =
		{"findings-per-rule", 1000, 0, 100000000, 0,
		 "findings of one rule written per object; further ones are only counted (notice)"},
	[MP_CAP_PCRE2_MATCH_LIMIT] = {"pcre2-match-limit", 1000000, 1000, 1000000000, 0,
				      "PCRE2 match limit for one confirmation; hitting it drops that hit"},
	[MP_CAP_QUEUE_DEPTH] = {"queue-depth", 4096, 1, 1000000, 0,
				"work items queued between the walker and the workers"},
	[MP_CAP_WALK_DEPTH] = {"walk-depth", 256, 1, 4096, 0,
			       "directory levels walked below a scan root; deeper ones become notices"},
	[MP_CAP_ARCHIVE_DEPTH] = {"archive-depth", 8, 0, 32, 0,
				  "archives and compressed files opened one inside another (0: none)"},
	[MP_CAP_MEMBER_SIZE] = {"member-size", 1 * GiB, 0, UINT64_MAX, 1,
				"bytes scanned of one archive member (0: no limit); the rest is skipped"},
	[MP_CAP_EXPANDED_SIZE] = {"expanded-size", 16 * GiB, 0, UINT64_MAX, 1,
				  "bytes unpacked from one input, at every level (0: no limit)"},
	[MP_CAP_COMPRESSION_RATIO] =
		{"compression-ratio", 200, 0, 1000000000, 0,
		 "bytes unpacked per byte read from one input, past ratio-grace (0: none)"},
	[MP_CAP_RATIO_GRACE] = {"ratio-grace", 64 * MiB, 0, UINT64_MAX, 1,
				"bytes unpacked from one input before compression-ratio applies"},
	[MP_CAP_ARCHIVE_ENTRIES] = {"archive-entries", 1000000, 1, 1000000000, 0,
				    "entries read from one archive; the rest of it is skipped"},
	[MP_CAP_INPUT_TIME] = {"input-time", 300, 0, 604800, 0,
			       "seconds spent on one input, archives included (0: no limit)"},
	[MP_CAP_DECODER_MEMORY] =
		{"decoder-memory", 256 * MiB, 0, 4 * GiB, 1,
		 "dictionary an xz or lzma stream may declare, in bytes; a larger one is not "
		 "unpacked (0: no limit)"},
	[MP_CAP_JSON_DEPTH] = {"json-depth", 64, 1, 4096, 0,
			       "JSON nesting tracked for json_path; deeper values get no path (notice)"},
	[MP_CAP_JSON_PATH] = {"json-path", 4 * KiB, 64, 1 * MiB, 1,
			      "bytes of one JSONPath; values under a longer path get none (notice)"},
	[MP_CAP_CSV_COLUMNS] = {"csv-columns", 4096, 1, 1000000, 0,
				"CSV header columns whose names are kept; later columns get none (notice)"},
	[MP_CAP_BUCKETS] = {"buckets", 10000, 1, 10000000, 0,
			    "buckets (top-level directories) counted apart in the --report rollup; "
			    "further ones are counted together as (other)"},
	[MP_CAP_IMAGE_METADATA] = {"image-metadata", 16 * MiB, 4 * KiB, 1 * GiB, 1,
				   "bytes of one container image index, manifest or config (JSON)"},
	[MP_CAP_IMAGE_PATHS] =
		{"image-paths", 1000000, 0, 1000000000, 0,
		 "layer entries recorded per container image; past it, statuses may be unknown"},
	[MP_CAP_IMAGE_FINDINGS] =
		{"image-findings", 100000, 0, 100000000, 0,
		 "findings held per container image until its last layer; more are only counted"},
};

void mp_caps_defaults(uint64_t caps[MP_CAP__COUNT])
{
	for (int i = 0; i < MP_CAP__COUNT; i++)
		caps[i] = mp_cap_defs[i].def;
}

int mp_parse_size(const char *s, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;
	uint64_t mult = 1;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K':
		mult = KiB;
		end++;
		break;
	case 'M':
		mult = MiB;
		end++;
		break;
	case 'G':
		mult = GiB;
		end++;
		break;
	case 'T':
		mult = GiB * KiB;
		end++;
		break;
	case 'B': break; /* plain bytes: skipped below */
	default: return -1;
	}
	if (mult > 1 && (*end == 'i' || *end == 'I'))
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0')
		return -1;
	if (v != 0 && mult > UINT64_MAX / v)
		return -1;
	*out = v * mult;
	return 0;
}

int mp_caps_set_one(uint64_t caps[MP_CAP__COUNT], enum mp_cap cap, const char *value, char *err,
		    size_t errlen)
{
	const struct mp_cap_def *d = &mp_cap_defs[cap];
	uint64_t v;

	if (mp_parse_size(value, &v) != 0 ||
	    (!d->is_size && !isdigit((unsigned char)value[strlen(value) - 1]))) {
		snprintf(err, errlen, "limit %s: '%s' is not a %s", d->name, value,
			 d->is_size ? "size (e.g. 64M)" : "whole number");
		return -1;
	}
	if (v < d->min || v > d->max) {
		snprintf(err, errlen, "limit %s: %s is outside %llu..%llu", d->name, value,
			 (unsigned long long)d->min, (unsigned long long)d->max);
		return -1;
	}
	caps[cap] = v;
	return 0;
}

int mp_caps_set(uint64_t caps[MP_CAP__COUNT], const char *spec, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');

	if (eq == NULL) {
		snprintf(err, errlen, "--limit takes NAME=VALUE, got '%s'", spec);
		return -1;
	}
	for (int i = 0; i < MP_CAP__COUNT; i++) {
		if (strlen(mp_cap_defs[i].name) == (size_t)(eq - spec) &&
		    strncmp(mp_cap_defs[i].name, spec, (size_t)(eq - spec)) == 0)
			return mp_caps_set_one(caps, (enum mp_cap)i, eq + 1, err, errlen);
	}
	snprintf(err, errlen, "unknown limit '%.*s'", (int)(eq - spec), spec);
	return -1;
}
