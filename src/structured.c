/* structured.c - CSV and JSON detection, cursors and label matching. */
#include "mp_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keywords.h"
#include "scan.h"
#include "structured.h"

/* ---- names and first bytes ---- */

static const char *const compression_suffixes[] = {".gz",   ".gzip", ".bz2", ".xz", ".lzma", ".zst",
						   ".zstd", ".lz4",  ".lz",  ".Z",  NULL};

size_t mp_struct_strip_compression(const char *name, size_t len)
{
	for (size_t i = 0; compression_suffixes[i] != NULL; i++) {
		size_t sl = strlen(compression_suffixes[i]);
		if (len > sl && strncasecmp(name + len - sl, compression_suffixes[i], sl) == 0)
			return len - sl;
	}
	return 0;
}

static bool ext_is(const char *name, size_t len, const char *ext)
{
	size_t el = strlen(ext);
	return len > el + 1 && name[len - el - 1] == '.' && strncasecmp(name + len - el, ext, el) == 0;
}

static size_t skip_bom(const char *p, size_t n)
{
	return n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

bool mp_csv_looks_numeric(const char *p, size_t n)
{
	bool digit = false;

	while (n > 0 && (p[0] == ' ' || p[0] == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c >= '0' && c <= '9')
			digit = true;
		else if (!strchr("+-.,/:() $%eE", c))
			return false;
	}
	return digit;
}

/* One record of a CSV from p[i..n): field(ctx, col, start, len) gets each
 * field's content (outer quotes removed; doubled quotes left as they are).
 * Returns the offset past the record's '\n', or n + 1 when it does not end
 * within n bytes (the fields seen are still given). */
static size_t csv_record(const char *p, size_t i, size_t n, char delim,
			 void (*field)(void *ctx, size_t col, size_t start, size_t len), void *ctx)
{
	size_t col = 1;

	for (;;) {
		size_t start = i, end;
		if (i < n && p[i] == '"') {
			start = ++i;
			for (;;) {
				const char *q = i < n ? memchr(p + i, '"', n - i) : NULL;
				if (q == NULL) {
					field(ctx, col, start, n - start);
					return n + 1;
				}
				i = (size_t)(q - p) + 1;
				if (i < n && p[i] == '"') {
					i++;
					continue;
				}
				break;
			}
			end = i - 1;
			while (i < n && p[i] != delim && p[i] != '\n')
				i++; /* junk after the closing quote belongs to the field */
		} else {
			while (i < n && p[i] != delim && p[i] != '\n')
				i++;
			end = i;
			if (end > start && p[end - 1] == '\r' && (i == n || p[i] == '\n'))
				end--;
		}
		if (i >= n) {
			field(ctx, col, start, end - start);
			return n + 1;
		}
		field(ctx, col, start, end - start);
		if (p[i] == '\n')
			return i + 1;
		i++;
		col++;
	}
}

#define SNIFF_COLS 256

struct sniff {
	const char *p;
	size_t fields;
	/* The first record's cells, then per column what the data rows show. */
	bool first;
	size_t c0_start[SNIFF_COLS], c0_len[SNIFF_COLS];
	bool data_shape_seen[SNIFF_COLS]; /* a data cell has the first cell's shape */
	bool header_bad;                  /* the first record cannot be a header */
};

static void count_field(void *ctx, size_t col, size_t start, size_t len)
{
	(void)start;
	(void)len;
	struct sniff *sn = ctx;
	sn->fields = col;
}

/* The shape of a cell: character classes, runs collapsed (A upper, a lower,
 * 9 digit, u non-ASCII, anything else itself). Compared, not stored. */
static char shape_class(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return 'A';
	if (c >= 'a' && c <= 'z')
		return 'a';
	if (c >= '0' && c <= '9')
		return '9';
	if (c >= 0x80)
		return 'u';
	return (char)c;
}

static bool same_shape(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;

	while (i < an && j < bn) {
		char ca = shape_class((unsigned char)a[i]), cb = shape_class((unsigned char)b[j]);
		if (ca != cb)
			return false;
		while (i < an && shape_class((unsigned char)a[i]) == ca)
			i++;
		while (j < bn && shape_class((unsigned char)b[j]) == cb)
			j++;
	}
	return i == an && j == bn;
}

static void header_field(void *ctx, size_t col, size_t start, size_t len)
{
	struct sniff *sn = ctx;
	const char *c = sn->p + start;
	bool letter = false;

	sn->fields = col;
	if (col > SNIFF_COLS)
		return;
	if (sn->first) {
		sn->c0_start[col - 1] = start;
		sn->c0_len[col - 1] = len;
		for (size_t i = 0; i < len; i++)
			letter = letter || (unsigned)((c[i] | 0x20) - 'a') < 26u ||
				 (unsigned char)c[i] >= 0x80;
		if (len == 0 || len > 64 || !letter || memchr(c, '@', len) != NULL ||
		    mp_csv_looks_numeric(c, len))
			sn->header_bad = true;
		for (size_t k = 0; k + 1 < col; k++)
			if (sn->c0_len[k] == len && memcmp(sn->p + sn->c0_start[k], c, len) == 0)
				sn->header_bad = true;
		return;
	}
	if (same_shape(sn->p + sn->c0_start[col - 1], sn->c0_len[col - 1], c, len))
		sn->data_shape_seen[col - 1] = true;
}

/* Fields per record for delim, when the sampled records agree (0 if not). */
static size_t csv_consistent(const char *p, size_t n, char delim, bool whole)
{
	struct sniff sn = {.p = p};
	size_t i = 0, want = 0, recs = 0;

	while (i < n && recs < MP_STRUCT_SNIFF_RECORDS) {
		size_t next;
		sn.fields = 0;
		next = csv_record(p, i, n, delim, count_field, &sn);
		if (next > n && !whole)
			break;                                             /* cut by the sample's end */
		if (!(sn.fields == 1 && (next > n ? n : next) - i <= 2)) { /* not a blank line */
			if (want == 0)
				want = sn.fields;
			else if (sn.fields != want)
				return 0;
			recs++;
		}
		i = next;
	}
	return recs > 0 && want >= 2 ? want : 0;
}

static bool csv_has_header(const char *p, size_t n, char delim, bool whole)
{
	struct sniff *sn = calloc(1, sizeof *sn);
	size_t i, recs = 0, cols;
	bool header;

	if (sn == NULL)
		return false;
	sn->p = p;
	sn->first = true;
	i = csv_record(p, 0, n, delim, header_field, sn);
	cols = sn->fields < SNIFF_COLS ? sn->fields : SNIFF_COLS;
	sn->first = false;
	while (i < n && recs < MP_STRUCT_SNIFF_RECORDS) {
		size_t next = csv_record(p, i, n, delim, header_field, sn);
		if (next > n && !whole)
			break;
		recs++;
		i = next;
	}
	header = !sn->header_bad;
	if (header && recs > 0) {
		/* The first record is data when each of its cells has the
		 * shape of a cell below it. */
		bool all = true;
		for (size_t c = 0; c < cols; c++)
			all = all && sn->data_shape_seen[c];
		header = !all;
	}
	free(sn);
	return header;
}

void mp_struct_detect(const char *name, const void *data, size_t n, struct mp_struct_info *out)
{
	const char *p = data;
	const char *slash = name ? strrchr(name, '/') : NULL;
	const char *base = slash ? slash + 1 : name;
	size_t len = base ? strlen(base) : 0, strip, i;
	enum mp_struct_kind kind = MP_STRUCT_NONE;
	bool tsv = false;

	memset(out, 0, sizeof *out);
	if (len == 0)
		return;
	strip = mp_struct_strip_compression(base, len);
	if (strip > 0)
		len = strip;
	if (ext_is(base, len, "csv"))
		kind = MP_STRUCT_CSV;
	else if (ext_is(base, len, "tsv") || ext_is(base, len, "tab"))
		kind = MP_STRUCT_CSV, tsv = true;
	else if (ext_is(base, len, "json"))
		kind = MP_STRUCT_JSON;
	else if (ext_is(base, len, "jsonl") || ext_is(base, len, "ndjson"))
		kind = MP_STRUCT_JSONL;
	if (kind == MP_STRUCT_NONE)
		return;
	if (n > MP_STRUCT_SNIFF_BYTES)
		n = MP_STRUCT_SNIFF_BYTES;
	i = skip_bom(p, n);
	if (kind == MP_STRUCT_JSON || kind == MP_STRUCT_JSONL) {
		while (i < n && is_ws(p[i]))
			i++;
		if (i < n && (p[i] == '{' || p[i] == '['))
			out->kind = kind;
		return;
	}
	/* CSV: the delimiter that splits the sampled records the same way
	 * into the most fields; a .tsv is tried for tabs first. */
	{
		static const char order[] = {',', '\t', ';', '|'};
		bool whole = n < MP_STRUCT_SNIFF_BYTES;
		size_t best = 0;
		char delim = 0;
		if (tsv) {
			best = csv_consistent(p + i, n - i, '\t', whole);
			delim = best ? '\t' : 0;
		}
		for (size_t k = 0; k < sizeof order && !(tsv && best >= 2); k++) {
			size_t f = csv_consistent(p + i, n - i, order[k], whole);
			if (f > best) {
				best = f;
				delim = order[k];
			}
		}
		if (best < 2)
			return;
		out->kind = MP_STRUCT_CSV;
		out->delim = delim;
		out->header = csv_has_header(p + i, n - i, delim, whole);
	}
}

/* ---- labels ---- */

/* A keyword's core: without the punctuation around it. *lead and *trail
 * say whether punctuation was there (it then stands for a boundary). */
static void keyword_core(const char *kw, const char **core, size_t *len, bool *lead, bool *trail)
{
	size_t a = 0, b = strlen(kw);

	while (a < b && !is_alnum_byte((unsigned char)kw[a]))
		a++;
	while (b > a && !is_alnum_byte((unsigned char)kw[b - 1]))
		b--;
	*core = kw + a;
	*len = b - a;
	*lead = a > 0;
	*trail = kw[b] != '\0';
}

/* Does core[0..cl) occur in label p[0..n) (folded), with a non-alphanumeric
 * byte or the label's edge before it when lead, after it when trail? */
static bool core_in(const char *core, size_t cl, bool lead, bool trail, const char *p, size_t n)
{
	if (cl == 0 || cl > n)
		return false;
	for (size_t i = 0; i + cl <= n; i++) {
		size_t j = 0;
		while (j < cl && mp_kw_fold((unsigned char)p[i + j]) == mp_kw_fold((unsigned char)core[j]))
			j++;
		if (j < cl)
			continue;
		if (lead && i > 0 && is_alnum_byte((unsigned char)p[i - 1]))
			continue;
		if (trail && i + cl < n && is_alnum_byte((unsigned char)p[i + cl]))
			continue;
		return true;
	}
	return false;
}

bool mp_label_match(const struct mp_rule *r, const char *p, size_t n)
{
	for (size_t k = 0; k < r->nkeywords; k++) {
		const char *core;
		size_t cl;
		bool lead, trail;
		keyword_core(r->keywords[k], &core, &cl, &lead, &trail);
		if (cl >= 2 && core_in(core, cl, lead, trail, p, n))
			return true;
	}
	return false;
}

struct label_kw {
	uint32_t rule;
	uint16_t len;
	bool lead, trail;
	const char *core; /* borrowed from the rule */
};

#define LABEL_BUCKETS 1024

struct mp_labels {
	struct label_kw *kw; /* sorted by bucket of their first two folded bytes */
	size_t nkw;
	uint32_t start[LABEL_BUCKETS + 1]; /* bucket b: kw[start[b] .. start[b + 1]) */
};

static unsigned bucket(unsigned char a, unsigned char b)
{
	return (mp_kw_fold(a) * 31u + mp_kw_fold(b)) & (LABEL_BUCKETS - 1);
}

struct mp_labels *mp_labels_new(const struct mp_ruleset *rs)
{
	struct mp_labels *ls = calloc(1, sizeof *ls);
	struct label_kw *tmp = NULL;
	size_t n = 0;

	if (ls == NULL)
		return NULL;
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i].gated && !rs->rules[i].disabled)
			n += rs->rules[i].nkeywords;
	tmp = calloc(n ? n : 1, sizeof *tmp);
	ls->kw = calloc(n ? n : 1, sizeof *ls->kw);
	if (tmp == NULL || ls->kw == NULL)
		goto fail;
	n = 0;
	for (size_t i = 0; i < rs->n; i++) {
		const struct mp_rule *r = &rs->rules[i];
		if (!r->gated || r->disabled)
			continue;
		for (size_t k = 0; k < r->nkeywords; k++) {
			struct label_kw *e = &tmp[n];
			size_t cl;
			keyword_core(r->keywords[k], &e->core, &cl, &e->lead, &e->trail);
			if (cl < 2)
				continue;
			e->rule = (uint32_t)i;
			e->len = (uint16_t)cl;
			n++;
		}
	}
	/* A counting sort by bucket. */
	for (size_t i = 0; i < n; i++)
		ls->start[bucket((unsigned char)tmp[i].core[0], (unsigned char)tmp[i].core[1]) + 1]++;
	for (size_t b = 0; b < LABEL_BUCKETS; b++)
		ls->start[b + 1] += ls->start[b];
	{
		uint32_t pos[LABEL_BUCKETS];
		memcpy(pos, ls->start, sizeof pos);
		for (size_t i = 0; i < n; i++)
			ls->kw[pos[bucket((unsigned char)tmp[i].core[0], (unsigned char)tmp[i].core[1])]++] =
				tmp[i];
	}
	ls->nkw = n;
	free(tmp);
	return ls;
