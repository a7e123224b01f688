/* helpers.h - small utilities shared by the unit tests. */
#ifndef MP_TEST_HELPERS_H
#define MP_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A fresh private directory under /tmp (malloc'd path). Aborts the test on
 * failure. */
char *t_mkdtemp(void);

/* Remove a tree (does not follow links). Makes unreadable directories
 * readable first. Returns 0 when everything went. */
int t_rmtree(const char *path);

/* malloc'd "a/b". */
char *t_path(const char *dir, const char *name);

/* Create or truncate path with the given bytes. Returns 0 or -1. */
int t_write_file(const char *path, const void *data, size_t n);

/* Concatenate the NULL-terminated list of strings (malloc'd). Used to build
 * secret-shaped values at run time, so no whole token appears in a source
 * file. */
char *t_cat(const char *first, ...) __attribute__((sentinel));

/* Standard base64 decode (with '=' padding), independent of the code under
 * test. Returns the byte count, or -1 on a malformed input. out must hold
 * strlen(s) * 3 / 4 + 3 bytes. */
long t_b64decode(const char *s, unsigned char *out);

/* Read the whole of f from its start (malloc'd, NUL-terminated). */
char *t_slurp(FILE *f, size_t *len);

/* A deterministic pseudo-random generator (xorshift64*). */
uint64_t t_rand(uint64_t *state);

/* Count occurrences of needle (n bytes) in hay (len bytes). */
size_t t_count_sub(const char *hay, size_t len, const char *needle, size_t n);

#endif
