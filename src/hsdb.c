/* hsdb.c - compile, serialize and reload the pattern database.
 *
 * Cache file layout (all integers little-endian as written by this host; the
 * key covers the platform, so a foreign file never matches):
 *   "MPHSDB04"  magic
 *   key[32]     SHA-256 of engine version, Vectorscan version, platform,
 *               match-width cap and every rule's pattern, max_length and
 *               (for keyword-gated rules) keywords
 *   u32 n       rules
 *   u32 meta[n] width | digit_run << 29 | gated << 30 | prefilter << 31
 *   sum[32]     SHA-256 of the payload
 *   u64 len     payload bytes
 *   payload     hs_serialize_database output
 * A file that fails any check is ignored and rewritten.
 */
#include "mp_config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hsdb.h"
#include "keywords.h"
#include "log.h"

#define CACHE_MAGIC "MPHSDB05"
#define CACHE_MAX   (512u << 20) /* a cache file larger than this is ignored */

char *mp_hsdb_cache_dir(const struct mp_hsdb_opts *opts)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *dir = NULL;

	if (opts->cache_dir)
		return strdup(opts->cache_dir);
	if (x && x[0] == '/') {
		if (asprintf(&dir, "%s/magpie", x) < 0)
			return NULL;
	} else if (home && home[0] == '/') {
		if (asprintf(&dir, "%s/.cache/magpie", home) < 0)
			return NULL;
	}
	return dir;
}

static void compute_key(const struct mp_ruleset *rs, uint64_t width_cap, unsigned char key[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	hs_platform_info_t plat;
	const char *v = hs_version();

	memset(&plat, 0, sizeof plat);
	hs_populate_platform(&plat);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, CACHE_MAGIC PACKAGE_VERSION, sizeof CACHE_MAGIC PACKAGE_VERSION);
	EVP_DigestUpdate(md, v, strlen(v) + 1);
	EVP_DigestUpdate(md, &plat, sizeof plat);
	EVP_DigestUpdate(md, &width_cap, sizeof width_cap);
	for (size_t i = 0; i < rs->n; i++) {
		const struct mp_rule *r = &rs->rules[i];
		EVP_DigestUpdate(md, r->pattern, strlen(r->pattern) + 1);
		EVP_DigestUpdate(md, &r->max_length, sizeof r->max_length);
		EVP_DigestUpdate(md, &r->kw_required, sizeof r->kw_required);
		for (size_t k = 0; r->kw_required && k < r->nkeywords; k++)
			EVP_DigestUpdate(md, r->keywords[k], strlen(r->keywords[k]) + 1);
		EVP_DigestUpdate(md, &r->digits_min, sizeof r->digits_min);
		EVP_DigestUpdate(md, &r->category, sizeof r->category);
	}
	EVP_DigestFinal_ex(md, key, NULL);
	EVP_MD_CTX_free(md);
}

static void add_error(struct mp_ruleset *rs, const struct mp_rule *r, const char *what, const char *detail)
{
	mp_rules_add_error(rs, r->file, r->line, "rule '%s': %s%s", r->id, what, detail ? detail : "");
}

char *mp_hsdb_keyword_expr(const char *kw)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(kw);
	/* The longest form of one byte is the 6-byte class "[ _\-]". */
	char *e = malloc(n * 6 + 1), *p = e;

	if (e == NULL)
		return NULL;
	for (const unsigned char *k = (const unsigned char *)kw; *k; k++) {
		if (*k == ' ' || *k == '_' || *k == '-') {
			memcpy(p, "[ _\\-]", 6);
			p += 6;
		} else if ((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9')) {
			*p++ = (char)*k;
		} else {
			/* Anything else, metacharacters and UTF-8 bytes alike, as \xHH. */
			*p++ = '\\';
			*p++ = 'x';
			*p++ = hex[*k >> 4];
			*p++ = hex[*k & 15];
		}
	}
	*p = '\0';
	return e;
}

