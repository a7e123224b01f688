/* report.c - JSON and text records, the sink. */
#include "mp_config.h"

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "log.h"
#include "report.h"
#include "rules.h"
#include "sarif.h"
#include "unpack.h"

#define RECORD_MAX (64u << 20) /* a batch never grows past this */

void mp_sink_init(struct mp_sink *s, FILE *out, enum mp_format fmt, bool show_secrets)
{
	memset(s, 0, sizeof *s);
	s->out = out;
	s->fmt = fmt;
	s->show_secrets = show_secrets;
	mp_buf_init(&s->held, MP_SARIF_HELD_MAX);
	pthread_mutex_init(&s->lock, NULL);
}

void mp_sink_destroy(struct mp_sink *s)
{
	pthread_mutex_destroy(&s->lock);
	mp_buf_free(&s->held);
}

void mp_batch_init(struct mp_batch *b)
{
	mp_buf_init(&b->buf, RECORD_MAX);
	mp_buf_init(&b->last, 1u << 20);
}

void mp_batch_free(struct mp_batch *b)
{
	mp_buf_free(&b->buf);
	mp_buf_free(&b->last);
}

static void emit_locked(struct mp_sink *s, const char *p, size_t n)
{
	if (n > 0 && fwrite(p, 1, n, s->out) != n)
		s->write_failed = true;
}

void mp_sink_write(struct mp_sink *s, struct mp_batch *b)
{
	const char *p = b->buf.data, *end = p + b->buf.len;

	if (b->buf.len == 0)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->fmt == MP_FMT_SARIF) {
		if (mp_buf_add(&s->held, p, b->buf.len) != 0)
			s->held_full = true;
		for (; p < end; p++)
			s->records += *p == '\n';
	} else if (s->fmt == MP_FMT_JSON) {
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			emit_locked(s, s->records == 0 ? "[\n" : ",\n", 2);
			emit_locked(s, p, n);
			s->records++;
			p += n + 1;
		}
	} else {
		emit_locked(s, p, b->buf.len);
		for (; p < end; p++)
			s->records += *p == '\n';
	}
	pthread_mutex_unlock(&s->lock);
	mp_buf_reset(&b->buf);
	mp_buf_reset(&b->last); /* other output may come between: a new heading */
}

/* ---- text ---- */

static const char *sev_color(enum mp_severity v)
{
	switch (v) {
	case MP_SEV_CRITICAL:
	case MP_SEV_HIGH: return "\033[1;31m";
	case MP_SEV_MEDIUM: return "\033[33m";
	default: return "\033[36m";
	}
}

/* Findings grouped by file: a heading when the file changes, then per
 * finding PATH:LINE:COLUMN (so editors and grep can jump to it), the
 * severity, the rule's name and id, the confidence and the masked value,
 * and the masked line indented below. */
static void text_finding(struct mp_batch *b, const struct mp_sink *s, const struct mp_loc *loc,
			 const struct mp_finding *f, bool suppressed)
{
	const struct mp_rule *r = f->rule;
	struct mp_buf where;
	const char *on = s->color ? "\033[1m" : "", *off = s->color ? "\033[0m" : "";

	mp_buf_init(&where, 1u << 20);
	mp_loc_display(loc, &where);
	if (where.data && (b->last.len != where.len || memcmp(b->last.data, where.data, where.len) != 0)) {
		mp_buf_printf(&b->buf, "%s== %s%s\n", on, where.data, off);
		mp_buf_reset(&b->last);
		mp_buf_add(&b->last, where.data, where.len);
	}
	mp_buf_printf(&b->buf, "%s:%llu:%llu: %s%s%s %s [%s] (%s confidence%s%s) %s\n",
		      where.data ? where.data : "", (unsigned long long)f->line,
		      (unsigned long long)f->column, s->color ? sev_color(r->severity) : "",
		      mp_severity_name(r->severity), off, r->name, r->id, mp_confidence_name(f->confidence),
		      f->test_value ? ", test value" : "", suppressed ? ", suppressed" : "", f->redacted);
	if (loc->image != NULL && loc->image->layer > 0 && loc->image->status_layer > 0) {
		/* It still ships in the image, though a later layer hid it. */
		mp_buf_printf(&b->buf, "    %s in layer %u; still in layer %u of the image\n",
			      mp_layer_status_name(loc->image->status), loc->image->status_layer,
			      loc->image->layer);
	}
	if (f->record.cell || f->record.json) {
		/* Where inside the CSV or JSON, on a line of its own. */
		mp_buf_adds(&b->buf, "    at ");
		mp_record_text(&f->record, &b->buf);
		mp_buf_addc(&b->buf, '\n');
	}
	mp_buf_printf(&b->buf, "    %s\n", f->context);
	mp_buf_free(&where);
}

