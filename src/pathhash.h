/* pathhash.h - which objects a run takes: --sample and --shard.
 *
 * Both decide from one stable 64-bit hash of an object's path relative to
 * its scan root (see mp_item.rel), so the decision does not depend on where
 * a mirror is mounted, on which machine walks it, or in what order. The
 * hash is the first 8 bytes of SHA-256(rel), read big-endian; it is part of
 * magpie's interface (shards and samples must agree across versions) and
 * may not change.
 *
 * A shard takes h mod n; a sample takes the top 53 bits of h as a fraction
 * of 2^53. The two use different bits, so a sample of a shard is a sample.
 */
#ifndef MP_PATHHASH_H
#define MP_PATHHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* rel[0..*n) without its leading "/" and "./" (so "./a/b", "/a/b" and
 * "a/b" agree): returns where the rest starts, and sets *n to its length.
 * Every use of a root-relative path (shard, sample, bucket, a layer's
 * member names) trims it this way. */
const char *mp_path_trim(const char *rel, size_t *n);

/* The hash of rel[0..n), trimmed by mp_path_trim. */
uint64_t mp_path_hash(const char *rel, size_t n);

/* What a run takes. A zeroed struct takes everything. */
struct mp_select {
	uint32_t shard_k, shard_n; /* take h mod shard_n == shard_k; shard_n 0 or 1: all */
	double sample;             /* take a fraction; 0 or >= 1: all */
};

/* Whether the object whose path hash is h is in sel's shard. */
bool mp_select_shard(const struct mp_select *sel, uint64_t h);
/* Whether it is in sel's sample. */
bool mp_select_sample(const struct mp_select *sel, uint64_t h);

/* Whether sel takes everything (the hash need not be computed). */
bool mp_select_all(const struct mp_select *sel);

#endif
