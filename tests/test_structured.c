/* structured.c: detection, the CSV and JSON cursors, label matching. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "structured.h"

/* ---- detection ---- */

static struct mp_struct_info detect(const char *name, const char *text)
{
	struct mp_struct_info i;
	mp_struct_detect(name, text, strlen(text), &i);
	return i;
}

Test(structured, names_propose_and_bytes_confirm)
{
	cr_assert_eq(detect("a.csv", "a,b\n1,2\n").kind, MP_STRUCT_CSV);
	cr_assert_eq(detect("dir/EXPORT.CSV", "a,b\n1,2\n").kind, MP_STRUCT_CSV);
	cr_assert_eq(detect("x.csv.gz", "a,b\n1,2\n").kind, MP_STRUCT_CSV);
	cr_assert_eq(detect("x.tsv", "a\tb\n1\t2\n").kind, MP_STRUCT_CSV);
	cr_assert_eq(detect("x.json", "  {\"a\": 1}").kind, MP_STRUCT_JSON);
	cr_assert_eq(detect("x.json", "\xef\xbb\xbf[1]").kind, MP_STRUCT_JSON);
	cr_assert_eq(detect("x.jsonl", "{\"a\":1}\n").kind, MP_STRUCT_JSONL);
	cr_assert_eq(detect("x.ndjson.zst", "\n{\"a\":1}\n").kind, MP_STRUCT_JSONL);
	/* The bytes say no. */
	cr_assert_eq(detect("x.json", "not json").kind, MP_STRUCT_NONE);
	cr_assert_eq(detect("x.json", "\"a string\"").kind, MP_STRUCT_NONE);
	cr_assert_eq(detect("x.csv", "just one column\nof words\n").kind, MP_STRUCT_NONE);
	cr_assert_eq(detect("x.csv", "a,b\n1,2,3\n").kind, MP_STRUCT_NONE);
	/* The name says no. */
	cr_assert_eq(detect("x.txt", "a,b\n1,2\n").kind, MP_STRUCT_NONE);
	cr_assert_eq(detect("csv", "a,b\n1,2\n").kind, MP_STRUCT_NONE);
	cr_assert_eq(detect("x.csv.txt", "a,b\n1,2\n").kind, MP_STRUCT_NONE);
	cr_assert_eq(detect(NULL, "a,b\n").kind, MP_STRUCT_NONE);
}

Test(structured, strip_compression)
{
	cr_assert_eq(mp_struct_strip_compression("a.csv.gz", 8), 5);
	cr_assert_eq(mp_struct_strip_compression("a.json.ZST", 10), 6);
	cr_assert_eq(mp_struct_strip_compression("a.csv", 5), 0);
	cr_assert_eq(mp_struct_strip_compression(".gz", 3), 0);
}

Test(structured, delimiter)
{
	cr_assert_eq(detect("a.csv", "a,b,c\n1,2,3\n").delim, ',');
	cr_assert_eq(detect("a.csv", "a;b;c\n1;2,5;3\n").delim, ';');
	cr_assert_eq(detect("a.csv", "a|b\n1|2\n").delim, '|');
	cr_assert_eq(detect("a.csv", "a\tb\n1\t2\n").delim, '\t');
	/* Separators inside quotes do not count. */
	cr_assert_eq(detect("a.csv", "name;note\n\"Doe, J\";\"a, b, c\"\n").delim, ';');
	/* An embedded newline is one record. */
	cr_assert_eq(detect("a.csv", "a,b\n\"x\ny\",2\n3,4\n").delim, ',');
	/* A .tsv prefers tabs even when commas split as consistently. */
	cr_assert_eq(detect("a.tsv", "a,b\tc,d\n1,2\t3,4\n").delim, '\t');
	/* Blank lines are not records of one field. */
	cr_assert_eq(detect("a.csv", "a,b\n\n1,2\r\n\r\n3,4\n").kind, MP_STRUCT_CSV);
}

