/* confirm.c - lazily compiled PCRE2 programs and hit confirmation. */
#include "mp_config.h"

#include <stdlib.h>

#include "confirm.h"

#define OVECTOR_PAIRS 64
#define JIT_STACK_MIN (32u << 10)
#define JIT_STACK_MAX (1u << 20)

const struct mp_rx *mp_confirm_rx(struct mp_rule *r)
{
	struct mp_rx *rx = atomic_load_explicit(&r->rx, memory_order_acquire);
	struct mp_rx *expected = NULL;
	int errcode;
	PCRE2_SIZE erroff;
	uint32_t ncap = 0;

	if (rx != NULL)
		return rx;
	rx = calloc(1, sizeof *rx);
	if (rx == NULL)
		return NULL;
	rx->code = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED,
				 (r->prefilter || r->gated || r->digit_run) ? 0 : PCRE2_ENDANCHORED, &errcode,
				 &erroff, NULL);
	if (rx->code == NULL) {
		free(rx);
		return NULL;
	}
	/* Without JIT support PCRE2's interpreter still gives the same answers. */
	(void)pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE);
	int named = pcre2_substring_number_from_name(rx->code, (PCRE2_SPTR) "secret");
	pcre2_pattern_info(rx->code, PCRE2_INFO_CAPTURECOUNT, &ncap);
	if (named > 0 && named < OVECTOR_PAIRS)
		rx->secret_group = named;
	else if (ncap >= 1)
		rx->secret_group = 1;
	if (!atomic_compare_exchange_strong_explicit(&r->rx, &expected, rx, memory_order_acq_rel,
						     memory_order_acquire)) {
		/* Another thread published first: use its copy. */
		pcre2_code_free(rx->code);
		free(rx);
		rx = expected;
	}
	return rx;
}

int mp_confirmer_init(struct mp_confirmer *c, uint32_t match_limit)
{
	c->limit_hits = 0;
	c->md = pcre2_match_data_create(OVECTOR_PAIRS, NULL);
	c->mctx = pcre2_match_context_create(NULL);
	c->jit = pcre2_jit_stack_create(JIT_STACK_MIN, JIT_STACK_MAX, NULL);
	if (c->md == NULL || c->mctx == NULL || c->jit == NULL) {
		mp_confirmer_free(c);
		return -1;
	}
	pcre2_set_match_limit(c->mctx, match_limit);
	pcre2_set_depth_limit(c->mctx, match_limit);
	pcre2_jit_stack_assign(c->mctx, NULL, c->jit);
	return 0;
}

void mp_confirmer_free(struct mp_confirmer *c)
{
	pcre2_jit_stack_free(c->jit);
	pcre2_match_context_free(c->mctx);
	pcre2_match_data_free(c->md);
	c->jit = NULL;
	c->mctx = NULL;
	c->md = NULL;
}

/* Run one match; 1 and *out on success. */
static int match_once(struct mp_confirmer *c, const struct mp_rx *rx, const char *buf, size_t sublen,
		      size_t from, struct mp_span *out)
{
	int rc = pcre2_match(rx->code, (PCRE2_SPTR)buf, sublen, from, 0, c->md, c->mctx);
	PCRE2_SIZE *ov;

	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
		c->limit_hits++;
	if (rc < 0)
		return 0;
	ov = pcre2_get_ovector_pointer(c->md);
	out->start = ov[0];
	out->end = ov[1];
	if (out->end <= out->start)
		return 0;
	out->sstart = out->start;
	out->send = out->end;
	if (rx->secret_group > 0 && rx->secret_group < rc && ov[2 * rx->secret_group] != PCRE2_UNSET &&
	    ov[2 * rx->secret_group + 1] > ov[2 * rx->secret_group]) {
		out->sstart = ov[2 * rx->secret_group];
		out->send = ov[2 * rx->secret_group + 1];
	}
	return 1;
}

int mp_confirm(struct mp_confirmer *c, struct mp_rule *r, const char *buf, size_t len, size_t end,
	       struct mp_span *out)
{
	const struct mp_rx *rx = mp_confirm_rx(r);
	size_t from = end > r->width ? end - r->width : 0;

	(void)len;
	if (rx == NULL)
		return 0;
	/* The subject ends at the hit and the match must end there. */
	return match_once(c, rx, buf, end, from, out);
}

long mp_confirm_search(struct mp_confirmer *c, struct mp_rule *r, const char *buf, size_t len, size_t from,
		       size_t to, int (*add)(void *ctx, const struct mp_span *sp), void *ctx)
{
	const struct mp_rx *rx = mp_confirm_rx(r);
	size_t sublen = to + r->width + 1 < len ? to + r->width + 1 : len;
	struct mp_span sp;
	long n = 0;

	if (rx == NULL)
		return 0;
	while (from <= to && from < sublen && match_once(c, rx, buf, sublen, from, &sp)) {
		if (sp.start > to)
			break;
		if (add(ctx, &sp) != 0)
			return -1;
		n++;
		/* Resume after the value, not the whole match: a pattern that
		 * consumes a trailing delimiter must still see the next value. */
		from = sp.send > sp.start + 1 ? sp.send : sp.start + 1;
	}
	return n;
}