fail:
	free(tmp);
	mp_labels_free(ls);
	return NULL;
}

void mp_labels_free(struct mp_labels *ls)
{
	if (ls == NULL)
		return;
	free(ls->kw);
	free(ls);
}

size_t mp_labels_match(const struct mp_labels *ls, const char *p, size_t n, uint32_t *out, size_t max)
{
	size_t k = 0;

	if (ls == NULL || ls->nkw == 0)
		return 0;
	for (size_t i = 0; i + 2 <= n; i++) {
		unsigned b = bucket((unsigned char)p[i], (unsigned char)p[i + 1]);
		for (uint32_t e = ls->start[b]; e < ls->start[b + 1]; e++) {
			const struct label_kw *kw = &ls->kw[e];
			size_t j = 0, m;
			if (kw->len > n - i)
				continue;
			while (j < kw->len &&
			       mp_kw_fold((unsigned char)p[i + j]) == mp_kw_fold((unsigned char)kw->core[j]))
				j++;
			if (j < kw->len)
				continue;
			if (kw->lead && i > 0 && is_alnum_byte((unsigned char)p[i - 1]))
				continue;
			if (kw->trail && i + kw->len < n && is_alnum_byte((unsigned char)p[i + kw->len]))
				continue;
			/* Insert in order, once. */
			for (m = 0; m < k && out[m] < kw->rule; m++)
				;
			if (m < k && out[m] == kw->rule)
				continue;
			if (k == max) {
				if (m == k)
					continue;
				k--; /* the largest goes */
			}
			memmove(out + m + 1, out + m, (k - m) * sizeof *out);
			out[m] = kw->rule;
			k++;
		}
	}
	return k;
}