Test(structured, header_or_not)
{
	cr_assert(detect("a.csv", "id,email\n1,a@example.org\n").header);
	cr_assert(detect("a.csv", "first,last\nAlice,Smith\nBob,Jones\n").header);
	cr_assert(detect("a.csv", "\xef\xbb\xbf\"ssn\",\"name\"\r\n\"536-21-7804\",\"x\"\r\n").header);
	/* The first row looks like the rows below it. */
	cr_assert_not(detect("a.csv", "Alice,Smith\nBob,Jones\n").header);
	cr_assert_not(detect("a.csv", "1,2\n3,4\n").header);
	cr_assert_not(detect("a.csv", "name,536-21-7804\nx,y\n").header);
	cr_assert_not(detect("a.csv", "a@b.example,x\nc@d.example,y\n").header);
	cr_assert_not(detect("a.csv", "a,,c\nx,y,z\n").header); /* an empty cell */
	cr_assert_not(detect("a.csv", "a,a\nx,y\n").header);    /* duplicate names */
	cr_assert(mp_csv_looks_numeric(" -1,234.50 ", 11));
	cr_assert(mp_csv_looks_numeric("2024-05-01", 10));
	cr_assert_not(mp_csv_looks_numeric("v1", 2));
	cr_assert_not(mp_csv_looks_numeric("", 0));
}

/* ---- CSV ---- */

Test(structured, header_parse)
{
	const char *t = "\xef\xbb\xbfid,\"say \"\"hi\"\"\",\"a,b\",last\r\n1,2,3,4\n";
	struct mp_csv_header h;

	cr_assert_eq(mp_csv_header_parse(&h, t, strlen(t), ',', 100), 0);
	cr_assert_eq(h.ncols, 4);
	cr_assert_not(h.cut);
	const char *want[] = {"id", "say \"hi\"", "a,b", "last"};
	for (size_t i = 0; i < 4; i++) {
		size_t n = h.name_off[i + 1] - h.name_off[i];
		cr_assert_eq(n, strlen(want[i]), "column %zu", i);
		cr_assert(memcmp(h.names + h.name_off[i], want[i], n) == 0, "column %zu", i);
	}
	cr_assert_eq(h.cell_start[0], 3);
	cr_assert_eq(h.cell_end[0], 5);
	cr_assert_eq(h.end, strchr(t, '\n') + 1 - t);
	mp_csv_header_free(&h);
	cr_assert_eq(mp_csv_header_parse(&h, t, strlen(t), ',', 2), 0);
	cr_assert_eq(h.ncols, 2);
	cr_assert(h.cut);
	mp_csv_header_free(&h);
	/* A header that does not end in the bytes given is no header. */
	cr_assert_eq(mp_csv_header_parse(&h, "a,\"b", 4, ',', 10), -1);
	cr_assert_eq(h.ncols, 0);
}

/* Reference: one byte at a time, the row and column of every offset. */
static void csv_reference(const char *p, size_t n, char d, uint64_t *row, uint64_t *col)
{
	enum { START, UNQ, QUOTED, QQ } st = START;
	uint64_t r = 1, c = 1;
	size_t i = n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;

	for (size_t k = 0; k <= i && k <= n; k++)
		row[k] = 1, col[k] = 1;
	for (; i < n; i++) {
		char ch = p[i];
		switch (st) {
		case QUOTED:
			if (ch == '"')
				st = QQ;
			break;
		case QQ:
			if (ch == '"') {
				st = QUOTED;
				break;
			}
			/* fall through */
		case START:
		case UNQ:
			if (ch == d) {
				c++;
				st = START;
			} else if (ch == '\n') {
				r++;
				c = 1;
				st = START;
			} else if (ch == '"' && st == START) {
				st = QUOTED;
			} else {
				st = UNQ;
			}
			break;
		}
		row[i + 1] = r;
		col[i + 1] = c;
	}
}

