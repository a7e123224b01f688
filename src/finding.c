/* finding.c - redaction, fingerprints, UTF-8 hygiene. */
#include "mp_config.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "finding.h"

size_t mp_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool mp_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t k = mp_utf8_seq(u + i, n - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

static int utf8_clean(struct mp_buf *out, const char *s, size_t n, bool keep_controls)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;

	while (i < n) {
		size_t k = mp_utf8_seq(u + i, n - i);
		if (k == 1 && (keep_controls || ((u[i] >= 0x20 || u[i] == '\t') && u[i] != 0x7f))) {
			i++;
			run++;
			continue;
		}
		if (k > 1) {
			i += k;
			run += k;
			continue;
		}
		if (mp_buf_add(out, s + i - run, run) != 0 || mp_buf_adds(out, "\xef\xbf\xbd") != 0)
			return -1;
		run = 0;
		i++;
	}
	return mp_buf_add(out, s + i - run, run);
}

int mp_utf8_sanitize(struct mp_buf *out, const char *s, size_t n)
{
	return utf8_clean(out, s, n, false);
}

int mp_utf8_lossy(struct mp_buf *out, const char *s, size_t n)
{
	return utf8_clean(out, s, n, true);
}

void mp_redact(const char *s, size_t n, struct mp_buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t chars = 0, shown_chars, end = 0;

	for (size_t i = 0; i < n;) {
		size_t k = mp_utf8_seq(u + i, n - i);
		i += k ? k : 1;
		chars++;
	}
	shown_chars = chars / 3;
	if (shown_chars > MP_REDACT_MAX_SHOWN)
		shown_chars = MP_REDACT_MAX_SHOWN;
	for (size_t c = 0; c < shown_chars && end < n; c++) {
		size_t k = mp_utf8_seq(u + end, n - end);
		end += k ? k : 1;
	}
	mp_utf8_sanitize(out, s, end);
	mp_buf_adds(out, "\xe2\x80\xa6");
}

void mp_fingerprint(const char *rule_id, const char *s, size_t n, char out[72])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char h[32];

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, rule_id, strlen(rule_id) + 1);
	EVP_DigestUpdate(md, s, n);
	EVP_DigestFinal_ex(md, h, NULL);
	EVP_MD_CTX_free(md);
	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", h[i]);
}
