/* validate.c - checksum and structure validators. */
#include "mp_config.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "entropy.h"
#include "validate.h"

/* Forward declarations for the table. */
static bool github_crc32(const char *s, size_t n);
static bool us_ssn(const char *s, size_t n);
static bool us_itin(const char *s, size_t n);
static bool aba(const char *s, size_t n);
static bool iban(const char *s, size_t n);
static bool uk_nino(const char *s, size_t n);
static bool uk_nhs(const char *s, size_t n);
static bool verhoeff(const char *s, size_t n);
static bool in_aadhaar(const char *s, size_t n);
static bool br_cpf(const char *s, size_t n);
static bool br_cnpj(const char *s, size_t n);
static bool fr_nir(const char *s, size_t n);
static bool de_taxid(const char *s, size_t n);
static bool es_dni(const char *s, size_t n);
static bool it_cf(const char *s, size_t n);
static bool kr_rrn(const char *s, size_t n);
static bool kr_brn(const char *s, size_t n);
static bool jp_mynumber(const char *s, size_t n);
static bool cn_rid(const char *s, size_t n);
static bool au_tfn(const char *s, size_t n);
static bool au_medicare(const char *s, size_t n);
static bool vin(const char *s, size_t n);
static bool not_placeholder(const char *s, size_t n);
static bool secret_entropy(const char *s, size_t n);
static bool ip_public(const char *s, size_t n);
static bool mac_unicast(const char *s, size_t n);

/* How a validator's result counts. */
enum kind {
	CHECK,  /* passing proves the format: high confidence; failing drops the value */
	SOFT,   /* passing: high confidence; failing: low confidence */
	FILTER, /* failing drops the value; passing proves nothing */
};

static const struct {
	const char *name;
	bool (*fn)(const char *s, size_t n);
	enum kind kind;
} table[MP_VALIDATE__COUNT] = {
	[MP_VALIDATE_LUHN] = {"luhn", mp_luhn_valid, CHECK},
	[MP_VALIDATE_JWT] = {"jwt", mp_jwt_valid, CHECK},
	[MP_VALIDATE_GITHUB_CRC32] = {"github-crc32", github_crc32, SOFT},
	[MP_VALIDATE_US_SSN] = {"us-ssn", us_ssn, CHECK},
	[MP_VALIDATE_US_ITIN] = {"us-itin", us_itin, CHECK},
	[MP_VALIDATE_ABA] = {"aba", aba, CHECK},
	[MP_VALIDATE_IBAN] = {"iban", iban, CHECK},
	[MP_VALIDATE_UK_NINO] = {"uk-nino", uk_nino, CHECK},
	[MP_VALIDATE_UK_NHS] = {"uk-nhs", uk_nhs, CHECK},
	[MP_VALIDATE_VERHOEFF] = {"verhoeff", verhoeff, CHECK},
	[MP_VALIDATE_IN_AADHAAR] = {"in-aadhaar", in_aadhaar, CHECK},
	[MP_VALIDATE_BR_CPF] = {"br-cpf", br_cpf, CHECK},
	[MP_VALIDATE_BR_CNPJ] = {"br-cnpj", br_cnpj, CHECK},
	[MP_VALIDATE_FR_NIR] = {"fr-nir", fr_nir, CHECK},
	[MP_VALIDATE_DE_TAXID] = {"de-taxid", de_taxid, CHECK},
	[MP_VALIDATE_ES_DNI] = {"es-dni", es_dni, CHECK},
	[MP_VALIDATE_IT_CF] = {"it-cf", it_cf, CHECK},
	[MP_VALIDATE_KR_RRN] = {"kr-rrn", kr_rrn, CHECK},
	[MP_VALIDATE_KR_BRN] = {"kr-brn", kr_brn, CHECK},
	[MP_VALIDATE_JP_MYNUMBER] = {"jp-mynumber", jp_mynumber, CHECK},
	[MP_VALIDATE_CN_RID] = {"cn-rid", cn_rid, CHECK},
	[MP_VALIDATE_AU_TFN] = {"au-tfn", au_tfn, CHECK},
	[MP_VALIDATE_AU_MEDICARE] = {"au-medicare", au_medicare, CHECK},
	[MP_VALIDATE_VIN] = {"vin", vin, CHECK},
	[MP_VALIDATE_NOT_PLACEHOLDER] = {"not-placeholder", not_placeholder, FILTER},
	[MP_VALIDATE_SECRET_ENTROPY] = {"secret-entropy", secret_entropy, FILTER},
	[MP_VALIDATE_IP_PUBLIC] = {"ip-public", ip_public, FILTER},
	[MP_VALIDATE_MAC_UNICAST] = {"mac-unicast", mac_unicast, FILTER},
};

