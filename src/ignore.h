/* ignore.h - exclusion globs.
 *
 * A glob without '/' is matched against the last path component (a file or
 * directory name at any depth). A glob with '/' is matched against the path
 * relative to the scan root; a leading '/' anchors it there explicitly.
 * '*' and '?' never cross '/', '**' crosses any number of components,
 * '[...]' is a byte class ('!' or '^' negates). Matching is byte-exact.
 */
#ifndef MP_IGNORE_H
#define MP_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

/* Does glob match str as a whole? */
bool mp_glob_match(const char *glob, const char *str);

struct mp_ignore {
	char **globs; /* owned */
	size_t n;
};

/* Add a glob (copied). Returns 0, or -1 when out of memory. */
int mp_ignore_add(struct mp_ignore *ig, const char *glob);
/* relpath: the path below the scan root ("" for the root itself);
 * name: its last component. */
bool mp_ignore_match(const struct mp_ignore *ig, const char *relpath, const char *name);
void mp_ignore_free(struct mp_ignore *ig);

#endif
