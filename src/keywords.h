/* keywords.h - keyword proximity, as Amazon Macie checks it.
 *
 * A keyword counts when it lies wholly within `distance` bytes before the
 * value's start or after its end. Comparison ignores ASCII case, and treats
 * ' ', '_' and '-' as the same character, so "api key", "API_KEY" and
 * "api-key" are one keyword. Non-ASCII bytes compare exactly.
 */
#ifndef MP_KEYWORDS_H
#define MP_KEYWORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "rules.h"

/* A byte as keywords compare it: ASCII letters lower-cased, '_' and '-'
 * as ' '. Shared with the header and key labels of structured objects. */
static inline unsigned char mp_kw_fold(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (unsigned char)(c + ('a' - 'A'));
	if (c == '_' || c == '-')
		return ' ';
	return c;
}

/* Prepare set for words[0..n) (n <= MP_RULE_KEYWORDS_MAX). mp_hsdb_build
 * does it for every rule; a rule not prepared is prepared per call. */
void mp_kwset_init(struct mp_kwset *set, char *const *words, size_t n);

/* buf[0..len) is the visible text; [start, end) is the value inside it.
 * Pure, thread-safe. */
bool mp_keyword_near(const struct mp_rule *r, const char *buf, size_t len, size_t start, size_t end);

/* The same for the rule's negative_keywords, within the value's own line. */
bool mp_negative_keyword_near(const struct mp_rule *r, const char *buf, size_t len, size_t start, size_t end);

#endif