/* ---- CSV header ---- */

struct hdr_fill {
	struct mp_csv_header *h;
	const char *p;
	size_t bom;
	size_t max;
	size_t total; /* bytes of decoded names */
	int fail;
};

static void hdr_count(void *ctx, size_t col, size_t start, size_t len)
{
	struct hdr_fill *f = ctx;
	(void)start;
	if (col > f->max) {
		f->h->cut = true;
		return;
	}
	f->h->ncols = col;
	f->total += len;
}

static void hdr_store(void *ctx, size_t col, size_t start, size_t len)
{
	struct hdr_fill *f = ctx;
	struct mp_csv_header *h = f->h;
	char *dst;
	size_t k = 0;

	if (col > h->ncols)
		return;
	dst = h->names + h->name_off[col - 1];
	for (size_t i = 0; i < len; i++) {
		char c = f->p[start + i];
		dst[k++] = c;
		if (c == '"' && i + 1 < len && f->p[start + i + 1] == '"')
			i++; /* a doubled quote is one */
	}
	h->name_off[col] = h->name_off[col - 1] + k;
	h->cell_start[col - 1] = f->bom + start;
	h->cell_end[col - 1] = f->bom + start + len;
}

int mp_csv_header_parse(struct mp_csv_header *h, const char *p, size_t n, char delim, size_t max_cols)
{
	struct hdr_fill f = {.h = h, .max = max_cols};
	size_t bom = skip_bom(p, n), end;

	memset(h, 0, sizeof *h);
	f.p = p + bom;
	f.bom = bom;
	end = csv_record(p + bom, 0, n - bom, delim, hdr_count, &f);
	if (end > n - bom) {
		memset(h, 0, sizeof *h);
		return -1;
	}
	h->end = bom + end;
	h->names = malloc(f.total + 1);
	h->name_off = calloc(h->ncols + 1, sizeof *h->name_off);
	h->cell_start = calloc(h->ncols ? h->ncols : 1, sizeof *h->cell_start);
	h->cell_end = calloc(h->ncols ? h->ncols : 1, sizeof *h->cell_end);
	if (h->names == NULL || h->name_off == NULL || h->cell_start == NULL || h->cell_end == NULL) {
		mp_csv_header_free(h);
		return -1;
	}
	csv_record(p + bom, 0, n - bom, delim, hdr_store, &f);
	return 0;
}

