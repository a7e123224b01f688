/* test_report.c - records and the sink, parsed back with json-c. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "finding.h"
#include "helpers.h"
#include "report.h"
#include "rules.h"
#include "stats.h"

/* A rule, a finding and the strings it borrows. */
struct rfx {
	struct mp_rule rule;
	struct mp_ruleset rs;
	struct mp_finding f;
	char *secret;
	struct mp_buf red;
	char *context;
	struct mp_stats stats;
	struct mp_summary sum;
};

static void rfx_init(struct rfx *x)
{
	memset(x, 0, sizeof *x);
	x->rule.id = "t.rule";
	x->rule.name = "Test \"rule\"";
	x->rule.category = MP_CAT_SECRET;
	x->rule.severity = MP_SEV_HIGH;
	x->rule.confidence = MP_CONF_MEDIUM;
	x->rs.rules = &x->rule;
	x->rs.n = 1;
	x->secret = t_cat("KEY", "_", "QWER7890", "ASDF1234", NULL);
	mp_buf_init(&x->red, 256);
	mp_redact(x->secret, strlen(x->secret), &x->red);
	x->context = t_cat("token = ", x->red.data, " # end", NULL);
	x->f.rule = &x->rule;
	x->f.confidence = MP_CONF_HIGH;
	x->f.offset = 41;
	x->f.length = strlen(x->secret);
	x->f.line = 3;
	x->f.column = 9;
	x->f.end_line = 3;
	x->f.end_column = 29;
	x->f.entropy = 3.6843;
	x->f.secret = x->secret;
	x->f.secret_len = strlen(x->secret);
	x->f.redacted = x->red.data;
	x->f.context = x->context;
	mp_fingerprint(x->rule.id, x->secret, strlen(x->secret), x->f.fingerprint);
	cr_assert_eq(mp_stats_init(&x->stats, 1), 0);
	x->sum.stats = &x->stats;
	x->sum.rules = &x->rs;
	x->sum.threads = 2;
	x->sum.elapsed = 0.25;
}

static void rfx_free(struct rfx *x)
{
	free(x->secret);
	free(x->context);
	mp_buf_free(&x->red);
	mp_stats_free(&x->stats);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, key, &v), "no key '%s' in %s", key, json_object_to_json_string(o));
	return v;
}

static bool has(json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

static const char *gets(json_object *o, const char *key)
{
	json_object *v = get(o, key);
	cr_assert(json_object_is_type(v, json_type_string), "'%s' is not a string", key);
	return json_object_get_string(v);
}

static int64_t geti(json_object *o, const char *key)
{
	json_object *v = get(o, key);
	cr_assert(json_object_is_type(v, json_type_int), "'%s' is not an integer", key);
	return json_object_get_int64(v);
}

static json_object *parse_all(const char *text)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, text, (int)strlen(text));
	enum json_tokener_error e = json_tokener_get_error(tok);

	cr_assert_eq(e, json_tokener_success, "not JSON (%s): %s", json_tokener_error_desc(e), text);
	/* Nothing but white space may follow. */
	for (size_t i = json_tokener_get_parse_end(tok); text[i]; i++)
		cr_assert(text[i] == ' ' || text[i] == '\n', "trailing garbage at %zu: %s", i, text + i);
	json_tokener_free(tok);
	return o;
}

/* Sink into a memory stream; returns what was written after finish. */
struct memout {
	char *buf;
	size_t len;
	FILE *f;
};

static void memout_open(struct memout *m)
{
	memset(m, 0, sizeof *m);
	m->f = open_memstream(&m->buf, &m->len);
	cr_assert_not_null(m->f);
}

static char *memout_close(struct memout *m)
{
	cr_assert_eq(fclose(m->f), 0);
	return m->buf;
}