/* ---- JSON helpers ---- */

/* Exact when s is valid UTF-8 (JSON escapes quotes and controls); invalid
 * sequences become U+FFFD, and callers then add the bytes in base64. */
json_object *mp_json_lossy(const char *s, size_t n)
{
	struct mp_buf b;
	json_object *o;

	mp_buf_init(&b, (size_t)-1 / 2);
	mp_utf8_lossy(&b, s, n);
	o = json_object_new_string_len(b.data ? b.data : "", (int)b.len);
	mp_buf_free(&b);
	return o;
}

json_object *mp_json_base64(const char *s, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	json_object *o;

	if (out == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	o = json_object_new_string(out);
	free(out);
	return o;
}

static void add_str(json_object *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, key, mp_json_lossy(v, strlen(v)));
}

/* A location inside a container image: "image" and, in a layer, "layer". */
void mp_json_add_image(json_object *o, const struct mp_image_ref *r)
{
	json_object *im = json_object_new_object(), *tags = json_object_new_array();

	for (size_t i = 0; i < r->ntags; i++)
		json_object_array_add(tags, mp_json_lossy(r->repo_tags[i], strlen(r->repo_tags[i])));
	json_object_object_add(im, "repo_tags", tags);
	add_str(im, "platform", r->platform);
	add_str(im, "manifest_digest", r->manifest_digest);
	add_str(im, "config_digest", r->config_digest);
	json_object_object_add(o, "image", im);
	if (r->layer == 0)
		return;
	json_object *l = json_object_new_object();
	json_object_object_add(l, "index", json_object_new_int64(r->layer));
	add_str(l, "digest", r->layer_digest);
	add_str(l, "diff_id", r->diff_id);
	add_str(l, "media_type", r->media_type);
	add_str(l, "created_by", r->created_by);
	add_str(l, "status", mp_layer_status_name(r->status));
	if (r->status_layer > 0)
		json_object_object_add(l, "status_layer", json_object_new_int64(r->status_layer));
	json_object_object_add(o, "layer", l);
}

