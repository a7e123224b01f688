/* validate.c - checksum and structure validators. */
#include "mp_config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

static const char *const names[MP_VALIDATE__COUNT] = {
	[MP_VALIDATE_LUHN] = "luhn",
	[MP_VALIDATE_JWT] = "jwt",
};

int mp_validator_lookup(const char *name)
{
	for (int i = 0; i < MP_VALIDATE__COUNT; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

const char *mp_validator_name(int bit)
{
	return bit >= 0 && bit < MP_VALIDATE__COUNT ? names[bit] : "?";
}

bool mp_luhn_valid(const char *s, size_t n)
{
	int sum = 0, digits = 0;

	for (size_t i = n; i-- > 0;) {
		char c = s[i];
		if (c == ' ' || c == '-')
			continue;
		if (c < '0' || c > '9')
			return false;
		int d = c - '0';
		if (digits % 2 == 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
		digits++;
	}
	return digits >= 8 && sum % 10 == 0;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

long mp_base64_decode(const char *s, size_t n, unsigned char *out)
{
	unsigned acc = 0;
	int bits = 0;
	long len = 0;

	while (n > 0 && s[n - 1] == '=')
		n--;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)(acc >> bits);
		}
	}
	return len;
}

bool mp_jwt_valid(const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);
	unsigned char hdr[768];
	json_tokener *tok;
	json_object *obj, *alg = NULL;
	bool ok = false;
	long len;

	if (dot == NULL || (size_t)(dot - s) > (sizeof hdr - 3) * 4 / 3)
		return false;
	len = mp_base64_decode(s, (size_t)(dot - s), hdr);
	if (len <= 0)
		return false;
	tok = json_tokener_new();
	if (tok == NULL)
		return false;
	obj = json_tokener_parse_ex(tok, (const char *)hdr, (int)len);
	if (obj != NULL && json_tokener_get_error(tok) == json_tokener_success &&
	    json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, "alg", &alg) &&
	    json_object_is_type(alg, json_type_string))
		ok = true;
	json_object_put(obj);
	json_tokener_free(tok);
	return ok;
}

bool mp_validate(unsigned validators, const char *s, size_t n)
{
	if ((validators & (1u << MP_VALIDATE_LUHN)) && !mp_luhn_valid(s, n))
		return false;
	if ((validators & (1u << MP_VALIDATE_JWT)) && !mp_jwt_valid(s, n))
		return false;
	return true;
}
