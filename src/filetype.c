/* filetype.c - magic numbers. */
#include "mp_config.h"

#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "filetype.h"

static const char *const names[MP_FT__COUNT] = {
	[MP_FT_PLAIN] = "plain", [MP_FT_GZIP] = "gzip",         [MP_FT_BZIP2] = "bzip2",
	[MP_FT_XZ] = "xz",       [MP_FT_LZMA] = "lzma",         [MP_FT_ZSTD] = "zstd",
	[MP_FT_LZ4] = "lz4",     [MP_FT_COMPRESS] = "compress", [MP_FT_LZIP] = "lzip",
	[MP_FT_ZIP] = "zip",     [MP_FT_TAR] = "tar",           [MP_FT_CPIO] = "cpio",
	[MP_FT_7ZIP] = "7zip",   [MP_FT_RAR] = "rar",           [MP_FT_ISO9660] = "iso9660",
	[MP_FT_AR] = "ar",       [MP_FT_XAR] = "xar",           [MP_FT_CAB] = "cab",
	[MP_FT_LHA] = "lha",     [MP_FT_RPM] = "rpm",           [MP_FT_WARC] = "warc",
};

const char *mp_filetype_name(enum mp_filetype t)
{
	return (unsigned)t < MP_FT__COUNT ? names[t] : "unknown";
}

bool mp_filetype_is_compressed(enum mp_filetype t)
{
	return t >= MP_FT_GZIP && t <= MP_FT_LZIP;
}

bool mp_filetype_is_container(enum mp_filetype t)
{
	return t > MP_FT_PLAIN && t < MP_FT__COUNT;
}

/* p[off..off+len) equals sig. */
static bool at(const unsigned char *p, size_t n, size_t off, const char *sig, size_t len)
{
	return n >= off + len && memcmp(p + off, sig, len) == 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A tar header: the checksum field holds the sum of the header's bytes,
 * counting the field itself as eight spaces. Old (v7) archives have no
 * other signature. Both the unsigned and the signed sum are accepted, as
 * old implementations differ. */
static bool tar_checksum_ok(const unsigned char *h)
{
	uint64_t want = 0;
	unsigned long usum = 0;
	long ssum = 0;
	int digits = 0, i = 148;

	while (i < 156 && h[i] == ' ')
		i++;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++, digits++)
		want = want * 8 + (uint64_t)(h[i] - '0');
	if (digits == 0)
		return false;
	for (; i < 156; i++)
		if (h[i] != ' ' && h[i] != '\0')
			return false;
	for (i = 0; i < 512; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
		usum += c;
		ssum += (signed char)c;
	}
	return h[0] != '\0' && (want == usum || (long)want == ssum);
}

/* A binary cpio header (magic 070707 as a 16-bit number, either byte
 * order): the name that follows must end with its NUL where the header says. */
static bool cpio_binary(const unsigned char *p, size_t n)
{
	unsigned namesize;

	if (n < 26)
		return false;
	if (p[0] == 0xc7 && p[1] == 0x71)
		namesize = (unsigned)p[20] | (unsigned)p[21] << 8;
	else if (p[0] == 0x71 && p[1] == 0xc7)
		namesize = (unsigned)p[20] << 8 | (unsigned)p[21];
	else
		return false;
	return namesize >= 2 && namesize <= 4096 && n >= 26 + namesize && p[26 + namesize - 1] == '\0' &&
	       memchr(p + 26, '\0', namesize - 1) == NULL;
}

/* "LZMA alone": a properties byte, a dictionary size, an uncompressed size
 * (all ones when unknown), then range-coder data whose first byte is 0.
 * The format has no signature, so only the properties every common encoder
 * writes (lc=3, lp=0, pb=2: 0x5d) are recognised. */
