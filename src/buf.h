/* buf.h - a growable byte buffer with a hard maximum, fixed at creation. */
#ifndef MP_BUF_H
#define MP_BUF_H

#include <stddef.h>

struct mp_buf {
	char *data; /* NUL-terminated when len > 0 */
	size_t len; /* bytes used, excluding the terminator */
	size_t cap; /* bytes allocated */
	size_t max; /* the most len may ever reach */
};

/* An empty buffer that may grow to max bytes. Allocates nothing yet. */
void mp_buf_init(struct mp_buf *b, size_t max);
/* Append n bytes. Returns 0, or -1 when max would be exceeded or memory ran
 * out; the buffer is unchanged then. */
int mp_buf_add(struct mp_buf *b, const void *p, size_t n);
int mp_buf_adds(struct mp_buf *b, const char *s);
int mp_buf_addc(struct mp_buf *b, char c);
int mp_buf_printf(struct mp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Forget the contents, keep the memory. */
void mp_buf_reset(struct mp_buf *b);
/* Release the memory. Accepts a zeroed buffer. */
void mp_buf_free(struct mp_buf *b);

/* Make room for element n of a growable array *arr of *cap elements of
 * `size` bytes each, doubling from `initial`. Returns 0, or -1 when out of
 * memory (the array is unchanged then). */
int mp_array_grow(void *arr, size_t *cap, size_t n, size_t size, size_t initial);

#endif
