/* keywords.c - keyword proximity. */
#include "mp_config.h"

#include <string.h>

#include "keywords.h"

static inline unsigned char fold(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (unsigned char)(c + ('a' - 'A'));
	if (c == '_' || c == '-')
		return ' ';
	return c;
}

static bool find_in(const struct mp_rule *r, const unsigned char *p, size_t n)
{
	for (size_t k = 0; k < r->nkeywords; k++) {
		const unsigned char *kw = (const unsigned char *)r->keywords[k];
		size_t kl = strlen((const char *)kw);
		unsigned char first = fold(kw[0]);
		if (kl > n)
			continue;
		for (size_t i = 0; i + kl <= n; i++) {
			if (fold(p[i]) != first)
				continue;
			size_t j = 1;
			while (j < kl && fold(p[i + j]) == fold(kw[j]))
				j++;
			if (j == kl)
				return true;
		}
	}
	return false;
}

bool mp_keyword_near(const struct mp_rule *r, const char *buf, size_t len, size_t start, size_t end)
{
	size_t d = r->kw_distance;
	size_t lo = start > d ? start - d : 0;
	size_t hi = end + d < len ? end + d : len;
	const unsigned char *u = (const unsigned char *)buf;

	if (r->nkeywords == 0)
		return false;
	return find_in(r, u + lo, start - lo) || (hi > end && find_in(r, u + end, hi - end));
}
