/* shard.h - which shard this run is: --shard K/N and --shard auto.
 *
 * A shard is a pair (k, n), 0 <= k < n. `auto` reads it from the job
 * scheduler's environment, in this order:
 *   Slurm job arrays:        SLURM_ARRAY_TASK_ID, _MIN, _STEP, _COUNT (and
 *                            _MAX when set); k = (ID - MIN) / STEP, n = COUNT.
 *                            An array that is not one evenly stepped range
 *                            (a list with gaps) is refused.
 *   Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX; n from the count.
 *   AWS Batch array jobs:    AWS_BATCH_JOB_ARRAY_INDEX; n from the count.
 * The count is --shard-count, else MAGPIE_SHARD_COUNT. No recognised
 * environment is an error: never a silent full scan.
 * Pure functions: the environment is read through a callback.
 */
#ifndef MP_SHARD_H
#define MP_SHARD_H

#include <stddef.h>
#include <stdint.h>

/* The most shards a scan may be cut into. */
#define MP_SHARD_MAX 1000000u

/* A shard count, 1 to MP_SHARD_MAX, into *n. Returns 0 or -1. */
int mp_shard_count_parse(const char *s, uint32_t *n);

/* "K/N" into *k, *n. Returns 0, or -1 with a message in err. */
int mp_shard_parse(const char *arg, uint32_t *k, uint32_t *n, char *err, size_t errlen);

/* The shard from the scheduler's environment, read with get (getenv(name)
 * or NULL). count is --shard-count (0:
 * not given). *source gets "slurm", "kubernetes" or "aws-batch". Returns 0,
 * or -1 with a message in err naming the variables. */
int mp_shard_from_env(const char *(*get)(const char *name, void *ctx), void *ctx, uint32_t count, uint32_t *k,
		      uint32_t *n, const char **source, char *err, size_t errlen);

#endif