static bool lzma_alone(const unsigned char *p, size_t n)
{
	uint32_t dict;
	bool pow2ish = false;

	if (n < 14 || p[0] != 0x5d || p[13] != 0)
		return false;
	dict = le32(p + 1);
	for (int k = 12; k <= 30 && !pow2ish; k++)
		pow2ish = dict == (UINT32_C(1) << k) || dict == (UINT32_C(1) << k) + (UINT32_C(1) << (k - 1));
	if (!pow2ish)
		return false;
	/* Size unknown (all 0xff), or below 2^48. */
	if (memcmp(p + 5, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) == 0)
		return true;
	return p[11] == 0 && p[12] == 0;
}

static bool lha(const unsigned char *p, size_t n)
{
	if (n < 22 || p[2] != '-' || p[3] != 'l' || p[6] != '-')
		return false;
	if (p[4] == 'h')
		return (p[5] >= '0' && p[5] <= '7') || p[5] == 'd';
	if (p[4] == 'z')
		return p[5] == 's' || p[5] == '4' || p[5] == '5';
	return false;
}

enum mp_filetype mp_filetype_detect(const void *data, size_t n)
{
	const unsigned char *p = data;

	if (n < 4)
		return MP_FT_PLAIN;
	switch (p[0]) {
	case 0x1f:
		if (p[1] == 0x8b && p[2] == 8 && (p[3] & 0xe0) == 0)
			return MP_FT_GZIP;
		if (p[1] == 0x9d && (p[2] & 0x60) == 0 && (p[2] & 0x1f) >= 9 && (p[2] & 0x1f) <= 16)
			return MP_FT_COMPRESS;
		break;
	case 'B':
		if (at(p, n, 0, "BZh", 3) && p[3] >= '1' && p[3] <= '9' &&
		    (at(p, n, 4, "\x31\x41\x59\x26\x53\x59", 6) ||
		     at(p, n, 4, "\x17\x72\x45\x38\x50\x90", 6)))
			return MP_FT_BZIP2;
		break;
	case 0xfd:
		if (at(p, n, 0,
		       "\xfd"
		       "7zXZ\0",
		       6))
			return MP_FT_XZ;
		break;
	case 0x28:
		if (at(p, n, 0, "\x28\xb5\x2f\xfd", 4))
			return MP_FT_ZSTD;
		break;
	case 0x04:
		if (at(p, n, 0, "\x04\x22\x4d\x18", 4))
			return MP_FT_LZ4;
		break;
	case 0x02:
		if (at(p, n, 0, "\x02\x21\x4c\x18", 4))
			return MP_FT_LZ4; /* the legacy frame */
		break;
	case 'L':
		if (at(p, n, 0, "LZIP", 4) && n >= 5 && p[4] <= 1)
			return MP_FT_LZIP;
		break;
	case 'P':
		if (at(p, n, 0, "PK\3\4", 4) || at(p, n, 0, "PK\5\6", 4) ||
		    at(p, n, 0, "PK\7\x08PK\3\4", 8) || at(p, n, 0, "PK00PK\3\4", 8))
			return MP_FT_ZIP;
		break;
	case '0':
		if (at(p, n, 0, "070707", 6) || at(p, n, 0, "070701", 6) || at(p, n, 0, "070702", 6))
			return MP_FT_CPIO;
		break;
	case '7':
		if (at(p, n, 0, "7z\xbc\xaf\x27\x1c", 6))
			return MP_FT_7ZIP;
		break;
	case 'R':
		if (at(p, n, 0, "Rar!\x1a\x07\x00", 7) || at(p, n, 0, "Rar!\x1a\x07\x01\x00", 8))
			return MP_FT_RAR;
		break;
	case '!':
		if (at(p, n, 0, "!<arch>\n", 8))
			return MP_FT_AR;
		break;
	case 'x':
		if (at(p, n, 0, "xar!", 4) && n >= 8 && p[6] == 0 && p[7] == 1)
			return MP_FT_XAR;
		break;
	case 'M':
		if (at(p, n, 0, "MSCF\0\0\0\0", 8))
			return MP_FT_CAB;
		break;
	case 0xed:
		if (at(p, n, 0, "\xed\xab\xee\xdb", 4) && n >= 5 && (p[4] == 3 || p[4] == 4))
			return MP_FT_RPM;
		break;
	case 'W':
		if (at(p, n, 0, "WARC/1.0\r\n", 10) || at(p, n, 0, "WARC/1.1\r\n", 10))
			return MP_FT_WARC;
		break;
	default: break;
	}
	if (lzma_alone(p, n))
		return MP_FT_LZMA;
	if (cpio_binary(p, n))
		return MP_FT_CPIO;
	if (lha(p, n))
		return MP_FT_LHA;
	if (n >= 512) {
		if (at(p, n, 257, "ustar", 5) && (p[262] == '\0' || p[262] == ' '))
			return MP_FT_TAR;
		if (tar_checksum_ok(p))
			return MP_FT_TAR;
	}
	if (at(p, n, 32769, "CD001", 5))
		return MP_FT_ISO9660;
	return MP_FT_PLAIN;
}

