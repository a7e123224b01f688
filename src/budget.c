/* budget.c - per-input limits. */
#include "mp_config.h"

#include <stdio.h>

#include "budget.h"

void mp_budget_start(struct mp_budget *b, const uint64_t *caps, uint64_t now_ns)
{
	uint64_t secs = caps[MP_CAP_INPUT_TIME];

	b->caps = caps;
	b->input = 0;
	b->expanded = 0;
	b->start_ns = now_ns;
	b->deadline_ns = secs == 0 ? 0 : now_ns + secs * UINT64_C(1000000000);
	b->stop = MP_CAP__COUNT;
}

void mp_budget_read(struct mp_budget *b, uint64_t n)
{
	b->input += n;
}

void mp_budget_unpacked(struct mp_budget *b, uint64_t n)
{
	b->expanded += n;
}

uint64_t mp_budget_room(const struct mp_budget *b, uint64_t want)
{
	uint64_t cap = b->caps[MP_CAP_EXPANDED_SIZE];

	if (cap == 0)
		return want;
	if (b->expanded >= cap)
		return 0;
	return cap - b->expanded < want ? cap - b->expanded : want;
}

static bool ratio_exceeded(const struct mp_budget *b)
{
	uint64_t ratio = b->caps[MP_CAP_COMPRESSION_RATIO];

	if (ratio == 0 || b->expanded <= b->caps[MP_CAP_RATIO_GRACE])
		return false;
	if (b->input > UINT64_MAX / ratio)
		return false;
	return b->expanded > ratio * b->input;
}

enum mp_cap mp_budget_check(struct mp_budget *b, uint64_t now_ns)
{
	uint64_t cap = b->caps[MP_CAP_EXPANDED_SIZE];

	if (b->stop != MP_CAP__COUNT)
		return b->stop;
	if (cap != 0 && b->expanded > cap)
		b->stop = MP_CAP_EXPANDED_SIZE;
	else if (ratio_exceeded(b))
		b->stop = MP_CAP_COMPRESSION_RATIO;
	else if (b->deadline_ns != 0 && now_ns >= b->deadline_ns)
		b->stop = MP_CAP_INPUT_TIME;
	return b->stop;
}

void mp_budget_stop(struct mp_budget *b, enum mp_cap cap)
{
	if (b->stop == MP_CAP__COUNT)
		b->stop = cap;
}

bool mp_budget_stopped(const struct mp_budget *b)
{
	return b->stop != MP_CAP__COUNT;
}

void mp_budget_describe(const struct mp_budget *b, char *out, size_t outlen)
{
	unsigned long long in = b->input, ex = b->expanded;
	const uint64_t *c = b->caps;

	switch (b->stop) {
	case MP_CAP_EXPANDED_SIZE:
		snprintf(
			out, outlen,
			"expanded-size limit (%llu bytes) reached: %llu bytes unpacked from %llu bytes read; "
			"the rest of the input was not scanned",
			(unsigned long long)c[MP_CAP_EXPANDED_SIZE], ex, in);
		break;
	case MP_CAP_COMPRESSION_RATIO:
		snprintf(out, outlen,
			 "compression-ratio limit (%llu:1 past %llu bytes) reached: %llu bytes unpacked from "
			 "%llu "
			 "bytes read; the rest of the input was not scanned",
			 (unsigned long long)c[MP_CAP_COMPRESSION_RATIO],
			 (unsigned long long)c[MP_CAP_RATIO_GRACE], ex, in);
		break;
	case MP_CAP_INPUT_TIME:
		snprintf(out, outlen,
			 "input-time limit (%llu s) reached: %llu bytes read, %llu bytes unpacked; the rest "
			 "of "
			 "the input was not scanned",
			 (unsigned long long)c[MP_CAP_INPUT_TIME], in, ex);
		break;
	default:
		snprintf(out, outlen, "%s limit reached: %llu bytes read, %llu bytes unpacked",
			 (unsigned)b->stop < MP_CAP__COUNT ? mp_cap_defs[b->stop].name : "no", in, ex);
		break;
	}
}

bool mp_budget_may_open(const uint64_t *caps, unsigned depth)
{
	return depth < caps[MP_CAP_ARCHIVE_DEPTH];
}

uint64_t mp_budget_member_room(const uint64_t *caps, uint64_t done, uint64_t want)
{
	uint64_t cap = caps[MP_CAP_MEMBER_SIZE];

	if (cap == 0)
		return want;
	if (done >= cap)
		return 0;
	return cap - done < want ? cap - done : want;
}

bool mp_budget_entry_ok(const uint64_t *caps, uint64_t entries)
{
	return entries < caps[MP_CAP_ARCHIVE_ENTRIES];
}
