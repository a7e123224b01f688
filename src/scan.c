/* scan.c - segment scanning, confirmation, dedupe, validation, location. */
#include "mp_config.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "confirm.h"
#include "digits.h"
#include "entropy.h"
#include "ignore.h"
#include "keywords.h"
#include "log.h"
#include "scan.h"
#include "stats.h"
#include "text.h"
#include "validate.h"

struct hit {
	uint32_t rule;
	uint32_t end; /* relative to the buffer */
};

/* What the checks said of a candidate: computed once, when first needed. */
enum cand_state {
	CAND_UNCHECKED,
	CAND_REJECTED,
	CAND_ACCEPTED
};

struct cand {
	uint32_t rule;
	uint8_t state;      /* enum cand_state */
	uint8_t conf;       /* enum mp_confidence, once accepted */
	uint8_t kw_pending; /* optional keywords not looked at yet (see accepted) */
	uint8_t kw_struct;  /* found under a CSV header or JSON key naming the rule */
	struct mp_span sp;  /* relative to the buffer */
};

/* A match kept from the previous window, for masking JSON keys. */
struct sens {
	uint64_t start, end; /* object offsets of the value */
	uint32_t rule;
};

/* A CSV cell or JSON value under a header or key that names a gated rule:
 * the rule is searched there. */
struct gspan {
	uint32_t rule;
	size_t start, end; /* buffer offsets of the content */
};

struct mp_scanner {
	const struct mp_engine *e;
	struct mp_emit emit;
	hs_scratch_t *scratch;
	struct mp_confirmer conf;

	char *buf; /* segment buffer for streams */
	size_t bufcap;

	struct hit *hits;     /* this segment's raw hits */
	struct hit *tmp_hits; /* sort_hits' second array, tmp_hits_cap entries */
	size_t tmp_hits_cap;
	size_t *rule_pos; /* sort_hits' counters, nrules + 1 */
	size_t nhits, caphits;
	bool hits_full;
	size_t hit_floor; /* hits ending at or before this are not kept */

	struct cand *cands; /* confirmed, deduplicated matches */
	size_t ncands, capcands;
	size_t cand_reach;     /* longest candidate secret in this window */
	bool has_allow;        /* "magpie:allow" occurs somewhere in this window */
	struct mp_span *found; /* one search-mode rule's matches, before dedupe */
	size_t nfound, capfound;

	struct mp_buf red, ctx; /* scratch strings for one finding */

	/* The object being scanned. */
	const struct mp_loc *loc;
	const char *data; /* current buffer (ours or the caller's) */
	uint64_t base;    /* object offset of data[0] */
	uint64_t nfindings;
	bool stopped;            /* a limit ended this object */
	bool hits_noted;         /* the hits-per-segment notice was given */
	uint64_t cur_off;        /* line cursor: an object offset ... */
	uint64_t cur_line;       /* ... its line number ... */
	uint64_t cur_ls;         /* ... and the offset where that line starts */
	uint64_t bc_line, bc_ls; /* the cursor's values at offset `base` */
	uint64_t *last_end;      /* per rule: end of its last reported match (object offset) */
	struct mp_prof *prof;    /* --profile counters, or NULL */
	uint64_t *rule_count;    /* per rule: findings in this object, written or not */
	uint32_t *over;          /* rules past findings-per-rule in this object */
	size_t nover;
	bool any_count;      /* rule_count is not all zero */
	unsigned flags;      /* MP_SCAN_*: this object's options */
	unsigned next_flags; /* ... and the next one's */
	/* MP_SCAN_UTF16: original offsets (2 * UTF-16 units) beside the cursor's. */
	uint64_t cur_orig, cur_ls_orig, bc_orig, bc_ls_orig;

	/* Structured objects (structured.h). The structure cursor advances
	 * only to where a finding (or a candidate needing context) is, and
	 * over what the buffer drops when it slides; *_bc is its state at the
	 * buffer's base (to restart from), *_snap at the next slide point. */
	struct mp_struct_info st, next_st;
	bool st_started;  /* struct_begin ran for this object */
	bool st_ready;    /* the cursors are set up */
	bool snap_valid;  /* *_snap holds the cursor at snap_at */
	uint64_t snap_at; /* object offset of the next slide; UINT64_MAX: none */
	struct mp_csv_cursor csv, csv_bc, csv_snap;
	struct mp_csv_header hdr;
	uint32_t *hdr_mask;   /* hdr.ncols: rule + 1 of a match inside the header cell, or 0 */
	bool hdr_mask_done;   /* the header cells were checked for matches */
	uint32_t (*hgate)[2]; /* (column, rule): header cells naming gated rules */
	size_t nhgate, caphgate;
	bool json_ok; /* the JSON cursors are allocated */
	struct mp_json_cursor json, json_bc, json_snap, json_walk;
	char *path_out; /* a rendered JSONPath */
	size_t path_out_cap;
	char colname[MP_RULE_KEYWORD_LEN_MAX + 160]; /* a masked column name */
	struct sens *sens;                           /* the previous window's matches, by start */
	size_t nsens, capsens, sens_reach;
	struct gspan *gspans;
	size_t ngspans, capgspans;
	size_t gs_from, gs_to;        /* the span being searched */
	bool push_struct;             /* push_cand marks candidates kw_struct */
	bool struct_cands;            /* this window has kw_struct candidates */
	bool gated_hit;               /* this window has hits of a gated rule */
	enum mp_json_error noted_err; /* JSON: the last problem noticed */
	uint64_t noted_line;          /* JSON Lines: 1 + the line last noticed */
	uint64_t struct_notes;        /* structure notices given for this object */
	uint64_t struct_unnoted;      /* ... and those past STRUCT_NOTES_MAX */
};

/* Structure notices (malformed lines, JSON limits) named per object; the
 * rest are counted in one last notice. */
#define STRUCT_NOTES_MAX 10

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- engine ---- */

int mp_engine_init(struct mp_engine *e, struct mp_ruleset *rs, const uint64_t caps[MP_CAP__COUNT],
		   const struct mp_hsdb_opts *opts, bool show_secrets, char *err, size_t errlen)
{
	enum mp_confidence keep = e->min_confidence;
	bool keep_tv = e->include_test_values;
	enum mp_binary_mode keep_bin = e->binary;
	bool keep_media = e->scan_media;

	size_t reach;

	memset(e, 0, sizeof *e);
	e->min_confidence = keep;
	e->include_test_values = keep_tv;
	e->binary = keep_bin;
	e->scan_media = keep_media;
	memcpy(e->caps, caps, sizeof e->caps);
	e->rules = rs;
	e->show_secrets = show_secrets;
	if (mp_hsdb_build(rs, opts, &e->hs, err, errlen) != 0)
		return -1;
	e->labels = mp_labels_new(rs);
	if (e->labels == NULL) {
		snprintf(err, errlen, "out of memory for the keyword labels");
		mp_hsdb_free(&e->hs);
		return -1;
	}
	reach = rs->max_distance > MP_CONTEXT_RADIUS ? rs->max_distance : MP_CONTEXT_RADIUS;
	e->back = rs->max_width + reach + MP_RULE_KEYWORD_LEN_MAX + 16;
	e->fwd = rs->max_width + reach + MP_RULE_KEYWORD_LEN_MAX + 16;
	return 0;
}

void mp_engine_free(struct mp_engine *e)
{
	mp_hsdb_free(&e->hs);
	mp_labels_free(e->labels);
	e->labels = NULL;
}

/* ---- scanner ---- */

struct mp_scanner *mp_scanner_new(const struct mp_engine *e, const struct mp_emit *emit)
{
	struct mp_scanner *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->e = e;
	s->emit = *emit;
	mp_buf_init(&s->red, 4096);
	mp_buf_init(&s->ctx, 4096);
	if (hs_clone_scratch(e->hs.scratch, &s->scratch) != HS_SUCCESS)
		goto fail;
	if (mp_confirmer_init(&s->conf, (uint32_t)e->caps[MP_CAP_PCRE2_MATCH_LIMIT]) != 0)
		goto fail;
	s->last_end = calloc(e->rules->n ? e->rules->n : 1, sizeof *s->last_end);
	s->rule_count = calloc(e->rules->n ? e->rules->n : 1, sizeof *s->rule_count);
	s->over = calloc(e->rules->n ? e->rules->n : 1, sizeof *s->over);
	if (s->last_end == NULL || s->rule_count == NULL || s->over == NULL)
		goto fail;
	return s;
fail:
	mp_scanner_free(s);
	return NULL;
}