/* Decide each rule's width and mode; disable the ones that cannot work. */
static void check_rules(struct mp_ruleset *rs, uint64_t width_cap)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct mp_rule *r = &rs->rules[i];
		hs_expr_info_t *info = NULL;
		hs_compile_error_t *cerr = NULL;
		int pcre_err;
		PCRE2_SIZE pcre_off;
		char detail[300];

		r->disabled = false;
		r->prefilter = false;
		r->gated = r->kw_required && r->nkeywords > 0;
		r->digit_run = !r->gated && r->digits_min > 0;
		pcre2_code *code = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED, 0, &pcre_err,
						 &pcre_off, NULL);
		if (code == NULL) {
			PCRE2_UCHAR m[200];
			pcre2_get_error_message(pcre_err, m, sizeof m);
			snprintf(detail, sizeof detail, "%s at offset %zu", (char *)m, (size_t)pcre_off);
			add_error(rs, r, "pattern does not compile: ", detail);
			r->disabled = true;
			continue;
		}
		pcre2_code_free(code);
		if (hs_expression_info(r->pattern, 0, &info, &cerr) != HS_SUCCESS) {
			hs_free_compile_error(cerr);
			cerr = NULL;
			if (hs_expression_info(r->pattern, HS_FLAG_PREFILTER, &info, &cerr) != HS_SUCCESS) {
				add_error(rs, r,
					  "Vectorscan rejects the pattern: ", cerr ? cerr->message : "?");
				hs_free_compile_error(cerr);
				r->disabled = true;
				continue;
			}
			r->prefilter = true;
		}
		if (info->max_width == UINT_MAX && r->max_length == 0) {
			add_error(rs, r, "the pattern can match unbounded text; declare max_length", NULL);
			r->disabled = true;
		} else {
			r->width = r->max_length ? r->max_length : info->max_width;
			if (r->width > width_cap) {
				snprintf(detail, sizeof detail,
					 "%u bytes is over the match-width limit (%llu)", r->width,
					 (unsigned long long)width_cap);
				add_error(rs, r, "match width: ", detail);
				r->disabled = true;
			}
		}
		free(info);
	}
}

/* Which database a rule's expressions go to: see hsdb.h. Depends only on
 * fields the cache restores, so a cached set is split the same way. */
static unsigned db_group(const struct mp_rule *r, unsigned *next)
{
	if (r->category != MP_CAT_PII || r->gated || r->digit_run)
		return 0;
	return *next < MP_HSDB_MAX - 1 ? (*next)++ : MP_HSDB_MAX - 1;
}

/* Cache file: magic, key, rule count, one word per rule (width and mode
 * bits), database count, then per database its SHA-256, length and bytes. */
static int read_cache(const char *path, struct mp_ruleset *rs, const unsigned char key[32],
		      struct mp_hsdb *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	unsigned char *data = NULL, sum[32];
	size_t off, n = rs->n, size;
	uint32_t nr, ndb;
	int rc = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 8 + 32 + 4 + 4 ||
	    (uint64_t)st.st_size > CACHE_MAX)
		goto out;
	size = (size_t)st.st_size;
	data = malloc(size);
	if (data == NULL)
		goto out;
	for (off = 0; off < size;) {
		ssize_t got = read(fd, data + off, size - off);
		if (got <= 0)
			goto out;
		off += (size_t)got;
	}
	if (memcmp(data, CACHE_MAGIC, 8) != 0 || memcmp(data + 8, key, 32) != 0)
		goto out;
	memcpy(&nr, data + 40, 4);
	if (nr != n || size < 44 + 4 * n + 4)
		goto out;
	off = 44 + 4 * n;
	memcpy(&ndb, data + off, 4);
	off += 4;
	if (ndb == 0 || ndb > MP_HSDB_MAX)
		goto out;
	for (uint32_t d = 0; d < ndb; d++) {
		uint64_t len;
		if (size - off < 40)
			goto fail;
		memcpy(&len, data + off + 32, 8);
		if (len > size - off - 40)
			goto fail;
		EVP_Digest(data + off + 40, len, sum, NULL, EVP_sha256(), NULL);
		if (memcmp(sum, data + off, 32) != 0 ||
		    hs_deserialize_database((const char *)data + off + 40, len, &out->db[d]) != HS_SUCCESS)
			goto fail;
		out->ndb = d + 1;
		off += 40 + len;
	}
	if (off != size)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		uint32_t m;
		memcpy(&m, data + 44 + 4 * i, 4);
		rs->rules[i].width = m & 0x1fffffffu;
		rs->rules[i].prefilter = (m >> 31) != 0;
		rs->rules[i].gated = ((m >> 30) & 1) != 0;
		rs->rules[i].digit_run = ((m >> 29) & 1) != 0;
		rs->rules[i].disabled = false;
	}
	rc = 0;
	goto out;
