/* buf.c - capped growable buffers. */
#include "mp_config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void mp_buf_init(struct mp_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static int grow(struct mp_buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (need > b->max || need + 1 < need)
		return -1;
	if (need + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need + 1)
		cap *= 2;
	if (b->max < SIZE_MAX && cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->data, cap);
	if (p == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int mp_buf_add(struct mp_buf *b, const void *p, size_t n)
{
	if (n > b->max - b->len || grow(b, b->len + n) != 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int mp_buf_adds(struct mp_buf *b, const char *s)
{
	return mp_buf_add(b, s, strlen(s));
}

int mp_buf_addc(struct mp_buf *b, char c)
{
	return mp_buf_add(b, &c, 1);
}

int mp_buf_printf(struct mp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, b->len + (size_t)n) != 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void mp_buf_reset(struct mp_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void mp_buf_free(struct mp_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int mp_array_grow(void *arr, size_t *cap, size_t n, size_t size, size_t initial)
{
	void **p = arr;
	size_t c = *cap;
	void *q;

	if (n < c)
		return 0;
	c = c ? c * 2 : initial;
	while (c <= n)
		c *= 2;
	if (c > SIZE_MAX / size)
		return -1;
	q = realloc(*p, c * size);
	if (q == NULL)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}