int mp_validator_lookup(const char *name)
{
	for (int i = 0; i < MP_VALIDATE__COUNT; i++)
		if (strcmp(table[i].name, name) == 0)
			return i;
	return -1;
}

const char *mp_validator_name(int bit)
{
	return bit >= 0 && bit < MP_VALIDATE__COUNT ? table[bit].name : "?";
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

bool mp_validator_run(int bit, const char *s, size_t n)
{
	return bit >= 0 && bit < MP_VALIDATE__COUNT && table[bit].fn(s, n);
}

enum mp_check mp_validate(unsigned validators, const char *s, size_t n)
{
	enum mp_check r = MP_CHECK_NONE;

	for (int b = 0; b < MP_VALIDATE__COUNT; b++) {
		if (!(validators & (1u << b)))
			continue;
		bool ok = table[b].fn(s, n);
		if (!ok && table[b].kind != SOFT)
			return MP_CHECK_FAIL;
		if (!ok)
			r = MP_CHECK_WEAK;
		else if (table[b].kind != FILTER && r != MP_CHECK_WEAK)
			r = MP_CHECK_PASS;
		else if (r == MP_CHECK_NONE)
			r = MP_CHECK_KEPT;
	}
	return r;
}

/* ---- helpers ---- */

/* The digits of s, skipping spaces, dashes, dots and slashes (CNPJ writes
 * 12.345.678/0001-95); -1 if anything else
 * appears or more than max digits. */
static int digits_of(const char *s, size_t n, int *d, int max)
{
	int k = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == ' ' || c == '-' || c == '.' || c == '/')
			continue;
		if (c < '0' || c > '9' || k == max)
			return -1;
		d[k++] = c - '0';
	}
	return k;
}

/* s without spaces and dashes, upper-cased, into out (size cap). */
static size_t compact_upper(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == ' ' || c == '-')
			continue;
		if (k + 1 >= cap)
			return 0;
		out[k++] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
	}
	out[k] = '\0';
	return k;
}

static bool all_same(const int *d, int n)
{
	for (int i = 1; i < n; i++)
		if (d[i] != d[0])
			return false;
	return true;
}

static bool valid_date(int yyyy, int mm, int dd)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (mm < 1 || mm > 12 || dd < 1 || dd > mdays[mm - 1])
		return false;
	if (mm == 2 && dd == 29 && !((yyyy % 4 == 0 && yyyy % 100 != 0) || yyyy % 400 == 0))
		return false;
	return true;
}

/* ---- tokens ---- */

static uint32_t crc32_ieee(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return c ^ 0xffffffffu;
}

static bool github_crc32(const char *s, size_t n)
{
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	const char *us = memchr(s, '_', n);
	char want[7];
	uint32_t crc;

	if (us == NULL || (size_t)(s + n - (us + 1)) != 36)
		return false;
	crc = crc32_ieee((const unsigned char *)us + 1, 30);
	for (int i = 5; i >= 0; i--) {
		want[i] = b62[crc % 62];
		crc /= 62;
	}
	return memcmp(want, us + 31, 6) == 0;
}

/* ---- United States ---- */

