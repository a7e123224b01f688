/* fuzz_structured.c - libFuzzer target: the CSV and JSON cursors on
 * arbitrary bytes, advanced in pieces whose sizes come from the input,
 * with every path rendered. Checks (by crashing) that advancing in pieces
 * ends where advancing at once does. Build: fuzz/README. */
#include "mp_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "structured.h"

static const char *rid(void *ctx, uint32_t rule)
{
	(void)ctx;
	(void)rule;
	return "r";
}

static void json_run(const char *p, size_t n, bool lines, const uint8_t *steps, size_t nsteps)
{
	struct mp_json_cursor a, b;
	char path[4096];

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	if (mp_json_alloc(&a, 16, 256) != 0 || mp_json_alloc(&b, 16, 256) != 0)
		goto out;
	mp_json_init(&a, lines, p, n);
	mp_json_init(&b, lines, p, n);
	uint64_t at = a.off;
	for (size_t i = 0; at < n; i++) {
		uint64_t step = nsteps ? steps[i % nsteps] + 1u : 7u;
		at = at + step > n ? n : at + step;
		mp_json_advance(&a, p, 0, at);
		mp_json_path_render(&a, path, sizeof path, rid, NULL);
		(void)mp_json_at_key(&a);
		(void)mp_json_in_value(&a);
		(void)mp_json_path_known(&a);
		for (uint32_t d = 0; d < 16; d++) {
			const char *k;
			(void)mp_json_component(&a, d, &k);
		}
	}
	mp_json_advance(&b, p, 0, n);
	char pb[4096];
	size_t la = mp_json_path_render(&a, path, sizeof path, rid, NULL);
	size_t lb = mp_json_path_render(&b, pb, sizeof pb, rid, NULL);
	if (a.off != b.off || la != lb || memcmp(path, pb, la) != 0 || mp_json_path_known(&a) != mp_json_path_known(&b))
		abort();
out:
	mp_json_free(&a);
	mp_json_free(&b);
}

static void csv_run(const char *p, size_t n, char delim, const uint8_t *steps, size_t nsteps)
{
	struct mp_csv_cursor a, b;
	struct mp_csv_header h;

	memset(&h, 0, sizeof h);
	mp_csv_header_parse(&h, p, n, delim, 64);
	mp_csv_header_free(&h);
	mp_csv_init(&a, delim, p, n);
	mp_csv_init(&b, delim, p, n);
	uint64_t at = 0;
	for (size_t i = 0; at < n; i++) {
		uint64_t step = nsteps ? steps[i % nsteps] + 1u : 5u;
		at = at + step > n ? n : at + step;
		mp_csv_advance(&a, p, 0, at);
	}
	mp_csv_advance(&b, p, 0, n);
	if (a.off != b.off || a.row != b.row || a.col != b.col || a.state != b.state)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_struct_info info;

	if (size < 2)
		return 0;
	/* First byte: mode; next 8: piece sizes; the rest: the object. */
	uint8_t mode = data[0];
	size_t nsteps = size > 9 ? 8 : 0;
	const uint8_t *steps = data + 1;
	const char *p = (const char *)data + 1 + nsteps;
	size_t n = size - 1 - nsteps;
	static const char delims[] = {',', '\t', ';', '|'};

	mp_struct_detect((mode & 1) ? "x.csv" : "x.json", p, n, &info);
	if (mode & 2)
		csv_run(p, n, delims[(mode >> 2) & 3], steps, nsteps);
	else
		json_run(p, n, (mode & 4) != 0, steps, nsteps);
	return 0;
}
