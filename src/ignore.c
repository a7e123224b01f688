/* ignore.c - a small glob matcher with '**'. */
#include "mp_config.h"

#include <stdlib.h>
#include <string.h>

#include "ignore.h"

/* Match a bracket expression at *g against c. On return *g points past ']'.
 * A malformed class (no closing ']') matches '[' literally. */
static bool match_class(const char **g, char c)
{
	const char *p = *g + 1;
	bool neg = false, hit = false;

	if (*p == '!' || *p == '^') {
		neg = true;
		p++;
	}
	const char *start = p;
	while (*p != '\0' && (*p != ']' || p == start)) {
		if (p[1] == '-' && p[2] != '\0' && p[2] != ']') {
			if ((unsigned char)c >= (unsigned char)p[0] &&
			    (unsigned char)c <= (unsigned char)p[2])
				hit = true;
			p += 3;
		} else {
			if (*p == c)
				hit = true;
			p++;
		}
	}
	if (*p != ']') {
		*g += 1;
		return c == '[';
	}
	*g = p + 1;
	return hit != neg;
}

bool mp_glob_match(const char *g, const char *s)
{
	while (*g != '\0') {
		if (g[0] == '*' && g[1] == '*') {
			/* A double star matches any run of bytes, slashes included. */
			bool dir = g[2] == '/';
			g += dir ? 3 : 2;
			if (*g == '\0')
				return true;
			for (const char *t = s;; t++) {
				/* "**" + "/" spans whole directories: resume only at the
				 * start of a component. */
				if ((!dir || t == s || t[-1] == '/') && mp_glob_match(g, t))
					return true;
				if (*t == '\0')
					return false;
			}
		}
		if (*g == '*') {
			g++;
			for (const char *t = s;; t++) {
				if (mp_glob_match(g, t))
					return true;
				if (*t == '\0' || *t == '/')
					return false;
			}
		}
		if (*s == '\0')
			return false;
		if (*g == '?') {
			if (*s == '/')
				return false;
			g++;
			s++;
			continue;
		}
		if (*g == '[') {
			if (*s == '/' || !match_class(&g, *s))
				return false;
			s++;
			continue;
		}
		if (*g == '\\' && g[1] != '\0')
			g++;
		if (*g != *s)
			return false;
		g++;
		s++;
	}
	return *s == '\0';
}

int mp_ignore_add(struct mp_ignore *ig, const char *glob)
{
	char **v = realloc(ig->globs, (ig->n + 1) * sizeof *v);
	if (v == NULL)
		return -1;
	ig->globs = v;
	v[ig->n] = strdup(glob);
	if (v[ig->n] == NULL)
		return -1;
	ig->n++;
	return 0;
}

bool mp_ignore_match(const struct mp_ignore *ig, const char *relpath, const char *name)
{
	for (size_t i = 0; i < ig->n; i++) {
		const char *g = ig->globs[i];
		if (strchr(g, '/') == NULL) {
			if (mp_glob_match(g, name))
				return true;
		} else {
			if (*g == '/')
				g++;
			if (mp_glob_match(g, relpath))
				return true;
		}
	}
	return false;
}

void mp_ignore_free(struct mp_ignore *ig)
{
	for (size_t i = 0; i < ig->n; i++)
		free(ig->globs[i]);
	free(ig->globs);
	ig->globs = NULL;
	ig->n = 0;
}
