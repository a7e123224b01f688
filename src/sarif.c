/* sarif.c - SARIF 2.1.0 output: held lines, then one sorted document. */
#include "mp_config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sarif.h"

#define SARIF_SCHEMA    "https://json.schemastore.org/sarif-2.1.0.json"
#define FINGERPRINT_KEY "magpie/v1"

/* Held lines start with one of these, then the JSON object. */
#define HELD_RESULT 'R'
#define HELD_NOTICE 'N'

const char *mp_sarif_level(enum mp_severity sev)
{
	switch (sev) {
	case MP_SEV_CRITICAL:
	case MP_SEV_HIGH: return "error";
	case MP_SEV_MEDIUM: return "warning";
	default: return "note";
	}
}

const char *mp_sarif_security_severity(enum mp_severity sev)
{
	switch (sev) {
	case MP_SEV_CRITICAL: return "9.5";
	case MP_SEV_HIGH: return "8.0";
	case MP_SEV_MEDIUM: return "5.5";
	case MP_SEV_LOW: return "2.0";
	default: return NULL;
	}
}

const char *mp_sarif_notice_level(const char *kind)
{
	static const char *const warn[] = {"limit",        "encrypted",  "archive-error", "special-file",
					   "symlink-loop", "rule-error", "image-error"};

	for (size_t i = 0; i < sizeof warn / sizeof warn[0]; i++)
		if (strcmp(kind, warn[i]) == 0)
			return "warning";
	return "error";
}

static bool uri_keep(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("-._~!$&'()*+,;=@/", c) != NULL;
}

int mp_sarif_uri(struct mp_buf *out, const char *path, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	if (n > 0 && path[0] == '/')
		rc |= mp_buf_adds(out, "file://");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];
		char e[3] = {'%', hex[c >> 4], hex[c & 15]};
		rc |= uri_keep(c) ? mp_buf_addc(out, (char)c) : mp_buf_add(out, e, 3);
	}
	return rc == 0 ? 0 : -1;
}

static json_object *juri(const char *path)
{
	struct mp_buf b;
	json_object *o;

	mp_buf_init(&b, (size_t)-1 / 2);
	mp_sarif_uri(&b, path, strlen(path));
	o = json_object_new_string_len(b.data ? b.data : "", (int)b.len);
	mp_buf_free(&b);
	return o;
}

/* {"physicalLocation":{"artifactLocation":{"uri":...}}}, region added by
 * the caller. */
static json_object *jlocation(const char *path, json_object **phys)
{
	json_object *loc = json_object_new_object();
	json_object *art = json_object_new_object();

	*phys = json_object_new_object();
	json_object_object_add(art, "uri", juri(path));
	json_object_object_add(*phys, "artifactLocation", art);
	json_object_object_add(loc, "physicalLocation", *phys);
	return loc;
}

/* properties.chain (lossy UTF-8) and, when a name is not UTF-8,
 * properties.chain_base64, as in the JSON records. */
static void add_chain(json_object *props, const struct mp_loc *loc)
{
	json_object *chain, *raw;
	bool ok = true;

	if (loc->nchain == 0)
		return;
	chain = json_object_new_array();
	for (size_t i = 0; i < loc->nchain; i++) {
		size_t n = strlen(loc->chain[i]);
		json_object_array_add(chain, mp_json_lossy(loc->chain[i], n));
		ok = ok && mp_utf8_valid(loc->chain[i], n);
	}
	json_object_object_add(props, "chain", chain);
	if (ok)
		return;
	raw = json_object_new_array();
	for (size_t i = 0; i < loc->nchain; i++)
		json_object_array_add(raw, mp_json_base64(loc->chain[i], strlen(loc->chain[i])));
	json_object_object_add(props, "chain_base64", raw);
}

/* " in NAME!NAME" for a location inside nested content, else nothing. */
static void chain_text(struct mp_buf *b, const struct mp_loc *loc)
{
	for (size_t i = 0; i < loc->nchain; i++) {
		mp_buf_adds(b, i == 0 ? " in " : "!");
		mp_utf8_sanitize(b, loc->chain[i], strlen(loc->chain[i]));
	}
}

static json_object *jmessage(const struct mp_buf *b)
{
	json_object *m = json_object_new_object();

	json_object_object_add(m, "text", json_object_new_string_len(b->data ? b->data : "", (int)b->len));
	return m;
}

static void hold(struct mp_buf *out, char tag, json_object *o)
{
	size_t n;
	const char *s = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);

	if (mp_buf_addc(out, tag) == 0 && mp_buf_add(out, s, n) == 0)
		mp_buf_addc(out, '\n');
	json_object_put(o);
}