static void check_finding(json_object *o, const struct rfx *x, const char *path)
{
	cr_assert_str_eq(gets(o, "type"), "finding");
	json_object *r = get(o, "rule");
	cr_assert_str_eq(gets(r, "id"), "t.rule");
	cr_assert_str_eq(gets(r, "name"), "Test \"rule\"");
	cr_assert_str_eq(gets(r, "category"), "secret");
	cr_assert_str_eq(gets(r, "severity"), "high");
	cr_assert_str_eq(gets(o, "confidence"), "high");
	json_object *l = get(o, "location");
	cr_assert_str_eq(gets(l, "path"), path);
	cr_assert_eq(geti(l, "line"), 3);
	cr_assert_eq(geti(l, "column"), 9);
	cr_assert_eq(geti(l, "end_line"), 3);
	cr_assert_eq(geti(l, "end_column"), 29);
	cr_assert_eq(geti(l, "offset"), 41);
	cr_assert_eq(geti(l, "length"), 20);
	cr_assert(json_object_is_type(get(l, "chain"), json_type_array));
	json_object *s = get(o, "secret");
	cr_assert_str_eq(gets(s, "redacted"), x->red.data);
	cr_assert_str_eq(gets(s, "fingerprint"), x->f.fingerprint);
	cr_assert_float_eq(json_object_get_double(get(s, "entropy")), 3.684, 1e-9);
	cr_assert_str_eq(gets(o, "context"), x->context);
}

Test(report, json_is_one_array_ending_in_summary)
{
	struct rfx x;
	struct memout m;
	struct mp_sink sink;
	struct mp_batch b1, b2;
	struct mp_loc loc = {.path = "dir/file.txt"};
	const char *chain[] = {"inner.zip", "a.txt"};
	struct mp_loc nested = {.path = "outer.tar", .chain = chain, .nchain = 2};

	rfx_init(&x);
	memout_open(&m);
	mp_sink_init(&sink, m.f, MP_FMT_JSON, false);
	mp_batch_init(&b1);
	mp_batch_init(&b2);
	mp_record_finding(&b1, &sink, &loc, &x.f);
	mp_record_notice(&b1, &sink, &loc, "limit", "findings-per-object limit (3) reached");
	mp_sink_write(&sink, &b1);
	cr_assert_eq(b1.buf.len, 0, "a written batch is emptied");
	mp_record_finding(&b2, &sink, &nested, &x.f);
	mp_sink_write(&sink, &b2);
	x.stats.files = 7;
	x.stats.bytes = 12345;
	x.stats.findings = 2;
	x.stats.by_rule[0] = 2;
	x.stats.notices = 1;
	x.stats.by_kind[MP_NK_LIMIT] = 1;
	x.stats.skipped_symlinks = 4;
	cr_assert_eq(mp_sink_finish(&sink, &x.sum, false), 0);
	cr_assert_eq(sink.records, 4);
	char *out = memout_close(&m);

	json_object *arr = parse_all(out);
	cr_assert(json_object_is_type(arr, json_type_array), "output is not an array: %s", out);
	cr_assert_eq(json_object_array_length(arr), 4);
	check_finding(json_object_array_get_idx(arr, 0), &x, "dir/file.txt");
	json_object *n = json_object_array_get_idx(arr, 1);
	cr_assert_str_eq(gets(n, "type"), "notice");
	cr_assert_str_eq(gets(n, "kind"), "limit");
	cr_assert_str_eq(gets(n, "message"), "findings-per-object limit (3) reached");
	cr_assert_str_eq(gets(get(n, "location"), "path"), "dir/file.txt");
	json_object *f2 = json_object_array_get_idx(arr, 2);
	check_finding(f2, &x, "outer.tar");
	json_object *ch = get(get(f2, "location"), "chain");
	cr_assert_eq(json_object_array_length(ch), 2);
	cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(ch, 0)), "inner.zip");
	cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(ch, 1)), "a.txt");
	json_object *s = json_object_array_get_idx(arr, 3);
	cr_assert_str_eq(gets(s, "type"), "summary");
	cr_assert_str_eq(gets(s, "version"), PACKAGE_VERSION);
	cr_assert_eq(geti(s, "files"), 7);
	cr_assert_eq(geti(s, "bytes"), 12345);
	cr_assert_eq(geti(s, "findings"), 2);
	cr_assert_eq(geti(get(s, "findings_by_rule"), "t.rule"), 2);
	cr_assert_eq(geti(s, "notices"), 1);
	cr_assert_eq(geti(get(s, "notices_by_kind"), "limit"), 1);
	cr_assert_not(has(get(s, "notices_by_kind"), "unreadable"), "zero counts are left out");
	cr_assert_eq(geti(get(s, "skipped"), "symlinks"), 4);
	cr_assert_eq(geti(s, "rules"), 1);
	cr_assert_eq(geti(s, "threads"), 2);
	/* Every record is one line. */
	cr_assert_eq(t_count_sub(out, strlen(out), "\n", 1), 4 + 2);
	json_object_put(arr);
	free(out);
	mp_batch_free(&b1);
	mp_batch_free(&b2);
	mp_sink_destroy(&sink);
	rfx_free(&x);
}

