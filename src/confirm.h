/* confirm.h - PCRE2 confirmation of a Vectorscan hit.
 *
 * A rule's PCRE2 program is compiled (and JIT-compiled) the first time one of
 * its hits needs confirming, so that start-up cost does not grow with the
 * number of rules. Exact rules are compiled with PCRE2_ENDANCHORED: the match
 * must end where Vectorscan said. Prefilter rules search forward from the
 * start of the window.
 */
#ifndef MP_CONFIRM_H
#define MP_CONFIRM_H

#include <stddef.h>

#include "rules.h"

struct mp_confirmer { /* per worker */
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	unsigned long limit_hits; /* confirmations stopped by the match limit */
};

struct mp_span {
	size_t start, end;   /* the whole match */
	size_t sstart, send; /* the secret */
};

/* The rule's compiled program, compiling it on first use. Thread-safe.
 * NULL if the pattern cannot be compiled (it was checked at load, so only
 * on memory exhaustion). */
const struct mp_rx *mp_confirm_rx(struct mp_rule *r);

int mp_confirmer_init(struct mp_confirmer *c, uint32_t match_limit);
void mp_confirmer_free(struct mp_confirmer *c);

/* Confirm a hit of an exact rule r ending at `end` in buf[0..len). Returns
 * 1 and fills *out when PCRE2 agrees, 0 when it does not. */
int mp_confirm(struct mp_confirmer *c, struct mp_rule *r, const char *buf, size_t len, size_t end,
	       struct mp_span *out);

/* Search mode, for prefilter and keyword-gated rules: every match of r in
 * buf[0..len) that starts in [from, to] is passed to add(ctx, span). The
 * subject ends r->width bytes past `to`, so matches are never cut short.
 * Returns the number of matches, or -1 when add failed. */
long mp_confirm_search(struct mp_confirmer *c, struct mp_rule *r, const char *buf, size_t len, size_t from,
		       size_t to, int (*add)(void *ctx, const struct mp_span *sp), void *ctx);

#endif
