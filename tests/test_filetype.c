/* test_filetype.c - magic-byte detection. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filetype.h"
#include "text.h"

static enum mp_filetype det(const char *p, size_t n)
{
	return mp_filetype_detect(p, n);
}

#define DET(lit) det(lit, sizeof lit - 1)

Test(filetype, compressed_streams)
{
	cr_assert_eq(DET("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"), MP_FT_GZIP);
	cr_assert_eq(DET("\x1f\x8b\x08\x08rest"), MP_FT_GZIP); /* FNAME flag */
	cr_assert_eq(DET("BZh91AY&SY\x01\x02"), MP_FT_BZIP2);
	cr_assert_eq(DET("BZh1\x17\x72\x45\x38\x50\x90"), MP_FT_BZIP2); /* empty stream */
	cr_assert_eq(DET("\xfd" "7zXZ\0\0\x04"), MP_FT_XZ);
	cr_assert_eq(DET("\x28\xb5\x2f\xfd\x00\x58"), MP_FT_ZSTD);
	cr_assert_eq(DET("\x04\x22\x4d\x18\x64\x70"), MP_FT_LZ4);
	cr_assert_eq(DET("\x02\x21\x4c\x18\x00\x00"), MP_FT_LZ4);
	cr_assert_eq(DET("\x1f\x9d\x90\x73"), MP_FT_COMPRESS);
	cr_assert_eq(DET("LZIP\x01\x17"), MP_FT_LZIP);
	/* Python's lzma.FORMAT_ALONE and xz --format=lzma: 8 MiB dictionary,
	 * size unknown. */
	cr_assert_eq(DET("\x5d\x00\x00\x80\x00\xff\xff\xff\xff\xff\xff\xff\xff\x00\x34"), MP_FT_LZMA);
	/* Size known (11 bytes), 64 KiB dictionary. */
	cr_assert_eq(DET("\x5d\x00\x00\x01\x00\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x34"), MP_FT_LZMA);
}

Test(filetype, compressed_near_misses)
{
	cr_assert_eq(DET("\x1f\x8b\x07\x00\x00\x00"), MP_FT_PLAIN); /* method is not deflate */
	cr_assert_eq(DET("\x1f\x8b\x08\x20\x00\x00"), MP_FT_PLAIN); /* reserved flag bit */
	cr_assert_eq(DET("BZh0" "1AY&SY"), MP_FT_PLAIN);
	cr_assert_eq(DET("BZh9 is just text here"), MP_FT_PLAIN);
	cr_assert_eq(DET("\xfd" "7zXZ"), MP_FT_PLAIN); /* cut short */
	cr_assert_eq(DET("\x1f\x9d\x08\x00"), MP_FT_PLAIN); /* 8 bits: not a compress stream */
	cr_assert_eq(DET("\x1f\x9d\xf0\x00"), MP_FT_PLAIN); /* reserved bits */
	cr_assert_eq(DET("LZIP\x07"), MP_FT_PLAIN);
	/* LZMA: bad dictionary, non-zero first data byte, other properties. */
	cr_assert_eq(DET("\x5d\x00\x00\x81\x00\xff\xff\xff\xff\xff\xff\xff\xff\x00\x34"), MP_FT_PLAIN);
	cr_assert_eq(DET("\x5d\x00\x00\x80\x00\xff\xff\xff\xff\xff\xff\xff\xff\x01\x34"), MP_FT_PLAIN);
	cr_assert_eq(DET("\x5e\x00\x00\x80\x00\xff\xff\xff\xff\xff\xff\xff\xff\x00\x34"), MP_FT_PLAIN);
	cr_assert_eq(DET("\x5d\x00\x00\x80\x00\x0b\x00\x00\x00\x00\x00\x01\x00\x00\x34"), MP_FT_PLAIN);
}

