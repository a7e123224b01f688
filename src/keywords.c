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

static bool find_in(char *const *words, size_t nwords, const unsigned char *p, size_t n)
{
	for (size_t k = 0; k < nwords; k++) {
		const unsigned char *kw = (const unsigned char *)words[k];
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

static bool near(char *const *words, size_t nwords, size_t d, const char *buf, size_t len, size_t start,
		 size_t end)
{
	size_t lo = start > d ? start - d : 0;
	size_t hi = end + d < len ? end + d : len;
	const unsigned char *u = (const unsigned char *)buf;

	if (nwords == 0)
		return false;
	return find_in(words, nwords, u + lo, start - lo) ||
	       (hi > end && find_in(words, nwords, u + end, hi - end));
}

bool mp_keyword_near(const struct mp_rule *r, const char *buf, size_t len, size_t start, size_t end)
{
	return near(r->keywords, r->nkeywords, r->kw_distance, buf, len, start, end);
}

bool mp_negative_keyword_near(const struct mp_rule *r, const char *buf, size_t len, size_t start, size_t end)
{
	/* Negative words speak for the value on their own line only: "sha256"
	 * two lines below a key says nothing about it. */
	size_t lo = start, hi = end;
	while (lo > 0 && start - lo < r->neg_distance && buf[lo - 1] != '\n')
		lo--;
	while (hi < len && hi - end < r->neg_distance && buf[hi] != '\n')
		hi++;
	return near(r->neg_keywords, r->nneg_keywords, r->neg_distance, buf + lo, hi - lo, start - lo,
		    end - lo);
}