void mp_sarif_hold_result(struct mp_buf *out, const struct mp_loc *loc, const struct mp_finding *f,
			  bool suppressed, bool show_secrets)
{
	const struct mp_rule *r = f->rule;
	json_object *o = json_object_new_object();
	json_object *locs = json_object_new_array();
	json_object *region = json_object_new_object();
	json_object *fps = json_object_new_object();
	json_object *props = json_object_new_object();
	json_object *phys;
	struct mp_buf text;

	mp_buf_init(&text, (size_t)-1 / 2);
	mp_buf_printf(&text, "%s: %s (%s confidence%s)", r->name, f->redacted,
		      mp_confidence_name(f->confidence), f->test_value ? ", test value" : "");
	chain_text(&text, loc);
	if (f->record.cell || f->record.json) {
		mp_buf_adds(&text, " at ");
		mp_record_text(&f->record, &text);
	}

	json_object_object_add(o, "ruleId", json_object_new_string(r->id));
	json_object_object_add(o, "ruleIndex", json_object_new_int(0)); /* set by mp_sarif_write */
	json_object_object_add(o, "level", json_object_new_string(mp_sarif_level(r->severity)));
	json_object_object_add(o, "message", jmessage(&text));
	json_object_array_add(locs, jlocation(loc->path, &phys));
	json_object_object_add(region, "startLine", json_object_new_int64((int64_t)f->line));
	json_object_object_add(region, "startColumn", json_object_new_int64((int64_t)f->column));
	json_object_object_add(region, "endLine", json_object_new_int64((int64_t)f->end_line));
	json_object_object_add(region, "endColumn", json_object_new_int64((int64_t)f->end_column));
	json_object_object_add(phys, "region", region);
	json_object_object_add(o, "locations", locs);
	json_object_object_add(fps, FINGERPRINT_KEY, json_object_new_string(f->fingerprint));
	json_object_object_add(o, "partialFingerprints", fps);
	if (suppressed) {
		json_object *sups = json_object_new_array();
		json_object *sup = json_object_new_object();
		json_object_object_add(sup, "kind", json_object_new_string("external"));
		json_object_object_add(sup, "justification",
				       json_object_new_string("listed in the baseline"));
		json_object_array_add(sups, sup);
		json_object_object_add(o, "suppressions", sups);
	}
	json_object_object_add(props, "confidence",
			       json_object_new_string(mp_confidence_name(f->confidence)));
	json_object_object_add(props, "category", json_object_new_string(mp_category_name(r->category)));
	json_object_object_add(props, "severity", json_object_new_string(mp_severity_name(r->severity)));
	json_object_object_add(props, "fingerprint", json_object_new_string(f->fingerprint));
	if (f->test_value)
		json_object_object_add(props, "test_value", json_object_new_boolean(1));
	add_chain(props, loc);
	if (loc->image != NULL)
		mp_json_add_image(props, loc->image);
	{
		json_object *rec = mp_record_json(&f->record);
		if (rec != NULL)
			json_object_object_add(props, "record", rec);
	}
	json_object_object_add(props, "context", json_object_new_string(f->context));
	if (show_secrets) {
		json_object_object_add(props, "secret", mp_json_lossy(f->secret, f->secret_len));
		if (!mp_utf8_valid(f->secret, f->secret_len))
			json_object_object_add(props, "secret_base64",
					       mp_json_base64(f->secret, f->secret_len));
	}
	json_object_object_add(o, "properties", props);
	mp_buf_free(&text);
	hold(out, HELD_RESULT, o);
}

void mp_sarif_hold_notice(struct mp_buf *out, const struct mp_loc *loc, const char *kind, const char *message)
{
	json_object *o = json_object_new_object();
	json_object *locs = json_object_new_array();
	json_object *desc = json_object_new_object();
	json_object *props = json_object_new_object();
	json_object *phys;
	struct mp_buf text;

	mp_buf_init(&text, (size_t)-1 / 2);
	mp_utf8_sanitize(&text, message, strlen(message));
	chain_text(&text, loc);
	json_object_object_add(o, "level", json_object_new_string(mp_sarif_notice_level(kind)));
	json_object_object_add(o, "message", jmessage(&text));
	json_object_object_add(desc, "id", json_object_new_string(kind));
	json_object_object_add(o, "descriptor", desc);
	json_object_array_add(locs, jlocation(loc->path, &phys));
	json_object_object_add(o, "locations", locs);
	json_object_object_add(props, "kind", json_object_new_string(kind));
	add_chain(props, loc);
	if (loc->image != NULL)
		mp_json_add_image(props, loc->image);
	json_object_object_add(o, "properties", props);
	mp_buf_free(&text);
	hold(out, HELD_NOTICE, o);
}

