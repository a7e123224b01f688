/* validate.h - named checks on a candidate value, run after PCRE2 confirms it.
 *
 * All functions are pure and thread-safe.
 */
#ifndef MP_VALIDATE_H
#define MP_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

enum mp_validator {
	MP_VALIDATE_LUHN, /* payment cards and other Luhn numbers; spaces and dashes ignored */
	MP_VALIDATE_JWT,  /* header segment is base64url of a JSON object with "alg" */
	MP_VALIDATE__COUNT
};

/* Bit number of a validator name, or -1. */
int mp_validator_lookup(const char *name);
const char *mp_validator_name(int bit);

/* Run every validator in the bit set. True when all pass. */
bool mp_validate(unsigned validators, const char *s, size_t n);

bool mp_luhn_valid(const char *s, size_t n);
bool mp_jwt_valid(const char *s, size_t n);

/* Decode base64url (or standard base64; padding optional) into out, which
 * must hold n * 3 / 4 + 3 bytes. Returns the decoded length or -1. */
long mp_base64_decode(const char *s, size_t n, unsigned char *out);

#endif