Test(structured, csv_cursor_matches_reference)
{
	static const char alphabet[] = "ab,,;\"\"\n\r x";
	uint64_t seed = 42;

	for (int round = 0; round < 300; round++) {
		char buf[400];
		uint64_t row[401], col[401];
		size_t n = 1 + (size_t)(t_rand(&seed) % 399);
		for (size_t i = 0; i < n; i++)
			buf[i] = alphabet[t_rand(&seed) % (sizeof alphabet - 1)];
		if (round % 7 == 0 && n > 3)
			memcpy(buf, "\xef\xbb\xbf", 3);
		csv_reference(buf, n, ',', row, col);
		/* Advance in random steps, checking at each stop. */
		struct mp_csv_cursor c;
		mp_csv_init(&c, ',', buf, n);
		while (c.off < n) {
			uint64_t to = c.off + 1 + t_rand(&seed) % 40;
			if (to > n)
				to = n;
			mp_csv_advance(&c, buf, 0, to);
			cr_assert_eq(c.off, to);
			cr_assert_eq(c.row, row[to], "round %d offset %llu row", round, (unsigned long long)to);
			cr_assert_eq(c.col, col[to], "round %d offset %llu col", round, (unsigned long long)to);
		}
	}
}

Test(structured, csv_cursor_with_base)
{
	/* The caller's buffer starts at object offset 100. */
	const char *t = "\"x,\ny\"\"\",b\r\nc,d";
	struct mp_csv_cursor c;

	mp_csv_init(&c, ',', "zz", 2);
	c.off = 100;
	mp_csv_advance(&c, t, 100, 100 + 8); /* past the doubled quote and the closing one */
	cr_assert_eq(c.row, 1);
	cr_assert_eq(c.col, 1);
	mp_csv_advance(&c, t, 100, 100 + 9); /* after the ',' */
	cr_assert_eq(c.col, 2);
	mp_csv_advance(&c, t, 100, 100 + 12); /* after "\r\n" */
	cr_assert_eq(c.row, 2);
	cr_assert_eq(c.col, 1);
	mp_csv_advance(&c, t, 100, 100 + strlen(t));
	cr_assert_eq(c.col, 2);
}

struct cells {
	char text[16][32];
	uint64_t row[16], col[16];
	size_t n;
	const char *data;
};

static void take_cell(void *ctx, const struct mp_csv_cursor *c, uint64_t col, uint64_t start, uint64_t end)
{
	struct cells *cs = ctx;
	cr_assert_lt(cs->n, 16);
	cr_assert_lt(end - start, 32);
	memcpy(cs->text[cs->n], cs->data + start, end - start);
	cs->text[cs->n][end - start] = '\0';
	cs->row[cs->n] = c->row;
	cs->col[cs->n] = col;
	cs->n++;
}

Test(structured, csv_walk_cells)
{
	const char *t = "a,\"b,\nc\",\"d\"\"e\"\r\n,f";
	struct cells cs = {.data = t};
	struct mp_csv_cursor c;

	mp_csv_init(&c, ',', t, strlen(t));
	mp_csv_walk(&c, t, 0, strlen(t), true, take_cell, &cs);
	cr_assert_eq(cs.n, 5);
	cr_assert_str_eq(cs.text[0], "a");
	cr_assert_str_eq(cs.text[1], "b,\nc");
	cr_assert_str_eq(cs.text[2], "d\"\"e"); /* raw: the doubled quote is kept */
	cr_assert_str_eq(cs.text[3], "");
	cr_assert_str_eq(cs.text[4], "f"); /* given by flush */
	cr_assert_eq(cs.row[3], 2);
	cr_assert_eq(cs.col[4], 2);
	cr_assert_eq(c.row, 2);
}

/* ---- JSON ---- */

static struct mp_json_cursor jc;

static void json_setup(void)
{
	cr_assert_eq(mp_json_alloc(&jc, 64, 4096), 0);
}

static void json_teardown(void)
{
	mp_json_free(&jc);
}

/* The path at the first byte of `mark` in t (advancing from where the
 * cursor is), or "?" when unknown. */
static char path_at[8192];

static const char *no_id(void *ctx, uint32_t rule)
{
	(void)ctx;
	(void)rule;
	return "rule.x";
}

static const char *path_of(const char *t, const char *mark)
{
	const char *m = strstr(t, mark);
	cr_assert_not_null(m, "%s", mark);
	mp_json_advance(&jc, t, 0, (uint64_t)(m - t));
	if (!mp_json_path_known(&jc))
		return "?";
	size_t n = mp_json_path_render(&jc, path_at, sizeof path_at - 1, no_id, NULL);
	path_at[n] = '\0';
	return path_at;
}