Test(report, json_with_no_records_is_still_an_array)
{
	struct rfx x;
	struct memout m;
	struct mp_sink sink;

	rfx_init(&x);
	memout_open(&m);
	mp_sink_init(&sink, m.f, MP_FMT_JSON, false);
	cr_assert_eq(mp_sink_finish(&sink, &x.sum, true), 0);
	char *out = memout_close(&m);
	json_object *arr = parse_all(out);
	cr_assert(json_object_is_type(arr, json_type_array));
	cr_assert_eq(json_object_array_length(arr), 1);
	cr_assert_str_eq(gets(json_object_array_get_idx(arr, 0), "type"), "summary");
	json_object_put(arr);
	free(out);
	mp_sink_destroy(&sink);
	rfx_free(&x);
}

Test(report, jsonl_is_one_object_per_line)
{
	struct rfx x;
	struct memout m;
	struct mp_sink sink;
	struct mp_batch b;
	struct mp_loc loc = {.path = "p.txt"};

	rfx_init(&x);
	memout_open(&m);
	mp_sink_init(&sink, m.f, MP_FMT_JSONL, false);
	mp_batch_init(&b);
	for (int i = 0; i < 3; i++)
		mp_record_finding(&b, &sink, &loc, &x.f);
	mp_record_notice(&b, &sink, &loc, "unreadable", "cannot open: Permission denied");
	mp_sink_write(&sink, &b);
	cr_assert_eq(mp_sink_finish(&sink, &x.sum, false), 0);
	char *out = memout_close(&m);

	cr_assert_neq(out[0], '[', "JSONL is not an array");
	size_t lines = 0;
	json_object *last = NULL;
	char *save = NULL;
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_object *o = parse_all(line);
		cr_assert(json_object_is_type(o, json_type_object), "line %zu is not an object: %s", lines, line);
		if (lines < 3)
			check_finding(o, &x, "p.txt");
		json_object_put(last);
		last = o;
		lines++;
	}
	cr_assert_eq(lines, 5);
	cr_assert_str_eq(gets(last, "type"), "summary");
	cr_assert_eq(sink.records, 5);
	json_object_put(last);
	free(out);
	mp_batch_free(&b);
	mp_sink_destroy(&sink);
	rfx_free(&x);
}

static json_object *one_finding(struct rfx *x, const struct mp_loc *loc, bool show)
{
	struct memout m;
	struct mp_sink sink;
	struct mp_batch b;

	memout_open(&m);
	mp_sink_init(&sink, m.f, MP_FMT_JSONL, show);
	mp_batch_init(&b);
	mp_record_finding(&b, &sink, loc, &x->f);
	mp_sink_write(&sink, &b);
	cr_assert_eq(fflush(m.f), 0);
	char *out = memout_close(&m);
	json_object *o = parse_all(out);
	free(out);
	mp_batch_free(&b);
	mp_sink_destroy(&sink);
	return o;
}