void mp_csv_header_free(struct mp_csv_header *h)
{
	free(h->names);
	free(h->name_off);
	free(h->cell_start);
	free(h->cell_end);
	memset(h, 0, sizeof *h);
}

/* ---- CSV cursor ---- */

void mp_csv_init(struct mp_csv_cursor *c, char delim, const char *p, size_t n)
{
	memset(c, 0, sizeof *c);
	c->delim = delim;
	c->row = 1;
	c->col = 1;
	c->state = MP_CSV_START;
	c->off = skip_bom(p, n);
	c->field_start = c->off;
}

static size_t count_byte(const char *p, size_t n, char b)
{
	size_t k = 0;
	const char *q;

	while (n > 0 && (q = memchr(p, b, n)) != NULL) {
		k++;
		n -= (size_t)(q + 1 - p);
		p = q + 1;
	}
	return k;
}

void mp_csv_advance(struct mp_csv_cursor *c, const char *data, uint64_t base, uint64_t to)
{
	const char d = c->delim;

	while (c->off < to) {
		const char *p = data + (c->off - base);
		size_t n = (size_t)(to - c->off);
		if (c->state == MP_CSV_QUOTED) {
			const char *q = memchr(p, '"', n);
			if (q == NULL) {
				c->off = to;
				return;
			}
			c->off += (uint64_t)(q + 1 - p);
			c->state = MP_CSV_QQ;
			continue;
		}
		if (c->state == MP_CSV_QQ) {
			char ch = *p;
			c->off++;
			if (ch == '"') {
				c->state = MP_CSV_QUOTED; /* a doubled quote */
			} else if (ch == d) {
				c->col++;
				c->state = MP_CSV_START;
			} else if (ch == '\n') {
				c->row++;
				c->col = 1;
				c->state = MP_CSV_START;
			} else {
				c->state = MP_CSV_UNQ; /* junk after a closing quote */
			}
			continue;
		}
		/* Outside quotes: up to the next '"', only newlines and
		 * delimiters matter. */
		const char *q = memchr(p, '"', n);
		size_t m = q ? (size_t)(q - p) : n;
		if (m > 0) {
			size_t k = mp_count_newlines(p, m);
			if (k > 0) {
				const char *nl = memrchr(p, '\n', m);
				c->row += k;
				c->col = 1 + count_byte(nl + 1, (size_t)(p + m - (nl + 1)), d);
			} else {
				c->col += count_byte(p, m, d);
			}
			c->state = (p[m - 1] == d || p[m - 1] == '\n') ? MP_CSV_START : MP_CSV_UNQ;
			c->off += m;
		}
		if (q != NULL && c->off < to) {
			/* A quote opens a quoted field only at the field's start. */
			c->state = c->state == MP_CSV_START ? MP_CSV_QUOTED : MP_CSV_UNQ;
			c->off++;
		}
	}
}

