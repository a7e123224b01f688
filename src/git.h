/* git.h - what `magpie scan --staged` needs from git: the staged files, the
 * lines the staged diff adds to each, and their staged (index) content.
 *
 * git is run with posix_spawnp and pipes, never through a shell, and only
 * on the local repository (diff --cached, cat-file): nothing here touches
 * the network (GIT_NO_LAZY_FETCH=1 stops a partial clone from fetching).
 * Called on the main thread only.
 */
#ifndef MP_GIT_H
#define MP_GIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A set of line numbers, as sorted disjoint inclusive ranges. */
struct mp_lines {
	uint64_t *r; /* 2 * n numbers: first, last of each range, ascending */
	size_t n;
	size_t cap; /* ranges allocated */
};

/* Add a line not below every line added before. Returns 0 or -1 (memory). */
int mp_lines_add(struct mp_lines *l, uint64_t line);
/* True when some line of [first, last] is in l. */
bool mp_lines_overlap(const struct mp_lines *l, uint64_t first, uint64_t last);
void mp_lines_free(struct mp_lines *l);

/* Parse a unified-diff hunk header "@@ -a[,b] +c[,d] @@...". A count left
 * out is 1. Returns 0, or -1 when line is not a hunk header. */
int mp_git_parse_hunk(const char *line, uint64_t *old_start, uint64_t *old_count, uint64_t *new_start,
		      uint64_t *new_count);

struct mp_staged_file {
	char *path;          /* repository-relative, raw bytes; owned */
	char blob[72];       /* object name of the staged content */
	struct mp_lines add; /* lines of the staged content the diff adds */
	bool has_patch;      /* the patch named this file (+++ line) */
};

struct mp_staged {
	struct mp_staged_file *files; /* sorted by path */
	size_t n;
};

/* Parse `git diff --raw -z` output (p[0..n)) into st: added, copied,
 * modified, renamed and type-changed files whose content changed.
 * Returns 0 or -1 (err). */
int mp_git_parse_raw(struct mp_staged *st, const char *p, size_t n, char *err, size_t errlen);
/* Read a `git diff -U0` patch from in and record, for each file of st, the
 * new-side lines that are added ('+' lines). Returns 0 or -1 (err). */
int mp_git_parse_patch(struct mp_staged *st, FILE *in, char *err, size_t errlen);
/* The file of st with this path, or NULL. */
struct mp_staged_file *mp_staged_find(const struct mp_staged *st, const char *path);

/* Fill st from the repository around the current directory. Returns 0, or
 * -1 with a one-line reason in err (not in a work tree, git failed). */
int mp_git_staged(struct mp_staged *st, char *err, size_t errlen);
void mp_staged_free(struct mp_staged *st);

/* One `git cat-file --batch` process serving every blob of a run. */
struct mp_git_cat;

struct mp_git_cat *mp_git_cat_open(char *err, size_t errlen);
/* Read blob `name`. When its size is at most cap (0: no cap), *data gets a
 * malloc'ed block of headroom + size bytes with the blob at *data +
 * headroom (the caller frees the block; the headroom is left for it to
 * fill) and *len the size; otherwise *data is NULL and *len is the size.
 * Returns 0 or -1 (err; the process is unusable after that). */
int mp_git_cat_get(struct mp_git_cat *c, const char *name, uint64_t cap, size_t headroom, char **data,
		   uint64_t *len, char *err, size_t errlen);
/* Close the process and wait for it. Accepts NULL. */
void mp_git_cat_close(struct mp_git_cat *c);

#endif