void mp_scanner_free(struct mp_scanner *s)
{
	if (s == NULL)
		return;
	if (s->scratch)
		hs_free_scratch(s->scratch);
	mp_confirmer_free(&s->conf);
	free(s->buf);
	free(s->hits);
	free(s->tmp_hits);
	free(s->rule_pos);
	free(s->cands);
	free(s->found);
	free(s->last_end);
	free(s->rule_count);
	free(s->over);
	mp_csv_header_free(&s->hdr);
	free(s->hdr_mask);
	free(s->hgate);
	mp_json_free(&s->json);
	mp_json_free(&s->json_bc);
	mp_json_free(&s->json_snap);
	mp_json_free(&s->json_walk);
	free(s->path_out);
	free(s->sens);
	free(s->gspans);
	mp_buf_free(&s->red);
	mp_buf_free(&s->ctx);
	free(s);
}

void mp_scanner_next_object(struct mp_scanner *s, unsigned flags)
{
	s->next_flags = flags;
}

void mp_scanner_next_structure(struct mp_scanner *s, const struct mp_struct_info *info)
{
	s->next_st = *info;
}

void mp_scanner_profile(struct mp_scanner *s, struct mp_prof *p)
{
	s->prof = p;
}

static void notice(struct mp_scanner *s, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void notice(struct mp_scanner *s, const char *kind, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	s->emit.notice(s->emit.ctx, s->loc, kind, msg);
}

static int add_hit(struct mp_scanner *s, unsigned int id, size_t to)
{
	if (to <= s->hit_floor)
		return 0;
	if (s->nhits == s->caphits) {
		size_t max = (size_t)s->e->caps[MP_CAP_HITS_PER_SEGMENT];
		size_t cap = s->caphits ? s->caphits * 2 : 256;
		if (cap > max)
			cap = max;
		struct hit *h = cap > s->caphits ? realloc(s->hits, cap * sizeof *h) : NULL;
		if (h == NULL) {
			s->hits_full = true;
			return 1; /* stop this segment */
		}
		s->hits = h;
		s->caphits = cap;
	}
	s->hits[s->nhits].rule = id;
	s->hits[s->nhits].end = (uint32_t)to;
	s->nhits++;
	return 0;
}

static int on_hit(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
		  void *ctx)
{
	(void)from;
	(void)flags;
	return add_hit(ctx, id, (size_t)to);
}

/* A digit run becomes a hit of each digit-run rule it could hold. A run
 * without separators must be the whole value (digit-run rules delimit their
 * numbers), so its length and the rule's validators are checked before
 * PCRE2 sees it: in digit-dense data that rejects almost every run. */
static int on_digit_run(void *ctx, const struct mp_digit_run *run)
{
	struct mp_scanner *s = ctx;
	const struct mp_ruleset *rs = s->e->rules;

	for (size_t i = 0; i < rs->n; i++) {
		const struct mp_rule *r = &rs->rules[i];
		if (!r->digit_run || run->digits < r->digits_min)
			continue;
		if (!run->separated) {
			if (run->digits > r->digits_max)
				continue;
			if (mp_validate(r->validators, s->data + run->start, run->end - run->start) ==
			    MP_CHECK_FAIL)
				continue;
		}
		if (add_hit(s, (unsigned)i, run->end) != 0)
			return 1;
	}
	return 0;
}

static int cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Order the hits by rule, then end: a stable counting sort by rule keeps
 * the order they came in, which is by end for each rule almost always
 * (Vectorscan reports in end order; digit runs come in end order). A rule
 * whose hits are not in order gets them sorted. */
static void sort_hits(struct mp_scanner *s)
{
	size_t nr = s->e->rules->n, n = s->nhits;

	if (n >= 64 && s->rule_pos == NULL)
		s->rule_pos = calloc(nr + 1, sizeof *s->rule_pos);
	if (n >= 64 && s->tmp_hits_cap < n) {
		struct hit *t = realloc(s->tmp_hits, s->caphits * sizeof *t);
		if (t != NULL) {
			s->tmp_hits = t;
			s->tmp_hits_cap = s->caphits;
		}
	}
	if (n < 64 || s->rule_pos == NULL || s->tmp_hits_cap < n) {
		qsort(s->hits, n, sizeof *s->hits, cmp_hit); /* few hits, or no memory */
		return;
	}
	size_t *pos = s->rule_pos;
	memset(pos, 0, (nr + 1) * sizeof *pos);
	for (size_t i = 0; i < n; i++)
		pos[s->hits[i].rule + 1]++;
	for (size_t r = 0; r < nr; r++)
		pos[r + 1] += pos[r];
	for (size_t i = 0; i < n; i++)
		s->tmp_hits[pos[s->hits[i].rule]++] = s->hits[i];
	/* pos[r] is now the end of rule r's hits: check each run's order. */
	for (size_t r = 0, a = 0; r < nr; a = pos[r], r++) {
		for (size_t i = a + 1; i < pos[r]; i++) {
			if (s->tmp_hits[i].end < s->tmp_hits[i - 1].end) {
				qsort(s->tmp_hits + a, pos[r] - a, sizeof *s->tmp_hits, cmp_hit);
				break;
			}
		}
	}
	struct hit *t = s->hits;
	s->hits = s->tmp_hits;
	s->tmp_hits = t;
	size_t c = s->caphits;
	s->caphits = s->tmp_hits_cap;
	s->tmp_hits_cap = c;
}

static int cmp_cand_start(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->sp.sstart != y->sp.sstart)
		return x->sp.sstart < y->sp.sstart ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static int push_cand(struct mp_scanner *s, uint32_t rule, const struct mp_span *sp)
{
	if (mp_array_grow(&s->cands, &s->capcands, s->ncands, sizeof *s->cands, 64) != 0)
		return -1;
	s->cands[s->ncands].rule = rule;
	s->cands[s->ncands].state = CAND_UNCHECKED;
	s->cands[s->ncands].conf = 0;
	s->cands[s->ncands].kw_pending = 0;
	s->cands[s->ncands].kw_struct = s->push_struct;
	s->cands[s->ncands].sp = *sp;
	s->ncands++;
	return 0;
}

size_t mp_count_newlines(const char *p, size_t n)
{
	size_t count = 0, i = 0;
#ifdef __SSE2__
	/* 16 bytes at a time: each compare adds 1 (as -(-1)) to a byte lane;
	 * every 255 rounds psadbw sums the lanes before they can overflow. */
	const __m128i nl16 = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
	while (i + 16 <= n) {
		__m128i acc = zero;
		size_t stop = i + 16 * 255 < n ? i + 16 * 255 : n;
		for (; i + 16 <= stop; i += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, nl16));
		}
		__m128i sum = _mm_sad_epu8(acc, zero);
		count += (size_t)_mm_cvtsi128_si32(sum) + (size_t)_mm_cvtsi128_si32(_mm_srli_si128(sum, 8));
	}
#else
	/* Eight bytes at a time: a byte of x is zero exactly where p had '\n';
	 * the expression sets the top bit of each zero byte, and only those. */
	const uint64_t ones7 = UINT64_C(0x7f7f7f7f7f7f7f7f), nl = UINT64_C(0x0a0a0a0a0a0a0a0a);
	for (; i + 8 <= n; i += 8) {
		uint64_t w, x, y;
		memcpy(&w, p + i, 8);
		x = w ^ nl;
		y = ~(((x & ones7) + ones7) | x | ones7);
		/* y holds 0x80 in each matching byte: sum the bytes by multiply. */
		count += (size_t)(((y >> 7) * UINT64_C(0x0101010101010101)) >> 56);
	}
#endif
	for (; i < n; i++)
		count += p[i] == '\n';
	return count;
}

/* Move the line cursor forward to object offset `to` (inside data). */
static void cursor_to(struct mp_scanner *s, uint64_t to)
{
	const char *from = s->data + (s->cur_off - s->base);
	size_t n = (size_t)(to - s->cur_off);
	size_t k = mp_count_newlines(from, n);

	if (k > 0) {
		const char *nlp = memrchr(from, '\n', n);
		s->cur_line += k;
		s->cur_ls = s->base + (uint64_t)(nlp - s->data) + 1;
		if (s->flags & MP_SCAN_UTF16)
			s->cur_ls_orig = s->cur_orig + 2 * mp_utf8_units(from, (size_t)(nlp + 1 - from));
	}
	if (s->flags & MP_SCAN_UTF16)
		s->cur_orig += 2 * mp_utf8_units(from, n);
	s->cur_off = to;
}