Test(report, invalid_utf8_path_gets_base64)
{
	struct rfx x;
	const char raw[] = "dir/\xff\xfe-na\xc3me\x80.txt";
	struct mp_loc loc = {.path = raw};
	unsigned char dec[128];

	rfx_init(&x);
	json_object *o = one_finding(&x, &loc, false);
	json_object *l = get(o, "location");
	const char *p = gets(l, "path");
	cr_assert(mp_utf8_valid(p, strlen(p)), "path is not valid UTF-8");
	cr_assert_not_null(strstr(p, "dir/"));
	cr_assert_not_null(strstr(p, ".txt"));
	long n = t_b64decode(gets(l, "path_base64"), dec);
	cr_assert_eq(n, (long)strlen(raw));
	cr_assert_eq(memcmp(dec, raw, strlen(raw)), 0, "path_base64 does not decode to the exact bytes");
	json_object_put(o);

	/* Valid names carry no base64 sibling. */
	struct mp_loc ok = {.path = "caf\xc3\xa9/ok.txt"};
	o = one_finding(&x, &ok, false);
	cr_assert_str_eq(gets(get(o, "location"), "path"), "caf\xc3\xa9/ok.txt");
	cr_assert_not(has(get(o, "location"), "path_base64"));
	json_object_put(o);
	rfx_free(&x);
}

Test(report, invalid_utf8_chain_gets_base64)
{
	struct rfx x;
	const char *chain[] = {"ok.zip", "bad\xff.txt"};
	struct mp_loc loc = {.path = "a.tar", .chain = chain, .nchain = 2};
	unsigned char dec[64];

	rfx_init(&x);
	json_object *o = one_finding(&x, &loc, false);
	json_object *l = get(o, "location");
	json_object *raw = get(l, "chain_base64");
	cr_assert_eq(json_object_array_length(raw), 2);
	long n = t_b64decode(json_object_get_string(json_object_array_get_idx(raw, 1)), dec);
	cr_assert_eq(n, (long)strlen(chain[1]));
	cr_assert_eq(memcmp(dec, chain[1], (size_t)n), 0);
	const char *c1 = json_object_get_string(json_object_array_get_idx(get(l, "chain"), 1));
	cr_assert(mp_utf8_valid(c1, strlen(c1)));
	json_object_put(o);
	rfx_free(&x);
}

Test(report, path_with_quote_round_trips)
{
	struct rfx x;
	const char raw[] = "we\"ird\\name 'x'.txt";
	struct mp_loc loc = {.path = raw};

	rfx_init(&x);
	json_object *o = one_finding(&x, &loc, false);
	cr_assert_str_eq(gets(get(o, "location"), "path"), raw);
	json_object_put(o);
	rfx_free(&x);
}

/* Regression: a valid UTF-8 path holding a newline lost it to U+FFFD
 * with no path_base64, so the name could not be recovered. */
Test(report, path_with_quote_and_newline_round_trips)
{
	struct rfx x;
	const char raw[] = "dir/we\"ird\nname\t.txt";
	struct mp_loc loc = {.path = raw};
	unsigned char dec[64];

	rfx_init(&x);
	json_object *o = one_finding(&x, &loc, false);
	json_object *l = get(o, "location");
	const char *p = gets(l, "path");
	bool exact = strcmp(p, raw) == 0;
	bool via_b64 = has(l, "path_base64") && t_b64decode(gets(l, "path_base64"), dec) == (long)strlen(raw) &&
		       memcmp(dec, raw, strlen(raw)) == 0;
	cr_assert(exact, "path '%s' is not the exact name (recoverable from base64: %d)", p, via_b64);
	json_object_put(o);
	rfx_free(&x);
}

Test(report, secret_value_only_with_show_secrets)
{
	struct rfx x;
	struct mp_loc loc = {.path = "f"};

	rfx_init(&x);
	json_object *o = one_finding(&x, &loc, false);
	json_object *s = get(o, "secret");
	cr_assert_not(has(s, "value"), "secret value written without show_secrets");
	cr_assert_not(has(s, "value_base64"));
	const char *all = json_object_to_json_string(o);
	cr_assert_null(strstr(all, x.secret), "the secret appears somewhere in the record");
	json_object_put(o);

	o = one_finding(&x, &loc, true);
	s = get(o, "secret");
	cr_assert_str_eq(gets(s, "value"), x.secret);
	cr_assert_not(has(s, "value_base64"), "a valid UTF-8 value needs no base64");
	json_object_put(o);
	rfx_free(&x);
}