/* The same, written into a record being built by hand: ,"image":{...}... */
static void jw_image(struct mp_buf *o, const struct mp_image_ref *r)
{
	json_object *t = json_object_new_object();
	size_t n;
	const char *s;

	mp_json_add_image(t, r);
	s = json_object_to_json_string_length(t, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	/* {"image":...} without its braces */
	if (n > 2) {
		mp_buf_addc(o, ',');
		mp_buf_add(o, s + 1, n - 2);
	}
	json_object_put(t);
}

/* Raw names: exact when valid UTF-8 (JSON escapes quotes and controls);
 * otherwise lossy, with the exact bytes in a *_base64 sibling. */
static void add_location(json_object *o, const struct mp_loc *loc)
{
	size_t plen = strlen(loc->path);
	bool chain_ok = true;
	json_object *chain = json_object_new_array();

	json_object_object_add(o, "path", mp_json_lossy(loc->path, plen));
	if (!mp_utf8_valid(loc->path, plen))
		json_object_object_add(o, "path_base64", mp_json_base64(loc->path, plen));
	for (size_t i = 0; i < loc->nchain; i++) {
		size_t n = strlen(loc->chain[i]);
		json_object_array_add(chain, mp_json_lossy(loc->chain[i], n));
		chain_ok = chain_ok && mp_utf8_valid(loc->chain[i], n);
	}
	json_object_object_add(o, "chain", chain);
	if (!chain_ok) {
		json_object *raw = json_object_new_array();
		for (size_t i = 0; i < loc->nchain; i++)
			json_object_array_add(raw, mp_json_base64(loc->chain[i], strlen(loc->chain[i])));
		json_object_object_add(o, "chain_base64", raw);
	}
	if (loc->image != NULL)
		mp_json_add_image(o, loc->image);
}

static void put_json(struct mp_batch *b, json_object *o)
{
	size_t n;
	const char *s = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (mp_buf_add(&b->buf, s, n) == 0)
		mp_buf_addc(&b->buf, '\n');
	json_object_put(o);
}

/* ---- direct JSON writing, for the hot records ---- */

/* s[0..n) as a JSON string; s must be valid UTF-8. Escapes as json-c does
 * with JSON_C_TO_STRING_NOSLASHESCAPE. */
static void jw_str(struct mp_buf *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	mp_buf_addc(o, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		mp_buf_add(o, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		mp_buf_adds(o, esc);
	}
	mp_buf_add(o, s + run, n - run);
	mp_buf_addc(o, '"');
}

/* Any bytes: exact when valid UTF-8, else with U+FFFD for bad sequences. */
static void jw_lossy(struct mp_buf *o, const char *s, size_t n)
{
	struct mp_buf t;

	if (mp_utf8_valid(s, n)) {
		jw_str(o, s, n);
		return;
	}
	mp_buf_init(&t, (size_t)-1 / 2);
	mp_utf8_lossy(&t, s, n);
	jw_str(o, t.data ? t.data : "", t.len);
	mp_buf_free(&t);
}

static void jw_base64(struct mp_buf *o, const char *s, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out == NULL) {
		mp_buf_adds(o, "null");
		return;
	}
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	mp_buf_addc(o, '"');
	mp_buf_adds(o, out);
	mp_buf_addc(o, '"');
	free(out);
}

/* key (already quoted, with its ':') and a decimal number. */
static void jw_uint(struct mp_buf *o, const char *key, uint64_t v)
{
	char d[24];
	size_t k = sizeof d;

	do {
		d[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	mp_buf_adds(o, key);
	mp_buf_add(o, d + k, sizeof d - k);
}

static json_object *jint(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

/* ,"record":{...} for a finding inside a CSV or JSON object. */
static void jw_record(struct mp_buf *o, const struct mp_record *r)
{
	if (r->cell) {
		jw_uint(o, ",\"record\":{\"row\":", r->row);
		jw_uint(o, ",\"column\":", r->column);
		if (r->column_name != NULL) {
			mp_buf_adds(o, ",\"column_name\":");
			jw_lossy(o, r->column_name, r->column_name_len);
		}
		mp_buf_addc(o, '}');
	} else if (r->json) {
		jw_uint(o, ",\"record\":{\"index\":", r->index);
		if (r->json_path != NULL) {
			mp_buf_adds(o, ",\"json_path\":");
			jw_lossy(o, r->json_path, r->json_path_len);
		}
		mp_buf_addc(o, '}');
	}
}

json_object *mp_record_json(const struct mp_record *r)
{
	json_object *o;

	if (!r->cell && !r->json)
		return NULL;
	o = json_object_new_object();
	if (r->cell) {
		json_object_object_add(o, "row", jint(r->row));
		json_object_object_add(o, "column", jint(r->column));
		if (r->column_name != NULL)
			json_object_object_add(o, "column_name",
					       mp_json_lossy(r->column_name, r->column_name_len));
	} else {
		json_object_object_add(o, "index", jint(r->index));
		if (r->json_path != NULL)
			json_object_object_add(o, "json_path", mp_json_lossy(r->json_path, r->json_path_len));
	}
	return o;
}

void mp_record_text(const struct mp_record *r, struct mp_buf *out)
{
	if (r->cell) {
		mp_buf_printf(out, "row %llu, column %llu", (unsigned long long)r->row,
			      (unsigned long long)r->column);
		if (r->column_name != NULL) {
			mp_buf_adds(out, " (");
			mp_utf8_sanitize(out, r->column_name, r->column_name_len);
			mp_buf_addc(out, ')');
		}
	} else if (r->json) {
		mp_buf_printf(out, "record %llu", (unsigned long long)r->index);
		if (r->json_path != NULL) {
			mp_buf_adds(out, ", ");
			mp_utf8_sanitize(out, r->json_path, r->json_path_len);
		}
	}
}

void mp_loc_display(const struct mp_loc *loc, struct mp_buf *out)
{
	mp_utf8_sanitize(out, loc->path, strlen(loc->path));
	for (size_t i = 0; i < loc->nchain; i++) {
		mp_buf_addc(out, '!');
		mp_utf8_sanitize(out, loc->chain[i], strlen(loc->chain[i]));
	}
}

static void record_finding(struct mp_batch *b, const struct mp_sink *s, const struct mp_loc *loc,
			   const struct mp_finding *f, bool suppressed);

/* ,"location":{...} of a finding: the path, the chain, and where in the
 * innermost object the secret is. Finding records and the samples of
 * object records both write it here, so they always agree. */
static void jw_location(struct mp_buf *o, const struct mp_loc *loc, const struct mp_finding *f)
{
	size_t plen = strlen(loc->path);
	bool chain_ok = true;

	mp_buf_adds(o, ",\"location\":{\"path\":");
	jw_lossy(o, loc->path, plen);
	if (!mp_utf8_valid(loc->path, plen)) {
		mp_buf_adds(o, ",\"path_base64\":");
		jw_base64(o, loc->path, plen);
	}
	mp_buf_adds(o, ",\"chain\":[");
	for (size_t i = 0; i < loc->nchain; i++) {
		size_t n = strlen(loc->chain[i]);
		if (i > 0)
			mp_buf_addc(o, ',');
		jw_lossy(o, loc->chain[i], n);
		chain_ok = chain_ok && mp_utf8_valid(loc->chain[i], n);
	}
	mp_buf_addc(o, ']');
	if (!chain_ok) {
		mp_buf_adds(o, ",\"chain_base64\":[");
		for (size_t i = 0; i < loc->nchain; i++) {
			if (i > 0)
				mp_buf_addc(o, ',');
			jw_base64(o, loc->chain[i], strlen(loc->chain[i]));
		}
		mp_buf_addc(o, ']');
	}
	jw_uint(o, ",\"line\":", f->line);
	jw_uint(o, ",\"column\":", f->column);
	jw_uint(o, ",\"end_line\":", f->end_line);
	jw_uint(o, ",\"end_column\":", f->end_column);
	jw_uint(o, ",\"offset\":", f->offset);
	jw_uint(o, ",\"length\":", f->length);
	jw_record(o, &f->record);
	if (loc->image != NULL)
		jw_image(o, loc->image);
	mp_buf_addc(o, '}');
}

void mp_record_finding(struct mp_batch *b, const struct mp_sink *s, const struct mp_loc *loc,
		       const struct mp_finding *f)
{
	record_finding(b, s, loc, f, false);
}

void mp_record_suppressed(struct mp_batch *b, const struct mp_sink *s, const struct mp_loc *loc,
			  const struct mp_finding *f)
{
	record_finding(b, s, loc, f, true);
}

static void record_finding(struct mp_batch *b, const struct mp_sink *s, const struct mp_loc *loc,
			   const struct mp_finding *f, bool suppressed)
{
	const struct mp_rule *r = f->rule;

	if (s->fmt == MP_FMT_SARIF) {
		mp_sarif_hold_result(&b->buf, loc, f, suppressed, s->show_secrets);
		return;
	}
	if (s->fmt == MP_FMT_TEXT) {
		text_finding(b, s, loc, f, suppressed);
		return;
	}
	/* Written directly, not through json-c: a data dump yields hundreds of
	 * thousands of findings, and building a json-c tree for each one cost
	 * more than finding it. The layout is that of the json-c records. */
	struct mp_buf *o = &b->buf;
	char ent[32];

	mp_buf_adds(o, "{\"type\":\"finding\",\"rule\":{\"id\":");
	jw_str(o, r->id, strlen(r->id));
	mp_buf_adds(o, ",\"name\":");
	jw_str(o, r->name, strlen(r->name));
	mp_buf_adds(o, ",\"category\":\"");
	mp_buf_adds(o, mp_category_name(r->category));
	mp_buf_adds(o, "\",\"severity\":\"");
	mp_buf_adds(o, mp_severity_name(r->severity));
	mp_buf_adds(o, "\"},\"confidence\":\"");
	mp_buf_adds(o, mp_confidence_name(f->confidence));
	mp_buf_adds(o, f->test_value ? "\",\"test_value\":true" : "\"");
	if (suppressed)
		mp_buf_adds(o, ",\"suppressed\":true");
	jw_location(o, loc, f);
	mp_buf_adds(o, ",\"secret\":{\"redacted\":");
	jw_str(o, f->redacted, strlen(f->redacted));
	mp_buf_adds(o, ",\"fingerprint\":");
	jw_str(o, f->fingerprint, strlen(f->fingerprint));
	snprintf(ent, sizeof ent, "%.3f", f->entropy);
	mp_buf_adds(o, ",\"entropy\":");
	mp_buf_adds(o, ent);
	if (s->show_secrets) {
		mp_buf_adds(o, ",\"value\":");
		jw_lossy(o, f->secret, f->secret_len);
		if (!mp_utf8_valid(f->secret, f->secret_len)) {
			mp_buf_adds(o, ",\"value_base64\":");
			jw_base64(o, f->secret, f->secret_len);
		}
	}
	mp_buf_adds(o, "},\"context\":");
	jw_str(o, f->context, strlen(f->context));
	mp_buf_adds(o, "}\n");
}

void mp_record_notice(struct mp_batch *b, const struct mp_sink *s, const struct mp_loc *loc, const char *kind,
		      const char *message)
{
	if (s->fmt == MP_FMT_TEXT)
		return; /* text output: notices go to stderr only */
	if (s->fmt == MP_FMT_SARIF) {
		mp_sarif_hold_notice(&b->buf, loc, kind, message);
		return;
	}
	json_object *o = json_object_new_object();
	json_object *jl = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("notice"));
	json_object_object_add(o, "kind", json_object_new_string(kind));
	add_location(jl, loc);
	json_object_object_add(o, "location", jl);
	json_object_object_add(o, "message", mp_json_lossy(message, strlen(message)));
	put_json(b, o);
}

/* ---- data-lake records (--report) ---- */

void mp_record_sample(struct mp_buf *o, const struct mp_loc *loc, const struct mp_finding *f)
{
	mp_buf_adds(o, "{\"rule\":");
	jw_str(o, f->rule->id, strlen(f->rule->id));
	jw_location(o, loc, f);
	mp_buf_addc(o, '}');
}

/* key (already quoted, with its ':') and {"credentials":N,...}. */
static void jw_classes(struct mp_buf *o, const char *key, const uint64_t by_class[MP_CLASS__COUNT])
{
	mp_buf_adds(o, key);
	for (int c = 0; c < MP_CLASS__COUNT; c++) {
		mp_buf_addc(o, c == 0 ? '{' : ',');
		jw_str(o, mp_class_name((enum mp_class)c), strlen(mp_class_name((enum mp_class)c)));
		jw_uint(o, ":", by_class[c]);
	}
	mp_buf_addc(o, '}');
}

/* key, then a name the file system gave (exact when UTF-8, else lossy with
 * a *_base64 sibling named b64key). */
static void jw_name(struct mp_buf *o, const char *key, const char *b64key, const char *s, size_t n)
{
	mp_buf_adds(o, key);
	jw_lossy(o, s, n);
	if (!mp_utf8_valid(s, n)) {
		mp_buf_adds(o, b64key);
		jw_base64(o, s, n);
	}
}

static void text_classes(struct mp_buf *o, const uint64_t by_class[MP_CLASS__COUNT])
{
	mp_buf_printf(o, "credentials %llu, financial %llu, personal %llu", (unsigned long long)by_class[0],
		      (unsigned long long)by_class[1], (unsigned long long)by_class[2]);
}

void mp_record_object(struct mp_batch *b, const struct mp_sink *s, const struct mp_object_view *v)
{
	const struct mp_object *ob = v->object;
	const struct mp_rule *rules = v->rules->rules;
	struct mp_buf *o = &b->buf;

	if (s->fmt == MP_FMT_SARIF)
		return;
	if (s->fmt == MP_FMT_TEXT) {
		struct mp_buf where;
		mp_buf_init(&where, 1u << 20);
		mp_utf8_sanitize(&where, v->path, strlen(v->path));
		mp_buf_printf(o, "object %s: score %u, %llu finding%s (", where.data ? where.data : "",
			      v->score, (unsigned long long)ob->findings, ob->findings == 1 ? "" : "s");
		text_classes(o, ob->by_class);
		mp_buf_printf(o, "); %s, %llu bytes\n", mp_unpack_type_name(v->type),
			      (unsigned long long)v->size);
		mp_buf_free(&where);
		mp_buf_reset(&b->last); /* the next finding repeats its heading */
		return;
	}
	mp_buf_adds(o, "{\"type\":\"object\"");
	jw_name(o, ",\"location\":{\"path\":", ",\"path_base64\":", v->path, strlen(v->path));
	mp_buf_addc(o, '}');
	jw_name(o, ",\"bucket\":", ",\"bucket_base64\":", v->bucket, v->bucketlen ? v->bucketlen : 1);
	jw_uint(o, ",\"size\":", v->size);
	mp_buf_adds(o, ",\"detected_type\":");
	jw_str(o, mp_unpack_type_name(v->type), strlen(mp_unpack_type_name(v->type)));
	jw_uint(o, ",\"score\":", v->score);
	jw_uint(o, ",\"findings\":", ob->findings);
	jw_classes(o, ",\"findings_by_class\":", ob->by_class);
	mp_buf_adds(o, ",\"findings_by_rule\":{");
	for (size_t i = 0; i < ob->nrules; i++) {
		const char *id = rules[ob->rules[i]].id;
		if (i > 0)
			mp_buf_addc(o, ',');
		jw_str(o, id, strlen(id));
		jw_uint(o, ":", ob->counts[i]);
	}
	mp_buf_adds(o, "},\"samples\":[");
	if (ob->samples.len > 0)
		mp_buf_add(o, ob->samples.data, ob->samples.len);
	mp_buf_adds(o, "]}\n");
}

void mp_record_bucket(struct mp_batch *b, const struct mp_sink *s, const struct mp_bucket_view *v)
{
	static const struct mp_bucket_acc none;
	const struct mp_bucket_acc *a = v->acc ? v->acc : &none;
	const struct mp_bucket_name *nm = v->name;
	struct mp_buf *o = &b->buf;
	bool first = true;

	if (s->fmt == MP_FMT_SARIF)
		return;
	if (s->fmt == MP_FMT_TEXT) {
		struct mp_buf where;
		mp_buf_init(&where, 1u << 20);
		mp_utf8_sanitize(&where, v->root, strlen(v->root));
		mp_buf_addc(&where, ' ');
		mp_utf8_sanitize(&where, nm->name, strlen(nm->name));
		mp_buf_printf(o, "bucket %s: %llu object%s, %llu with findings, %.1f MB; %llu finding%s (",
			      where.data ? where.data : "", (unsigned long long)a->objects,
			      a->objects == 1 ? "" : "s", (unsigned long long)a->with_findings,
			      (double)a->bytes / 1e6, (unsigned long long)a->findings,
			      a->findings == 1 ? "" : "s");
		text_classes(o, a->by_class);
		mp_buf_adds(o, ")\n");
		for (size_t i = 0; i < a->ntop; i++) {
			mp_buf_reset(&where);
			mp_utf8_sanitize(&where, a->top[i].path, a->top[i].pathlen);
			mp_buf_printf(o, "    %3u  %s (%llu finding%s)\n", a->top[i].score,
				      where.data ? where.data : "", (unsigned long long)a->top[i].findings,
				      a->top[i].findings == 1 ? "" : "s");
		}
		mp_buf_free(&where);
		return;
	}
	mp_buf_adds(o, "{\"type\":\"bucket\"");
	jw_name(o, ",\"root\":", ",\"root_base64\":", v->root, strlen(v->root));
	jw_name(o, ",\"bucket\":", ",\"bucket_base64\":", nm->name, strlen(nm->name));
	if (nm->other)
		mp_buf_adds(o, ",\"other\":true");
	jw_uint(o, ",\"population\":", nm->population);
	jw_uint(o, ",\"sampled\":", nm->sampled);
	jw_uint(o, ",\"objects\":", a->objects);
	jw_uint(o, ",\"objects_with_findings\":", a->with_findings);
	jw_uint(o, ",\"bytes\":", a->bytes);
	jw_uint(o, ",\"findings\":", a->findings);
	jw_classes(o, ",\"findings_by_class\":", a->by_class);
	mp_buf_adds(o, ",\"findings_by_rule\":{");
	for (size_t i = 0; a->by_rule && i < v->rules->n; i++) {
		if (a->by_rule[i] == 0)
			continue;
		if (!first)
			mp_buf_addc(o, ',');
		first = false;
		jw_str(o, v->rules->rules[i].id, strlen(v->rules->rules[i].id));
		jw_uint(o, ":", a->by_rule[i]);
	}
	mp_buf_adds(o, "},\"objects_by_type\":{");
	first = true;
	for (unsigned t = 0; a->by_type && t < MP_UNPACK_NTYPES; t++) {
		if (a->by_type[t] == 0)
			continue;
		if (!first)
			mp_buf_addc(o, ',');
		first = false;
		jw_str(o, mp_unpack_type_name(t), strlen(mp_unpack_type_name(t)));
		jw_uint(o, ":", a->by_type[t]);
	}
	mp_buf_adds(o, "},\"top\":[");
	for (size_t i = 0; i < a->ntop; i++) {
		const struct mp_top *t = &a->top[i];
		if (i > 0)
			mp_buf_addc(o, ',');
		jw_name(o, "{\"path\":", ",\"path_base64\":", t->path, t->pathlen);
		jw_uint(o, ",\"score\":", t->score);
		jw_uint(o, ",\"findings\":", t->findings);
		jw_classes(o, ",\"findings_by_class\":", t->by_class);
		mp_buf_addc(o, '}');
	}
	mp_buf_addc(o, ']');
	if (v->sampling) {
		uint64_t pop = nm->population, smp = nm->sampled;
		uint64_t est[MP_CLASS__COUNT];
		for (int c = 0; c < MP_CLASS__COUNT; c++)
			est[c] = mp_estimate(a->by_class[c], pop, smp);
		jw_uint(o,
			",\"estimate\":{\"objects_with_findings\":", mp_estimate(a->with_findings, pop, smp));
		jw_uint(o, ",\"findings\":", mp_estimate(a->findings, pop, smp));
		jw_classes(o, ",\"findings_by_class\":", est);
		mp_buf_addc(o, '}');
	}
	mp_buf_adds(o, "}\n");
}

int mp_sink_finish(struct mp_sink *s, const struct mp_summary *sum, bool quiet)
{
	const struct mp_stats *st = sum->stats;
	struct mp_batch b;

	if (s->fmt == MP_FMT_SARIF) {
		struct mp_sarif_run run = {.rules = sum->rules, .stats = st, .successful = !sum->failed};
		if (s->held_full)
			mp_log_error("SARIF output: more than %zu bytes of results to hold",
				     (size_t)MP_SARIF_HELD_MAX);
		if (s->held_full || mp_sarif_write(s->out, s->held.data, s->held.len, &run) != 0)
			s->write_failed = true;
		if (fflush(s->out) != 0 || ferror(s->out))
			s->write_failed = true;
		return s->write_failed ? -1 : 0;
	}
	mp_batch_init(&b);
	if (s->fmt == MP_FMT_TEXT) {
		char more[128] = "";
		size_t k;
		if (st->unreported > 0)
			snprintf(more, sizeof more, " (and %llu more counted, not shown)",
				 (unsigned long long)st->unreported);
		k = strlen(more);
		if (st->suppressed > 0)
			snprintf(more + k, sizeof more - k, ", %llu suppressed by the baseline",
				 (unsigned long long)st->suppressed);
		if (!quiet && sum->sample) {
			const struct mp_sample_summary *sm = sum->sample;
			mp_buf_printf(
				&b.buf,
				"magpie: sample of %g: %llu of %llu objects; estimated %llu objects with "
				"findings, %llu findings (",
				sm->fraction, (unsigned long long)sm->sampled,
				(unsigned long long)sm->population,
				(unsigned long long)mp_estimate(sm->with_findings, sm->population,
								sm->sampled),
				(unsigned long long)mp_estimate(sm->findings, sm->population, sm->sampled));
			uint64_t est[MP_CLASS__COUNT];
			for (int c = 0; c < MP_CLASS__COUNT; c++)
				est[c] = mp_estimate(sm->by_class[c], sm->population, sm->sampled);
			text_classes(&b.buf, est);
			mp_buf_adds(&b.buf, ")\n");
		}
		if (!quiet)
			mp_buf_printf(&b.buf,
				      "magpie: %llu finding%s%s, %llu notice%s; %llu file%s, %.1f MB scanned "
				      "in %.2f s\n",
				      (unsigned long long)st->findings, st->findings == 1 ? "" : "s", more,
				      (unsigned long long)st->notices, st->notices == 1 ? "" : "s",
				      (unsigned long long)st->files, st->files == 1 ? "" : "s",
				      (double)st->bytes / 1e6, sum->elapsed);
	} else if (sum->summary_json != NULL) {
		mp_buf_adds(&b.buf, sum->summary_json);
		mp_buf_addc(&b.buf, '\n');
	} else {
		json_object *o = json_object_new_object();
		json_object *byr = json_object_new_object();
		json_object *byk = json_object_new_object();
		json_object *sk = json_object_new_object();
		char el[32];

		json_object_object_add(o, "type", json_object_new_string("summary"));
		json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
		json_object_object_add(o, "files", jint(st->files));
		json_object_object_add(o, "bytes", jint(st->bytes));
		json_object_object_add(o, "archives", jint(st->archives));
		json_object_object_add(o, "members", jint(st->members));
		json_object_object_add(o, "expanded_bytes", jint(st->expanded));
		json_object_object_add(o, "binaries", jint(st->binaries));
		json_object_object_add(o, "utf16", jint(st->utf16));
		json_object_object_add(o, "findings", jint(st->findings));
		json_object_object_add(o, "objects_with_findings", jint(st->with_findings));
		for (size_t i = 0; i < st->nrules; i++)
			if (st->by_rule[i] > 0)
				json_object_object_add(byr, sum->rules->rules[i].id, jint(st->by_rule[i]));
		json_object_object_add(o, "findings_by_rule", byr);
		json_object_object_add(o, "suppressed", jint(st->suppressed));
		json_object *ubr = json_object_new_object();
		json_object_object_add(o, "unreported_findings", jint(st->unreported));
		for (size_t i = 0; i < st->nrules; i++)
			if (st->unreported_by_rule[i] > 0)
				json_object_object_add(ubr, sum->rules->rules[i].id,
						       jint(st->unreported_by_rule[i]));
		json_object_object_add(o, "unreported_by_rule", ubr);
		json_object_object_add(o, "notices", jint(st->notices));
		for (int k = 0; k < MP_NK__COUNT; k++)
			if (st->by_kind[k] > 0)
				json_object_object_add(byk, mp_notice_kind_name((enum mp_notice_kind)k),
						       jint(st->by_kind[k]));
		json_object_object_add(o, "notices_by_kind", byk);
		json_object_object_add(sk, "symlinks", jint(st->skipped_symlinks));
		json_object_object_add(sk, "excluded", jint(st->skipped_excluded));
		json_object_object_add(sk, "other_shards", jint(st->skipped_shard));
		json_object_object_add(sk, "not_sampled", jint(st->skipped_sample));
		json_object_object_add(sk, "system", jint(st->skipped_system));
		json_object_object_add(sk, "test_values", jint(st->skipped_test_values));
		json_object_object_add(sk, "media", jint(st->skipped_media));
		json_object_object_add(sk, "binary", jint(st->skipped_binary));
		json_object_object_add(sk, "not_added_lines", jint(st->skipped_not_added));
		json_object_object_add(o, "skipped", sk);
		if (sum->sample) {
			const struct mp_sample_summary *sm = sum->sample;
			json_object *so = json_object_new_object(), *est = json_object_new_object();
			json_object *bc = json_object_new_object(), *ebc = json_object_new_object();
			char fr[32];
			snprintf(fr, sizeof fr, "%g", sm->fraction);
			json_object_object_add(so, "fraction", json_object_new_double_s(sm->fraction, fr));
			json_object_object_add(so, "population", jint(sm->population));
			json_object_object_add(so, "sampled", jint(sm->sampled));
			json_object_object_add(so, "objects_with_findings", jint(sm->with_findings));
			json_object_object_add(so, "findings", jint(sm->findings));
			for (int c = 0; c < MP_CLASS__COUNT; c++) {
				json_object_object_add(bc, mp_class_name((enum mp_class)c),
						       jint(sm->by_class[c]));
				json_object_object_add(
					ebc, mp_class_name((enum mp_class)c),
					jint(mp_estimate(sm->by_class[c], sm->population, sm->sampled)));
			}
			json_object_object_add(so, "findings_by_class", bc);
			json_object_object_add(
				est, "objects_with_findings",
				jint(mp_estimate(sm->with_findings, sm->population, sm->sampled)));
			json_object_object_add(est, "findings",
					       jint(mp_estimate(sm->findings, sm->population, sm->sampled)));
			json_object_object_add(est, "findings_by_class", ebc);
			json_object_object_add(so, "estimate", est);
			json_object_object_add(o, "sample", so);
		}
		json_object_object_add(o, "rules", jint(mp_rules_enabled(sum->rules)));
		json_object_object_add(o, "threads", jint(sum->threads));
		if (sum->shard_n > 0) {
			json_object *sh = json_object_new_object();
			json_object_object_add(sh, "index", jint(sum->shard_k));
			json_object_object_add(sh, "count", jint(sum->shard_n));
			json_object_object_add(sh, "source", json_object_new_string(sum->shard_source));
			json_object_object_add(o, "shard", sh);
		}
		if (sum->config_hash != NULL)
			json_object_object_add(o, "config_hash", json_object_new_string(sum->config_hash));
		snprintf(el, sizeof el, "%.3f", sum->elapsed);
		json_object_object_add(o, "elapsed_seconds", json_object_new_double_s(sum->elapsed, el));
		put_json(&b, o);
	}
	mp_sink_write(s, &b);
	mp_batch_free(&b);
	if (s->fmt == MP_FMT_JSON)
		emit_locked(s, "\n]\n", 3);
	if (fflush(s->out) != 0 || ferror(s->out))
		s->write_failed = true;
	return s->write_failed ? -1 : 0;
}