/* A multibyte integer of the xz format: 7 bits a byte, low first, at most
 * 9 bytes. Returns the bytes used, or 0. */
static size_t xz_varint(const unsigned char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && i < 9; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if ((p[i] & 0x80) == 0) {
			*out = v;
			return i + 1;
		}
	}
	return 0;
}

/* The LZMA2 dictionary of the first block: the stream header is 12 bytes,
 * then the block header: its size, flags (filter count, optional sizes),
 * then each filter's id, property size and properties. */
static uint64_t xz_dict(const unsigned char *p, size_t n)
{
	size_t i = 12, end;
	uint64_t v, id, psize;
	unsigned filters;

	if (n < 14 || p[i] == 0) /* no block: an empty stream's index */
		return 0;
	end = 12 + ((size_t)p[i] + 1) * 4;
	if (end > n)
		return 0;
	filters = (p[i + 1] & 3) + 1;
	i += 2;
	for (int bit = 6; bit <= 7; bit++) {
		if (p[13] & (1u << bit)) {
			size_t k = xz_varint(p + i, end - i, &v);
			if (k == 0)
				return 0;
			i += k;
		}
	}
	for (unsigned f = 0; f < filters; f++) {
		size_t k = xz_varint(p + i, end - i, &id);
		if (k == 0)
			return 0;
		i += k;
		k = xz_varint(p + i, end - i, &psize);
		if (k == 0 || psize > end - i - k)
			return 0;
		i += k;
		if (id == 0x21 && psize == 1) {
			unsigned bits = p[i] & 0x3f;
			if (bits > 40)
				return 0;
			return bits == 40 ? UINT32_MAX : (uint64_t)(2 | (bits & 1)) << (bits / 2 + 11);
		}
		i += (size_t)psize;
	}
	return 0;
}

uint64_t mp_filetype_decoder_memory(enum mp_filetype t, const void *v, size_t n)
{
	const unsigned char *p = v;

	switch (t) {
	case MP_FT_LZMA: return n >= 5 ? le32(p + 1) : 0;
	case MP_FT_XZ: return xz_dict(p, n);
	default: return 0;
	}
}

/* ---- content that is not a container ---- */

static const char *const content_names[MP_CT__COUNT] = {
	[MP_CT_TEXT] = "text",     [MP_CT_UTF16LE] = "utf-16le", [MP_CT_UTF16BE] = "utf-16be",
	[MP_CT_BINARY] = "binary", [MP_CT_MEDIA] = "media",      [MP_CT_UNSURE] = "unsure",
};

