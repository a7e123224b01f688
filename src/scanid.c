/* scanid.c - the configuration hash that shards of one scan share. */
#include "mp_config.h"

#include "scanid.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

/* Each field is a tag, a length and the bytes: no two different
 * configurations serialize to the same stream. */
static void put(EVP_MD_CTX *md, char tag, const void *p, size_t n)
{
	unsigned char hdr[9];
	uint64_t len = n;

	hdr[0] = (unsigned char)tag;
	for (int i = 0; i < 8; i++)
		hdr[1 + i] = (unsigned char)(len >> (56 - 8 * i));
	EVP_DigestUpdate(md, hdr, sizeof hdr);
	if (n > 0)
		EVP_DigestUpdate(md, p, n);
}

static void put_str(EVP_MD_CTX *md, char tag, const char *s)
{
	put(md, tag, s ? s : "", s ? strlen(s) : 0);
}

static void put_u64(EVP_MD_CTX *md, char tag, uint64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
	put(md, tag, buf, (size_t)n);
}

static void put_strs(EVP_MD_CTX *md, char tag, char *const *v, size_t n)
{
	put_u64(md, tag, n);
	for (size_t i = 0; i < n; i++)
		put_str(md, tag, v[i]);
}

static void put_rule(EVP_MD_CTX *md, const struct mp_rule *r)
{
	char num[40];

	put_str(md, 'i', r->id);
	put_str(md, 'p', r->pattern);
	put_u64(md, 'c', r->category);
	put_u64(md, 's', r->severity);
	put_u64(md, 'C', r->confidence);
	put_u64(md, 'm', r->max_length);
	put_strs(md, 'k', r->keywords, r->nkeywords);
	put_u64(md, 'd', r->kw_distance);
	put_u64(md, 'f',
		(uint64_t)r->kw_required | (uint64_t)r->kw_same_line << 1 | (uint64_t)r->yields << 2);
	put_strs(md, 'n', r->neg_keywords, r->nneg_keywords);
	put_u64(md, 'D', r->neg_distance);
	put_strs(md, 't', r->test_values, r->ntest_values);
	snprintf(num, sizeof num, "%.17g", r->min_entropy);
	put_str(md, 'e', num);
	put_u64(md, 'g', r->digits_min);
	put_u64(md, 'G', r->digits_max);
	put_u64(md, 'v', r->validators);
}

/* The bytes of the configuration file, which holds the allowlists. */
static int put_file(EVP_MD_CTX *md, const char *path)
{
	char buf[8192];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	put_str(md, 'y', "config");
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		EVP_DigestUpdate(md, buf, n);
	int bad = ferror(f);
	fclose(f);
	return bad ? -1 : 0;
}

int mp_scan_config_hash(const struct mp_settings *s, const struct mp_ruleset *rs,
			const struct mp_baseline *base, double sample, char out[72])
{
	unsigned char h[EVP_MAX_MD_SIZE];
	char num[40];
	int rc = -1;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	put_str(md, 'V', "magpie scan configuration 1; " PACKAGE_VERSION);
	for (size_t i = 0; i < rs->n; i++)
		if (!rs->rules[i].disabled)
			put_rule(md, &rs->rules[i]);
	for (int i = 0; i < MP_CAP__COUNT; i++)
		put_u64(md, 'L', s->caps[i]);
	put_u64(md, 'o',
		(uint64_t)s->min_confidence | (uint64_t)s->include_test_values << 8 |
			(uint64_t)s->binary << 9 | (uint64_t)s->scan_media << 12 |
			(uint64_t)s->show_secrets << 13 | (uint64_t)s->follow_symlinks << 14 |
			(uint64_t)s->one_file_system << 15 | (uint64_t)s->fail_on << 16 |
			(uint64_t)s->exit_zero << 24);
	put_strs(md, 'x', s->ignore.globs, s->ignore.n);
	put_u64(md, 'R', (uint64_t)s->report_objects | (uint64_t)s->report_buckets << 1);
	put_u64(md, 'n', s->report_objects ? s->report_samples : 0);
	snprintf(num, sizeof num, "%.17g", sample >= 1 ? 0 : sample); /* a sample of all is no sample */
	put_str(md, 'S', num);
	if (base != NULL) {
		put_u64(md, 'b', base->n);
		for (size_t i = 0; i < base->n; i++) {
			put_str(md, 'b', base->e[i].rule);
			put_str(md, 'b', base->e[i].fingerprint);
		}
	}
	if (s->config != NULL && s->config->path != NULL && put_file(md, s->config->path) != 0)
		goto out;
	put_strs(md, 'r', s->paths, s->npaths);
	unsigned int hl = 0;
	if (EVP_DigestFinal_ex(md, h, &hl) != 1 || hl != 32)
		goto out;
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", h[i]);
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}
