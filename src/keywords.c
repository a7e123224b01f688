/* keywords.c - keyword proximity. */
#include "mp_config.h"

#include <string.h>

#include "keywords.h"

#define BIT(set, b)    ((set)[(b) >> 5] & (UINT32_C(1) << ((b)&31)))
#define SETBIT(set, b) ((set)[(b) >> 5] |= UINT32_C(1) << ((b)&31))

static inline unsigned pair_hash(unsigned char a, unsigned char b)
{
	return ((unsigned)a * 31u + (unsigned)b) & 1023u;
}

void mp_kwset_init(struct mp_kwset *set, char *const *words, size_t n)
{
	memset(set, 0, sizeof *set);
	for (size_t k = 0; k < n && k < MP_RULE_KEYWORDS_MAX; k++) {
		const unsigned char *w = (const unsigned char *)words[k];
		unsigned char f = mp_kw_fold(w[0]);
		size_t kl = strlen(words[k]);
		SETBIT(set->first, f);
		if (kl == 1)
			SETBIT(set->single, f);
		else
			SETBIT(set->pair, pair_hash(f, mp_kw_fold(w[1])));
		set->len[k] = (uint8_t)(kl < 255 ? kl : 255);
	}
	set->ready = true;
}

/* One pass over p[0..n): where the first two bytes can start a keyword,
 * try the keywords. */
static bool find_in(const struct mp_kwset *set, char *const *words, size_t nwords, const unsigned char *p,
		    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = mp_kw_fold(p[i]);
		if (!BIT(set->first, c))
			continue;
		if (!BIT(set->single, c) &&
		    (i + 1 >= n || !BIT(set->pair, pair_hash(c, mp_kw_fold(p[i + 1])))))
			continue;
		for (size_t k = 0; k < nwords; k++) {
			const unsigned char *kw = (const unsigned char *)words[k];
			size_t kl = set->len[k], j = 1;
			if (kl > n - i || mp_kw_fold(kw[0]) != c)
				continue;
			while (j < kl && mp_kw_fold(p[i + j]) == mp_kw_fold(kw[j]))
				j++;
			if (j == kl)
				return true;
		}
	}
	return false;
}

static bool near(const struct mp_kwset *prepared, char *const *words, size_t nwords, size_t d,
		 const char *buf, size_t len, size_t start, size_t end)
{
	size_t lo = start > d ? start - d : 0;
	size_t hi = end + d < len ? end + d : len;
	const unsigned char *u = (const unsigned char *)buf;
	struct mp_kwset local;
	const struct mp_kwset *set = prepared;

	if (nwords == 0)
		return false;
	if (!set->ready) {
		mp_kwset_init(&local, words, nwords);
		set = &local;
	}
	return find_in(set, words, nwords, u + lo, start - lo) ||
	       (hi > end && find_in(set, words, nwords, u + end, hi - end));
}

/* buf[lo..hi): the value's line, at most d bytes on either side. */
static void line_window(const char *buf, size_t len, size_t start, size_t end, size_t d, size_t *lo,
			size_t *hi)
{
	*lo = start;
	*hi = end;
	while (*lo > 0 && start - *lo < d && buf[*lo - 1] != '\n')
		(*lo)--;
	while (*hi < len && *hi - end < d && buf[*hi] != '\n')
		(*hi)++;
}

bool mp_keyword_near(const struct mp_rule *r, const char *buf, size_t len, size_t start, size_t end)
{
	size_t lo, hi;

	if (!r->kw_same_line)
		return near(&r->kwset, r->keywords, r->nkeywords, r->kw_distance, buf, len, start, end);
	line_window(buf, len, start, end, r->kw_distance, &lo, &hi);
	return near(&r->kwset, r->keywords, r->nkeywords, r->kw_distance, buf + lo, hi - lo, start - lo,
		    end - lo);
}

bool mp_negative_keyword_near(const struct mp_rule *r, const char *buf, size_t len, size_t start, size_t end)
{
	/* Negative words speak for the value on their own line only: "sha256"
	 * two lines below a key says nothing about it. */
	size_t lo, hi;

	line_window(buf, len, start, end, r->neg_distance, &lo, &hi);
	return near(&r->neg_kwset, r->neg_keywords, r->nneg_keywords, r->neg_distance, buf + lo, hi - lo,
		    start - lo, end - lo);
}