static bool us_ssn(const char *s, size_t n)
{
	int d[9];
	if (digits_of(s, n, d, 9) != 9)
		return false;
	int area = d[0] * 100 + d[1] * 10 + d[2], group = d[3] * 10 + d[4];
	int serial = d[5] * 1000 + d[6] * 100 + d[7] * 10 + d[8];
	return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

static bool us_itin(const char *s, size_t n)
{
	int d[9];
	if (digits_of(s, n, d, 9) != 9 || d[0] != 9)
		return false;
	int g = d[3] * 10 + d[4];
	return (g >= 50 && g <= 65) || (g >= 70 && g <= 88) || (g >= 90 && g <= 92) || (g >= 94 && g <= 99);
}

static bool aba(const char *s, size_t n)
{
	int d[9];
	if (digits_of(s, n, d, 9) != 9 || all_same(d, 9))
		return false;
	int p = d[0] * 10 + d[1];
	if (!(p <= 12 || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p == 80))
		return false;
	int sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8]);
	return sum % 10 == 0;
}

/* ---- IBAN ---- */

static int iban_length(const char *cc)
{
	/* ISO 13616 registry lengths per country. */
	static const char *const t =
		"AD24AE23AL28AT20AZ28BA20BE16BG22BH22BI27BR29BY28CH21CR22CY28CZ24DE22DJ27DK18DO28"
		"EE20EG29ES24FI18FK18FO18FR27GB22GE22GI23GL18GR27GT28HR21HU28IE22IL23IQ23IS26IT27"
		"JO30KW30KZ20LB28LC32LI21LT20LU20LV21LY25MC27MD24ME22MK19MN20MR27MT31MU30NI28NL18"
		"NO15OM23PK24PL28PS29PT25QA29RO24RS22RU33SA24SC31SD18SE24SI19SK24SM27SO23ST25SV28"
		"TL23TN24TR26UA29VA22VG24XK20YE30";
	for (const char *p = t; *p; p += 4)
		if (p[0] == cc[0] && p[1] == cc[1])
			return (p[2] - '0') * 10 + (p[3] - '0');
	return 0;
}

static bool iban(const char *s, size_t n)
{
	char c[40];
	size_t k = compact_upper(s, n, c, sizeof c);
	unsigned rem = 0;

	if (k < 15 || (int)k != iban_length(c) || c[2] < '0' || c[2] > '9' || c[3] < '0' || c[3] > '9')
		return false;
	for (size_t i = 0; i < k; i++) {
		char ch = c[(i + 4) % k];
		if (ch >= '0' && ch <= '9')
			rem = (rem * 10 + (unsigned)(ch - '0')) % 97;
		else if (ch >= 'A' && ch <= 'Z')
			rem = (rem * 100 + (unsigned)(ch - 'A' + 10)) % 97;
		else
			return false;
	}
	return rem == 1;
}

/* ---- United Kingdom ---- */

static bool uk_nino(const char *s, size_t n)
{
	char c[16];
	size_t k = compact_upper(s, n, c, sizeof c);

	if (k != 9 || !strchr("ABCEGHJKLMNOPRSTWXYZ", c[0]) || !strchr("ABCEGHJKLMNPRSTWXYZ", c[1]) ||
	    !c[0] || !c[1])
		return false;
	static const char *const bad[] = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (c[0] == bad[i][0] && c[1] == bad[i][1])
			return false;
	for (int i = 2; i < 8; i++)
		if (c[i] < '0' || c[i] > '9')
			return false;
	return c[8] >= 'A' && c[8] <= 'D';
}

static bool uk_nhs(const char *s, size_t n)
{
	int d[10], sum = 0;
	if (digits_of(s, n, d, 10) != 10 || all_same(d, 10))
		return false;
	for (int i = 0; i < 9; i++)
		sum += d[i] * (10 - i);
	int check = 11 - sum % 11;
	if (check == 11)
		check = 0;
	return check != 10 && check == d[9];
}