void mp_csv_walk(struct mp_csv_cursor *c, const char *data, uint64_t base, uint64_t to, bool flush,
		 void (*cell)(void *ctx, const struct mp_csv_cursor *c, uint64_t col, uint64_t start,
			      uint64_t end),
		 void *ctx)
{
	const char d = c->delim;

	for (; c->off < to; c->off++) {
		char ch = data[c->off - base];
		uint64_t end;
		if (c->state == MP_CSV_UNQ && ch != d && ch != '\n') {
			/* The rest of an unquoted field, in one go. */
			const char *p = data + (c->off - base), *e = data + (to - base);
			while (p < e && *p != d && *p != '\n')
				p++;
			c->off = (uint64_t)(p - data) + base;
			if (p == e)
				break;
			ch = *p;
		} else if (c->state == MP_CSV_QUOTED && ch != '"') {
			const char *p = data + (c->off - base);
			const char *q = memchr(p, '"', (size_t)(to - c->off));
			if (q == NULL) {
				c->off = to;
				break;
			}
			c->off += (uint64_t)(q - p);
			ch = '"';
		}
		switch (c->state) {
		case MP_CSV_QUOTED:
			if (ch == '"')
				c->state = MP_CSV_QQ;
			continue;
		case MP_CSV_QQ:
			if (ch == '"') {
				c->state = MP_CSV_QUOTED;
				continue;
			}
			c->quote_end = c->off - 1; /* the closing quote ended the content */
			if (ch != d && ch != '\n') {
				c->state = MP_CSV_UNQ; /* junk after it, or the '\r' of a CRLF */
				continue;
			}
			end = c->quote_end;
			break;
		case MP_CSV_START:
			c->field_start = c->off;
			if (ch == '"') {
				c->state = MP_CSV_QUOTED;
				c->field_start = c->off + 1;
				continue;
			}
			if (ch != d && ch != '\n') {
				c->state = MP_CSV_UNQ;
				continue;
			}
			end = c->off;
			break;
		default: /* MP_CSV_UNQ */
			if (ch != d && ch != '\n')
				continue;
			end = c->quote_end > c->field_start ? c->quote_end : c->off;
			break;
		}
		/* ch ends the field at c->off. */
		if (ch == '\n' && end == c->off && end > c->field_start && data[end - 1 - base] == '\r')
			end--;
		if (end < c->field_start)
			end = c->field_start;
		cell(ctx, c, c->col, c->field_start, end);
		if (ch == d) {
			c->col++;
		} else {
			c->row++;
			c->col = 1;
		}
		c->state = MP_CSV_START;
		c->field_start = c->off + 1;
		c->quote_end = 0;
	}
	if (flush && c->state != MP_CSV_START && c->field_start < to)
		cell(ctx, c, c->col, c->field_start,
		     c->state == MP_CSV_QQ           ? to - 1
		     : c->quote_end > c->field_start ? c->quote_end
						     : to);
}

/* ---- JSON cursor ---- */

enum jstate {
	J_VALUE,          /* a value is expected */
	J_VALUE_OR_CLOSE, /* after '[' */
	J_KEY_OR_CLOSE,   /* after '{' */
	J_KEY,            /* after ',' in an object */
	J_COLON,          /* after a key */
	J_AFTER,          /* after a value */
	J_STRING,         /* in a string */
	J_SCALAR,         /* in a number or literal */
	J_LOST,           /* deeper than max_depth: only brackets are counted */
	J_LOST_STRING     /* ... and a string there */
};

int mp_json_alloc(struct mp_json_cursor *c, uint32_t max_depth, size_t path_cap)
{
	memset(c, 0, sizeof *c);
	c->frames = calloc(max_depth ? max_depth : 1, sizeof *c->frames);
	c->path = malloc(path_cap + 1);
	c->key = malloc(path_cap + 1);
	if (c->frames == NULL || c->path == NULL || c->key == NULL) {
		mp_json_free(c);
		return -1;
	}
	c->max_depth = max_depth;
	c->path_cap = path_cap;
	c->key_cap = path_cap;
	return 0;
}

void mp_json_free(struct mp_json_cursor *c)
{
	free(c->frames);
	free(c->path);
	free(c->key);
	c->frames = NULL;
	c->path = NULL;
	c->key = NULL;
}

/* Back to the start of a record (keeps off and index). */
static void json_reset(struct mp_json_cursor *c)
{
	c->state = J_VALUE;
	c->in_key = false;
	c->esc = 0;
	c->hi_sur = 0;
	c->depth = 0;
	c->lost_depth = 0;
	c->cut_depth = 0;
	c->broken = false;
	c->err = MP_JSON_OK;
	c->err_off = 0;
	c->path[0] = '$';
	c->path_len = 1;
	c->key_len = 0;
	c->key_over = false;
}

void mp_json_init(struct mp_json_cursor *c, bool lines, const char *p, size_t n)
{
	c->lines = lines;
	c->index = 0;
	c->off = skip_bom(p, n);
	json_reset(c);
}