fail:
	for (unsigned d = 0; d < out->ndb; d++)
		hs_free_database(out->db[d]);
	out->ndb = 0;
out:
	free(data);
	close(fd);
	return rc;
}

static int mkdirs(const char *dir)
{
	char *p = strdup(dir);
	int rc = 0;

	if (p == NULL)
		return -1;
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0700) != 0 && errno != EEXIST)
				rc = -1;
			*s = '/';
		}
	}
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

static void write_cache(const char *dir, const char *path, const struct mp_ruleset *rs,
			const unsigned char key[32], const struct mp_hsdb *h)
{
	char *tmp = NULL;
	uint32_t nr = (uint32_t)rs->n, ndb = h->ndb;
	FILE *f = NULL;
	int ok = 1;

	if (mkdirs(dir) != 0)
		return;
	if (asprintf(&tmp, "%s.%ld.tmp", path, (long)getpid()) < 0)
		return;
	f = fopen(tmp, "wb");
	if (f == NULL)
		goto out;
	ok &= fwrite(CACHE_MAGIC, 8, 1, f) == 1;
	ok &= fwrite(key, 32, 1, f) == 1;
	ok &= fwrite(&nr, 4, 1, f) == 1;
	for (size_t i = 0; i < rs->n; i++) {
		uint32_t m = rs->rules[i].width | (rs->rules[i].prefilter ? 0x80000000u : 0) |
			     (rs->rules[i].gated ? 0x40000000u : 0) |
			     (rs->rules[i].digit_run ? 0x20000000u : 0);
		ok &= fwrite(&m, 4, 1, f) == 1;
	}
	ok &= fwrite(&ndb, 4, 1, f) == 1;
	for (unsigned d = 0; d < h->ndb && ok; d++) {
		char *bytes = NULL;
		size_t len = 0;
		unsigned char sum[32];
		uint64_t len64;
		if (hs_serialize_database(h->db[d], &bytes, &len) != HS_SUCCESS) {
			ok = 0;
			break;
		}
		EVP_Digest(bytes, len, sum, NULL, EVP_sha256(), NULL);
		len64 = len;
		ok &= fwrite(sum, 32, 1, f) == 1;
		ok &= fwrite(&len64, 8, 1, f) == 1;
		ok &= fwrite(bytes, len, 1, f) == 1;
		free(bytes);
	}
	if (fclose(f) != 0)
		ok = 0;
	/* Rename is atomic: a concurrent reader sees the old file or the new one. */
	if (!ok || rename(tmp, path) != 0)
		unlink(tmp);
out:
	free(tmp);
}

/* Compile expressions 0..n-1 into one database per group (groups[i] <
 * MP_HSDB_MAX), skipping empty groups. Returns 0, or -1 with err set. */