const char *mp_content_name(enum mp_content c)
{
	return (unsigned)c < MP_CT__COUNT ? content_names[c] : "unknown";
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Images, audio and video by their signatures. Short signatures (BMP's
 * "BM", ICO's four bytes, MP3 frame sync) are checked further. */
static bool media(const unsigned char *p, size_t n)
{
	if (at(p, n, 0, "\x89PNG\r\n\x1a\n", 8) || at(p, n, 0, "GIF87a", 6) || at(p, n, 0, "GIF89a", 6) ||
	    at(p, n, 0, "fLaC", 4) || at(p, n, 0, "OggS\0", 5) || at(p, n, 0, "\x1a\x45\xdf\xa3", 4) ||
	    at(p, n, 0, "II*\0", 4) || at(p, n, 0, "MM\0*", 4) || at(p, n, 0, "8BPS\0\1", 6))
		return true;
	if (n >= 4 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff && p[3] >= 0xc0)
		return true; /* JPEG: SOI, then a marker */
	if (at(p, n, 0, "RIFF", 4) &&
	    (at(p, n, 8, "WEBP", 4) || at(p, n, 8, "WAVE", 4) || at(p, n, 8, "AVI ", 4)))
		return true;
	if (at(p, n, 0, "FORM", 4) && (at(p, n, 8, "AIFF", 4) || at(p, n, 8, "AIFC", 4)))
		return true;
	/* ISO base media (MP4, MOV, M4A, HEIC, AVIF, 3GP): a box size, "ftyp". */
	if (at(p, n, 4, "ftyp", 4) && be32(p) >= 8 && be32(p) <= 4096)
		return true;
	if (n >= 8 && (at(p, n, 4, "moov", 4) || at(p, n, 4, "mdat", 4)) && be32(p) >= 8)
		return true;
	/* MP3: an ID3v2 tag (version 2 to 4), or an MPEG-1 layer III frame. */
	if (at(p, n, 0, "ID3", 3) && n >= 10 && p[3] >= 2 && p[3] <= 4 && p[4] != 0xff)
		return true;
	if (n >= 4 && p[0] == 0xff && (p[1] == 0xfb || p[1] == 0xf3 || p[1] == 0xf2 || p[1] == 0xfa) &&
	    (p[2] & 0xf0) != 0xf0 && (p[2] & 0x0c) != 0x0c)
		return true;
	/* BMP: "BM", the file size, two reserved zero words, a known DIB header size. */
	if (at(p, n, 0, "BM", 2) && n >= 18 && memcmp(p + 6, "\0\0\0\0", 4) == 0) {
		uint32_t h = le32(p + 14);
		return h == 12 || h == 40 || h == 52 || h == 56 || h == 64 || h == 108 || h == 124;
	}
	/* ICO and CUR: reserved 0, type 1 or 2, 1 to 255 images of reserved-0 entries. */
	if (n >= 22 && p[0] == 0 && p[1] == 0 && (p[2] == 1 || p[2] == 2) && p[3] == 0 && p[4] != 0 &&
	    p[5] == 0 && p[9] == 0)
		return true;
	return false;
}

/* Executables and other binary formats whose header may precede a run of
 * NUL-free bytes. */
static bool binary_magic(const unsigned char *p, size_t n)
{
	return at(p, n, 0,
		  "\x7f"
		  "ELF",
		  4) ||
	       at(p, n, 0, "\xca\xfe\xba\xbe", 4) || at(p, n, 0, "\xfe\xed\xfa\xce", 4) ||
	       at(p, n, 0, "\xfe\xed\xfa\xcf", 4) || at(p, n, 0, "\xce\xfa\xed\xfe", 4) ||
	       at(p, n, 0, "\xcf\xfa\xed\xfe", 4) || at(p, n, 0, "SQLite format 3", 16) ||
	       at(p, n, 0, "\0asm", 4) || at(p, n, 0, "dex\n", 4);
}

/* UTF-16 without a BOM: in the first units, zero bytes fill one position
 * of most units (the high byte of ASCII characters), almost never the
 * other, and the bytes beside them are printable ASCII. Returns
 * MP_CT_UTF16LE, MP_CT_UTF16BE or MP_CT_UNSURE. */
static enum mp_content utf16_guess(const unsigned char *p, size_t n)
{
	size_t units = (n < 4096 ? n : 4096) / 2;
	size_t z_even = 0, z_odd = 0, ascii_le = 0, ascii_be = 0;

	if (units < 4)
		return MP_CT_UNSURE;
	for (size_t i = 0; i < units; i++) {
		unsigned char a = p[2 * i], b = p[2 * i + 1];
		z_even += a == 0;
		z_odd += b == 0;
		ascii_le += b == 0 && ((a >= 0x20 && a < 0x7f) || a == '\t' || a == '\n' || a == '\r');
		ascii_be += a == 0 && ((b >= 0x20 && b < 0x7f) || b == '\t' || b == '\n' || b == '\r');
	}
	if (z_odd * 2 >= units && z_even * 16 <= units && ascii_le * 4 >= z_odd * 3)
		return MP_CT_UTF16LE;
	if (z_even * 2 >= units && z_odd * 16 <= units && ascii_be * 4 >= z_even * 3)
		return MP_CT_UTF16BE;
	return MP_CT_UNSURE;
}

/* Control characters in p[0..n) other than \b \t \n \v \f \r and escape,
 * and DEL: what text does not hold. Every input of a tree comes here, so
 * 16 bytes at a time where SSE2 is there. */
static size_t count_controls(const unsigned char *p, size_t n)
{
	size_t ctrl = 0, i = 0;
#ifdef __SSE2__
	const __m128i flip = _mm_set1_epi8((char)0x80), below = _mm_set1_epi8((char)(0x20 ^ 0x80));
	const __m128i bs = _mm_set1_epi8((char)(0x08 ^ 0x80)), cr = _mm_set1_epi8((char)(0x0d ^ 0x80));
	const __m128i esc = _mm_set1_epi8(0x1b), del = _mm_set1_epi8(0x7f);
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i s = _mm_xor_si128(v, flip); /* unsigned order as signed */
		__m128i ctl = _mm_cmplt_epi8(s, below);
		__m128i ok = _mm_andnot_si128(_mm_or_si128(_mm_cmplt_epi8(s, bs), _mm_cmpgt_epi8(s, cr)),
					      _mm_set1_epi8(-1));
		ok = _mm_or_si128(ok, _mm_cmpeq_epi8(v, esc));
		__m128i bad = _mm_or_si128(_mm_andnot_si128(ok, ctl), _mm_cmpeq_epi8(v, del));
		ctrl += (size_t)__builtin_popcount((unsigned)_mm_movemask_epi8(bad));
	}
#endif
	for (; i < n; i++)
		ctrl += (p[i] < 0x20 && (p[i] < 0x08 || (p[i] > 0x0d && p[i] != 0x1b))) || p[i] == 0x7f;
	return ctrl;
}

enum mp_content mp_content_detect(const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t w = n < MP_CONTENT_SNIFF ? n : MP_CONTENT_SNIFF, head = w < 1024 ? w : 1024;

	if (n >= 2 && ((p[0] == 0xff && p[1] == 0xfe) || (p[0] == 0xfe && p[1] == 0xff))) {
		/* FF FE 00 00 is UTF-32LE: not transcoded, left to the tests below. */
		if (p[0] == 0xfe)
			return MP_CT_UTF16BE;
		if (!(n >= 4 && p[2] == 0 && p[3] == 0))
			return MP_CT_UTF16LE;
	}
	if (n >= 4 && media(p, n))
		return MP_CT_MEDIA;
	if (n >= 4 && binary_magic(p, n))
		return MP_CT_BINARY;
	if (memchr(p, 0, w) == NULL) {
		return count_controls(p, head) * 32 <= head ? MP_CT_TEXT : MP_CT_UNSURE;
	}
	return utf16_guess(p, w);
}

enum mp_content mp_content_from_mime(const char *mime)
{
	if (mime == NULL)
		return MP_CT_BINARY;
	if (strncmp(mime, "image/", 6) == 0 || strncmp(mime, "audio/", 6) == 0 ||
	    strncmp(mime, "video/", 6) == 0)
		return MP_CT_MEDIA;
	if (strncmp(mime, "text/", 5) == 0)
		return MP_CT_TEXT;
	return MP_CT_BINARY;
}
