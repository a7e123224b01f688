/* test_pathhash.c - the stable path hash and what --shard and --sample take. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pathhash.h"

static uint64_t ph(const char *s)
{
	return mp_path_hash(s, strlen(s));
}

Test(pathhash, pinned_values)
{
	/* The first 8 bytes of SHA-256, big-endian: shards written by one
	 * version of magpie must be merged by another, so these never change. */
	cr_assert_eq(ph("a/b.csv"), 0x1c31892cca1230abULL);
	cr_assert_eq(ph("bucket-1/2024/05/orders.csv.gz"), 0xc30fb318dfa8d0e9ULL);
	cr_assert_eq(ph(""), 0xe3b0c44298fc1c14ULL);
}

Test(pathhash, leading_dot_slash_and_slash_ignored)
{
	cr_assert_eq(ph("./a/b.csv"), ph("a/b.csv"));
	cr_assert_eq(ph("/a/b.csv"), ph("a/b.csv"));
	cr_assert_eq(ph(".//./a/b.csv"), ph("a/b.csv"));
	cr_assert_neq(ph("a/b.csv/"), ph("a/b.csv"), "only leading separators are dropped");
	cr_assert_neq(ph("../a/b.csv"), ph("a/b.csv"));
}

Test(pathhash, trim_drops_only_leading_slashes_and_dot_slashes)
{
	const char *cases[][2] = {{"a/b", "a/b"},     {"./a/b", "a/b"}, {"/a/b", "a/b"}, {".//./a", "a"},
				  {"../a", "../a"},   {".a/b", ".a/b"}, {"a/./b", "a/./b"}, {"./", ""},
				  {"", ""},           {".", "."}};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t n = strlen(cases[i][0]);
		const char *t = mp_path_trim(cases[i][0], &n);
		cr_assert_eq(n, strlen(cases[i][1]), "%s", cases[i][0]);
		cr_assert(memcmp(t, cases[i][1], n) == 0, "%s -> %.*s", cases[i][0], (int)n, t);
	}
}

Test(pathhash, every_object_in_exactly_one_shard)
{
	unsigned per[7] = {0};

	for (int i = 0; i < 7000; i++) {
		char p[64];
		snprintf(p, sizeof p, "bucket/%d/object-%d.json", i % 13, i);
		uint64_t h = ph(p);
		int in = 0;
		for (uint32_t k = 0; k < 7; k++) {
			struct mp_select sel = {.shard_k = k, .shard_n = 7};
			if (mp_select_shard(&sel, h)) {
				in++;
				per[k]++;
			}
		}
		cr_assert_eq(in, 1, "%s is in %d shards", p, in);
	}
	for (int k = 0; k < 7; k++)
		cr_assert(per[k] > 850 && per[k] < 1150, "shard %d has %u of 7000", k, per[k]);
}

Test(pathhash, sample_takes_about_the_fraction_and_nests)
{
	struct mp_select s10 = {.sample = 0.10}, s30 = {.sample = 0.30}, all = {0};
	unsigned n10 = 0, n30 = 0;

	for (int i = 0; i < 20000; i++) {
		char p[64];
		snprintf(p, sizeof p, "logs/%05d.log.gz", i);
		uint64_t h = ph(p);
		bool a = mp_select_sample(&s10, h), b = mp_select_sample(&s30, h);
		n10 += a;
		n30 += b;
		cr_assert(!a || b, "a 10%% sample is inside the 30%% sample (%s)", p);
		cr_assert(mp_select_sample(&all, h));
	}
	cr_assert(n10 > 1800 && n10 < 2200, "10%% sample took %u of 20000", n10);
	cr_assert(n30 > 5600 && n30 < 6400, "30%% sample took %u of 20000", n30);
}

Test(pathhash, sample_and_shard_use_different_bits)
{
	/* In shard 0 of 2, a 50% sample still takes about half. */
	struct mp_select sel = {.shard_k = 0, .shard_n = 2, .sample = 0.5};
	unsigned inshard = 0, taken = 0;

	for (int i = 0; i < 10000; i++) {
		char p[32];
		snprintf(p, sizeof p, "o/%d", i);
		uint64_t h = ph(p);
		if (!mp_select_shard(&sel, h))
			continue;
		inshard++;
		taken += mp_select_sample(&sel, h);
	}
	cr_assert(taken * 10 > inshard * 4 && taken * 10 < inshard * 6, "%u of %u", taken, inshard);
}

Test(pathhash, select_all)
{
	struct mp_select z = {0}, one = {.shard_n = 1}, full = {.sample = 1.0}, sh = {.shard_n = 2};
	struct mp_select sa = {.sample = 0.5};

	cr_assert(mp_select_all(NULL));
	cr_assert(mp_select_all(&z));
	cr_assert(mp_select_all(&one));
	cr_assert(mp_select_all(&full));
	cr_assert_not(mp_select_all(&sh));
	cr_assert_not(mp_select_all(&sa));
}