/* The first candidate whose secret could reach past `pos`: candidates are
 * sorted by secret start, and none of this window's secrets is longer than
 * cand_reach (the widest rule could be 64 KiB wide, and scanning back that
 * far over dense candidates made every lookup cost thousands of steps). */
static size_t first_cand_near(const struct mp_scanner *s, size_t pos)
{
	size_t w = s->cand_reach;
	size_t from = pos > w ? pos - w : 0, lo = 0, hi = s->ncands;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->cands[mid].sp.sstart < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Copy data[a..b) into s->ctx, masking every other candidate's secret. */
static void ctx_add(struct mp_scanner *s, size_t a, size_t b, size_t self)
{
	size_t p = a;

	if (!s->e->show_secrets) {
		for (size_t i = first_cand_near(s, a); i < s->ncands && p < b; i++) {
			const struct mp_span *o = &s->cands[i].sp;
			if (o->sstart >= b)
				break;
			if (i == self || o->send <= p)
				continue;
			if (o->sstart > p)
				mp_utf8_sanitize(&s->ctx, s->data + p, o->sstart - p);
			mp_buf_adds(&s->ctx, "***");
			p = o->send < b ? o->send : b;
		}
	}
	if (p < b)
		mp_utf8_sanitize(&s->ctx, s->data + p, b - p);
}

static void build_context(struct mp_scanner *s, size_t i, size_t len, uint64_t line_start)
{
	const struct mp_span *sp = &s->cands[i].sp;
	size_t ls = line_start > s->base ? (size_t)(line_start - s->base) : 0;
	size_t a = sp->sstart > MP_CONTEXT_RADIUS ? sp->sstart - MP_CONTEXT_RADIUS : 0;
	size_t b = sp->send, lim = sp->send + MP_CONTEXT_RADIUS < len ? sp->send + MP_CONTEXT_RADIUS : len;

	if (a < ls)
		a = ls;
	/* Do not begin in the middle of a UTF-8 sequence. */
	while (a < sp->sstart && ((unsigned char)s->data[a] & 0xc0) == 0x80)
		a++;
	while (b < lim && s->data[b] != '\n' && s->data[b] != '\r')
		b++;
	while (b > sp->send && b < len && ((unsigned char)s->data[b] & 0xc0) == 0x80)
		b--;
	mp_buf_reset(&s->ctx);
	ctx_add(s, a, sp->sstart, i);
	if (s->e->show_secrets) {
		/* Only the secret's first line, so the context stays one line. */
		const char *nl = memchr(s->data + sp->sstart, '\n', sp->send - sp->sstart);
		mp_utf8_sanitize(&s->ctx, s->data + sp->sstart,
				 nl ? (size_t)(nl - (s->data + sp->sstart)) : sp->send - sp->sstart);
		if (nl)
			mp_buf_adds(&s->ctx, "\xe2\x80\xa6");
	} else {
		mp_buf_add(&s->ctx, s->red.data, s->red.len);
	}
	/* A multi-line secret ends the context. */
	if (memchr(s->data + sp->sstart, '\n', sp->send - sp->sstart) == NULL)
		ctx_add(s, sp->send, b, i);
}

/* Does the value match one of the rule's documented example values? Each
 * glob is tried on the value as it is and without spaces and dashes. */
static bool is_test_value(const struct mp_rule *r, const char *sec, size_t n)
{
	char raw[256], compact[256];
	size_t k = 0;

	if (r->ntest_values == 0 || n >= sizeof raw)
		return false;
	memcpy(raw, sec, n);
	raw[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (sec[i] != ' ' && sec[i] != '-')
			compact[k++] = sec[i];
	compact[k] = '\0';
	for (size_t i = 0; i < r->ntest_values; i++)
		if (mp_glob_match(r->test_values[i], raw) || mp_glob_match(r->test_values[i], compact))
			return true;
	return false;
}

static bool struct_keyword(struct mp_scanner *s, const struct cand *c);

/* Run candidate i's checks (entropy, validators, keywords) once; true if
 * it is a finding, whatever confidence the user asked for. */
static bool accepted(struct mp_scanner *s, size_t i, size_t len)
{
	struct cand *c = &s->cands[i];
	const struct mp_rule *r = &s->e->rules->rules[c->rule];
	const char *sec = s->data + c->sp.sstart;
	size_t n = c->sp.send - c->sp.sstart;
	enum mp_confidence conf = r->confidence;

	if (c->state != CAND_UNCHECKED)
		return c->state == CAND_ACCEPTED;
	c->state = CAND_REJECTED;
	if (r->min_entropy > 0 && mp_entropy(sec, n) < r->min_entropy)
		return false;
	switch (mp_validate(r->validators, sec, n)) {
	case MP_CHECK_FAIL: return false;
	case MP_CHECK_PASS: conf = MP_CONF_HIGH; break;
	case MP_CHECK_WEAK: conf = MP_CONF_LOW; break;
	case MP_CHECK_KEPT:
	case MP_CHECK_NONE: break;
	}
	if (r->nkeywords > 0 && !r->kw_required && conf >= s->e->min_confidence) {
		/* Optional keywords only raise the confidence, and nothing can
		 * drop this value for its confidence: look for them only if the
		 * finding is written (most of a dump's addresses are only
		 * counted under findings-per-rule). */
		c->kw_pending = conf < MP_CONF_HIGH;
	} else if (r->nkeywords > 0) {
		/* A header or key naming the rule counts as a keyword nearby. */
		bool near = c->kw_struct || mp_keyword_near(r, s->data, len, c->sp.sstart, c->sp.send) ||
			    struct_keyword(s, c);
		if (!near && r->kw_required)
			return false;
		if (near && !r->kw_required && conf < MP_CONF_HIGH)
			conf++;
	}
	if (r->nneg_keywords > 0 && mp_negative_keyword_near(r, s->data, len, c->sp.sstart, c->sp.send))
		return false;
	c->state = CAND_ACCEPTED;
	c->conf = (uint8_t)conf;
	return true;
}

/* Past findings-per-rule, a finding of candidate c is counted, not written. */
static void count_unreported(struct mp_scanner *s, const struct cand *c)
{
	uint64_t cap = s->e->caps[MP_CAP_FINDINGS_PER_RULE];

	s->any_count = true;
	if (++s->rule_count[c->rule] == cap + 1)
		s->over[s->nover++] = c->rule;
	s->last_end[c->rule] = s->base + c->sp.send;
	if (s->emit.unreported)
		s->emit.unreported(s->emit.ctx, &s->e->rules->rules[c->rule]);
}

#define ALLOW_REACH  4096 /* bytes searched for "magpie:allow" on either side of a value */
#define ALLOW_ID_MAX 128  /* bytes of one rule id or glob after it */

/* ---- structured objects: cursors, record locations, context ---- */

/* Is there a match (a confirmed candidate of any rule, whatever its checks
 * say) in the object's bytes [a, b)? Sets *rule. This window's candidates
 * and the previous window's that reach into it are looked at. */
static bool match_within(const struct mp_scanner *s, uint64_t a, uint64_t b, uint32_t *rule)
{
	if (b > s->base && s->ncands > 0) {
		size_t ra = a > s->base ? (size_t)(a - s->base) : 0, rb = (size_t)(b - s->base);
		for (size_t i = first_cand_near(s, ra); i < s->ncands; i++) {
			const struct mp_span *o = &s->cands[i].sp;
			if (o->sstart >= rb)
				break;
			if (o->send > ra) {
				*rule = s->cands[i].rule;
				return true;
			}
		}
	}
	for (size_t i = 0; i < s->nsens; i++) {
		if (s->sens[i].start >= b)
			break;
		if (s->sens[i].end > a) {
			*rule = s->sens[i].rule;
			return true;
		}
	}
	return false;
}

/* The main JSON cursor read a key: a key holding a match is masked in
 * every path through it. */
static void main_key(void *ctx, struct mp_json_cursor *c, struct mp_json_frame *f)
{
	struct mp_scanner *s = ctx;
	uint32_t rule;

	(void)c;
	if (!s->e->show_secrets && match_within(s, f->key_start, f->key_end, &rule))
		f->masked = rule + 1;
}

static const char *rule_id_of(void *ctx, uint32_t rule)
{
	const struct mp_scanner *s = ctx;
	return s->e->rules->rules[rule].id;
}

static int json_cursors(struct mp_scanner *s)
{
	uint32_t depth = (uint32_t)s->e->caps[MP_CAP_JSON_DEPTH];
	size_t cap = (size_t)s->e->caps[MP_CAP_JSON_PATH];

	if (s->json_ok)
		return 0;
	/* A rendered path may carry a mask per level in place of a key. */
	s->path_out_cap = cap + (size_t)depth * 160;
	s->path_out = malloc(s->path_out_cap);
	if (s->path_out == NULL || mp_json_alloc(&s->json, depth, cap) != 0 ||
	    mp_json_alloc(&s->json_bc, depth, cap) != 0 || mp_json_alloc(&s->json_snap, depth, cap) != 0 ||
	    mp_json_alloc(&s->json_walk, depth, cap) != 0)
		return -1;
	s->json.on_key = main_key;
	s->json.ctx = s;
	s->json_ok = true;
	return 0;
}

/* The object's first bytes are in data[0..len): set the cursors up. */
static void struct_begin(struct mp_scanner *s, size_t len)
{
	const uint64_t *caps = s->e->caps;

	s->st_started = true;
	if (s->st.kind == MP_STRUCT_NONE || (s->flags & MP_SCAN_UTF16))
		return;
	s->snap_valid = false;
	s->nhgate = 0;
	s->nsens = 0;
	s->sens_reach = 0;
	s->noted_err = MP_JSON_OK;
	s->noted_line = 0;
	s->struct_notes = 0;
	s->struct_unnoted = 0;
	if (s->st.kind == MP_STRUCT_CSV) {
		mp_csv_init(&s->csv, s->st.delim, s->data, len);
		s->csv_bc = s->csv;
		s->hdr_mask_done = false;
		if (s->st.header && mp_csv_header_parse(&s->hdr, s->data, len, s->st.delim,
							(size_t)caps[MP_CAP_CSV_COLUMNS]) != 0)
			s->st.header = false; /* it does not end in the first segment */
		if (s->st.header) {
			s->hdr_mask = calloc(s->hdr.ncols ? s->hdr.ncols : 1, sizeof *s->hdr_mask);
			if (s->hdr_mask == NULL) {
				mp_csv_header_free(&s->hdr);
				s->st.header = false;
			}
		}
		if (s->st.header && s->hdr.cut)
			notice(s, "limit",
			       "csv-columns limit (%llu): the header has more columns; those after it have "
			       "no "
			       "column_name and their header is not keyword context",
			       (unsigned long long)caps[MP_CAP_CSV_COLUMNS]);
		for (size_t c = 0; s->st.header && c < s->hdr.ncols; c++) {
			uint32_t rules[8];
			size_t k = mp_labels_match(s->e->labels, s->hdr.names + s->hdr.name_off[c],
						   s->hdr.name_off[c + 1] - s->hdr.name_off[c], rules, 8);
			for (size_t j = 0; j < k; j++) {
				if (mp_array_grow(&s->hgate, &s->caphgate, s->nhgate, sizeof *s->hgate, 8) !=
				    0)
					break;
				s->hgate[s->nhgate][0] = (uint32_t)(c + 1);
				s->hgate[s->nhgate][1] = rules[j];
				s->nhgate++;
			}
		}
	} else {
		if (json_cursors(s) != 0) {
			notice(s, "error", "out of memory for the JSON cursors; no json_path in this object");
			return;
		}
		mp_json_init(&s->json, s->st.kind == MP_STRUCT_JSONL, s->data, len);
		mp_json_copy(&s->json_bc, &s->json);
	}
	s->st_ready = true;
}

static void struct_end(struct mp_scanner *s)
{
	if (s->struct_unnoted > 0)
		notice(s, "malformed",
		       "%llu more JSON record%s with a structure problem (malformed, or past json-depth or "
		       "json-path) were not named; findings there have no json_path",
		       (unsigned long long)s->struct_unnoted, s->struct_unnoted == 1 ? "" : "s");
	if (s->st.header)
		mp_csv_header_free(&s->hdr);
	free(s->hdr_mask);
	s->hdr_mask = NULL;
	s->st.kind = MP_STRUCT_NONE;
	s->st_started = false;
	s->st_ready = false;
	s->struct_unnoted = 0;
}

/* Move the structure cursor to object offset `off` (inside the buffer).
 * Backwards means a restart from the buffer's base. Passing the next slide
 * point leaves a snapshot there, so that the slide need not walk again. */
static void struct_to(struct mp_scanner *s, uint64_t off)
{
	if (s->st.kind == MP_STRUCT_CSV) {
		if (off < s->csv.off)
			s->csv = s->csv_bc;
		if (off > s->snap_at && !s->snap_valid && s->csv.off <= s->snap_at) {
			mp_csv_advance(&s->csv, s->data, s->base, s->snap_at);
			s->csv_snap = s->csv;
			s->snap_valid = true;
		}
		if (off > s->csv.off)
			mp_csv_advance(&s->csv, s->data, s->base, off);
		return;
	}
	if (off < s->json.off)
		mp_json_copy(&s->json, &s->json_bc);
	if (off > s->snap_at && !s->snap_valid && s->json.off <= s->snap_at) {
		mp_json_advance(&s->json, s->data, s->base, s->snap_at);
		mp_json_copy(&s->json_snap, &s->json);
		s->snap_valid = true;
	}
	if (off > s->json.off)
		mp_json_advance(&s->json, s->data, s->base, off);
}

/* The buffer is about to drop the bytes before object offset `to`. */
static void struct_slide(struct mp_scanner *s, uint64_t to)
{
	if (!s->st_ready)
		return;
	if (s->st.kind == MP_STRUCT_CSV) {
		if (s->snap_valid) {
			s->csv = s->csv_snap;
		} else {
			if (s->csv.off > to)
				s->csv = s->csv_bc;
			if (to > s->csv.off)
				mp_csv_advance(&s->csv, s->data, s->base, to);
		}
		s->csv_bc = s->csv;
	} else {
		if (s->snap_valid) {
			mp_json_copy(&s->json, &s->json_snap);
		} else {
			if (s->json.off > to)
				mp_json_copy(&s->json, &s->json_bc);
			if (to > s->json.off)
				mp_json_advance(&s->json, s->data, s->base, to);
		}
		mp_json_copy(&s->json_bc, &s->json);
		/* Keys after `to` may hold matches found in this window. */
		size_t k = 0;
		for (size_t i = 0; i < s->nsens; i++)
			if (s->sens[i].end > to)
				s->sens[k++] = s->sens[i];
		s->nsens = k;
		for (size_t i = 0; i < s->ncands; i++) {
			uint64_t a = s->base + s->cands[i].sp.sstart, b = s->base + s->cands[i].sp.send;
			if (b <= to || (k > 0 && a < s->sens[k - 1].start))
				continue;
			if (mp_array_grow(&s->sens, &s->capsens, s->nsens, sizeof *s->sens, 64) != 0)
				break;
			s->sens[s->nsens].start = a;
			s->sens[s->nsens].end = b;
			s->sens[s->nsens].rule = s->cands[i].rule;
			s->nsens++;
		}
	}
	s->snap_valid = false;
}

/* A notice for the JSON cursor's problem, once per record (JSON Lines) or
 * per problem (JSON). */
static void json_note(struct mp_scanner *s)
{
	const struct mp_json_cursor *c = &s->json;
	const uint64_t *caps = s->e->caps;
	char where[64];

	if (c->err == MP_JSON_OK)
		return;
	if (c->lines) {
		if (s->noted_line == c->index + 1)
			return;
		s->noted_line = c->index + 1;
		snprintf(where, sizeof where, "on line %llu (byte %llu)", (unsigned long long)c->index + 1,
			 (unsigned long long)c->err_off);
	} else {
		if (s->noted_err == c->err)
			return;
		s->noted_err = c->err;
		snprintf(where, sizeof where, "at byte %llu", (unsigned long long)c->err_off);
	}
	if (s->struct_notes >= STRUCT_NOTES_MAX) {
		s->struct_unnoted++;
		return;
	}
	s->struct_notes++;
	switch (c->err) {
	case MP_JSON_SYNTAX:
		if (c->lines)
			notice(s, "malformed",
			       "malformed JSON %s: findings after it on that line have no json_path; the "
			       "other lines keep theirs",
			       where);
		else
			notice(s, "malformed",
			       "malformed JSON %s: the rest of the object is scanned as text, its findings "
			       "have no record location",
			       where);
		break;
	case MP_JSON_TOO_DEEP:
		notice(s, "limit",
		       "json-depth limit (%llu) passed %s: values nested deeper have no json_path",
		       (unsigned long long)caps[MP_CAP_JSON_DEPTH], where);
		break;
	case MP_JSON_PATH_LONG:
		notice(s, "limit",
		       "json-path limit (%llu bytes) passed %s: values below that key have no json_path",
		       (unsigned long long)caps[MP_CAP_JSON_PATH], where);
		break;
	case MP_JSON_OK: break;
	}
}

/* The record location of a finding at object offset `off`. */
static void fill_record(struct mp_scanner *s, struct mp_record *rec, uint64_t off)
{
	memset(rec, 0, sizeof *rec);
	if (!s->st_ready)
		return;
	struct_to(s, off);
	if (s->st.kind == MP_STRUCT_CSV) {
		uint64_t col = s->csv.col;
		rec->cell = true;
		rec->row = s->csv.row;
		rec->column = col;
		if (s->st.header && rec->row > 1 && col <= s->hdr.ncols) {
			uint32_t m = s->hdr_mask[col - 1];
			if (m != 0) {
				int k = snprintf(s->colname, sizeof s->colname, "<masked:%s>",
						 s->e->rules->rules[m - 1].id);
				rec->column_name = s->colname;
				rec->column_name_len = k > 0 ? (size_t)k : 0;
			} else {
				rec->column_name = s->hdr.names + s->hdr.name_off[col - 1];
				rec->column_name_len = s->hdr.name_off[col] - s->hdr.name_off[col - 1];
			}
		}
		return;
	}
	json_note(s);
	if (s->json.broken && !s->json.lines)
		return; /* a malformed document: scanned as text from here */
	rec->json = true;
	rec->index = s->json.index;
	if (mp_json_path_known(&s->json)) {
		size_t n = mp_json_path_render(&s->json, s->path_out, s->path_out_cap, rule_id_of, s);
		if (n > 0) {
			rec->json_path = s->path_out;
			rec->json_path_len = n;
		}
	}
}

/* Does a keyword of candidate c's rule name its CSV column (in the header)
 * or one of the keys above its JSON value? */
static bool struct_keyword(struct mp_scanner *s, const struct cand *c)
{
	const struct mp_rule *r = &s->e->rules->rules[c->rule];

	if (!s->st_ready || r->nkeywords == 0)
		return false;
	struct_to(s, s->base + c->sp.sstart);
	if (s->st.kind == MP_STRUCT_CSV) {
		uint64_t col = s->csv.col;
		if (!s->st.header || s->csv.row <= 1 || col > s->hdr.ncols)
			return false;
		return mp_label_match(r, s->hdr.names + s->hdr.name_off[col - 1],
				      s->hdr.name_off[col] - s->hdr.name_off[col - 1]);
	}
	if (s->json.broken)
		return false;
	uint32_t used = s->json.depth < s->json.max_depth ? s->json.depth : s->json.max_depth;
	if (mp_json_at_key(&s->json) && used > 0)
		used--; /* a value inside a key: that key is not above it */
	for (uint32_t i = 0; i < used; i++) {
		const char *p;
		size_t n = mp_json_component(&s->json, i, &p);
		if (n > 0 && mp_label_match(r, p, n))
			return true;
	}
	return false;
}

/* Does "magpie:allow" appear on the line data[ls..le), with no rule list
 * after it, or with one that names rule id (ids or fnmatch globs,
 * separated by commas or spaces)? "magpie:allow aws.*,github.pat-classic". */
static bool inline_allowed(const char *data, size_t ls, size_t le, const char *id)
{
	static const char tag[] = "magpie:allow";
	const char *p = data + ls, *end = data + le;

	while (p < end && (p = memmem(p, (size_t)(end - p), tag, sizeof tag - 1)) != NULL) {
		const char *q = p + sizeof tag - 1;
		bool listed = false, any = false;
		p = q;
		if (q < end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_'))
			continue; /* "magpie:allowed", another word */
		if (q < end && (*q == '=' || *q == ':'))
			q++;
		while (q < end) {
			char name[ALLOW_ID_MAX];
			size_t k = 0;
			while (q < end && (*q == ' ' || *q == '\t' || *q == ','))
				q++;
			while (q < end && k + 1 < sizeof name &&
			       ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '.' ||
				*q == '-' || *q == '*' || *q == '?'))
				name[k++] = *q++;
			if (k == 0)
				break;
			name[k] = '\0';
			listed = true;
			any = any || fnmatch(name, id, 0) == 0;
		}
		if (!listed || any)
			return true;
	}
	return false;
}

/* Is candidate c covered by a "magpie:allow" on its first or last line?
 * The line cursor must be at the value's start. The search stays within
 * ALLOW_REACH of the value: a one-line 1 GB file is not searched end to
 * end. */
static bool allowed_here(const struct mp_scanner *s, const struct cand *c, size_t len)
{
	const char *id = s->e->rules->rules[c->rule].id;
	if (!s->has_allow)
		return false;
	size_t ls = s->cur_ls > s->base ? (size_t)(s->cur_ls - s->base) : 0;
	size_t vs = c->sp.sstart, ve = c->sp.send;
	size_t first = vs - ls > ALLOW_REACH ? vs - ALLOW_REACH : ls;
	size_t reach = len - ve < ALLOW_REACH ? len - ve : ALLOW_REACH;
	const char *nl = memchr(s->data + ve, '\n', reach);
	size_t hi = nl ? (size_t)(nl - s->data) : ve + reach;
	const char *last = memrchr(s->data + vs, '\n', ve - vs);

	if (last == NULL)
		return inline_allowed(s->data, first, hi, id);
	/* A multi-line value (a PEM block): its first line or its last. */
	return inline_allowed(s->data, first, vs, id) ||
	       inline_allowed(s->data, (size_t)(last + 1 - s->data), hi, id);
}

/* The finding's position and fingerprint (what the consumer's filters
 * look at). */
static void locate(struct mp_scanner *s, const struct cand *c, struct mp_finding *f, size_t len)
{
	const char *sec = s->data + c->sp.sstart;
	size_t n = c->sp.send - c->sp.sstart;

	f->offset = s->base + c->sp.sstart;
	f->length = n;
	f->secret = sec;
	f->secret_len = n;
	cursor_to(s, f->offset);
	f->line = s->cur_line;
	f->column = f->offset - s->cur_ls + 1;
	if (s->flags & MP_SCAN_UTF16) {
		f->offset = s->cur_orig;
		f->length = 2 * mp_utf8_units(sec, n);
		f->column = s->cur_orig - s->cur_ls_orig + 1;
	}
	size_t k = mp_count_newlines(sec, n);
	if (k == 0) {
		f->end_line = f->line;
		f->end_column = f->column + f->length;
	} else {
		const char *nlp = memrchr(sec, '\n', n);
		size_t tail = (size_t)(sec + n - (nlp + 1));
		f->end_line = f->line + k;
		f->end_column = ((s->flags & MP_SCAN_UTF16) ? 2 * mp_utf8_units(nlp + 1, tail) : tail) + 1;
	}
	mp_fingerprint(f->rule->id, sec, n, f->fingerprint);
	f->allowed = allowed_here(s, c, len);
	fill_record(s, &f->record, s->base + c->sp.sstart);
}

static void report(struct mp_scanner *s, size_t i, size_t len)
{
	const struct cand *c = &s->cands[i];
	struct mp_rule *r = &s->e->rules->rules[c->rule];
	const char *sec = s->data + c->sp.sstart;
	size_t n = c->sp.send - c->sp.sstart;
	struct mp_finding f;
	enum mp_confidence conf;

	if (!accepted(s, i, len))
		return;
	conf = (enum mp_confidence)c->conf;
	if (conf < s->e->min_confidence)
		return;
	memset(&f, 0, sizeof f);
	f.rule = r;
	f.test_value = is_test_value(r, sec, n);
	/* Documented test values are reported (or dropped) apart from the
	 * findings-per-rule count. */
	bool counts = !f.test_value || s->e->include_test_values;
	bool over = counts && s->rule_count[c->rule] >= s->e->caps[MP_CAP_FINDINGS_PER_RULE];
	if (over && s->emit.keep == NULL) {
		if (s->has_allow)
			cursor_to(s, s->base + c->sp.sstart);
		if (!allowed_here(s, c, len))
			count_unreported(s, c);
		return;
	}
	locate(s, c, &f, len);
	if (over) {
		/* Only what the consumer keeps (not in a baseline, on a line
		 * a commit adds) is counted. */
		if (s->emit.keep(s->emit.ctx, s->loc, &f))
			count_unreported(s, c);
		return;
	}
	if (c->kw_pending &&
	    (mp_keyword_near(r, s->data, len, c->sp.sstart, c->sp.send) || struct_keyword(s, c)))
		conf++;
	if (s->nfindings >= s->e->caps[MP_CAP_FINDINGS_PER_OBJECT]) {
		notice(s, "limit",
		       "findings-per-object limit (%llu) reached at byte %llu; the rest of the object was "
		       "not scanned",
		       (unsigned long long)s->e->caps[MP_CAP_FINDINGS_PER_OBJECT],
		       (unsigned long long)(s->base + c->sp.sstart));
		s->stopped = true;
		return;
	}
	f.confidence = conf;
	f.entropy = mp_entropy(sec, n);
	mp_buf_reset(&s->red);
	mp_redact(sec, n, &s->red);
	build_context(s, i, len, s->cur_ls);
	f.redacted = s->red.data;
	f.context = s->ctx.data ? s->ctx.data : "";
	s->nfindings++;
	s->last_end[c->rule] = s->base + c->sp.send;
	if (s->emit.finding(s->emit.ctx, s->loc, &f) && counts) {
		s->any_count = true;
		s->rule_count[c->rule]++;
	}
}

static int add_found(void *ctx, const struct mp_span *sp)
{
	struct mp_scanner *s = ctx;

	if (mp_array_grow(&s->found, &s->capfound, s->nfound, sizeof *s->found, 64) != 0)
		return -1;
	s->found[s->nfound++] = *sp;
	return 0;
}

/* add_found for a value inside [gs_from, gs_to] only. */
static int add_found_in(void *ctx, const struct mp_span *sp)
{
	struct mp_scanner *s = ctx;

	if (sp->sstart < s->gs_from || sp->send > s->gs_to)
		return 0;
	return add_found(ctx, sp);
}

static int cmp_span_end(const void *a, const void *b)
{
	const struct mp_span *x = a, *y = b;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Keep one match per overlapping run of spans sorted by end: a later span
 * that starts no later than the kept one is the same match grown. Overlap
 * is judged on the values, not on the delimiters around them: in
 * "10.0.0.1 203.0.113.9" the space ends one match and begins the next. */
static void dedupe_push(struct mp_scanner *s, uint32_t rule, const struct mp_span *sp, size_t n)
{
	struct mp_span cur;
	bool have = false;

	for (size_t i = 0; i < n; i++) {
		if (have && sp[i].sstart < cur.send) {
			if (sp[i].sstart <= cur.sstart)
				cur = sp[i];
			continue;
		}
		if (have && push_cand(s, rule, &cur) != 0)
			return;
		cur = sp[i];
		have = true;
	}
	if (have)
		push_cand(s, rule, &cur);
}

/* Search-mode rules: search windows around the hits h[0..n), merging
 * windows that touch so each byte is searched once. */
static void search_rule(struct mp_scanner *s, uint32_t rule, const struct hit *h, size_t n, size_t len)
{
	struct mp_rule *r = &s->e->rules->rules[rule];
	/* Where a value may start, relative to a hit: for a keyword hit the
	 * value lies within the distance on either side; for a prefilter hit
	 * it ends near the hit. */
	size_t before = r->gated ? r->width + r->kw_distance + MP_RULE_KEYWORD_LEN_MAX : r->width;
	size_t after = r->gated ? r->kw_distance : 0;
	size_t ws = 0, we = 0;
	bool open = false;

	s->nfound = 0;
	for (size_t i = 0; i <= n; i++) {
		size_t a = 0, b = 0;
		if (i < n) {
			a = h[i].end > before ? h[i].end - before : 0;
			b = h[i].end + after;
			if (open && a <= we + 1) {
				if (b > we)
					we = b;
				continue;
			}
		}
		if (open && mp_confirm_search(&s->conf, r, s->data, len, ws, we, add_found, s) < 0)
			break;
		ws = a;
		we = b;
		open = true;
	}
	if (s->nfound == 0)
		return;
	qsort(s->found, s->nfound, sizeof *s->found, cmp_span_end);
	dedupe_push(s, rule, s->found, s->nfound);
}

/* How readily a rule gives way on shared bytes: a rule that does not
 * yield never does; a yielding rule (a container of credentials, such as a
 * kubeconfig token) gives way to those; a generic rule gives way to both. */
static int yield_rank(const struct mp_rule *r)
{
	if (r->category == MP_CAT_GENERIC)
		return 2;
	return r->yields ? 1 : 0;
}

/* Does a finding of a rule that yields less overlap candidate i's secret?
 * Only candidates that pass their own checks count: a failed checksum must
 * not hide what a generic rule sees in the same bytes. */
static bool specific_overlaps(struct mp_scanner *s, size_t i, size_t len)
{
	const struct mp_rule *rules = s->e->rules->rules;
	size_t me_start = s->cands[i].sp.sstart, me_end = s->cands[i].sp.send;
	int rank = yield_rank(&rules[s->cands[i].rule]);

	for (size_t k = first_cand_near(s, me_start); k < s->ncands; k++) {
		const struct mp_span *o = &s->cands[k].sp;
		if (o->sstart >= me_end)
			break;
		if (k == i || yield_rank(&rules[s->cands[k].rule]) >= rank || o->send <= me_start)
			continue;
		if (accepted(s, k, len))
			return true;
	}
	return false;
}

/* ---- structured objects: gated rules under a header or key ---- */

static void add_gspan(struct mp_scanner *s, uint32_t rule, uint64_t a, uint64_t b)
{
	if (b <= a || a < s->base)
		return;
	if (mp_array_grow(&s->gspans, &s->capgspans, s->ngspans, sizeof *s->gspans, 64) != 0)
		return;
	s->gspans[s->ngspans].rule = rule;
	s->gspans[s->ngspans].start = (size_t)(a - s->base);
	s->gspans[s->ngspans].end = (size_t)(b - s->base);
	s->ngspans++;
}

static void gate_cell(void *ctx, const struct mp_csv_cursor *c, uint64_t col, uint64_t start, uint64_t end)
{
	struct mp_scanner *s = ctx;

	if (s->st.header && c->row == 1)
		return;
	for (size_t k = 0; k < s->nhgate; k++)
		if (s->hgate[k][0] == col)
			add_gspan(s, s->hgate[k][1], start, end);
}

/* Which gated rules frame i's key names (computed once per key). */
static void frame_gated(struct mp_scanner *s, struct mp_json_cursor *c, uint32_t i)
{
	struct mp_json_frame *f = &c->frames[i];
	uint32_t rules[4];
	const char *p;
	size_t n = 0;

	f->gated_done = true;
	f->ngated = 0;
	if (f->type == '{' && f->has_key)
		n = mp_json_component(c, i, &p);
	if (n > 0)
		f->ngated = (uint8_t)mp_labels_match(s->e->labels, p, n, rules, 4);
	for (uint8_t k = 0; k < f->ngated; k++)
		f->gated[k] = (uint16_t)rules[k];
}

static void gate_key(void *ctx, struct mp_json_cursor *c, struct mp_json_frame *f)
{
	frame_gated(ctx, c, (uint32_t)(f - c->frames));
}

static void gate_value(void *ctx, struct mp_json_cursor *c, uint64_t start, uint64_t end)
{
	struct mp_scanner *s = ctx;
	uint32_t used = c->depth < c->max_depth ? c->depth : c->max_depth;

	for (uint32_t i = 0; i < used; i++) {
		struct mp_json_frame *f = &c->frames[i];
		if (f->type != '{' || !f->has_key)
			continue;
		if (!f->gated_done)
			frame_gated(s, c, i);
		for (uint8_t k = 0; k < f->ngated; k++)
			add_gspan(s, f->gated[k], start, end);
	}
}

/* Does a key open at the buffer's base name a gated rule? */
static bool base_gated(struct mp_scanner *s)
{
	struct mp_json_cursor *c = &s->json_bc;
	uint32_t used = c->depth < c->max_depth ? c->depth : c->max_depth;

	for (uint32_t i = 0; i < used; i++) {
		if (!c->frames[i].gated_done)
			frame_gated(s, c, i);
		if (c->frames[i].ngated > 0)
			return true;
	}
	return false;
}

static int add_found_in(void *ctx, const struct mp_span *sp);

/* Does the keyword hit ending at e in p[0..len) sit in a JSON key whose
 * value reaches past e + d (the part the keyword search covers)? Read from
 * the hit on, without the cursor: the rest of a key, '"', ':', then a
 * string, a scalar or a container, skipped to its end. Text that is not a
 * key is covered by the keyword search; a value that does not end within
 * the buffer reaches. */
static bool key_value_reaches(const char *p, size_t len, size_t e, size_t d)
{
	size_t i = e, lim = e + d < len ? e + d : len;
	const char *q = memchr(p + e, '"',
			       (e + MP_RULE_KEYWORD_LEN_MAX < len ? e + MP_RULE_KEYWORD_LEN_MAX : len) - e);

	if (e > 0 && p[e - 1] == '"')
		q = p + e - 1; /* the keyword took the key's closing quote */
	if (q == NULL)
		return false;
	i = (size_t)(q - p) + 1;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
		i++;
	if (i >= len || p[i] != ':')
		return false;
	i++;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i >= lim)
		return true;
	if (p[i] != '[' && p[i] != '{')
		return false; /* a scalar: one value, which the keyword search sees when it is near */
	for (int depth = 0; i < lim; i++) {
		char c = p[i];
		if (c == '"') {
			for (i++; i < lim && p[i] != '"'; i++)
				if (p[i] == '\\')
					i++;
		} else if (c == '[' || c == '{') {
			depth++;
		} else if ((c == ']' || c == '}') && --depth == 0) {
			return false;
		}
	}
	return true;
}

static int cmp_gspan(const void *a, const void *b)
{
	const struct gspan *x = a, *y = b;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* A gated rule searches for its keywords, so a value whose keyword is only
 * in its column's header, or in a key far above it, gives no hit. Walk this
 * buffer's cells (or values) under headers (or keys) naming a gated rule
 * and search the rule's pattern in each. The candidates need no keyword
 * nearby (kw_struct). */
static void struct_gated_search(struct mp_scanner *s, size_t len)
{
	struct mp_rule *rules = s->e->rules->rules;

	s->ngspans = 0;
	if (s->st.kind == MP_STRUCT_CSV) {
		if (s->nhgate == 0)
			return;
		struct mp_csv_cursor w = s->csv_bc;
		mp_csv_walk(&w, s->data, s->base, s->base + len, true, gate_cell, s);
	} else {
		if (!s->gated_hit && !base_gated(s))
			return;
		struct mp_json_cursor *w = &s->json_walk;
		mp_json_copy(w, &s->json_bc);
		w->on_key = gate_key;
		w->on_value = gate_value;
		w->ctx = s;
		mp_json_advance(w, s->data, s->base, s->base + len);
		if (mp_json_in_value(w) && w->str_start < w->off)
			gate_value(s, w, w->str_start, w->off); /* a value cut by the buffer's end */
	}
	if (s->ngspans == 0)
		return;
	qsort(s->gspans, s->ngspans, sizeof *s->gspans, cmp_gspan);
	for (size_t i = 0; i < s->ngspans;) {
		uint32_t rule = s->gspans[i].rule;
		struct mp_rule *r = &rules[rule];
		s->nfound = 0;
		for (; i < s->ngspans && s->gspans[i].rule == rule; i++) {
			const struct gspan *g = &s->gspans[i];
			if (i > 0 && s->gspans[i - 1].rule == rule && s->gspans[i - 1].start == g->start)
				continue; /* the same value under two keys */
			s->gs_from = g->start;
			s->gs_to = g->end;
			/* From the byte before: patterns look at the delimiter. */
			if (mp_confirm_search(&s->conf, r, s->data, len, g->start > 0 ? g->start - 1 : 0,
					      g->end, add_found_in, s) < 0)
				break;
		}
		if (s->nfound == 0)
			continue;
		qsort(s->found, s->nfound, sizeof *s->found, cmp_span_end);
		s->push_struct = true;
		dedupe_push(s, rule, s->found, s->nfound);
		s->push_struct = false;
		s->struct_cands = true;
	}
}

/* Merge candidates found twice (by a keyword nearby and under a header or
 * key): the cands are sorted by start, then rule. */
static void merge_struct_cands(struct mp_scanner *s)
{
	size_t k = 0;

	for (size_t i = 0; i < s->ncands; i++) {
		if (k > 0 && s->cands[k - 1].rule == s->cands[i].rule &&
		    s->cands[k - 1].sp.sstart == s->cands[i].sp.sstart) {
			s->cands[k - 1].kw_struct |= s->cands[i].kw_struct;
			if (s->cands[i].sp.send > s->cands[k - 1].sp.send)
				s->cands[k - 1].sp = s->cands[i].sp;
			continue;
		}
		s->cands[k++] = s->cands[i];
	}
	s->ncands = k;
}

/* --profile: the hits i0..i of one rule gave the candidates from c0 on;
 * the time since the group began (subtracted there) is added. */
static void prof_group(struct mp_scanner *s, size_t i0, size_t i, size_t c0)
{
	if (s->prof == NULL || i == i0)
		return;
	uint32_t rule = s->hits[i0].rule;
	s->prof->hits[rule] += i - i0;
	s->prof->matches[rule] += s->ncands - c0;
	s->prof->ns[rule] += now_ns();
}

/* Scan data[0..len): confirm hits ending after r0 - context, report those
 * whose deduplicated match ends in (r0, r1]. */
static void scan_window(struct mp_scanner *s, size_t len, size_t r0, size_t r1)
{
	struct mp_rule *rules = s->e->rules->rules;
	hs_error_t rc;

	s->nhits = 0;
	s->ncands = 0;
	s->hits_full = false;
	/* Hits a little before r0 still matter: for context masking, and for
	 * gated rules, whose keyword may precede an owned value. */
	/* A match ending just after r0 may start max_width before it, and its
	 * context reaches MP_CONTEXT_RADIUS further: secrets there must be
	 * candidates too, or they could not be masked. */
	size_t keep = s->e->rules->max_width + MP_CONTEXT_RADIUS;
	if (s->e->rules->max_gate_reach > keep)
		keep = s->e->rules->max_gate_reach;
	s->hit_floor = r0 > keep ? r0 - keep : 0;
	/* Findings are located in start order from the segment's base cursor. */
	s->cur_off = s->base;
	s->cur_line = s->bc_line;
	s->cur_ls = s->bc_ls;
	s->cur_orig = s->bc_orig;
	s->cur_ls_orig = s->bc_ls_orig;
	s->gated_hit = false;
	s->struct_cands = false;
	if (len == 0)
		return;
	if (s->st.kind != MP_STRUCT_NONE && !s->st_started)
		struct_begin(s, len);
	uint64_t t = s->prof ? now_ns() : 0;
	rc = HS_SUCCESS;
	for (unsigned d = 0; d < s->e->hs.ndb && rc == HS_SUCCESS; d++) {
		rc = hs_scan(s->e->hs.db[d], s->data, (unsigned int)len, 0, s->scratch, on_hit, s);
		if (s->prof) {
			uint64_t t1 = now_ns();
			s->prof->hs_ns += t1 - t;
			s->prof->db_ns[d] += t1 - t;
			t = t1;
		}
	}
	if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) {
		notice(s, "scan-error", "Vectorscan failed with code %d at byte %llu", (int)rc,
		       (unsigned long long)s->base);
		s->stopped = true;
		return;
	}
	if (s->e->rules->digits_min > 0 && !s->hits_full) {
		mp_digit_runs(s->data, len, s->e->rules->digits_min, on_digit_run, s);
		if (s->prof)
			s->prof->runs_ns += now_ns() - t;
	}
	if (s->hits_full && !s->hits_noted) {
		notice(s, "limit",
		       "hits-per-segment limit (%llu) reached near byte %llu; some matches there may be "
		       "missed",
		       (unsigned long long)s->e->caps[MP_CAP_HITS_PER_SEGMENT], (unsigned long long)s->base);
		s->hits_noted = true;
	}
	if (s->nhits == 0 && !(s->st_ready && s->st.kind == MP_STRUCT_CSV && s->nhgate > 0) &&
	    !(s->st_ready && s->st.kind != MP_STRUCT_CSV && base_gated(s)))
		return;
	if (s->nhits > 0)
		sort_hits(s);

	/* Per rule: confirm in end order, keep one match per overlapping run. */
	for (size_t i = 0, i0 = 0, c0 = 0; i < s->nhits; prof_group(s, i0, i, c0)) {
		uint32_t rule = s->hits[i].rule;
		struct mp_rule *r = &rules[rule];
		struct mp_span cur, sp;
		bool have = false;

		i0 = i;
		c0 = s->ncands;
		if (s->prof)
			s->prof->ns[rule] -= now_ns();
		if ((s->flags & MP_SCAN_NO_PII) && r->category == MP_CAT_PII) {
			while (i < s->nhits && s->hits[i].rule == rule)
				i++;
			continue;
		}
		if (r->prefilter || r->gated || r->digit_run) {
			size_t j = i;
			bool json = s->st_ready && s->st.kind != MP_STRUCT_CSV;
			for (size_t k = i;
			     json && r->gated && !s->gated_hit && k < s->nhits && s->hits[k].rule == rule;
			     k++)
				s->gated_hit = key_value_reaches(s->data, len, s->hits[k].end,
								 r->kw_distance);
			while (j < s->nhits && s->hits[j].rule == rule)
				j++;
			search_rule(s, rule, s->hits + i, j - i, len);
			i = j;
			continue;
		}
		for (; i < s->nhits && s->hits[i].rule == rule; i++) {
			size_t end = s->hits[i].end;
			if (have && end <= cur.end)
				continue;
			if (!mp_confirm(&s->conf, r, s->data, len, end, &sp))
				continue;
			if (have && sp.sstart < cur.send) {
				if (sp.sstart <= cur.sstart)
					cur = sp; /* the same match, grown */
				continue;
			}
			if (have && push_cand(s, rule, &cur) != 0)
				break;
			cur = sp;
			have = true;
		}
		if (have)
			push_cand(s, rule, &cur);
	}
	if (s->st_ready && s->e->labels != NULL)
		struct_gated_search(s, len);
	if (s->ncands == 0)
		return;
	qsort(s->cands, s->ncands, sizeof *s->cands, cmp_cand_start);
	if (s->struct_cands)
		merge_struct_cands(s);
	/* Allow comments are rare: one search of the window spares each
	 * finding its own. */
	s->has_allow = memmem(s->data, len, "magpie:allow", 12) != NULL;
	s->cand_reach = 0;
	for (size_t i = 0; i < s->ncands; i++)
		if (s->cands[i].sp.send - s->cands[i].sp.sstart > s->cand_reach)
			s->cand_reach = s->cands[i].sp.send - s->cands[i].sp.sstart;
	if (s->st_ready && s->st.kind == MP_STRUCT_CSV && s->st.header && !s->hdr_mask_done) {
		/* A header cell holding a match is masked as a column_name. */
		uint32_t rule;
		s->hdr_mask_done = true;
		for (size_t c = 0; c < s->hdr.ncols && !s->e->show_secrets; c++)
			if (match_within(s, s->hdr.cell_start[c], s->hdr.cell_end[c], &rule))
				s->hdr_mask[c] = rule + 1;
	}
	for (size_t i = 0; i < s->ncands && !s->stopped; i++) {
		const struct cand *c = &s->cands[i];
		if (c->sp.end <= r0 || c->sp.end > r1)
			continue;
		if (s->base + c->sp.sstart < s->last_end[c->rule])
			continue; /* overlaps a match an earlier segment reported */
		if (s->prof)
			s->prof->ns[c->rule] -= now_ns();
		if (!rules[c->rule].yields || !specific_overlaps(s, i, len))
			report(s, i, len); /* else a more specific rule reports these bytes */
		if (s->prof)
			s->prof->ns[c->rule] += now_ns();
	}
}

static void begin_object(struct mp_scanner *s, const struct mp_loc *loc)
{
	s->loc = loc;
	s->base = 0;
	s->nfindings = 0;
	s->stopped = false;
	s->hits_noted = false;
	s->cur_off = 0;
	s->cur_line = 1;
	s->cur_ls = 0;
	s->bc_line = 1;
	s->bc_ls = 0;
	s->cur_orig = s->cur_ls_orig = s->bc_orig = s->bc_ls_orig = 0;
	s->flags = s->next_flags;
	s->next_flags = 0;
	s->st = s->next_st;
	s->next_st.kind = MP_STRUCT_NONE;
	s->st_started = false;
	s->st_ready = false;
	s->snap_at = UINT64_MAX;
	memset(s->last_end, 0, s->e->rules->n * sizeof *s->last_end);
	s->nover = 0;
	if (s->any_count) {
		memset(s->rule_count, 0, s->e->rules->n * sizeof *s->rule_count);
		s->any_count = false;
	}
}

static void end_object(struct mp_scanner *s)
{
	if (s->nover > 0) {
		uint64_t cap = s->e->caps[MP_CAP_FINDINGS_PER_RULE], total = 0;
		char list[400];
		size_t k = 0;

		list[0] = '\0';
		for (size_t i = 0; i < s->nover; i++) {
			uint64_t more = s->rule_count[s->over[i]] - cap;
			total += more;
			if (k < sizeof list - 1) {
				int w = snprintf(list + k, sizeof list - k, "%s%s %llu", i ? ", " : "",
						 s->e->rules->rules[s->over[i]].id, (unsigned long long)more);
				k = w < 0 ? k : k + (size_t)w;
			}
		}
		if (k >= sizeof list - 1)
			memcpy(list + sizeof list - 4, "...", 4);
		notice(s, "limit",
		       "findings-per-rule limit (%llu) reached: %llu more finding%s counted but not "
		       "written: %s",
		       (unsigned long long)cap, (unsigned long long)total, total == 1 ? "" : "s", list);
	}
	if (s->conf.limit_hits > 0) {
		notice(s, "limit",
		       "pcre2-match-limit (%llu) stopped %lu confirmation%s; those hits were dropped",
		       (unsigned long long)s->e->caps[MP_CAP_PCRE2_MATCH_LIMIT], s->conf.limit_hits,
		       s->conf.limit_hits == 1 ? "" : "s");
		s->conf.limit_hits = 0;
	}
	struct_end(s);
	s->loc = NULL;
	s->data = NULL;
	s->flags = 0;
}

uint64_t mp_scan_mem(struct mp_scanner *s, const struct mp_loc *loc, const void *data, size_t len)
{
	uint64_t n;

	begin_object(s, loc);
	s->data = data;
	/* One window covers everything; hs_scan takes an unsigned int length. */
	if (len <= UINT32_MAX / 2) {
		scan_window(s, len, 0, len);
	} else {
		notice(s, "limit", "in-memory object of %zu bytes is too large to scan in one piece", len);
	}
	n = s->nfindings;
	end_object(s);
	return n;
}

uint64_t mp_scan_stream(struct mp_scanner *s, const struct mp_loc *loc, const struct mp_reader *rd,
			uint64_t *bytes)
{
	const struct mp_engine *e = s->e;
	size_t seg = (size_t)e->caps[MP_CAP_SEGMENT_SIZE];
	size_t cap = seg + e->back + e->fwd;
	size_t fill = 0, r0 = 0;
	uint64_t total = 0, n;

	begin_object(s, loc);
	if (s->bufcap != cap) {
		free(s->buf);
		s->buf = malloc(cap);
		s->bufcap = s->buf ? cap : 0;
		if (s->buf == NULL) {
			notice(s, "error", "out of memory for a %zu-byte segment buffer", cap);
			end_object(s);
			*bytes = 0;
			return 0;
		}
	}
	s->data = s->buf;
	for (;;) {
		bool eof = false;
		while (fill < cap) {
			long got = rd->read(rd->ctx, s->buf + fill, cap - fill);
			if (got < 0) {
				notice(s, "read-error", "read failed after %llu bytes: %s",
				       (unsigned long long)(s->base + fill),
				       rd->error ? rd->error(rd->ctx) : "error");
				eof = true;
				break;
			}
			if (got == 0) {
				eof = true;
				break;
			}
			fill += (size_t)got;
		}
		size_t r1 = eof ? fill : fill - e->fwd;
		s->snap_at = eof ? UINT64_MAX : s->base + (r1 - e->back);
		scan_window(s, fill, r0, r1);
		if (eof || s->stopped) {
			total = s->base + fill;
			break;
		}
		/* Slide: keep `back` bytes before the next window. */
		size_t nb = r1 - e->back;
		s->cur_off = s->base;
		s->cur_line = s->bc_line;
		s->cur_ls = s->bc_ls;
		s->cur_orig = s->bc_orig;
		s->cur_ls_orig = s->bc_ls_orig;
		cursor_to(s, s->base + nb);
		s->bc_line = s->cur_line;
		s->bc_ls = s->cur_ls;
		s->bc_orig = s->cur_orig;
		s->bc_ls_orig = s->cur_ls_orig;
		struct_slide(s, s->base + nb);
		memmove(s->buf, s->buf + nb, fill - nb);
		fill -= nb;
		s->base += nb;
		r0 = e->back;
	}
	n = s->nfindings;
	end_object(s);
	*bytes = total;
	return n;
}