/* ---- India ---- */

static bool verhoeff_digits(const int *d, int n)
{
	static const unsigned char mul[10][10] = {
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
		{2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
		{4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
		{8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}};
	static const unsigned char perm[8][10] = {
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
		{5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
		{9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}};
	int c = 0;

	for (int i = 0; i < n; i++)
		c = mul[c][perm[i % 8][d[n - 1 - i]]];
	return c == 0;
}

static bool verhoeff(const char *s, size_t n)
{
	int d[64];
	int k = digits_of(s, n, d, 64);
	return k >= 2 && verhoeff_digits(d, k);
}

static bool in_aadhaar(const char *s, size_t n)
{
	int d[12];
	return digits_of(s, n, d, 12) == 12 && d[0] >= 2 && verhoeff_digits(d, 12);
}

/* ---- Brazil ---- */

static bool br_cpf(const char *s, size_t n)
{
	int d[11];
	if (digits_of(s, n, d, 11) != 11 || all_same(d, 11))
		return false;
	for (int len = 9; len <= 10; len++) {
		int sum = 0;
		for (int i = 0; i < len; i++)
			sum += d[i] * (len + 1 - i);
		int dv = sum * 10 % 11 % 10;
		if (dv != d[len])
			return false;
	}
	return true;
}

static bool br_cnpj(const char *s, size_t n)
{
	static const int w[13] = {6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2};
	int d[14];
	if (digits_of(s, n, d, 14) != 14 || all_same(d, 14))
		return false;
	for (int len = 12; len <= 13; len++) {
		int sum = 0;
		for (int i = 0; i < len; i++)
			sum += d[i] * w[i + 13 - len];
		int dv = sum % 11 < 2 ? 0 : 11 - sum % 11;
		if (dv != d[len])
			return false;
	}
	return true;
}

/* ---- France ---- */

static bool fr_nir(const char *s, size_t n)
{
	char c[24];
	size_t k = compact_upper(s, n, c, sizeof c);
	uint64_t num = 0;

	if (k != 15 || !strchr("12378", c[0]))
		return false;
	/* Corsica: department 2A and 2B count as 19 and 18. */
	int corsica = 0;
	if (c[5] == '2' && (c[6] == 'A' || c[6] == 'B')) {
		/* "20" in place of 19 (2A) or 18 (2B): subtract at the 10^6 place. */
		corsica = c[6] == 'A' ? 1000000 : 2000000;
		c[6] = '0';
	}
	for (int i = 0; i < 15; i++)
		if (c[i] < '0' || c[i] > '9')
			return false;
	for (int i = 0; i < 13; i++)
		num = num * 10 + (uint64_t)(c[i] - '0');
	num -= (uint64_t)corsica;
	int key = (c[13] - '0') * 10 + (c[14] - '0');
	return key >= 1 && key <= 97 && (int)(97 - num % 97) == key;
}

/* ---- Germany ---- */

static bool de_taxid(const char *s, size_t n)
{
	int d[11], count[10] = {0}, product = 10, repeated = 0;
	if (digits_of(s, n, d, 11) != 11 || d[0] == 0)
		return false;
	for (int i = 0; i < 10; i++)
		count[d[i]]++;
	for (int i = 0; i < 10; i++) {
		if (count[i] > 3)
			return false;
		if (count[i] >= 2)
			repeated++;
	}
	/* Exactly one digit occurs twice or three times in the first ten. */
	if (repeated != 1)
		return false;
	for (int i = 0; i < 10; i++) {
		int sum = (d[i] + product) % 10;
		if (sum == 0)
			sum = 10;
		product = 2 * sum % 11;
	}
	int check = 11 - product;
	if (check == 10)
		check = 0;
	return check == d[10];
}

/* ---- Spain ---- */

static bool es_dni(const char *s, size_t n)
{
	static const char letters[] = "TRWAGMYFPDXBNJZSQVHLCKE";
	char c[16];
	size_t k = compact_upper(s, n, c, sizeof c);
	unsigned long num = 0;

	if (k != 9)
		return false;
	if (c[0] == 'X' || c[0] == 'Y' || c[0] == 'Z')
		c[0] = (char)('0' + (c[0] - 'X'));
	for (int i = 0; i < 8; i++) {
		if (c[i] < '0' || c[i] > '9')
			return false;
		num = num * 10 + (unsigned long)(c[i] - '0');
	}
	return c[8] == letters[num % 23];
}

/* ---- Italy ---- */

static bool it_cf(const char *s, size_t n)
{
	/* Values of characters in odd positions (1st, 3rd, ...), for 0-9 and A-Z. */
	static const int odd[36] = {1,  0,  5, 7, 9,  13, 15, 17, 19, 21, 1,  0,  5,  7,  9,  13, 15, 17,
				    19, 21, 2, 4, 18, 20, 11, 3,  6,  8,  12, 14, 16, 10, 22, 25, 24, 23};
	char c[20];
	size_t k = compact_upper(s, n, c, sizeof c);
	int sum = 0;

	if (k != 16)
		return false;
	for (int i = 0; i < 15; i++) {
		int v;
		if (c[i] >= '0' && c[i] <= '9')
			v = c[i] - '0';
		else if (c[i] >= 'A' && c[i] <= 'Z')
			v = c[i] - 'A' + 10;
		else
			return false;
		/* Even positions: digits count as 0-9, letters as 0-25. */
		sum += i % 2 == 0 ? odd[v] : (v < 10 ? v : v - 10);
	}
	return c[15] == 'A' + sum % 26;
}

/* ---- South Korea ---- */

static bool kr_rrn(const char *s, size_t n)
{
	static const int w[12] = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
	int d[13], sum = 0;
	if (digits_of(s, n, d, 13) != 13)
		return false;
	int g = d[6];
	if (g < 1 || g > 8)
		return false;
	/* 1-2 and 5-6: born 1900-1999; 3-4 and 7-8: 2000-2099. */
	int century = (g == 1 || g == 2 || g == 5 || g == 6) ? 1900 : 2000;
	if (!valid_date(century + d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5]))
		return false;
	for (int i = 0; i < 12; i++)
		sum += d[i] * w[i];
	return (11 - sum % 11) % 10 == d[12];
}

static bool kr_brn(const char *s, size_t n)
{
	static const int w[9] = {1, 3, 7, 1, 3, 7, 1, 3, 5};
	int d[10], sum = 0;
	if (digits_of(s, n, d, 10) != 10 || all_same(d, 10))
		return false;
	for (int i = 0; i < 9; i++)
		sum += d[i] * w[i];
	sum += d[8] * 5 / 10;
	return (10 - sum % 10) % 10 == d[9];
}

/* ---- Japan ---- */

static bool jp_mynumber(const char *s, size_t n)
{
	int d[12], sum = 0;
	if (digits_of(s, n, d, 12) != 12 || all_same(d, 12))
		return false;
	/* P_k is the k-th digit from the right of the first 11; Q_k = k + 1
	 * for k <= 6, else k - 5. */
	for (int k = 1; k <= 11; k++)
		sum += d[11 - k] * (k <= 6 ? k + 1 : k - 5);
	int r = sum % 11;
	return (r <= 1 ? 0 : 11 - r) == d[11];
}

/* ---- China ---- */

static bool cn_rid(const char *s, size_t n)
{
	static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	static const char check[] = "10X98765432";
	char c[24];
	size_t k = compact_upper(s, n, c, sizeof c);
	int sum = 0;

	if (k != 18)
		return false;
	for (int i = 0; i < 17; i++) {
		if (c[i] < '0' || c[i] > '9')
			return false;
		sum += (c[i] - '0') * w[i];
	}
	int y = (c[6] - '0') * 1000 + (c[7] - '0') * 100 + (c[8] - '0') * 10 + (c[9] - '0');
	if (y < 1900 || y > 2099 ||
	    !valid_date(y, (c[10] - '0') * 10 + (c[11] - '0'), (c[12] - '0') * 10 + (c[13] - '0')))
		return false;
	return c[17] == check[sum % 11];
}

/* ---- Australia ---- */

static bool au_tfn(const char *s, size_t n)
{
	static const int w9[9] = {1, 4, 3, 7, 5, 8, 6, 9, 10};
	static const int w8[8] = {10, 7, 8, 4, 6, 3, 5, 1};
	int d[9], sum = 0;
	int k = digits_of(s, n, d, 9);
	if ((k != 9 && k != 8) || all_same(d, k))
		return false;
	for (int i = 0; i < k; i++)
		sum += d[i] * (k == 9 ? w9[i] : w8[i]);
	return sum % 11 == 0;
}

static bool au_medicare(const char *s, size_t n)
{
	static const int w[8] = {1, 3, 7, 9, 1, 3, 7, 9};
	int d[11], sum = 0;
	int k = digits_of(s, n, d, 11);
	if ((k != 10 && k != 11) || d[0] < 2 || d[0] > 6)
		return false;
	for (int i = 0; i < 8; i++)
		sum += d[i] * w[i];
	return sum % 10 == d[8];
}

/* ---- vehicles ---- */

static bool vin(const char *s, size_t n)
{
	static const int w[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
	/* Transliteration of A-Z (I, O and Q are not used). */
	static const int tr[26] = {1, 2,  3, 4,  5, 6, 7, 8, -1, 1, 2, 3, 4,
				   5, -1, 7, -1, 9, 2, 3, 4, 5,  6, 7, 8, 9};
	char c[20];
	size_t k = compact_upper(s, n, c, sizeof c);
	int sum = 0;

	if (k != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		int v;
		if (c[i] >= '0' && c[i] <= '9')
			v = c[i] - '0';
		else if (c[i] >= 'A' && c[i] <= 'Z' && tr[c[i] - 'A'] >= 0)
			v = tr[c[i] - 'A'];
		else
			return false;
		sum += v * w[i];
	}
	int r = sum % 11;
	return c[8] == (r == 10 ? 'X' : '0' + r);
}

/* ---- generic secrets ---- */

static bool has_ci(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word);
	for (size_t i = 0; i + w <= n; i++) {
		size_t k = 0;
		while (k < w && (s[i + k] | 0x20) == word[k])
			k++;
		if (k == w)
			return true;
	}
	return false;
}

static bool is_uuid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* A value that stands for a secret rather than being one. */
static bool not_placeholder(const char *s, size_t n)
{
	static const char *const words[] = {
		"changeme",    "change_me",     "example", "sample",  "placeholder", "your_",
		"your-",       "yourkey",       "dummy",   "fake",    "redacted",    "todo",
		"fixme",       "xxxx",          "****",    "replace", "insert",      "enter_",
		"secret_here", "password_here", "lorem",   "foobar"};
	size_t letters = 0, digits = 0, upper_or_us = 0, dots = 0, slashes = 0;
	int count[256] = {0}, top = 0;

	if (n < 6)
		return false;
	/* References and templates: ${VAR}, {{ var }}, <key>, %(x)s, $(cmd), %VAR%, $VAR. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '{' || c == '}' || c == '<' || c == '>' || c == '(' || c == ')' || c == '[' ||
		    c == ']' || c == '\\' || c == ' ')
			return false;
		count[c]++;
		if (count[c] > top)
			top = count[c];
		letters += isalpha(c) != 0;
		digits += isdigit(c) != 0;
		upper_or_us += isupper(c) || c == '_';
		dots += c == '.';
		slashes += c == '/';
	}
	if (s[0] == '$' || (s[0] == '%' && s[n - 1] == '%'))
		return false;
	/* Code, not values: &ref, *ptr, a->b, a::b, a statement's ';' or ','. */
	if (s[0] == '&' || s[0] == '*' || s[n - 1] == ';' || s[n - 1] == ',' || has_ci(s, n, "->") ||
	    has_ci(s, n, "::"))
		return false;
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (has_ci(s, n, words[i]))
			return false;
	/* One character making up most of it: xxxxxxxx, 00000000, ********. */
	if ((size_t)top * 2 > n)
		return false;
	if (is_uuid(s, n))
		return false;
	/* Paths and URLs. */
	if (s[0] == '/' || s[0] == '~' || (n > 1 && s[0] == '.' && (s[1] == '/' || s[1] == '.')) ||
	    has_ci(s, n, "://") || slashes >= 2)
		return false;
	static const char *const ext[] = {".pem",  ".key", ".json", ".txt", ".yml",
					  ".yaml", ".crt", ".p12",  ".env"};
	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
		size_t e = strlen(ext[i]);
		if (n > e && has_ci(s + n - e, e, ext[i]))
			return false;
	}
	/* Numbers and version strings: 8080, 1.2.3, v2.0.1. */
	if (letters == 0 || (letters <= 1 && (s[0] == 'v' || s[0] == 'V') && digits + dots + 1 == n))
		return false;
	/* Names, not values: ENV_VAR_NAMES, CONST_NAME_2, snake_case_names and
	 * dotted.identifiers.of.words. */
	if (upper_or_us == n)
		return false;
	size_t us = 0, upper_digit_us = 0, lower_digit_us = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		us += c == '_';
		upper_digit_us += isupper(c) || isdigit(c) || c == '_';
		lower_digit_us += islower(c) || isdigit(c) || c == '_';
	}
	if ((us >= 1 && upper_digit_us == n) || (us >= 2 && lower_digit_us == n))
		return false;
	/* A plain word of one case is prose ("password: required"). */
	if (digits == 0 && letters == n && (lower_digit_us == n || upper_digit_us == n))
		return false;
	/* Documentation's own: yourpassword, mypass, password123. */
	if (has_ci(s, 4, "your") ||
	    (n > 2 && (s[0] | 0x20) == 'm' && (s[1] | 0x20) == 'y' && isalpha((unsigned char)s[2])) ||
	    has_ci(s, n, "password") || has_ci(s, n, "passwd"))
		return false;
	if (dots > 0 && digits == 0) {
		bool ident = true;
		for (size_t i = 0; i < n && ident; i++)
			ident = isalpha((unsigned char)s[i]) || s[i] == '_' || s[i] == '.';
		if (ident)
			return false;
	}
	return true;
}