void mp_json_copy(struct mp_json_cursor *dst, const struct mp_json_cursor *src)
{
	struct mp_json_frame *frames = dst->frames;
	char *path = dst->path, *key = dst->key;
	void (*on_key)(void *, struct mp_json_cursor *, struct mp_json_frame *) = dst->on_key;
	void (*on_value)(void *, struct mp_json_cursor *, uint64_t, uint64_t) = dst->on_value;
	void *ctx = dst->ctx;
	uint32_t used = src->depth < src->max_depth ? src->depth : src->max_depth;

	*dst = *src;
	dst->frames = frames;
	dst->path = path;
	dst->key = key;
	dst->on_key = on_key;
	dst->on_value = on_value;
	dst->ctx = ctx;
	memcpy(frames, src->frames, used * sizeof *frames);
	memcpy(path, src->path, src->path_len + 1);
	memcpy(key, src->key, src->key_len);
}

static void fail(struct mp_json_cursor *c, enum mp_json_error e)
{
	if (c->err == MP_JSON_OK) {
		c->err = e;
		c->err_off = c->off;
	}
}

static void syntax_error(struct mp_json_cursor *c)
{
	fail(c, MP_JSON_SYNTAX);
	c->err = MP_JSON_SYNTAX; /* overrides a limit: nothing is known now */
	c->err_off = c->off;
	c->broken = true;
}

static struct mp_json_frame *top(struct mp_json_cursor *c)
{
	return c->depth > 0 ? &c->frames[c->depth - 1] : NULL;
}

/* Components: the top frame's component is written after its container's
 * path; one that does not fit leaves the path unknown below it. */
static bool comp_put(struct mp_json_cursor *c, const char *p, size_t n)
{
	if (c->path_len + n > c->path_cap)
		return false;
	memcpy(c->path + c->path_len, p, n);
	c->path_len += n;
	return true;
}

static void comp_finish(struct mp_json_cursor *c, bool ok)
{
	if (!ok) {
		c->path_len = top(c)->path_len;
		if (c->cut_depth == 0 || c->cut_depth > c->depth)
			c->cut_depth = c->depth;
		fail(c, MP_JSON_PATH_LONG);
	} else if (c->cut_depth == c->depth) {
		c->cut_depth = 0; /* this level fits again */
	}
	c->path[c->path_len] = '\0';
}

static void set_index(struct mp_json_cursor *c)
{
	char t[32];
	int k = snprintf(t, sizeof t, "[%llu]", (unsigned long long)top(c)->aindex);

	c->path_len = top(c)->path_len;
	comp_finish(c, comp_put(c, t, (size_t)k));
}

static bool ident_like(const char *k, size_t n)
{
	if (n == 0 || !((unsigned)((k[0] | 0x20) - 'a') < 26u || k[0] == '_' || k[0] == '$'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((unsigned)((k[i] | 0x20) - 'a') < 26u || (k[i] >= '0' && k[i] <= '9') || k[i] == '_' ||
		      k[i] == '$'))
			return false;
	return true;
}

/* The key just read becomes the top frame's component: .key, or ["key"]
 * with '"', '\\' and control bytes escaped. */
static void key_done(struct mp_json_cursor *c, uint64_t key_end)
{
	struct mp_json_frame *f = top(c);
	bool ok = !c->key_over;

	f->has_key = true;
	f->key_start = c->str_start;
	f->key_end = key_end;
	f->masked = 0;
	f->gated_done = false;
	f->ngated = 0;
	c->path_len = f->path_len;
	if (ok && ident_like(c->key, c->key_len)) {
		ok = comp_put(c, ".", 1) && comp_put(c, c->key, c->key_len);
	} else if (ok) {
		ok = comp_put(c, "[\"", 2);
		for (size_t i = 0; ok && i < c->key_len; i++) {
			unsigned char ch = (unsigned char)c->key[i];
			char e[8];
			if (ch == '"' || ch == '\\') {
				e[0] = '\\';
				e[1] = (char)ch;
				ok = comp_put(c, e, 2);
			} else if (ch < 0x20 || ch == 0x7f) {
				snprintf(e, sizeof e, "\\u%04x", ch);
				ok = comp_put(c, e, 6);
			} else {
				ok = comp_put(c, (const char *)&ch, 1);
			}
		}
		ok = ok && comp_put(c, "\"]", 2);
	}
	comp_finish(c, ok);
	if (c->on_key)
		c->on_key(c->ctx, c, f);
}

static void key_add(struct mp_json_cursor *c, const char *p, size_t n)
{
	if (c->key_len + n > c->key_cap) {
		c->key_over = true;
		return;
	}
	memcpy(c->key + c->key_len, p, n);
	c->key_len += n;
}

static void key_add_cp(struct mp_json_cursor *c, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp >= 0xd800 && cp <= 0xdfff)
		cp = 0xfffd;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	key_add(c, u, n);
}

/* A decoded UTF-16 unit of a key's \u escape. */
static void key_unit(struct mp_json_cursor *c, uint32_t u)
{
	if (c->hi_sur != 0) {
		uint32_t hi = c->hi_sur;
		c->hi_sur = 0;
		if (u >= 0xdc00 && u <= 0xdfff) {
			key_add_cp(c, 0x10000 + ((hi - 0xd800) << 10) + (u - 0xdc00));
			return;
		}
		key_add_cp(c, 0xfffd);
	}
	if (u >= 0xd800 && u <= 0xdbff)
		c->hi_sur = u;
	else
		key_add_cp(c, u);
}

