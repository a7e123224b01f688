/* test_shard.c - --shard K/N and the schedulers' environments. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <string.h>
#include <stdio.h>

#include "shard.h"

/* A fake environment: "NAME=VALUE" strings, NULL-terminated. */
static const char *fake_get(const char *name, void *ctx)
{
	const char *const *env = ctx;
	size_t n = strlen(name);

	for (; *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

struct got {
	int rc;
	uint32_t k, n;
	const char *source;
	char err[512];
};

static struct got from_env(const char *const *env, uint32_t count)
{
	struct got g = {.k = 99, .n = 99};
	g.rc = mp_shard_from_env(fake_get, (void *)env, count, &g.k, &g.n, &g.source, g.err, sizeof g.err);
	return g;
}

Test(shard, parse_k_of_n)
{
	uint32_t k = 9, n = 9;
	char err[256];

	cr_assert_eq(mp_shard_parse("0/4", &k, &n, err, sizeof err), 0);
	cr_assert_eq(k, 0);
	cr_assert_eq(n, 4);
	cr_assert_eq(mp_shard_parse("3/4", &k, &n, err, sizeof err), 0);
	cr_assert_eq(k, 3);
	cr_assert_eq(mp_shard_parse("0/1", &k, &n, err, sizeof err), 0);
	const char *bad[] = {"4/4", "5/4", "0/0", "-1/4", "1", "/4", "1/", "a/4", "1/4x", " 1/4", "1/1000001", ""};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert_eq(mp_shard_parse(bad[i], &k, &n, err, sizeof err), -1, "'%s' accepted", bad[i]);
	mp_shard_parse("4/4", &k, &n, err, sizeof err);
	cr_assert(strstr(err, "below N") != NULL, "%s", err);
}

Test(shard, count)
{
	uint32_t n = 9;

	cr_assert_eq(mp_shard_count_parse("16", &n), 0);
	cr_assert_eq(n, 16);
	const char *bad[] = {"0", "-1", "", "4x", "1000001", " 3"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert_eq(mp_shard_count_parse(bad[i], &n), -1, "'%s' accepted", bad[i]);
	cr_assert_eq(n, 16, "nothing written on refusal");
}

Test(shard, slurm_plain_range)
{
	/* sbatch --array=0-3: tasks 0..3 are shards 0..3 of 4. */
	for (int id = 0; id < 4; id++) {
		char ids[32];
		snprintf(ids, sizeof ids, "SLURM_ARRAY_TASK_ID=%d", id);
		const char *env[] = {ids, "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=3", "SLURM_ARRAY_TASK_STEP=1",
				     "SLURM_ARRAY_TASK_COUNT=4", NULL};
		struct got g = from_env(env, 0);
		cr_assert_eq(g.rc, 0, "%s", g.err);
		cr_assert_eq(g.k, (uint32_t)id);
		cr_assert_eq(g.n, 4);
		cr_assert_str_eq(g.source, "slurm");
	}
}

Test(shard, slurm_stepped_range)
{
	/* sbatch --array=1-7:3: tasks 1, 4, 7 are shards 0, 1, 2 of 3. */
	const int ids[] = {1, 4, 7};
	for (int i = 0; i < 3; i++) {
		char idv[32];
		snprintf(idv, sizeof idv, "SLURM_ARRAY_TASK_ID=%d", ids[i]);
		const char *env[] = {idv, "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=7", "SLURM_ARRAY_TASK_STEP=3",
				     "SLURM_ARRAY_TASK_COUNT=3", NULL};
		struct got g = from_env(env, 0);
		cr_assert_eq(g.rc, 0, "%s", g.err);
		cr_assert_eq(g.k, (uint32_t)i);
		cr_assert_eq(g.n, 3);
	}
	/* Without _MAX (older Slurm), the arithmetic alone decides. */
	const char *env[] = {"SLURM_ARRAY_TASK_ID=4", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_STEP=3",
			     "SLURM_ARRAY_TASK_COUNT=3", NULL};
	struct got g = from_env(env, 3);
	cr_assert_eq(g.rc, 0, "%s", g.err);
	cr_assert_eq(g.k, 1);
}

Test(shard, slurm_gapped_list_refused)
{
	/* sbatch --array=0,5,9: COUNT 3, MIN 0, MAX 9, STEP 1. Every task is
	 * refused, even task 0, whose number alone would fit. */
	const char *ids[] = {"SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_ID=5", "SLURM_ARRAY_TASK_ID=9"};
	for (int i = 0; i < 3; i++) {
		const char *env[] = {ids[i], "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=9",
				     "SLURM_ARRAY_TASK_STEP=1", "SLURM_ARRAY_TASK_COUNT=3", NULL};
		struct got g = from_env(env, 0);
		cr_assert_eq(g.rc, -1, "%s accepted as %u/%u", ids[i], g.k, g.n);
		cr_assert(strstr(g.err, "evenly stepped") != NULL, "%s", g.err);
		cr_assert_eq(g.k, 99, "nothing written on refusal");
	}
	/* Without _MAX the out-of-range tasks are still refused. */
	const char *env[] = {"SLURM_ARRAY_TASK_ID=5", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_STEP=1",
			     "SLURM_ARRAY_TASK_COUNT=3", NULL};
	cr_assert_eq(from_env(env, 0).rc, -1);
	/* A task id off the step. */
	const char *off[] = {"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_STEP=3",
			     "SLURM_ARRAY_TASK_COUNT=3", NULL};
	cr_assert_eq(from_env(off, 0).rc, -1);
}

Test(shard, slurm_bad_values)
{
	const char *missing[] = {"SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_COUNT=3", NULL};
	struct got g = from_env(missing, 0);
	cr_assert_eq(g.rc, -1);
	cr_assert(strstr(g.err, "SLURM_ARRAY_TASK_STEP is not set") != NULL, "%s", g.err);
	const char *junk[] = {"SLURM_ARRAY_TASK_ID=1x", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_STEP=1",
			      "SLURM_ARRAY_TASK_COUNT=3", NULL};
	g = from_env(junk, 0);
	cr_assert_eq(g.rc, -1);
	cr_assert(strstr(g.err, "not a whole number") != NULL, "%s", g.err);
	const char *zero[] = {"SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_STEP=0",
			      "SLURM_ARRAY_TASK_COUNT=3", NULL};
	cr_assert_eq(from_env(zero, 0).rc, -1);
	const char *ok[] = {"SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_STEP=1",
			    "SLURM_ARRAY_TASK_COUNT=3", NULL};
	g = from_env(ok, 4);
	cr_assert_eq(g.rc, -1, "--shard-count that contradicts Slurm");
	cr_assert(strstr(g.err, "differs") != NULL, "%s", g.err);
}

Test(shard, kubernetes_indexed_job)
{
	const char *env[] = {"JOB_COMPLETION_INDEX=2", "MAGPIE_SHARD_COUNT=5", NULL};
	struct got g = from_env(env, 0);
	cr_assert_eq(g.rc, 0, "%s", g.err);
	cr_assert_eq(g.k, 2);
	cr_assert_eq(g.n, 5);
	cr_assert_str_eq(g.source, "kubernetes");
	g = from_env(env, 3); /* --shard-count wins over the variable */
	cr_assert_eq(g.rc, 0, "%s", g.err);
	cr_assert_eq(g.n, 3);
	const char *nocount[] = {"JOB_COMPLETION_INDEX=2", NULL};
	g = from_env(nocount, 0);
	cr_assert_eq(g.rc, -1);
	cr_assert(strstr(g.err, "--shard-count") != NULL, "%s", g.err);
	const char *over[] = {"JOB_COMPLETION_INDEX=5", "MAGPIE_SHARD_COUNT=5", NULL};
	cr_assert_eq(from_env(over, 0).rc, -1);
	const char *badcount[] = {"JOB_COMPLETION_INDEX=0", "MAGPIE_SHARD_COUNT=0", NULL};
	cr_assert_eq(from_env(badcount, 0).rc, -1);
}

Test(shard, aws_batch_array)
{
	const char *env[] = {"AWS_BATCH_JOB_ARRAY_INDEX=0", NULL};
	struct got g = from_env(env, 2);
	cr_assert_eq(g.rc, 0, "%s", g.err);
	cr_assert_eq(g.k, 0);
	cr_assert_eq(g.n, 2);
	cr_assert_str_eq(g.source, "aws-batch");
	const char *env2[] = {"AWS_BATCH_JOB_ARRAY_INDEX=7", "MAGPIE_SHARD_COUNT=8", NULL};
	g = from_env(env2, 0);
	cr_assert_eq(g.rc, 0, "%s", g.err);
	cr_assert_eq(g.k, 7);
	cr_assert_eq(g.n, 8);
}

Test(shard, no_scheduler_is_an_error)
{
	const char *env[] = {"HOME=/root", "MAGPIE_SHARD_COUNT=4", NULL};
	struct got g = from_env(env, 4);
	cr_assert_eq(g.rc, -1);
	cr_assert_null(g.source);
	cr_assert(strstr(g.err, "no job array") != NULL, "%s", g.err);
}