/* Entropy high enough for the value's alphabet. Random hex of 16+ chars is
 * well above 3.0 bits; random base64 or alphanumerics of 20+ above 3.8. */
static bool secret_entropy(const char *s, size_t n)
{
	bool hex = true, b64 = true;
	bool lower = false, upper = false, digit = false;
	double need;

	if (n < 8)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		hex = hex && isxdigit(c);
		b64 = b64 && (isalnum(c) || c == '+' || c == '/' || c == '=' || c == '-' || c == '_');
		lower = lower || islower(c);
		upper = upper || isupper(c);
		digit = digit || isdigit(c);
	}
	if (hex)
		need = n >= 16 ? 3.0 : 2.8;
	else if (b64)
		need = n >= 20 ? 3.5 : 3.0;
	else
		need = 3.0;
	/* A word of one case with no digit is a word, however long. */
	if (!hex && !digit && !(lower && upper))
		return false;
	return mp_entropy(s, n) >= need;
}

/* ---- network addresses ---- */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Dotted quad: four decimal octets without leading zeros. Public unicast
 * only: not 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0/16
 * (IETF and documentation blocks and their neighbours), 192.168/16,
 * 198.18/15, 198.51/16, 203.0/16, 224/3; not a .0 or .255 host; not four
 * one-digit numbers (versions, well-known resolvers). */
