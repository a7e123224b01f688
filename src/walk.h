/* walk.h - turn scan roots into work items on a queue.
 *
 * Runs on one thread (the main thread). Directory entries are classified by
 * d_type, so a regular file costs the walker no system call; the worker
 * opens it. FIFOs, sockets and devices are never opened. Symbolic links are
 * not followed unless asked; when followed, a directory that is its own
 * ancestor is reported as a loop and not entered.
 */
#ifndef MP_WALK_H
#define MP_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "discover.h"
#include "git.h"
#include "ignore.h"
#include "pathhash.h"
#include "queue.h"
#include "stats.h"

struct mp_image_job;

/* One object to scan. Freed with free(). */
struct mp_item {
	bool is_stdin; /* read standard input; path is "-" */
	bool follow;   /* the path may be a symlink: open without O_NOFOLLOW */
	/* In-memory content (a staged blob), or NULL to open path. When set,
	 * it lives in the same allocation as the item. */
	const char *data;
	uint64_t len; /* bytes of data */
	/* --staged: the file's added lines (owned by the run, outlives the
	 * item); findings elsewhere are dropped. NULL otherwise. */
	const struct mp_staged_file *staged;
	/* Offset in path of the path relative to its scan root: after the
	 * root directory and its slashes; for a file given as a root, its
	 * base name. The part --shard and --sample hash (pathhash.h). */
	uint32_t rel;
	/* Its bucket's id in mp_walk.buckets (--report), or MP_BUCKET_NONE. */
	uint32_t bucket;
	struct mp_image_job *image; /* a unit of a container image (image.h), or NULL */
	char path[];                /* NUL-terminated */
};

struct mp_item *mp_item_new(const char *path, bool is_stdin, bool follow);

struct mp_walk {
	const struct mp_ignore *ignore;
	bool follow_symlinks;
	bool one_file_system;
	uint64_t max_depth; /* the walk-depth cap */
	/* --shard and --sample: objects it does not take are counted in
	 * stats (skipped_shard, skipped_sample) and never opened. NULL: all. */
	const struct mp_select *select;
	/* Roots come from a --files-from list: a file root's relative path
	 * is the whole path as listed, not its base name, and its bucket the
	 * first component of that path. */
	bool listed;
	/* --report: each item's bucket (the top-level directory below its
	 * root, "." for files at the root) is named here, and what the walker
	 * saw of it is counted (population, sampled). NULL: no buckets. */
	struct mp_buckets *buckets;
	uint32_t root;          /* the index in buckets of the root being walked */
	struct mp_queue *queue; /* items are pushed here */
	struct mp_stats *stats; /* skipped and notice counters */
	/* Called for each notice (on the walking thread). */
	void (*notice)(void *ctx, const char *path, const char *kind, const char *message);
	void *ctx;
};

/* Walk one root given on the command line: a directory is walked, a file is
 * queued (unless w->select leaves it out), "-" queues standard input. Links given as roots are followed.
 * Returns 0, or -1 when the root itself cannot be used (a notice was given). */
int mp_walk_root(struct mp_walk *w, const char *root);

#endif