/* ---- the document ---- */

struct held {
	const char *line; /* the JSON text, NUL-terminated */
	json_object *o;
	const char *uri, *rule;
	int64_t line_no, col;
};

static const char *jget_str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static json_object *jget(json_object *o, const char *k)
{
	json_object *v = NULL;
	json_object_object_get_ex(o, k, &v);
	return v;
}

static int cmp_result(const void *a, const void *b)
{
	const struct held *x = a, *y = b;
	int c = strcmp(x->uri, y->uri);

	if (c != 0)
		return c;
	if (x->line_no != y->line_no)
		return x->line_no < y->line_no ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	c = strcmp(x->rule, y->rule);
	return c != 0 ? c : strcmp(x->line, y->line);
}

static int cmp_notice(const void *a, const void *b)
{
	return strcmp(((const struct held *)a)->line, ((const struct held *)b)->line);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void sort_key(struct held *h)
{
	json_object *phys = jget(json_object_array_get_idx(jget(h->o, "locations"), 0), "physicalLocation");
	json_object *region = jget(phys, "region");

	h->uri = jget_str(jget(phys, "artifactLocation"), "uri");
	h->rule = jget_str(h->o, "ruleId");
	h->line_no = json_object_get_int64(jget(region, "startLine"));
	h->col = json_object_get_int64(jget(region, "startColumn"));
}

/* What to do about a finding of rule r, for SARIF viewers (a static
 * buffer: the document is written from one thread). */
static const char *help_text(const struct mp_rule *r)
{
	static char buf[2048];
	const char *todo;

	switch (r->category) {
	case MP_CAT_PII:
		todo = "Personal data. Check whether it belongs here; if not, remove it or replace it with a "
		       "masked or synthetic value, and find the process that wrote it.";
		break;
	case MP_CAT_GENERIC:
		todo = "A secret-like value assigned to a secret-like name. If it is a real credential, "
		       "revoke "
		       "it, issue a new one kept in a secret store, and remove this one from the history; if "
		       "it "
		       "is not, allow it (a magpie:allow comment or the .magpie.yml allowlist).";
		break;
	default:
		todo = "A credential. Revoke or rotate it at its issuer first (deleting it from the code "
		       "does "
		       "not stop its use), keep the new one in a secret store, and remove this one from the "
		       "history.";
		break;
	}
	snprintf(buf, sizeof buf, "%s%s%s (rule %s, severity %s). %s", r->name, r->description ? ": " : "",
		 r->description ? r->description : "", r->id, mp_severity_name(r->severity), todo);
	return buf;
}

static json_object *reporting_descriptor(const struct mp_rule *r, const char *id)
{
	json_object *d = json_object_new_object();
	json_object *sd = json_object_new_object();
	json_object *conf = json_object_new_object();
	json_object *props = json_object_new_object();

	json_object_object_add(d, "id", json_object_new_string(id));
	if (r == NULL) /* cannot happen: results come from the rule set */
		return d;
	json_object_object_add(d, "name", json_object_new_string(r->name));
	json_object_object_add(sd, "text", json_object_new_string(r->name));
	json_object_object_add(d, "shortDescription", sd);
	json_object *help = json_object_new_object();
	json_object_object_add(help, "text", json_object_new_string(help_text(r)));
	json_object_object_add(d, "help", help);
	json_object_object_add(conf, "level", json_object_new_string(mp_sarif_level(r->severity)));
	json_object_object_add(d, "defaultConfiguration", conf);
	json_object_object_add(props, "category", json_object_new_string(mp_category_name(r->category)));
	json_object_object_add(props, "severity", json_object_new_string(mp_severity_name(r->severity)));
	/* GitHub code scanning: the "security" tag makes these security
	 * alerts, and security-severity (a CVSS-like score as a string) sets
	 * their severity: 9.0 and up critical, 7.0 high, 4.0 medium, else low. */
	json_object *tags = json_object_new_array();
	json_object_array_add(tags, json_object_new_string("security"));
	json_object_array_add(tags, json_object_new_string(mp_category_name(r->category)));
	json_object_object_add(props, "tags", tags);
	const char *score = mp_sarif_security_severity(r->severity);
	if (score != NULL)
		json_object_object_add(props, "security-severity", json_object_new_string(score));
	json_object_object_add(d, "properties", props);
	return d;
}

static json_object *counts(const struct mp_stats *st)
{
	json_object *p = json_object_new_object();

	if (st == NULL)
		return p;
	json_object_object_add(p, "files", json_object_new_int64((int64_t)st->files));
	json_object_object_add(p, "bytes", json_object_new_int64((int64_t)st->bytes));
	json_object_object_add(p, "findings", json_object_new_int64((int64_t)st->findings));
	json_object_object_add(p, "unreported_findings", json_object_new_int64((int64_t)st->unreported));
	json_object_object_add(p, "suppressed", json_object_new_int64((int64_t)st->suppressed));
	json_object_object_add(p, "notices", json_object_new_int64((int64_t)st->notices));
	return p;
}

int mp_sarif_write(FILE *out, char *held, size_t len, const struct mp_sarif_run *run)
{
	struct held *res = NULL, *note = NULL;
	const char **ids = NULL;
	size_t nres = 0, nnote = 0, nids = 0, cres = 0, cnote = 0;
	json_object *doc = NULL;
	int rc = -1;

	/* Split and parse the held lines. */
	for (char *p = held, *end = held + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		struct held h = {0};
		if (nl == NULL)
			goto out;
		*nl = '\0';
		h.line = p + 1;
		h.o = json_tokener_parse(h.line);
		if (h.o == NULL)
			goto out;
		if (p[0] == HELD_RESULT && mp_array_grow(&res, &cres, nres, sizeof *res, 64) == 0) {
			sort_key(&h);
			res[nres++] = h;
		} else if (p[0] == HELD_NOTICE &&
			   mp_array_grow(&note, &cnote, nnote, sizeof *note, 16) == 0) {
			note[nnote++] = h;
		} else {
			json_object_put(h.o);
			goto out;
		}
		p = nl + 1;
	}
	if (nres > 0)
		qsort(res, nres, sizeof *res, cmp_result);
	if (nnote > 0)
		qsort(note, nnote, sizeof *note, cmp_notice);

	/* The rules that produced a result, sorted by id and unique. */
	ids = malloc((nres > 0 ? nres : 1) * sizeof *ids);
	if (ids == NULL)
		goto out;
	for (size_t i = 0; i < nres; i++)
		ids[i] = res[i].rule;
	if (nres > 0)
		qsort(ids, nres, sizeof *ids, cmp_str);
	for (size_t i = 0; i < nres; i++)
		if (nids == 0 || strcmp(ids[nids - 1], ids[i]) != 0)
			ids[nids++] = ids[i];

	json_object *rules = json_object_new_array();
	for (size_t i = 0; i < nids; i++) {
		long k = mp_rules_find(run->rules, ids[i]);
		json_object_array_add(rules,
				      reporting_descriptor(k >= 0 ? &run->rules->rules[k] : NULL, ids[i]));
	}
	json_object *results = json_object_new_array();
	for (size_t i = 0; i < nres; i++) {
		const char **at = bsearch(&res[i].rule, ids, nids, sizeof *ids, cmp_str);
		json_object_object_add(res[i].o, "ruleIndex", json_object_new_int64(at - ids));
		json_object_array_add(results, json_object_get(res[i].o));
	}
	json_object *notes = json_object_new_array();
	for (size_t i = 0; i < nnote; i++)
		json_object_array_add(notes, json_object_get(note[i].o));

	json_object *driver = json_object_new_object();
	json_object_object_add(driver, "name", json_object_new_string("magpie"));
	json_object_object_add(driver, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(driver, "rules", rules);
	json_object *tool = json_object_new_object();
	json_object_object_add(tool, "driver", driver);
	json_object *inv = json_object_new_object();
	json_object_object_add(inv, "executionSuccessful", json_object_new_boolean(run->successful));
	json_object_object_add(inv, "toolExecutionNotifications", notes);
	json_object_object_add(inv, "properties", counts(run->stats));
	json_object *invs = json_object_new_array();
	json_object_array_add(invs, inv);
	json_object *r = json_object_new_object();
	json_object_object_add(r, "tool", tool);
	json_object_object_add(r, "invocations", invs);
	json_object_object_add(r, "results", results);
	json_object *runs = json_object_new_array();
	json_object_array_add(runs, r);
	doc = json_object_new_object();
	json_object_object_add(doc, "$schema", json_object_new_string(SARIF_SCHEMA));
	json_object_object_add(doc, "version", json_object_new_string("2.1.0"));
	json_object_object_add(doc, "runs", runs);

	size_t n;
	const char *s = json_object_to_json_string_length(
		doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (s == NULL)
		goto out;
	fwrite(s, 1, n, out);
	fputc('\n', out);
	rc = 0;
out:
	json_object_put(doc);
	for (size_t i = 0; i < nres; i++)
		json_object_put(res[i].o);
	for (size_t i = 0; i < nnote; i++)
		json_object_put(note[i].o);
	free(ids);
	free(res);
	free(note);
	return rc;
}