static bool ipv4_public(const char *s, size_t n)
{
	int o[4], digits[4];
	size_t i = 0;

	for (int k = 0; k < 4; k++) {
		int v = 0, d = 0;
		if (k > 0) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		while (i < n && s[i] >= '0' && s[i] <= '9' && d < 4) {
			v = v * 10 + (s[i] - '0');
			d++;
			i++;
		}
		if (d == 0 || d > 3 || v > 255 || (d > 1 && s[i - (size_t)d] == '0'))
			return false;
		o[k] = v;
		digits[k] = d;
	}
	if (i != n)
		return false;
	if (digits[0] == 1 && digits[1] == 1 && digits[2] == 1 && digits[3] == 1)
		return false;
	if (o[0] == 0 || o[0] == 10 || o[0] == 127 || o[0] >= 224)
		return false;
	if ((o[0] == 100 && o[1] >= 64 && o[1] <= 127) || (o[0] == 169 && o[1] == 254) ||
	    (o[0] == 172 && o[1] >= 16 && o[1] <= 31) || (o[0] == 192 && (o[1] == 0 || o[1] == 168)) ||
	    (o[0] == 198 && (o[1] == 18 || o[1] == 19 || o[1] == 51)) || (o[0] == 203 && o[1] == 0))
		return false;
	return o[3] != 0 && o[3] != 255;
}

