/* test_sarif.c - SARIF levels, URI escaping and the document's order. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "finding.h"
#include "helpers.h"
#include "rules.h"
#include "sarif.h"

Test(sarif, finding_level_from_severity)
{
	cr_assert_str_eq(mp_sarif_level(MP_SEV_CRITICAL), "error");
	cr_assert_str_eq(mp_sarif_level(MP_SEV_HIGH), "error");
	cr_assert_str_eq(mp_sarif_level(MP_SEV_MEDIUM), "warning");
	cr_assert_str_eq(mp_sarif_level(MP_SEV_LOW), "note");
	cr_assert_str_eq(mp_sarif_level(MP_SEV_INFO), "note");
}

Test(sarif, security_severity_in_githubs_bands)
{
	/* GitHub: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. */
	cr_assert_geq(atof(mp_sarif_security_severity(MP_SEV_CRITICAL)), 9.0);
	double h = atof(mp_sarif_security_severity(MP_SEV_HIGH));
	cr_assert(h >= 7.0 && h < 9.0);
	double m = atof(mp_sarif_security_severity(MP_SEV_MEDIUM));
	cr_assert(m >= 4.0 && m < 7.0);
	double l = atof(mp_sarif_security_severity(MP_SEV_LOW));
	cr_assert(l > 0.0 && l < 4.0);
	cr_assert_null(mp_sarif_security_severity(MP_SEV_INFO));
}

Test(sarif, notice_level_from_kind)
{
	cr_assert_str_eq(mp_sarif_notice_level("unreadable"), "error");
	cr_assert_str_eq(mp_sarif_notice_level("read-error"), "error");
	cr_assert_str_eq(mp_sarif_notice_level("scan-error"), "error");
	cr_assert_str_eq(mp_sarif_notice_level("something-new"), "error");
	cr_assert_str_eq(mp_sarif_notice_level("limit"), "warning");
	cr_assert_str_eq(mp_sarif_notice_level("encrypted"), "warning");
	cr_assert_str_eq(mp_sarif_notice_level("archive-error"), "warning");
	cr_assert_str_eq(mp_sarif_notice_level("rule-error"), "warning");
}

static void check_uri(const char *path, size_t n, const char *want)
{
	struct mp_buf b;

	mp_buf_init(&b, 1024);
	cr_assert_eq(mp_sarif_uri(&b, path, n), 0);
	cr_assert_str_eq(b.data ? b.data : "", want, "uri of '%s'", path);
	mp_buf_free(&b);
}

Test(sarif, uri_escaping)
{
	check_uri("repo/deploy/credentials", 23, "repo/deploy/credentials");
	check_uri("./a-b_c.d~e", 11, "./a-b_c.d~e");
	check_uri("a b%c", 5, "a%20b%25c");
	check_uri("c:x?y#z", 7, "c%3Ax%3Fy%23z");
	check_uri("/etc/app.env", 12, "file:///etc/app.env");
	check_uri("caf\xc3\xa9", 5, "caf%C3%A9");       /* UTF-8: its bytes */
	check_uri("caf\xe9\n", 5, "caf%E9%0A");         /* not UTF-8: exact bytes */
	check_uri("q\"\\<>", 5, "q%22%5C%3C%3E");
	check_uri("!$&'()*+,;=@", 12, "!$&'()*+,;=@");
	check_uri("", 0, "");
}

Test(sarif, uri_respects_buffer_max)
{
	struct mp_buf b;

	mp_buf_init(&b, 4);
	cr_assert_eq(mp_sarif_uri(&b, "a b c", 5), -1);
	mp_buf_free(&b);
}

/* Two results held in reverse order, by two rules, and a notice: the
 * document sorts them, indexes the rules, and never holds the secret. */
Test(sarif, document_sorted_and_indexed)
{
	struct mp_rule rules[2] = {{.id = "z.rule", .name = "Zed", .severity = MP_SEV_MEDIUM},
				   {.id = "a.rule", .name = "Aye", .severity = MP_SEV_LOW}};
	struct mp_ruleset rs = {.rules = rules, .n = 2};
	char *secret = t_cat("SEKRET", "_", "VALUE123", NULL);
	struct mp_finding f[2];
	struct mp_loc loc = {.path = "b file"};
	const char *chain[] = {"inner.txt"};
	struct mp_loc aloc = {.path = "a.zip", .chain = chain, .nchain = 1};
	struct mp_buf held;
	char *doc = NULL;
	size_t doclen = 0;
	FILE *out = open_memstream(&doc, &doclen);

	for (int i = 0; i < 2; i++) {
		memset(&f[i], 0, sizeof f[i]);
		f[i].rule = &rules[i];
		f[i].confidence = MP_CONF_MEDIUM;
		f[i].line = f[i].end_line = 2;
		f[i].column = 5;
		f[i].end_column = 5 + strlen(secret);
		f[i].secret = secret;
		f[i].secret_len = strlen(secret);
		f[i].redacted = "SEK…";
		f[i].context = "k = SEK…";
		mp_fingerprint(rules[i].id, secret, strlen(secret), f[i].fingerprint);
	}
	mp_buf_init(&held, 1 << 20);
	mp_sarif_hold_result(&held, &loc, &f[0], false, false);
	mp_sarif_hold_notice(&held, &loc, "limit", "too big");
	mp_sarif_hold_result(&held, &aloc, &f[1], false, false);
	struct mp_sarif_run run = {.rules = &rs, .successful = true};
	cr_assert_eq(mp_sarif_write(out, held.data, held.len, &run), 0);
	fclose(out);
	cr_assert_null(strstr(doc, secret));

	json_object *d = json_tokener_parse(doc), *r, *v;
	cr_assert_not_null(d);
	r = json_object_array_get_idx(json_object_object_get(d, "runs"), 0);
	v = json_object_object_get(json_object_object_get(json_object_object_get(r, "tool"), "driver"), "rules");
	cr_assert_eq(json_object_array_length(v), 2);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(json_object_array_get_idx(v, 0), "id")),
			 "a.rule");
	v = json_object_object_get(r, "results");
	cr_assert_eq(json_object_array_length(v), 2);
	json_object *r0 = json_object_array_get_idx(v, 0), *r1 = json_object_array_get_idx(v, 1);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(r0, "ruleId")), "a.rule");
	cr_assert_eq(json_object_get_int(json_object_object_get(r0, "ruleIndex")), 0);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(r0, "level")), "note");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(r1, "ruleId")), "z.rule");
	cr_assert_eq(json_object_get_int(json_object_object_get(r1, "ruleIndex")), 1);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(r1, "level")), "warning");
	cr_assert_not_null(strstr(doc, "\"uri\": \"b%20file\""));
	cr_assert_not_null(strstr(doc, "in inner.txt"));
	json_object_put(d);
	mp_buf_free(&held);
	free(doc);
	free(secret);
}