static void push(struct mp_json_cursor *c, char type)
{
	struct mp_json_frame *f;

	if (c->depth >= c->max_depth) {
		fail(c, MP_JSON_TOO_DEEP);
		c->lost_depth = 1;
		c->state = J_LOST;
		return;
	}
	f = &c->frames[c->depth];
	memset(f, 0, sizeof *f);
	f->type = (uint8_t)type;
	f->path_len = (uint32_t)c->path_len;
	c->depth++;
	if (type == '[') {
		set_index(c);
		c->state = J_VALUE_OR_CLOSE;
	} else {
		c->state = J_KEY_OR_CLOSE;
	}
}

static void pop(struct mp_json_cursor *c)
{
	c->depth--;
	c->path_len = c->frames[c->depth].path_len;
	c->path[c->path_len] = '\0';
	if (c->cut_depth > c->depth)
		c->cut_depth = 0;
	c->state = J_AFTER;
}

static bool scalar_byte(char ch)
{
	return (ch >= '0' && ch <= '9') || ((unsigned)((ch | 0x20) - 'a') < 26u) || ch == '+' || ch == '-' ||
	       ch == '.';
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if ((unsigned)((ch | 0x20) - 'a') < 6u)
		return (ch | 0x20) - 'a' + 10;
	return -1;
}

/* Start a value at ch; returns false when ch cannot start one. */
static bool value_start(struct mp_json_cursor *c, char ch)
{
	switch (ch) {
	case '{': push(c, '{'); return true;
	case '[': push(c, '['); return true;
	case '"':
		c->state = J_STRING;
		c->in_key = false;
		c->esc = 0;
		c->str_start = c->off + 1;
		return true;
	default:
		if (ch == '-' || (ch >= '0' && ch <= '9') || ch == 't' || ch == 'f' || ch == 'n') {
			c->state = J_SCALAR;
			c->str_start = c->off;
			return true;
		}
		return false;
	}
}

static void key_start(struct mp_json_cursor *c)
{
	c->state = J_STRING;
	c->in_key = true;
	c->esc = 0;
	c->hi_sur = 0;
	c->key_len = 0;
	c->key_over = false;
	c->str_start = c->off + 1;
}

/* One byte of a string. */
static void string_byte(struct mp_json_cursor *c, char ch)
{
	if (c->esc == 0) {
		if (ch == '"') {
			if (c->in_key) {
				if (c->hi_sur)
					key_unit(c, 0);
				key_done(c, c->off);
				c->state = J_COLON;
			} else {
				if (c->on_value)
					c->on_value(c->ctx, c, c->str_start, c->off);
				c->state = J_AFTER;
			}
		} else if (ch == '\\') {
			c->esc = 1;
		} else if ((unsigned char)ch < 0x20) {
			syntax_error(c);
		} else if (c->in_key) {
			if (c->hi_sur)
				key_unit(c, 0);
			key_add(c, &ch, 1);
		}
		return;
	}
	if (c->esc == 1) {
		const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
		const char *k = ch != '\0' ? strchr(from, ch) : NULL;
		if (ch == 'u') {
			c->esc = 2;
			c->uval = 0;
			return;
		}
		c->esc = 0;
		if (k == NULL) {
			syntax_error(c);
			return;
		}
		if (c->in_key) {
			if (c->hi_sur)
				key_unit(c, 0);
			key_add(c, to + (k - from), 1);
		}
		return;
	}
	int h = hexval(ch);
	if (h < 0) {
		syntax_error(c);
		return;
	}
	c->uval = c->uval * 16 + (uint32_t)h;
	if (++c->esc == 6) {
		c->esc = 0;
		if (c->in_key)
			key_unit(c, c->uval);
	}
}