/* Global unicast IPv6 (2000::/3) whose first group is written with four
 * hex digits: eight groups, or fewer with one "::". Not the documentation
 * prefixes 2001:db8::/32 and 3fff::/20; no IPv4 tail. */
static bool ipv6_public(const char *s, size_t n)
{
	unsigned g[8];
	int ng = 0, gap = -1;
	size_t i = 0;

	if (n < 4)
		return false;
	for (;;) {
		unsigned v = 0;
		int d = 0;
		while (i < n && d < 5 && hexval((unsigned char)s[i]) >= 0) {
			v = v * 16 + (unsigned)hexval((unsigned char)s[i]);
			d++;
			i++;
		}
		if (d > 4 || (ng == 0 && d != 4))
			return false;
		if (d > 0) {
			if (ng == 8)
				return false;
			g[ng++] = v;
		}
		if (i == n) {
			if (d == 0 && !(gap >= 0 && gap == ng && i >= 2 && s[i - 2] == ':'))
				return false; /* a trailing ":" that is not "::" */
			break;
		}
		if (s[i] != ':')
			return false;
		if (d == 0) {
			/* An empty group: the second ":" of "::". */
			if (gap >= 0 || i == 0 || s[i - 1] != ':')
				return false;
			gap = ng;
		} else if (i + 1 < n && s[i + 1] == ':') {
			if (gap >= 0)
				return false;
			gap = ng;
			i++;
		}
		i++;
		if (i == n) {
			if (gap != ng || s[i - 2] != ':')
				return false;
			break;
		}
	}
	if (gap < 0 ? ng != 8 : ng > 7)
		return false;
	unsigned second = gap == 1 ? 0 : g[1];
	if (g[0] < 0x2000 || g[0] > 0x3fff)
		return false;
	if (g[0] == 0x2001 && ng > 1 && second == 0xdb8)
		return false;
	if (g[0] == 0x3fff && second < 0x1000)
		return false;
	return true;
}

static bool ip_public(const char *s, size_t n)
{
	return memchr(s, ':', n) ? ipv6_public(s, n) : ipv4_public(s, n);
}

/* Six two-digit hex octets joined by ":" or by "-", the same throughout;
 * the first octet even (unicast: multicast and broadcast name groups). */
static bool mac_unicast(const char *s, size_t n)
{
	if (n != 17 || (s[2] != ':' && s[2] != '-'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (i % 3 == 2) {
			if (s[i] != s[2])
				return false;
		} else if (hexval((unsigned char)s[i]) < 0) {
			return false;
		}
	}
	return (hexval((unsigned char)s[1]) & 1) == 0;
}