Test(filetype, archives_by_leading_magic)
{
	cr_assert_eq(DET("PK\x03\x04\x14\x00\x08\x00"), MP_FT_ZIP);
	cr_assert_eq(DET("PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), MP_FT_ZIP); /* empty zip */
	cr_assert_eq(DET("PK\x07\x08PK\x03\x04\x14\x00"), MP_FT_ZIP);                    /* spanned marker */
	cr_assert_eq(DET("070701000000"), MP_FT_CPIO);
	cr_assert_eq(DET("070702000000"), MP_FT_CPIO);
	cr_assert_eq(DET("070707000000"), MP_FT_CPIO);
	cr_assert_eq(DET("7z\xbc\xaf\x27\x1c\x00\x04"), MP_FT_7ZIP);
	cr_assert_eq(DET("Rar!\x1a\x07\x00\xcf"), MP_FT_RAR);
	cr_assert_eq(DET("Rar!\x1a\x07\x01\x00\x33"), MP_FT_RAR);
	cr_assert_eq(DET("!<arch>\ndebian-binary   "), MP_FT_AR);
	cr_assert_eq(DET("xar!\x00\x1c\x00\x01"), MP_FT_XAR);
	cr_assert_eq(DET("MSCF\0\0\0\0\x40\x00"), MP_FT_CAB);
	cr_assert_eq(DET("\xed\xab\xee\xdb\x03\x00"), MP_FT_RPM);
	cr_assert_eq(DET("WARC/1.0\r\nWARC-Type: warcinfo\r\n"), MP_FT_WARC);
	cr_assert_eq(DET("\x22\x0b-lh5-\x10\x00\x00\x00\x20\x00\x00\x00\x00\x00\x00\x20\x01\x05" "a.txt"), MP_FT_LHA);
	cr_assert_eq(DET("\x22\x0b-lz4-\x10\x00\x00\x00\x20\x00\x00\x00\x00\x00\x00\x20\x01\x05" "a.txt"), MP_FT_LHA);
}

Test(filetype, archive_near_misses)
{
	cr_assert_eq(DET("PK is a prefix of many words"), MP_FT_PLAIN);
	cr_assert_eq(DET("PK\x01\x02 central directory alone"), MP_FT_PLAIN);
	cr_assert_eq(DET("0707 is a date"), MP_FT_PLAIN);
	cr_assert_eq(DET("Rar!\x1a\x07\x02\x00"), MP_FT_PLAIN);
	cr_assert_eq(DET("!<thin>\n"), MP_FT_PLAIN);
	cr_assert_eq(DET("xar!\x00\x1c\x00\x02"), MP_FT_PLAIN);
	cr_assert_eq(DET("MSCF is a name"), MP_FT_PLAIN);
	cr_assert_eq(DET("WARC/2.0\r\n"), MP_FT_PLAIN);
	cr_assert_eq(DET("\x22\x0b-lh9-\x10\x00\x00\x00\x20\x00\x00\x00\x00\x00\x00\x20\x01\x05" "a.txt"),
		     MP_FT_PLAIN);
	cr_assert_eq(DET(""), MP_FT_PLAIN);
	cr_assert_eq(DET("\x1f"), MP_FT_PLAIN);
	cr_assert_eq(DET("hello, world\n"), MP_FT_PLAIN);
}

Test(filetype, binary_cpio_either_byte_order)
{
	unsigned char h[40] = {0};

	/* Little-endian: magic 0x71c7, name size 6 ("a.txt" and its NUL). */
	h[0] = 0xc7;
	h[1] = 0x71;
	h[20] = 6;
	memcpy(h + 26, "a.txt", 6);
	cr_assert_eq(mp_filetype_detect(h, sizeof h), MP_FT_CPIO);
	/* Big-endian. */
	h[0] = 0x71;
	h[1] = 0xc7;
	h[20] = 0;
	h[21] = 6;
	cr_assert_eq(mp_filetype_detect(h, sizeof h), MP_FT_CPIO);
	/* The name does not end where the header says. */
	h[21] = 4;
	cr_assert_eq(mp_filetype_detect(h, sizeof h), MP_FT_PLAIN);
	h[21] = 6;
	h[28] = '\0'; /* NUL inside the name */
	cr_assert_eq(mp_filetype_detect(h, sizeof h), MP_FT_PLAIN);
}

/* A tar header for `name` with the checksum computed, `magic` (6 bytes) at
 * 257 or nothing there. */
static void tar_header(unsigned char h[512], const char *name, const char *magic)
{
	unsigned sum = 0;

	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0001750", 8);
	memcpy(h + 116, "0001750", 8);
	memcpy(h + 124, "00000000013", 12);
	memcpy(h + 136, "14656422365", 12);
	h[156] = '0';
	if (magic)
		memcpy(h + 257, magic, 6);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

Test(filetype, tar_ustar_gnu_and_v7)
{
	unsigned char h[1024];

	memset(h, 0, sizeof h);
	tar_header(h, "a.txt", "ustar");
	cr_assert_eq(mp_filetype_detect(h, sizeof h), MP_FT_TAR);
	tar_header(h, "a.txt", "ustar ");
	cr_assert_eq(mp_filetype_detect(h, sizeof h), MP_FT_TAR);
	/* v7: no magic, recognised by the checksum alone. */
	tar_header(h, "a.txt", NULL);
	cr_assert_eq(mp_filetype_detect(h, sizeof h), MP_FT_TAR);
	h[0] = 'b'; /* the checksum no longer holds */
	cr_assert_eq(mp_filetype_detect(h, sizeof h), MP_FT_PLAIN);
	/* Fewer than 512 bytes: never a tar. */
	tar_header(h, "a.txt", "ustar");
	cr_assert_eq(mp_filetype_detect(h, 511), MP_FT_PLAIN);
	/* All zeros (the end of an archive, or just zeros) is not a header. */
	memset(h, 0, sizeof h);
	cr_assert_eq(mp_filetype_detect(h, sizeof h), MP_FT_PLAIN);
}

Test(filetype, iso9660_signature_at_32769)
{
	unsigned char *p = calloc(1, 40000);

	cr_assert_not_null(p);
	memcpy(p + 32769, "CD001", 5);
	p[32768] = 1;
	cr_assert_eq(mp_filetype_detect(p, 40000), MP_FT_ISO9660);
	cr_assert_eq(mp_filetype_detect(p, MP_FILETYPE_PEEK), MP_FT_ISO9660);
	cr_assert_eq(mp_filetype_detect(p, MP_FILETYPE_PEEK - 1), MP_FT_PLAIN);
	memcpy(p + 32769, "CD002", 5);
	cr_assert_eq(mp_filetype_detect(p, 40000), MP_FT_PLAIN);
	free(p);
}

Test(filetype, text_that_mentions_magic_is_plain)
{
	char buf[600];

	memset(buf, 'a', sizeof buf);
	memcpy(buf + 257, "ustaR", 5);
	cr_assert_eq(mp_filetype_detect(buf, sizeof buf), MP_FT_PLAIN);
	cr_assert_eq(DET("# 1f8b: the gzip magic, PK\\3\\4 the zip one\n"), MP_FT_PLAIN);
}

Test(filetype, names_and_classes)
{
	for (int t = 0; t < MP_FT__COUNT; t++) {
		const char *n = mp_filetype_name((enum mp_filetype)t);
		cr_assert_not_null(n);
		cr_assert_gt(strlen(n), 0);
		for (int u = t + 1; u < MP_FT__COUNT; u++)
			cr_assert_str_neq(n, mp_filetype_name((enum mp_filetype)u));
	}
	cr_assert_str_eq(mp_filetype_name(MP_FT_GZIP), "gzip");
	cr_assert_str_eq(mp_filetype_name(MP_FT__COUNT), "unknown");
	cr_assert(mp_filetype_is_compressed(MP_FT_GZIP));
	cr_assert(mp_filetype_is_compressed(MP_FT_LZIP));
	cr_assert_not(mp_filetype_is_compressed(MP_FT_ZIP));
	cr_assert_not(mp_filetype_is_compressed(MP_FT_PLAIN));
	cr_assert(mp_filetype_is_container(MP_FT_ZIP));
	cr_assert(mp_filetype_is_container(MP_FT_XZ));
	cr_assert(mp_filetype_is_container(MP_FT_WARC));
	cr_assert_not(mp_filetype_is_container(MP_FT_PLAIN));
	cr_assert_not(mp_filetype_is_container(MP_FT__COUNT));
}

/* Headers written by Python's lzma module (liblzma): presets 0 and 6, a
 * BCJ filter before LZMA2, and the legacy .lzma format. */
Test(filetype, declared_decoder_memory)
{
	static const unsigned char xz0[] = {0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04, 0xe6, 0xd6, 0xb4, 0x46,
					    0x02, 0x00, 0x21, 0x01, 0x0c, 0x00, 0x00, 0x00, 0x8f, 0x98, 0x41, 0x9c};
	static const unsigned char xz6[] = {0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04, 0xe6, 0xd6, 0xb4, 0x46,
					    0x02, 0x00, 0x21, 0x01, 0x16, 0x00, 0x00, 0x00, 0x74, 0x2f, 0xe5, 0xa3};
	static const unsigned char bcj[] = {0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04, 0xe6, 0xd6,
					    0xb4, 0x46, 0x02, 0x01, 0x04, 0x00, 0x21, 0x01, 0x10, 0x00,
					    0x8b, 0x21, 0x6f, 0x49, 0x01, 0x00, 0x00, 0x78};
	static const unsigned char alone[] = {0x5d, 0x00, 0x00, 0x10, 0x00, 0xff, 0xff,
					      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
	unsigned char big[sizeof xz0];

	cr_assert_eq(mp_filetype_decoder_memory(MP_FT_XZ, xz0, sizeof xz0), 256u << 10);
	cr_assert_eq(mp_filetype_decoder_memory(MP_FT_XZ, xz6, sizeof xz6), 8u << 20);
	cr_assert_eq(mp_filetype_decoder_memory(MP_FT_XZ, bcj, sizeof bcj), 1u << 20, "LZMA2 after a BCJ filter");
	cr_assert_eq(mp_filetype_decoder_memory(MP_FT_LZMA, alone, sizeof alone), 1u << 20);
	memcpy(big, xz0, sizeof big);
	big[16] = 39; /* 3 << 30: 3 GiB */
	cr_assert_eq(mp_filetype_decoder_memory(MP_FT_XZ, big, sizeof big), UINT64_C(3) << 30);
	big[16] = 40;
	cr_assert_eq(mp_filetype_decoder_memory(MP_FT_XZ, big, sizeof big), UINT32_MAX);
	big[16] = 41;
	cr_assert_eq(mp_filetype_decoder_memory(MP_FT_XZ, big, sizeof big), 0, "not a valid dictionary");
	cr_assert_eq(mp_filetype_decoder_memory(MP_FT_XZ, xz0, 15), 0, "header cut short");
	cr_assert_eq(mp_filetype_decoder_memory(MP_FT_GZIP, xz0, sizeof xz0), 0);
}

/* ---- content types ---- */

static enum mp_content ct(const void *p, size_t n)
{
	return mp_content_detect(p, n);
}

#define CT(lit) ct(lit, sizeof lit - 1)

Test(content, text_is_decided_without_libmagic)
{
	char *big = malloc(MP_FILETYPE_PEEK);

	cr_assert_eq(CT(""), MP_CT_TEXT);
	cr_assert_eq(CT("key = value\n\tindented\r\n"), MP_CT_TEXT);
	cr_assert_eq(CT("\xef\xbb\xbfutf-8 with a BOM, caf\xc3\xa9\n"), MP_CT_TEXT);
	cr_assert_eq(CT("latin-1 caf\xe9\n"), MP_CT_TEXT);
	cr_assert_eq(CT("\x1b[1mbold\x1b[0m\n"), MP_CT_TEXT); /* escapes */
	/* Text with a NUL beyond the first MP_CONTENT_SNIFF bytes. */
	cr_assert_not_null(big);
	memset(big, 'x', MP_FILETYPE_PEEK);
	for (size_t i = 79; i < MP_FILETYPE_PEEK; i += 80)
		big[i] = '\n';
	big[MP_CONTENT_SNIFF + 100] = '\0';
	cr_assert_eq(ct(big, MP_FILETYPE_PEEK), MP_CT_TEXT);
	/* ... but within them it is not text. */
	big[100] = '\0';
	cr_assert_neq(ct(big, MP_FILETYPE_PEEK), MP_CT_TEXT);
	/* Allowed controls in the vector loop's part (over 16 bytes). */
	for (size_t i = 0; i < 1024; i++)
		big[i] = "ab\t\x1b[0m\r\n\b\v\fcdefgh"[i % 16];
	cr_assert_eq(ct(big, 1024), MP_CT_TEXT);
	/* One in 32 others is still text; more is not. */
	for (size_t i = 0; i < 1024; i += 32)
		big[i] = '\x7f';
	cr_assert_eq(ct(big, 1024), MP_CT_TEXT);
	big[17] = '\x01';
	cr_assert_eq(ct(big, 1024), MP_CT_UNSURE);
		/* Many control characters: not decided here. */
	memset(big, '\x01', 64);
	cr_assert_eq(ct(big, 200), MP_CT_UNSURE);
	free(big);
}

Test(content, media_signatures)
{
	cr_assert_eq(CT("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01"), MP_CT_MEDIA);
	cr_assert_eq(CT("\xff\xd8\xff\xe0\0\x10JFIF\0"), MP_CT_MEDIA);
	cr_assert_eq(CT("GIF89a\x01\0\x01\0"), MP_CT_MEDIA);
	cr_assert_eq(CT("RIFF\x24\0\0\0WEBPVP8 "), MP_CT_MEDIA);
	cr_assert_eq(CT("RIFF\x24\0\0\0WAVEfmt "), MP_CT_MEDIA);
	cr_assert_eq(CT("RIFF\x24\0\0\0AVI LIST"), MP_CT_MEDIA);
	cr_assert_eq(CT("BM\x46\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0"), MP_CT_MEDIA);
	cr_assert_eq(CT("II*\0\x08\0\0\0"), MP_CT_MEDIA);
	cr_assert_eq(CT("MM\0*\0\0\0\x08"), MP_CT_MEDIA);
	cr_assert_eq(CT("\0\0\1\0\1\0\x10\x10\0\0\1\0\x20\0\x68\x04\0\0\x16\0\0\0"), MP_CT_MEDIA);
	cr_assert_eq(CT("ID3\x04\0\0\0\0\0\x0a"), MP_CT_MEDIA);
	cr_assert_eq(CT("fLaC\0\0\0\x22"), MP_CT_MEDIA);
	cr_assert_eq(CT("OggS\0\x02\0\0"), MP_CT_MEDIA);
	cr_assert_eq(CT("\0\0\0\x20" "ftypisom\0\0\x02\0"), MP_CT_MEDIA);
	cr_assert_eq(CT("\0\0\0\x14" "ftypqt  \0\0\0\0"), MP_CT_MEDIA);
	cr_assert_eq(CT("\x1a\x45\xdf\xa3\x9f\x42\x86\x81"), MP_CT_MEDIA);
	/* Short signatures need more than their first bytes. */
	cr_assert_eq(CT("BMW is a car maker\n"), MP_CT_TEXT);
	cr_assert_eq(CT("RIFF raff\n"), MP_CT_TEXT);
}

Test(content, binaries)
{
	cr_assert_eq(CT("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"), MP_CT_BINARY);
	cr_assert_eq(CT("\xca\xfe\xba\xbe\0\0\0\x34"), MP_CT_BINARY);
	cr_assert_eq(CT("SQLite format 3\0\x10\0"), MP_CT_BINARY);
	/* NULs without a signature: for libmagic. */
	cr_assert_eq(CT("abc\0\0\0\x01\x02\x03\0\0\xff\xfe\0"), MP_CT_UNSURE);
	cr_assert_eq(mp_content_from_mime("image/png"), MP_CT_MEDIA);
	cr_assert_eq(mp_content_from_mime("audio/mpeg"), MP_CT_MEDIA);
	cr_assert_eq(mp_content_from_mime("video/mp4"), MP_CT_MEDIA);
	cr_assert_eq(mp_content_from_mime("text/plain"), MP_CT_TEXT);
	cr_assert_eq(mp_content_from_mime("application/octet-stream"), MP_CT_BINARY);
	cr_assert_eq(mp_content_from_mime(NULL), MP_CT_BINARY);
}

Test(content, utf16)
{
	/* BOMs. */
	cr_assert_eq(CT("\xff\xfek\0e\0y\0"), MP_CT_UTF16LE);
	cr_assert_eq(CT("\xfe\xff\0k\0e\0y"), MP_CT_UTF16BE);
	cr_assert_neq(CT("\xff\xfe\0\0k\0\0\0"), MP_CT_UTF16LE); /* UTF-32LE */
	/* Without a BOM: zero bytes at every other position beside ASCII. */
	cr_assert_eq(CT("k\0e\0y\0=\0v\0a\0l\0u\0e\0\n\0"), MP_CT_UTF16LE);
	cr_assert_eq(CT("\0k\0e\0y\0=\0v\0a\0l\0u\0e\0\n"), MP_CT_UTF16BE);
	/* Mostly ASCII with a few other characters. */
	cr_assert_eq(CT("\0c\0a\0f\0\xe9\0 \x4e\x2d\0x\0y\0z\0\n"), MP_CT_UTF16BE);
	/* Zeros at every other position but no text beside them. */
	cr_assert_eq(CT("\x01\0\x02\0\x03\0\x04\0\x05\0\x06\0"), MP_CT_UNSURE);
}

/* ---- the UTF-16 transcoder ---- */

Test(utf16, transcodes_every_unit_to_one_character)
{
	/* "a", e-acute, U+4E2D, U+1F600 (a pair), a lone high surrogate, "z". */
	static const unsigned char le[] = {'a', 0, 0xe9, 0, 0x2d, 0x4e, 0x3d, 0xd8, 0x00, 0xde,
					   0x00, 0xd8, 'z', 0};
	char out[64];
	size_t used, n;

	n = mp_utf16_to_utf8(le, sizeof le, false, true, out, &used);
	cr_assert_eq(used, sizeof le);
	cr_assert_eq(n, 1 + 2 + 3 + 4 + 3 + 1);
	cr_assert(memcmp(out, "a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\xef\xbf\xbdz", n) == 0);
	/* Units back: one per lead byte, two per 4-byte lead. */
	cr_assert_eq(mp_utf8_units(out, n), sizeof le / 2);
	/* Additive even when a range is cut inside a character. */
	for (size_t cut = 0; cut <= n; cut++)
		cr_assert_eq(mp_utf8_units(out, cut) + mp_utf8_units(out + cut, n - cut), sizeof le / 2);
	/* Not final: a pending high surrogate or odd byte waits. */
	n = mp_utf16_to_utf8(le, 8, false, false, out, &used);
	cr_assert_eq(used, 6);
	n = mp_utf16_to_utf8(le, 5, false, false, out, &used);
	cr_assert_eq(used, 4);
	cr_assert_eq(n, 3);
	/* Final: an odd last byte becomes U+FFFD. */
	n = mp_utf16_to_utf8(le, 3, false, true, out, &used);
	cr_assert_eq(used, 3);
	cr_assert(memcmp(out, "a\xef\xbf\xbd", n) == 0);
}

struct bytes_src {
	const unsigned char *p;
	size_t n, pos, step;
};

static long bytes_read(void *ctx, void *buf, size_t n)
{
	struct bytes_src *b = ctx;
	size_t m = b->n - b->pos;

	if (m > b->step)
		m = b->step;
	if (m > n)
		m = n;
	memcpy(buf, b->p + b->pos, m);
	b->pos += m;
	return (long)m;
}

Test(utf16, reader_streams_in_any_chunks)
{
	enum { N = 100000 };
	unsigned char *be = malloc(2 * N);
	char *want = malloc(4 * N), *got = malloc(4 * N + 16);
	size_t wn = 0, used;
	struct mp_utf16 *t = malloc(sizeof *t);

	cr_assert(be && want && got && t);
	for (size_t i = 0; i < N; i++) {
		/* A pattern of ASCII, 2- and 3-byte characters and pairs. */
		static const unsigned short units[] = {'k', 0xe9, 0x4e2d, 0xd83d, 0xde00, '\n'};
		unsigned short u = units[i % 6];
		be[2 * i] = (unsigned char)(u >> 8);
		be[2 * i + 1] = (unsigned char)u;
	}
	wn = mp_utf16_to_utf8(be, 2 * N, true, true, want, &used);
	for (size_t step = 1; step < 40000; step = step * 3 + 1) {
		struct bytes_src b = {.p = be, .n = 2 * N, .step = step};
		struct mp_reader src = {.read = bytes_read, .ctx = &b}, rd;
		size_t gn = 0;
		long k;
		mp_utf16_init(t, &src, true);
		rd = mp_utf16_reader(t);
		while ((k = rd.read(rd.ctx, got + gn, step % 7 + 1)) > 0)
			gn += (size_t)k;
		cr_assert_eq(k, 0);
		cr_assert_eq(gn, wn, "step %zu", step);
		cr_assert(memcmp(got, want, wn) == 0, "step %zu", step);
	}
	free(be);
	free(want);
	free(got);
	free(t);
}