Test(report, binary_secret_value_gets_base64)
{
	struct rfx x;
	struct mp_loc loc = {.path = "f"};
	const char bin[] = "AB\xff\x00\x01Z";
	unsigned char dec[32];

	rfx_init(&x);
	x.f.secret = bin;
	x.f.secret_len = 6;
	json_object *o = one_finding(&x, &loc, true);
	json_object *s = get(o, "secret");
	const char *v = gets(s, "value");
	cr_assert(mp_utf8_valid(v, strlen(v)));
	long n = t_b64decode(gets(s, "value_base64"), dec);
	cr_assert_eq(n, 6);
	cr_assert_eq(memcmp(dec, bin, 6), 0);
	json_object_put(o);
	rfx_free(&x);
}

Test(report, text_format)
{
	struct rfx x;
	struct memout m;
	struct mp_sink sink;
	struct mp_batch b;
	struct mp_loc loc = {.path = "src/app.conf"};

	rfx_init(&x);
	memout_open(&m);
	mp_sink_init(&sink, m.f, MP_FMT_TEXT, false);
	mp_batch_init(&b);
	mp_record_finding(&b, &sink, &loc, &x.f);
	mp_record_notice(&b, &sink, &loc, "limit", "should not appear");
	mp_sink_write(&sink, &b);
	x.stats.findings = 1;
	x.stats.files = 1;
	cr_assert_eq(mp_sink_finish(&sink, &x.sum, false), 0);
	char *out = memout_close(&m);
	char *want = t_cat("== src/app.conf\nsrc/app.conf:3:9: high Test \"rule\" [t.rule] (high confidence) ", x.red.data,
			   "\n    ", x.context, "\n", NULL);
	cr_assert_eq(strncmp(out, want, strlen(want)), 0, "got: %s\nwant: %s", out, want);
	cr_assert_null(strstr(out, "should not appear"), "notices go to stderr in text mode");
	cr_assert_not_null(strstr(out + strlen(want), "1 finding,"), "summary line: %s", out + strlen(want));
	cr_assert_null(strstr(out, x.secret));
	free(want);
	free(out);
	mp_batch_free(&b);
	mp_sink_destroy(&sink);
	rfx_free(&x);
}

Test(report, text_quiet_has_no_summary)
{
	struct rfx x;
	struct memout m;
	struct mp_sink sink;

	rfx_init(&x);
	memout_open(&m);
	mp_sink_init(&sink, m.f, MP_FMT_TEXT, false);
	cr_assert_eq(mp_sink_finish(&sink, &x.sum, true), 0);
	char *out = memout_close(&m);
	cr_assert_str_eq(out, "");
	free(out);
	mp_sink_destroy(&sink);
	rfx_free(&x);
}

Test(report, loc_display)
{
	struct mp_buf b;
	const char *chain[] = {"in\n.zip", "x"};
	struct mp_loc loc = {.path = "a\xff", .chain = chain, .nchain = 2};

	mp_buf_init(&b, 1024);
	mp_loc_display(&loc, &b);
	cr_assert_str_eq(b.data, "a\xef\xbf\xbd!in\xef\xbf\xbd.zip!x");
	mp_buf_free(&b);
}

Test(report, write_failure_is_reported)
{
	struct rfx x;
	struct mp_sink sink;
	struct mp_batch b;
	struct mp_loc loc = {.path = "f"};
	FILE *full = fopen("/dev/full", "w");

	if (full == NULL)
		cr_skip_test("no /dev/full");
	rfx_init(&x);
	mp_sink_init(&sink, full, MP_FMT_JSONL, false);
	mp_batch_init(&b);
	mp_record_finding(&b, &sink, &loc, &x.f);
	mp_sink_write(&sink, &b);
	cr_assert_eq(mp_sink_finish(&sink, &x.sum, false), -1);
	fclose(full);
	mp_batch_free(&b);
	mp_sink_destroy(&sink);
	rfx_free(&x);
}