Test(structured, json_paths, .init = json_setup, .fini = json_teardown)
{
	const char *t = "{\"customers\": [{\"id\": 1, \"billing\": {\"card\": \"C1\"}},"
			" {\"tags\": [[\"T1\", \"T2\"], [\"T3\"]], \"a b\": \"S1\", \"a\\\"q\": \"S2\","
			" \"\\u00e9t\\u00e9\": \"S3\", \"\\ud83d\\ude00\": \"S4\", \"x\": [true, null, 12.5e3, \"N1\"]}]}";

	mp_json_init(&jc, false, t, strlen(t));
	cr_assert_str_eq(path_of(t, "C1"), "$.customers[0].billing.card");
	cr_assert_str_eq(path_of(t, "T2"), "$.customers[1].tags[0][1]");
	cr_assert_str_eq(path_of(t, "T3"), "$.customers[1].tags[1][0]");
	cr_assert_str_eq(path_of(t, "S1"), "$.customers[1][\"a b\"]");
	cr_assert_str_eq(path_of(t, "S2"), "$.customers[1][\"a\\\"q\"]");
	cr_assert_str_eq(path_of(t, "S3"), "$.customers[1][\"\xc3\xa9t\xc3\xa9\"]");
	cr_assert_str_eq(path_of(t, "S4"), "$.customers[1][\"\xf0\x9f\x98\x80\"]");
	cr_assert_str_eq(path_of(t, "N1"), "$.customers[1].x[3]");
	cr_assert_eq(jc.index, 0);
	mp_json_advance(&jc, t, 0, strlen(t));
	cr_assert_eq(jc.err, MP_JSON_OK);
	cr_assert_eq(jc.depth, 0);
}

Test(structured, json_inside_a_key, .init = json_setup, .fini = json_teardown)
{
	const char *t = "{\"a\": {\"k\": 1, \"KEYVAL\": 2}}";

	mp_json_init(&jc, false, t, strlen(t));
	/* Inside a key: the path of the object holding it. */
	cr_assert_str_eq(path_of(t, "KEYVAL"), "$.a");
	cr_assert(mp_json_at_key(&jc));
}

static void mask_every_key(void *ctx, struct mp_json_cursor *c, struct mp_json_frame *f)
{
	(void)ctx;
	(void)c;
	if (f->key_end - f->key_start == 5) /* keys of 5 bytes hold a "secret" */
		f->masked = 1;
}

Test(structured, json_masked_keys, .init = json_setup, .fini = json_teardown)
{
	const char *t = "{\"users\": {\"a@b.c\": {\"x\": [\"V\"]}}}";
	const char *p;

	mp_json_init(&jc, false, t, strlen(t));
	jc.on_key = mask_every_key;
	/* "users" is 5 bytes too: both components are masked. */
	cr_assert_str_eq(path_of(t, "V"), "$[\"<masked:rule.x>\"][\"<masked:rule.x>\"].x[0]");
	cr_assert_eq(mp_json_component(&jc, 1, &p), 5);
	cr_assert(memcmp(p, "a@b.c", 5) == 0);
	cr_assert_eq(mp_json_component(&jc, 3, &p), 0); /* an array frame */
}

Test(structured, json_lines, .init = json_setup, .fini = json_teardown)
{
	const char *t = "{\"a\": \"L0\"}\n\n{\"b\": [1, oops \"L2\"]}\n{\"c\": {\"d\": \"L3\"}}\n[\"L4\"]";

	mp_json_init(&jc, true, t, strlen(t));
	cr_assert_str_eq(path_of(t, "L0"), "$.a");
	cr_assert_eq(jc.index, 0);
	cr_assert_str_eq(path_of(t, "L2"), "?");
	cr_assert_eq(jc.index, 2);
	cr_assert_eq(jc.err, MP_JSON_SYNTAX);
	cr_assert_eq(jc.err_off, (uint64_t)(strstr(t, "oops") - t));
	cr_assert_str_eq(path_of(t, "L3"), "$.c.d");
	cr_assert_eq(jc.index, 3);
	cr_assert_eq(jc.err, MP_JSON_OK);
	cr_assert_str_eq(path_of(t, "L4"), "$[0]");
	cr_assert_eq(jc.index, 4);
}

