/* validate.h - named checks on a candidate value, run after PCRE2 confirms it.
 *
 * All functions are pure and thread-safe.
 */
#ifndef MP_VALIDATE_H
#define MP_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

enum mp_validator {
	MP_VALIDATE_LUHN,            /* payment cards, Canadian SIN; spaces and dashes ignored */
	MP_VALIDATE_JWT,             /* header segment is base64url of a JSON object with "alg" */
	MP_VALIDATE_GITHUB_CRC32,    /* soft: last 6 chars are base62(CRC32) of the 30 before */
	MP_VALIDATE_US_SSN,          /* area, group and serial rules */
	MP_VALIDATE_US_ITIN,         /* 9xx with group 50-65, 70-88, 90-92, 94-99 */
	MP_VALIDATE_ABA,             /* US routing number: 3-7-1 weights, valid prefix */
	MP_VALIDATE_IBAN,            /* ISO 13616: country length and mod 97 */
	MP_VALIDATE_UK_NINO,         /* National Insurance number prefix and suffix rules */
	MP_VALIDATE_UK_NHS,          /* NHS number mod 11 */
	MP_VALIDATE_VERHOEFF,        /* Verhoeff check digit */
	MP_VALIDATE_IN_AADHAAR,      /* 12 digits, first 2-9, Verhoeff */
	MP_VALIDATE_BR_CPF,          /* both CPF check digits */
	MP_VALIDATE_BR_CNPJ,         /* both CNPJ check digits */
	MP_VALIDATE_FR_NIR,          /* 13 digits (2A/2B for Corsica) and key mod 97 */
	MP_VALIDATE_DE_TAXID,        /* ISO 7064 MOD 11,10 and the digit-repetition rule */
	MP_VALIDATE_ES_DNI,          /* DNI or NIE check letter */
	MP_VALIDATE_IT_CF,           /* codice fiscale check character */
	MP_VALIDATE_KR_RRN,          /* resident registration number check digit and date */
	MP_VALIDATE_KR_BRN,          /* business registration number check digit */
	MP_VALIDATE_JP_MYNUMBER,     /* My Number check digit */
	MP_VALIDATE_CN_RID,          /* resident ID: ISO 7064 MOD 11-2 and date */
	MP_VALIDATE_AU_TFN,          /* tax file number weighted check */
	MP_VALIDATE_AU_MEDICARE,     /* Medicare number check digit */
	MP_VALIDATE_VIN,             /* vehicle identification number check digit */
	MP_VALIDATE_NOT_PLACEHOLDER, /* filter: not ${VAR}, <your-key>, changeme, a path, a UUID, ... */
	MP_VALIDATE_SECRET_ENTROPY,  /* filter: entropy high enough for its alphabet (hex, base64, other) */
	MP_VALIDATE_IP_PUBLIC,   /* filter: an IPv4 or IPv6 address that could name someone on the Internet */
	MP_VALIDATE_MAC_UNICAST, /* filter: six octets, one separator, a unicast (device) address */
	MP_VALIDATE__COUNT
};

/* What running a rule's validators on a value concluded. */
enum mp_check {
	MP_CHECK_NONE, /* the rule has no validator */
	MP_CHECK_PASS, /* every validator passed, one of them a check: high confidence */
	MP_CHECK_KEPT, /* only filters ran, and passed: confidence unchanged */
	MP_CHECK_WEAK, /* a soft validator failed: report at low confidence */
	MP_CHECK_FAIL, /* a validator failed: not a finding */
};

/* Bit number of a validator name, or -1. */
int mp_validator_lookup(const char *name);
const char *mp_validator_name(int bit);

/* Run every validator in the bit set on s[0..n). */
enum mp_check mp_validate(unsigned validators, const char *s, size_t n);

/* One validator by bit number. True when it passes. */
bool mp_validator_run(int bit, const char *s, size_t n);

bool mp_luhn_valid(const char *s, size_t n);
bool mp_jwt_valid(const char *s, size_t n);

/* Decode base64url (or standard base64; padding optional) into out, which
 * must hold n * 3 / 4 + 3 bytes. Returns the decoded length or -1. */
long mp_base64_decode(const char *s, size_t n, unsigned char *out);

#endif