/* ---- several threads writing to one sink ---- */

struct writer_arg {
	struct mp_sink *sink;
	struct rfx *x;
	int id;
};

#define WRITERS 4
#define BATCHES 50
#define PER_BATCH 20

static void *writer(void *arg)
{
	struct writer_arg *a = arg;
	struct mp_batch b;
	char path[32];
	struct mp_loc loc = {.path = path};

	mp_batch_init(&b);
	for (int i = 0; i < BATCHES; i++) {
		for (int k = 0; k < PER_BATCH; k++) {
			snprintf(path, sizeof path, "w%d/%d/%d", a->id, i, k);
			mp_record_finding(&b, a->sink, &loc, &a->x->f);
		}
		mp_sink_write(a->sink, &b);
	}
	mp_batch_free(&b);
	return NULL;
}

Test(report, concurrent_batches_do_not_interleave, .timeout = 60)
{
	struct rfx x;
	FILE *f = tmpfile();
	struct mp_sink sink;
	pthread_t t[WRITERS];
	struct writer_arg wa[WRITERS];
	static char seen[WRITERS][BATCHES][PER_BATCH];

	cr_assert_not_null(f);
	rfx_init(&x);
	mp_sink_init(&sink, f, MP_FMT_JSON, false);
	for (int i = 0; i < WRITERS; i++) {
		wa[i].sink = &sink;
		wa[i].x = &x;
		wa[i].id = i;
		cr_assert_eq(pthread_create(&t[i], NULL, writer, &wa[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(mp_sink_finish(&sink, &x.sum, false), 0);
	char *out = t_slurp(f, NULL);
	json_object *arr = parse_all(out);
	size_t n = json_object_array_length(arr);
	cr_assert_eq(n, WRITERS * BATCHES * PER_BATCH + 1);
	for (size_t i = 0; i + 1 < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		int w, b, k;
		cr_assert_eq(sscanf(gets(get(o, "location"), "path"), "w%d/%d/%d", &w, &b, &k), 3);
		cr_assert(w >= 0 && w < WRITERS && b >= 0 && b < BATCHES && k >= 0 && k < PER_BATCH);
		cr_assert_eq(seen[w][b][k], 0, "record written twice");
		seen[w][b][k] = 1;
	}
	cr_assert_str_eq(gets(json_object_array_get_idx(arr, n - 1), "type"), "summary");
	json_object_put(arr);
	free(out);
	fclose(f);
	mp_sink_destroy(&sink);
	rfx_free(&x);
}

/* Findings are written without json-c: every control byte, quote and
 * backslash must come back exactly through a JSON parser. */
Test(report, every_control_byte_round_trips)
{
	struct rfx x;
	char ctx[64], path[64];
	size_t k = 0;

	for (int c = 1; c < 0x20; c++)
		ctx[k++] = (char)c;
	static const char tail[] = "\"\\/\x7f end";
	memcpy(ctx + k, tail, sizeof tail);
	snprintf(path, sizeof path, "a\x01\x1f\\\"/%s", "b");
	rfx_init(&x);
	x.f.context = ctx;
	struct mp_loc loc = {.path = path};
	json_object *o = one_finding(&x, &loc, true);
	cr_assert_str_eq(gets(o, "context"), ctx);
	cr_assert_str_eq(gets(get(o, "location"), "path"), path);
	cr_assert_str_eq(gets(get(o, "rule"), "name"), "Test \"rule\"");
	cr_assert_str_eq(gets(get(o, "secret"), "value"), x.secret);
	cr_assert_eq(json_object_get_int64(get(get(o, "location"), "offset")), 41);
	cr_assert_eq(json_object_get_int64(get(get(o, "location"), "end_column")), 29);
	json_object_put(o);
	rfx_free(&x);
}