Test(structured, json_lines_skip_to_the_last_line, .init = json_setup, .fini = json_teardown)
{
	const char *t = "{\"a\": [\n{\"b\": \"x\"}\n{\"c\": \"V\"}";

	/* The first line is malformed (cut); skipping it resets the cursor. */
	mp_json_init(&jc, true, t, strlen(t));
	cr_assert_str_eq(path_of(t, "V"), "$.c");
	cr_assert_eq(jc.index, 2);
}

Test(structured, json_documents_one_after_another, .init = json_setup, .fini = json_teardown)
{
	const char *t = "{\"a\": \"D0\"} {\"a\": \"D1\"}\n[\"D2\"]";

	mp_json_init(&jc, false, t, strlen(t));
	cr_assert_str_eq(path_of(t, "D0"), "$.a");
	cr_assert_eq(jc.index, 0);
	cr_assert_str_eq(path_of(t, "D1"), "$.a");
	cr_assert_eq(jc.index, 1);
	cr_assert_str_eq(path_of(t, "D2"), "$[0]");
	cr_assert_eq(jc.index, 2);
}

Test(structured, json_malformed_document, .init = json_setup, .fini = json_teardown)
{
	const char *t = "{\"a\": \"ok\", \"b\" 1, \"c\": \"AFTER\"}";

	mp_json_init(&jc, false, t, strlen(t));
	cr_assert_str_eq(path_of(t, "ok"), "$.a");
	cr_assert_str_eq(path_of(t, "AFTER"), "?");
	cr_assert(jc.broken);
	cr_assert_eq(jc.err, MP_JSON_SYNTAX);
	/* Bad escapes and raw control bytes are malformed too. */
	mp_json_init(&jc, false, "{\"a\\x\": 1}", 10);
	mp_json_advance(&jc, "{\"a\\x\": 1}", 0, 10);
	cr_assert_eq(jc.err, MP_JSON_SYNTAX);
	mp_json_init(&jc, false, "[\"a\tb\"]", 7);
	mp_json_advance(&jc, "[\"a\tb\"]", 0, 7);
	cr_assert_eq(jc.err, MP_JSON_SYNTAX);
}

Test(structured, json_depth_limit)
{
	const char *t = "{\"a\": [[[[\"DEEP\"]]], \"BACK\"], \"b\": \"OUT\"}";

	cr_assert_eq(mp_json_alloc(&jc, 3, 4096), 0);
	mp_json_init(&jc, false, t, strlen(t));
	cr_assert_str_eq(path_of(t, "DEEP"), "?");
	cr_assert_eq(jc.err, MP_JSON_TOO_DEEP);
	/* Known again once the deep part closed. */
	cr_assert_str_eq(path_of(t, "BACK"), "$.a[1]");
	cr_assert_str_eq(path_of(t, "OUT"), "$.b");
	mp_json_free(&jc);
}

Test(structured, json_path_limit)
{
	const char *t = "{\"a\": {\"a_very_long_key_name_indeed\": {\"x\": \"LONG\"}, \"k\": \"SHORT\"}}";

	cr_assert_eq(mp_json_alloc(&jc, 64, 16), 0);
	mp_json_init(&jc, false, t, strlen(t));
	cr_assert_str_eq(path_of(t, "LONG"), "?");
	cr_assert_eq(jc.err, MP_JSON_PATH_LONG);
	cr_assert_str_eq(path_of(t, "SHORT"), "$.a.k");
	mp_json_free(&jc);
}

