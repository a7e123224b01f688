/* shard.c - shard numbers from the command line and from job schedulers. */
#include "shard.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A whole decimal number in [0, max]; no sign, no spaces, no junk. */
static bool number(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

int mp_shard_count_parse(const char *s, uint32_t *n)
{
	uint64_t v;

	if (!number(s, MP_SHARD_MAX, &v) || v == 0)
		return -1;
	*n = (uint32_t)v;
	return 0;
}

int mp_shard_parse(const char *arg, uint32_t *k, uint32_t *n, char *err, size_t errlen)
{
	char kbuf[16];
	uint64_t kv, nv;
	const char *slash = strchr(arg, '/');

	if (slash == NULL || (size_t)(slash - arg) >= sizeof kbuf) {
		snprintf(err, errlen, "--shard: expected K/N (e.g. 0/4) or auto, got '%s'", arg);
		return -1;
	}
	memcpy(kbuf, arg, (size_t)(slash - arg));
	kbuf[slash - arg] = '\0';
	if (!number(kbuf, MP_SHARD_MAX, &kv) || !number(slash + 1, MP_SHARD_MAX, &nv)) {
		snprintf(err, errlen, "--shard: expected K/N with whole numbers up to %u, got '%s'",
			 MP_SHARD_MAX, arg);
		return -1;
	}
	if (nv == 0 || kv >= nv) {
		snprintf(err, errlen, "--shard %s: K counts from 0 and must be below N", arg);
		return -1;
	}
	*k = (uint32_t)kv;
	*n = (uint32_t)nv;
	return 0;
}

/* A variable that must hold a whole number. */
static int env_number(const char *(*get)(const char *name, void *ctx), void *ctx, const char *name,
		      uint64_t *out, char *err, size_t errlen)
{
	const char *v = get(name, ctx);

	if (v == NULL) {
		snprintf(err, errlen, "--shard auto: %s is not set", name);
		return -1;
	}
	if (!number(v, UINT32_MAX, out)) {
		snprintf(err, errlen, "--shard auto: %s='%s' is not a whole number", name, v);
		return -1;
	}
	return 0;
}

static int slurm(const char *(*get)(const char *name, void *ctx), void *ctx, uint32_t count, uint32_t *k,
		 uint32_t *n, char *err, size_t errlen)
{
	uint64_t id, min, step, cnt, max;

	if (env_number(get, ctx, "SLURM_ARRAY_TASK_ID", &id, err, errlen) != 0 ||
	    env_number(get, ctx, "SLURM_ARRAY_TASK_MIN", &min, err, errlen) != 0 ||
	    env_number(get, ctx, "SLURM_ARRAY_TASK_STEP", &step, err, errlen) != 0 ||
	    env_number(get, ctx, "SLURM_ARRAY_TASK_COUNT", &cnt, err, errlen) != 0)
		return -1;
	if (step == 0 || cnt == 0 || cnt > MP_SHARD_MAX) {
		snprintf(err, errlen, "--shard auto: Slurm array with step %llu and count %llu",
			 (unsigned long long)step, (unsigned long long)cnt);
		return -1;
	}
	/* An evenly stepped range MIN, MIN+STEP, ... has MAX = MIN + (COUNT-1) * STEP;
	 * a list such as --array=0,5,9 does not, and its task ids do not map
	 * onto 0..COUNT-1. */
	const char *maxs = get("SLURM_ARRAY_TASK_MAX", ctx);
	bool ranged = maxs == NULL || (number(maxs, UINT32_MAX, &max) && max == min + (cnt - 1) * step);
	if (id < min || (id - min) % step != 0 || (id - min) / step >= cnt || !ranged) {
		snprintf(err, errlen,
			 "--shard auto: Slurm task %llu of an array with MIN %llu, STEP %llu, COUNT %llu%s%s "
			 "is "
			 "not one evenly stepped range (a list with gaps?); submit --array=0-%llu or give "
			 "--shard K/N",
			 (unsigned long long)id, (unsigned long long)min, (unsigned long long)step,
			 (unsigned long long)cnt, maxs ? ", MAX " : "", maxs ? maxs : "",
			 (unsigned long long)(cnt - 1));
		return -1;
	}
	if (count != 0 && count != cnt) {
		snprintf(err, errlen,
			 "--shard auto: --shard-count %u differs from SLURM_ARRAY_TASK_COUNT %llu", count,
			 (unsigned long long)cnt);
		return -1;
	}
	*k = (uint32_t)((id - min) / step);
	*n = (uint32_t)cnt;
	return 0;
}

/* An index variable with the count given by --shard-count or MAGPIE_SHARD_COUNT. */
static int indexed(const char *(*get)(const char *name, void *ctx), void *ctx, const char *var,
		   uint32_t count, uint32_t *k, uint32_t *n, char *err, size_t errlen)
{
	uint64_t idx, cnt = count;

	if (env_number(get, ctx, var, &idx, err, errlen) != 0)
		return -1;
	if (cnt == 0) {
		const char *c = get("MAGPIE_SHARD_COUNT", ctx);
		if (c == NULL) {
			snprintf(err, errlen,
				 "--shard auto: %s is set, but not the number of shards: give "
				 "--shard-count N or MAGPIE_SHARD_COUNT",
				 var);
			return -1;
		}
		uint32_t c32;
		if (mp_shard_count_parse(c, &c32) != 0) {
			snprintf(err, errlen,
				 "--shard auto: MAGPIE_SHARD_COUNT='%s' is not a count from 1 to %u", c,
				 MP_SHARD_MAX);
			return -1;
		}
		cnt = c32;
	}
	if (idx >= cnt) {
		snprintf(err, errlen, "--shard auto: %s=%llu is not below the shard count %llu", var,
			 (unsigned long long)idx, (unsigned long long)cnt);
		return -1;
	}
	*k = (uint32_t)idx;
	*n = (uint32_t)cnt;
	return 0;
}

int mp_shard_from_env(const char *(*get)(const char *name, void *ctx), void *ctx, uint32_t count, uint32_t *k,
		      uint32_t *n, const char **source, char *err, size_t errlen)
{
	if (get("SLURM_ARRAY_TASK_ID", ctx) != NULL) {
		*source = "slurm";
		return slurm(get, ctx, count, k, n, err, errlen);
	}
	if (get("JOB_COMPLETION_INDEX", ctx) != NULL) {
		*source = "kubernetes";
		return indexed(get, ctx, "JOB_COMPLETION_INDEX", count, k, n, err, errlen);
	}
	if (get("AWS_BATCH_JOB_ARRAY_INDEX", ctx) != NULL) {
		*source = "aws-batch";
		return indexed(get, ctx, "AWS_BATCH_JOB_ARRAY_INDEX", count, k, n, err, errlen);
	}
	*source = NULL;
	snprintf(err, errlen,
		 "--shard auto: no job array found in the environment (SLURM_ARRAY_TASK_ID, "
		 "JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX); give --shard K/N");
	return -1;
}
