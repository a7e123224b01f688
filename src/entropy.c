/* entropy.c - Shannon entropy. */
#include "mp_config.h"

#include <math.h>

#include "entropy.h"

double mp_entropy(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t count[256] = {0};
	double h = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		count[s[i]]++;
	for (int c = 0; c < 256; c++) {
		if (count[c] == 0)
			continue;
		double q = (double)count[c] / (double)n;
		h -= q * log2(q);
	}
	return h;
}
