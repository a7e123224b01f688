/* test_buf.c - the capped growable buffer. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "buf.h"
#include "helpers.h"

Test(buf, init_allocates_nothing)
{
	struct mp_buf b;

	mp_buf_init(&b, 100);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.cap, 0);
	cr_assert_eq(b.max, 100);
	mp_buf_free(&b);
}

Test(buf, grows_across_many_appends)
{
	struct mp_buf b;
	char expect[10000];

	mp_buf_init(&b, sizeof expect);
	for (size_t i = 0; i < sizeof expect; i++) {
		expect[i] = (char)('a' + i % 26);
		cr_assert_eq(mp_buf_addc(&b, expect[i]), 0, "append %zu failed", i);
	}
	cr_assert_eq(b.len, sizeof expect);
	cr_assert_geq(b.cap, b.len + 1);
	cr_assert_eq(memcmp(b.data, expect, sizeof expect), 0);
	cr_assert_eq(b.data[b.len], '\0', "contents must stay NUL-terminated");
	mp_buf_free(&b);
}

Test(buf, large_single_append)
{
	struct mp_buf b;
	static char big[300000];

	memset(big, 'x', sizeof big);
	mp_buf_init(&b, 1u << 20);
	cr_assert_eq(mp_buf_add(&b, "ab", 2), 0);
	cr_assert_eq(mp_buf_add(&b, big, sizeof big), 0);
	cr_assert_eq(b.len, sizeof big + 2);
	cr_assert_eq(memcmp(b.data, "ab", 2), 0);
	cr_assert_eq(memcmp(b.data + 2, big, sizeof big), 0);
	cr_assert_eq(b.data[b.len], '\0');
	mp_buf_free(&b);
}

Test(buf, exactly_max_fits)
{
	struct mp_buf b;

	mp_buf_init(&b, 5);
	cr_assert_eq(mp_buf_adds(&b, "12345"), 0);
	cr_assert_str_eq(b.data, "12345");
	cr_assert_eq(b.len, 5);
	mp_buf_free(&b);
}

Test(buf, append_beyond_max_fails_and_leaves_contents)
{
	struct mp_buf b;

	mp_buf_init(&b, 8);
	cr_assert_eq(mp_buf_adds(&b, "hello"), 0);
	cr_assert_eq(mp_buf_adds(&b, "world"), -1, "5 + 5 bytes exceed a max of 8");
	cr_assert_eq(b.len, 5);
	cr_assert_str_eq(b.data, "hello");
	cr_assert_eq(mp_buf_addc(&b, '!'), 0);
	cr_assert_eq(mp_buf_adds(&b, "abc"), -1);
	cr_assert_eq(mp_buf_printf(&b, "%d", 123), -1);
	cr_assert_eq(b.len, 6);
	cr_assert_str_eq(b.data, "hello!");
	cr_assert_eq(mp_buf_adds(&b, "ab"), 0);
	cr_assert_str_eq(b.data, "hello!ab");
	cr_assert_eq(mp_buf_addc(&b, 'z'), -1);
	cr_assert_str_eq(b.data, "hello!ab");
	mp_buf_free(&b);
}

Test(buf, zero_max_refuses_everything_but_empty)
{
	struct mp_buf b;

	mp_buf_init(&b, 0);
	cr_assert_eq(mp_buf_addc(&b, 'a'), -1);
	cr_assert_eq(b.len, 0);
	mp_buf_free(&b);
}

/* Regression: b->len + n once wrapped for a huge n, so the append was
 * accepted and memcpy() asked for n bytes. */
Test(buf, huge_length_does_not_wrap)
{
	struct mp_buf b;

	mp_buf_init(&b, (size_t)-1);
	cr_assert_eq(mp_buf_adds(&b, "ab"), 0);
	/* len + n overflows size_t: must be refused, not wrap around. */
	cr_assert_eq(mp_buf_add(&b, "x", (size_t)-1), -1);
	cr_assert_str_eq(b.data, "ab");
	mp_buf_free(&b);
}

Test(buf, printf_appends_formatted)
{
	struct mp_buf b;

	mp_buf_init(&b, 1024);
	cr_assert_eq(mp_buf_adds(&b, "n="), 0);
	cr_assert_eq(mp_buf_printf(&b, "%d,%s,%05.1f", 42, "xy", 3.14159), 0);
	cr_assert_str_eq(b.data, "n=42,xy,003.1");
	cr_assert_eq(b.len, strlen("n=42,xy,003.1"));
	/* A long expansion forces growth inside printf. */
	cr_assert_eq(mp_buf_printf(&b, "%600s|", "r"), 0);
	cr_assert_eq(b.len, 13 + 601);
	cr_assert_eq(b.data[b.len - 1], '|');
	cr_assert_eq(b.data[b.len - 2], 'r');
	cr_assert_eq(b.data[13], ' ');
	mp_buf_free(&b);
}

Test(buf, printf_respects_max)
{
	struct mp_buf b;

	mp_buf_init(&b, 6);
	cr_assert_eq(mp_buf_printf(&b, "%s", "abc"), 0);
	cr_assert_eq(mp_buf_printf(&b, "%s", "defg"), -1);
	cr_assert_str_eq(b.data, "abc");
	cr_assert_eq(mp_buf_printf(&b, "%s", "def"), 0);
	cr_assert_str_eq(b.data, "abcdef");
	mp_buf_free(&b);
}

Test(buf, reset_keeps_memory)
{
	struct mp_buf b;

	mp_buf_init(&b, 4096);
	cr_assert_eq(mp_buf_printf(&b, "%1000s", "q"), 0);
	size_t cap = b.cap;
	char *data = b.data;
	mp_buf_reset(&b);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.cap, cap);
	cr_assert_eq(b.data, data, "reset must keep the allocation");
	cr_assert_str_eq(b.data, "");
	cr_assert_eq(mp_buf_adds(&b, "new"), 0);
	cr_assert_str_eq(b.data, "new");
	mp_buf_free(&b);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
}

Test(buf, reset_and_free_accept_empty)
{
	struct mp_buf b;

	mp_buf_init(&b, 10);
	mp_buf_reset(&b);
	cr_assert_eq(b.len, 0);
	mp_buf_free(&b);
	struct mp_buf z;
	memset(&z, 0, sizeof z);
	mp_buf_free(&z);
	cr_assert_null(z.data);
}

Test(buf, binary_bytes_preserved)
{
	struct mp_buf b;
	const char bin[] = {'a', '\0', 'b', '\xff', '\n'};

	mp_buf_init(&b, 64);
	cr_assert_eq(mp_buf_add(&b, bin, sizeof bin), 0);
	cr_assert_eq(b.len, sizeof bin);
	cr_assert_eq(memcmp(b.data, bin, sizeof bin), 0);
	cr_assert_eq(mp_buf_add(&b, NULL, 0), 0);
	cr_assert_eq(b.len, sizeof bin);
	mp_buf_free(&b);
}
