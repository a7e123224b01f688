/* pathhash.c - the stable path hash behind --sample and --shard. */
#include "pathhash.h"

#include <openssl/evp.h>
#include <pthread.h>

/* SHA256() fetches the algorithm on every call (0.6 us a path with
 * OpenSSL 3); the walker hashes every file of a mirror, so the algorithm
 * is fetched once and each thread keeps one context (0.2 us). */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static _Thread_local EVP_MD_CTX *sha256_ctx;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void sha256(const char *p, size_t n, unsigned char md[32])
{
	unsigned int len = 0;

	pthread_once(&sha256_once, sha256_fetch);
	if (sha256_ctx == NULL)
		sha256_ctx = EVP_MD_CTX_new();
	if (sha256_md == NULL || sha256_ctx == NULL || EVP_DigestInit_ex(sha256_ctx, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(sha256_ctx, p, n) != 1 || EVP_DigestFinal_ex(sha256_ctx, md, &len) != 1 ||
	    len != 32)
		EVP_Digest(p, n, md, NULL, EVP_sha256(),
			   NULL); /* the slow way, which allocates nothing of ours */
}

const char *mp_path_trim(const char *rel, size_t *n)
{
	size_t k = *n;

	for (;;) {
		if (k >= 2 && rel[0] == '.' && rel[1] == '/') {
			rel += 2;
			k -= 2;
		} else if (k >= 1 && rel[0] == '/') {
			rel++;
			k--;
		} else {
			break;
		}
	}
	*n = k;
	return rel;
}

uint64_t mp_path_hash(const char *rel, size_t n)
{
	unsigned char md[32];
	uint64_t h = 0;

	rel = mp_path_trim(rel, &n);
	sha256(rel, n, md);
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
