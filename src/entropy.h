/* entropy.h - Shannon entropy of a byte string. */
#ifndef MP_ENTROPY_H
#define MP_ENTROPY_H

#include <stddef.h>

/* Bits per byte, 0 for an empty string; at most 8. Pure, thread-safe. */
double mp_entropy(const void *p, size_t n);

#endif