static int compile_groups(const char **exprs, const unsigned *flags, const unsigned *ids,
			  const unsigned *groups, unsigned n, struct mp_hsdb *out, char *err, size_t errlen)
{
	const char **ge = calloc(n, sizeof *ge);
	unsigned *gf = calloc(n, sizeof *gf), *gi = calloc(n, sizeof *gi);
	int rc = -1;

	if (ge == NULL || gf == NULL || gi == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (unsigned g = 0; g < MP_HSDB_MAX; g++) {
		hs_compile_error_t *cerr = NULL;
		unsigned k = 0;
		for (unsigned j = 0; j < n; j++) {
			if (groups[j] == g) {
				ge[k] = exprs[j];
				gf[k] = flags[j];
				gi[k++] = ids[j];
			}
		}
		if (k == 0)
			continue;
		if (hs_compile_multi(ge, gf, gi, k, HS_MODE_BLOCK, NULL, &out->db[out->ndb], &cerr) !=
		    HS_SUCCESS) {
			snprintf(err, errlen, "cannot build the pattern database: %s (pattern %d)",
				 cerr ? cerr->message : "?", cerr ? cerr->expression : -1);
			hs_free_compile_error(cerr);
			goto out;
		}
		out->ndb++;
	}
	rc = 0;
out:
	free(ge);
	free(gf);
	free(gi);
	return rc;
}

int mp_hsdb_build(struct mp_ruleset *rs, const struct mp_hsdb_opts *opts, struct mp_hsdb *out, char *err,
		  size_t errlen)
{
	unsigned char key[32];
	char hex[65], *dir = NULL, *path = NULL;
	const char **exprs = NULL;
	char **owned = NULL; /* keyword expressions we made */
	size_t nexpr = 0;
	unsigned *flags = NULL, *ids = NULL, *groups = NULL;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (rs->n == 0) {
		snprintf(err, errlen, "no rules loaded");
		return -1;
	}
	for (size_t i = 0; i < rs->n; i++) {
		struct mp_rule *r = &rs->rules[i];
		mp_kwset_init(&r->kwset, r->keywords, r->nkeywords);
		mp_kwset_init(&r->neg_kwset, r->neg_keywords, r->nneg_keywords);
	}
	compute_key(rs, opts->match_width, key);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	if (opts->use_cache && (dir = mp_hsdb_cache_dir(opts)) != NULL &&
	    asprintf(&path, "%s/%s.hsdb", dir, hex) >= 0 && read_cache(path, rs, key, out) == 0) {
		out->from_cache = true;
		out->npatterns = (unsigned)rs->n;
	} else {
		check_rules(rs, opts->match_width);
		for (size_t i = 0; i < rs->n; i++)
			nexpr += rs->rules[i].gated ? rs->rules[i].nkeywords : 1;
		exprs = calloc(nexpr, sizeof *exprs);
		owned = calloc(nexpr, sizeof *owned);
		flags = calloc(nexpr, sizeof *flags);
		ids = calloc(nexpr, sizeof *ids);
		groups = calloc(nexpr, sizeof *groups);
		if (exprs == NULL || owned == NULL || flags == NULL || ids == NULL || groups == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		unsigned n = 0, nrules = 0, next = 1;
		for (size_t i = 0; i < rs->n; i++) {
			struct mp_rule *r = &rs->rules[i];
			if (r->disabled)
				continue;
			nrules++;
			if (r->digit_run)
				continue; /* found by the digit-run finder */
			unsigned g = db_group(r, &next);
			if (r->gated) {
				/* Several expressions may share the rule's id. */
				for (size_t k = 0; k < r->nkeywords; k++) {
					owned[n] = mp_hsdb_keyword_expr(r->keywords[k]);
					if (owned[n] == NULL) {
						snprintf(err, errlen, "out of memory");
						goto out;
					}
					exprs[n] = owned[n];
					flags[n] = HS_FLAG_CASELESS;
					groups[n] = g;
					ids[n++] = (unsigned)i;
				}
				continue;
			}
			exprs[n] = r->pattern;
			flags[n] = r->prefilter ? HS_FLAG_PREFILTER : 0;
			groups[n] = g;
			ids[n++] = (unsigned)i;
		}
		if (nrules == 0) {
			snprintf(err, errlen, "no usable rules");
			goto out;
		}
		/* A Vectorscan database needs one expression at least; a rule set
		 * of digit-run rules only gets a literal no text holds (if some
		 * binary did, rule 0 would only be searched there for nothing). */
		if (n == 0) {
			exprs[0] = "\\x00\\xff\\x01magpie:no-pattern\\x01\\xff\\x00";
			flags[0] = 0;
			ids[0] = 0;
			groups[0] = 0;
			n = 1;
		}
		if (compile_groups(exprs, flags, ids, groups, n, out, err, errlen) != 0)
			goto out;
		out->npatterns = nrules;
		/* Only a database made from every rule is worth caching: with a
		 * disabled rule the errors must be reported again next time. */
		if (opts->use_cache && path != NULL && nrules == rs->n)
			write_cache(dir, path, rs, key, out);
	}
	for (unsigned d = 0; d < out->ndb; d++) {
		if (hs_alloc_scratch(out->db[d], &out->scratch) != HS_SUCCESS) {
			snprintf(err, errlen, "cannot allocate Vectorscan scratch space");
			goto out;
		}
	}
	/* Which rule each one-rule database holds, for --profile: replay the
	 * grouping (empty groups were skipped when compiling). */
	{
		unsigned next = 1, d = 0;
		long first[MP_HSDB_MAX];
		unsigned count[MP_HSDB_MAX] = {0};
		for (unsigned g = 0; g < MP_HSDB_MAX; g++)
			first[g] = -1;
		for (size_t i = 0; i < rs->n; i++) {
			const struct mp_rule *r = &rs->rules[i];
			if (r->disabled || r->digit_run)
				continue;
			unsigned g = db_group(r, &next);
			if (count[g]++ == 0)
				first[g] = (long)i;
		}
		for (unsigned g = 0; g < MP_HSDB_MAX && d < out->ndb; g++)
			if (count[g] > 0)
				out->db_rule[d++] = count[g] == 1 && g > 0 ? first[g] : -1;
		while (d < out->ndb) /* the placeholder of a digit-run-only set */
			out->db_rule[d++] = -1;
	}
	rs->max_width = 0;
	rs->max_distance = 0;
	rs->max_gate_reach = 0;
	rs->digits_min = 0;
	for (size_t i = 0; i < rs->n; i++) {
		const struct mp_rule *r = &rs->rules[i];
		if (r->disabled)
			continue;
		if (r->width > rs->max_width)
			rs->max_width = r->width;
		if (r->kw_distance > rs->max_distance)
			rs->max_distance = r->kw_distance;
		if (r->neg_distance > rs->max_distance)
			rs->max_distance = r->neg_distance;
		if (r->digit_run && (rs->digits_min == 0 || r->digits_min < rs->digits_min))
			rs->digits_min = r->digits_min;
		if (r->gated && r->width + r->kw_distance + MP_RULE_KEYWORD_LEN_MAX > rs->max_gate_reach)
			rs->max_gate_reach = r->width + r->kw_distance + MP_RULE_KEYWORD_LEN_MAX;
	}
	rc = 0;
out:
	if (rc != 0)
		mp_hsdb_free(out);
	for (size_t i = 0; owned != NULL && i < nexpr; i++)
		free(owned[i]);
	free(owned);
	free(exprs);
	free(flags);
	free(ids);
	free(groups);
	free(path);
	free(dir);
	return rc;
}

void mp_hsdb_free(struct mp_hsdb *h)
{
	if (h->scratch)
		hs_free_scratch(h->scratch);
	for (unsigned d = 0; d < h->ndb; d++)
		hs_free_database(h->db[d]);
	memset(h, 0, sizeof *h);
}