/* Advancing in pieces gives what advancing at once gives. */
Test(structured, json_pieces_equal_whole, .init = json_setup, .fini = json_teardown)
{
	const char *t = "{\"k\\u0041\": [1, {\"x y\": \"v\\\"w\", \"z\": [true, -1.5]}], \"q\": {}}\n";
	size_t n = strlen(t);
	uint64_t seed = 7;
	struct mp_json_cursor ref;

	cr_assert_eq(mp_json_alloc(&ref, 64, 4096), 0);
	for (size_t stop = 0; stop <= n; stop++) {
		char a[4096], b[4096];
		mp_json_init(&ref, false, t, n);
		mp_json_advance(&ref, t, 0, stop);
		mp_json_init(&jc, false, t, n);
		while (jc.off < stop) {
			uint64_t to = jc.off + 1 + t_rand(&seed) % 5;
			mp_json_advance(&jc, t, 0, to < stop ? to : stop);
		}
		size_t la = mp_json_path_render(&ref, a, sizeof a, no_id, NULL);
		size_t lb = mp_json_path_render(&jc, b, sizeof b, no_id, NULL);
		cr_assert_eq(la, lb, "stop %zu", stop);
		cr_assert(memcmp(a, b, la) == 0, "stop %zu", stop);
		cr_assert_eq(ref.depth, jc.depth);
		cr_assert_eq(ref.err, MP_JSON_OK);
	}
	mp_json_free(&ref);
}

Test(structured, json_copy, .init = json_setup, .fini = json_teardown)
{
	const char *t = "{\"a\": [{\"b\": \"X\"}]}";
	struct mp_json_cursor c2;
	char out[64];

	cr_assert_eq(mp_json_alloc(&c2, 64, 4096), 0);
	mp_json_init(&jc, false, t, strlen(t));
	mp_json_advance(&jc, t, 0, (uint64_t)(strchr(t, 'X') - t));
	mp_json_copy(&c2, &jc);
	size_t n = mp_json_path_render(&c2, out, sizeof out, no_id, NULL);
	cr_assert_eq(n, strlen("$.a[0].b"));
	cr_assert(memcmp(out, "$.a[0].b", n) == 0);
	mp_json_free(&c2);
}

/* ---- labels ---- */

static struct mp_rule make_rule(char **kw, size_t n, bool gated)
{
	struct mp_rule r;
	memset(&r, 0, sizeof r);
	r.keywords = kw;
	r.nkeywords = n;
	r.gated = gated;
	r.kw_required = gated;
	return r;
}

Test(structured, label_match_punctuation_is_a_boundary)
{
	char *kw[] = {"ssn:", "ssn\"", "social security", "taxid"};
	struct mp_rule r = make_rule(kw, 4, true);

	cr_assert(mp_label_match(&r, "ssn", 3));
	cr_assert(mp_label_match(&r, "SSN", 3));
	cr_assert(mp_label_match(&r, "customer_ssn", 12));
	cr_assert(mp_label_match(&r, "ssn-list", 8));
	cr_assert(mp_label_match(&r, "Social_Security_Number", 22));
	cr_assert_not(mp_label_match(&r, "ssnyder", 7)); /* "ssn:" wants the label to end there */
	cr_assert_not(mp_label_match(&r, "order_id", 8));
	/* No punctuation in the keyword: a plain substring. */
	cr_assert(mp_label_match(&r, "mytaxidnumber", 13));
}

Test(structured, label_set)
{
	char *k0[] = {"ssn:", "ssns"};
	char *k1[] = {"card"};
	char *k2[] = {"ssn ", "x"};
	struct mp_rule rules[3] = {make_rule(k0, 2, true), make_rule(k1, 1, false), make_rule(k2, 2, true)};
	struct mp_ruleset rs = {.rules = rules, .n = 3};
	struct mp_labels *ls = mp_labels_new(&rs);
	uint32_t out[4];

	cr_assert_not_null(ls);
	cr_assert_eq(mp_labels_match(ls, "Customer_SSN", 12, out, 4), 2);
	cr_assert_eq(out[0], 0);
	cr_assert_eq(out[1], 2);
	cr_assert_eq(mp_labels_match(ls, "ssns", 4, out, 4), 1); /* "ssn " wants a boundary */
	cr_assert_eq(out[0], 0);
	cr_assert_eq(mp_labels_match(ls, "card", 4, out, 4), 0); /* not a gated rule */
	cr_assert_eq(mp_labels_match(ls, "ssn", 3, out, 1), 1);
	cr_assert_eq(out[0], 0);
	mp_labels_free(ls);
}
