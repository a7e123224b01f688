/* text.c - UTF-16 to UTF-8, streaming. */
#include "mp_config.h"

#include <string.h>

#include "text.h"

static size_t put(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

size_t mp_utf16_to_utf8(const unsigned char *in, size_t n, bool be, bool final, char *out, size_t *used)
{
	size_t i = 0, k = 0;

	while (i + 2 <= n) {
		uint32_t u = be ? (uint32_t)in[i] << 8 | in[i + 1] : (uint32_t)in[i + 1] << 8 | in[i];
		if (u < 0x80) {
			out[k++] = (char)u; /* the common case */
			i += 2;
			continue;
		}
		if (u >= 0xd800 && u <= 0xdbff) {
			if (i + 4 > n && !final)
				break; /* the low half may come with the next bytes */
			if (i + 4 <= n) {
				uint32_t lo = be ? (uint32_t)in[i + 2] << 8 | in[i + 3]
						 : (uint32_t)in[i + 3] << 8 | in[i + 2];
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					k += put(out + k, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
					i += 4;
					continue;
				}
			}
			u = 0xfffd;
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			u = 0xfffd;
		}
		k += put(out + k, u);
		i += 2;
	}
	if (final && i < n) {
		k += put(out + k, 0xfffd); /* an odd last byte */
		i = n;
	}
	*used = i;
	return k;
}

uint64_t mp_utf8_units(const char *p, size_t n)
{
	uint64_t u = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		u += (c & 0xc0) != 0x80;
		u += c >= 0xf0;
	}
	return u;
}

void mp_utf16_init(struct mp_utf16 *t, const struct mp_reader *src, bool be)
{
	t->src = src;
	t->be = be;
	t->eof = false;
	t->in_len = 0;
	t->out_len = 0;
	t->out_off = 0;
}

static long utf16_read(void *ctx, void *buf, size_t n)
{
	struct mp_utf16 *t = ctx;
	size_t m;

	while (t->out_off == t->out_len) {
		size_t used;
		long k;
		if (t->eof)
			return 0;
		k = t->src->read(t->src->ctx, t->in + t->in_len, sizeof t->in - t->in_len);
		if (k < 0)
			return -1;
		if (k == 0)
			t->eof = true;
		t->in_len += (size_t)k;
		t->out_len = mp_utf16_to_utf8(t->in, t->in_len, t->be, t->eof, t->out, &used);
		t->out_off = 0;
		memmove(t->in, t->in + used, t->in_len - used);
		t->in_len -= used;
	}
	m = t->out_len - t->out_off < n ? t->out_len - t->out_off : n;
	memcpy(buf, t->out + t->out_off, m);
	t->out_off += m;
	return (long)m;
}

static const char *utf16_error(void *ctx)
{
	struct mp_utf16 *t = ctx;

	return t->src->error ? t->src->error(t->src->ctx) : "error";
}

struct mp_reader mp_utf16_reader(struct mp_utf16 *t)
{
	struct mp_reader r = {.read = utf16_read, .error = utf16_error, .ctx = t};

	return r;
}