void mp_json_advance(struct mp_json_cursor *c, const char *data, uint64_t base, uint64_t to)
{
	if (c->lines && c->on_value == NULL && c->off < to) {
		/* Only the tail of the last line matters. */
		const char *p = data + (c->off - base);
		size_t n = (size_t)(to - c->off);
		const char *nl = memrchr(p, '\n', n);
		if (nl != NULL) {
			c->index += mp_count_newlines(p, (size_t)(nl + 1 - p));
			c->off += (uint64_t)(nl + 1 - p);
			json_reset(c);
		}
	}
	while (c->off < to) {
		char ch = data[c->off - base];
		if (c->lines && ch == '\n') {
			c->index++;
			c->off++;
			json_reset(c);
			continue;
		}
		if (c->broken) {
			if (!c->lines) {
				c->off = to;
				return;
			}
			const char *p = data + (c->off - base);
			const char *nl = memchr(p, '\n', (size_t)(to - c->off));
			c->off = nl ? c->off + (uint64_t)(nl - p) : to;
			continue;
		}
		switch (c->state) {
		case J_STRING:
			if (c->esc == 0) {
				/* Plain bytes in one go (a key's are copied). */
				const char *p = data + (c->off - base), *e = data + (to - base), *q = p;
				while (q < e && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
					q++;
				if (c->in_key && q > p) {
					if (c->hi_sur)
						key_unit(c, 0);
					key_add(c, p, (size_t)(q - p));
				}
				c->off += (uint64_t)(q - p);
				if (q == e)
					return;
				ch = *q;
			}
			string_byte(c, ch);
			break;
		case J_SCALAR:
			if (scalar_byte(ch))
				break;
			if (c->on_value)
				c->on_value(c->ctx, c, c->str_start, c->off);
			c->state = J_AFTER;
			continue; /* this byte again, after the value */
		case J_VALUE:
		case J_VALUE_OR_CLOSE:
			if (is_ws(ch))
				break;
			if (ch == ']' && c->state == J_VALUE_OR_CLOSE) {
				pop(c);
				break;
			}
			if (!value_start(c, ch))
				syntax_error(c);
			break;
		case J_KEY_OR_CLOSE:
		case J_KEY:
			if (is_ws(ch))
				break;
			if (ch == '"')
				key_start(c);
			else if (ch == '}' && c->state == J_KEY_OR_CLOSE)
				pop(c);
			else
				syntax_error(c);
			break;
		case J_COLON:
			if (is_ws(ch))
				break;
			if (ch == ':')
				c->state = J_VALUE;
			else
				syntax_error(c);
			break;
		case J_AFTER:
			if (is_ws(ch))
				break;
			if (c->depth == 0) {
				/* Another top-level value (JSON only). */
				if (c->lines) {
					syntax_error(c);
					break;
				}
				c->index++;
				if (!value_start(c, ch))
					syntax_error(c);
				break;
			}
			if (ch == ',') {
				struct mp_json_frame *f = top(c);
				if (f->type == '[') {
					f->aindex++;
					set_index(c);
					c->state = J_VALUE;
				} else {
					c->state = J_KEY;
				}
			} else if ((ch == ']' && top(c)->type == '[') || (ch == '}' && top(c)->type == '{')) {
				pop(c);
			} else {
				syntax_error(c);
			}
			break;
		case J_LOST:
			if (ch == '"')
				c->state = J_LOST_STRING;
			else if (ch == '{' || ch == '[')
				c->lost_depth++;
			else if ((ch == '}' || ch == ']') && --c->lost_depth == 0)
				c->state = J_AFTER;
			break;
		case J_LOST_STRING:
			if (c->esc)
				c->esc = 0;
			else if (ch == '\\')
				c->esc = 1;
			else if (ch == '"')
				c->state = J_LOST;
			break;
		}
		c->off++;
	}
}

bool mp_json_at_key(const struct mp_json_cursor *c)
{
	return c->state == J_STRING && c->in_key;
}

bool mp_json_in_value(const struct mp_json_cursor *c)
{
	return c->state == J_STRING && !c->in_key && !c->broken;
}

bool mp_json_path_known(const struct mp_json_cursor *c)
{
	return !c->broken && c->lost_depth == 0 && c->cut_depth == 0 && c->state != J_LOST &&
	       c->state != J_LOST_STRING;
}

size_t mp_json_component(const struct mp_json_cursor *c, uint32_t i, const char **p)
{
	const struct mp_json_frame *f = &c->frames[i];
	size_t end = i + 1 < c->depth ? c->frames[i + 1].path_len : c->path_len;
	const char *s = c->path + f->path_len;
	size_t n = end > f->path_len ? end - f->path_len : 0;

	*p = s;
	if (f->type != '{' || !f->has_key || n == 0 || (c->cut_depth != 0 && c->cut_depth <= i + 1))
		return 0;
	if (s[0] == '.') {
		*p = s + 1;
		return n - 1;
	}
	if (n >= 4) {
		*p = s + 2;
		return n - 4;
	}
	return 0;
}

size_t mp_json_path_render(const struct mp_json_cursor *c, char *out, size_t max,
			   const char *(*rule_id)(void *ctx, uint32_t rule), void *ctx)
{
	size_t k = 0, from = 0, plen = c->path_len;
	uint32_t used = c->depth < c->max_depth ? c->depth : c->max_depth;

	if (mp_json_at_key(c) && used > 0) {
		plen = c->frames[used - 1].path_len;
		used--;
	}

	for (uint32_t i = 0; i < used; i++) {
		const struct mp_json_frame *f = &c->frames[i];
		size_t end = i + 1 < used ? c->frames[i + 1].path_len : plen;
		if (!f->masked || f->type != '{')
			continue;
		/* Copy up to this component, then the mask in its place. */
		const char *id = rule_id(ctx, f->masked - 1);
		char m[160];
		int ml = snprintf(m, sizeof m, "[\"<masked:%s>\"]", id);
		size_t pre = f->path_len - from;
		if (ml < 0 || k + pre + (size_t)ml > max)
			return 0;
		memcpy(out + k, c->path + from, pre);
		k += pre;
		memcpy(out + k, m, (size_t)ml);
		k += (size_t)ml;
		from = end;
	}
	if (from > plen)
		from = plen;
	if (k + (plen - from) > max)
		return 0;
	memcpy(out + k, c->path + from, plen - from);
	k += plen - from;
	return k;
}
