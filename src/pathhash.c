/* pathhash.c - the stable path hash behind --sample and --shard. */
#include "pathhash.h"

#include <openssl/sha.h>

uint64_t mp_path_hash(const char *rel, size_t n)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	uint64_t h = 0;

	for (;;) {
		if (n >= 2 && rel[0] == '.' && rel[1] == '/') {
			rel += 2;
			n -= 2;
		} else if (n >= 1 && rel[0] == '/') {
			rel++;
			n--;
		} else {
			break;
		}
	}
	SHA256((const unsigned char *)rel, n, md);
	for (int i = 0; i < 8; i++)
		h = h << 8 | md[i];
	return h;
}

bool mp_select_all(const struct mp_select *sel)
{
	return sel == NULL || (sel->shard_n <= 1 && (sel->sample <= 0 || sel->sample >= 1));
}

bool mp_select_shard(const struct mp_select *sel, uint64_t h)
{
	return sel == NULL || sel->shard_n <= 1 || h % sel->shard_n == sel->shard_k;
}

bool mp_select_sample(const struct mp_select *sel, uint64_t h)
{
	if (sel == NULL || sel->sample <= 0 || sel->sample >= 1)
		return true;
	/* The top 53 bits as a fraction in [0, 1): exact in a double. */
	return (double)(h >> 11) / 9007199254740992.0 < sel->sample;
}
