/* filetype.h - what a byte stream is, decided from its first bytes.
 *
 * Only magic numbers are used: a fixed signature at a fixed offset, checked
 * further where a signature is short (a tar header's checksum, the reserved
 * bits of a gzip or compress header, the first byte of LZMA data). The
 * decision needs at most MP_FILETYPE_PEEK bytes; fewer are enough for
 * everything but tar (512) and ISO 9660 (32774).
 *
 * Pure functions, safe from any thread.
 */
#ifndef MP_FILETYPE_H
#define MP_FILETYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes from the start of a stream that mp_filetype_detect may look at:
 * the ISO 9660 signature "CD001" ends at offset 32774. */
#define MP_FILETYPE_PEEK 32774

enum mp_filetype {
	MP_FT_PLAIN, /* none of the below: scanned as it is */
	/* compressed streams: one file inside */
	MP_FT_GZIP,
	MP_FT_BZIP2,
	MP_FT_XZ,
	MP_FT_LZMA, /* the legacy .lzma ("LZMA alone") format */
	MP_FT_ZSTD,
	MP_FT_LZ4,
	MP_FT_COMPRESS, /* Unix compress, .Z */
	MP_FT_LZIP,
	/* archives: named members */
	MP_FT_ZIP, /* and jar, war, ear, apk, docx, xlsx, pptx, odt, epub */
	MP_FT_TAR, /* ustar, GNU, pax, and v7 (recognised by its checksum) */
	MP_FT_CPIO,
	MP_FT_7ZIP,
	MP_FT_RAR,
	MP_FT_ISO9660,
	MP_FT_AR, /* and .deb */
	MP_FT_XAR,
	MP_FT_CAB,
	MP_FT_LHA,
	MP_FT_RPM,
	MP_FT_WARC,
	MP_FT__COUNT
};

/* The type of the stream whose first n bytes are p. n may be less than
 * MP_FILETYPE_PEEK only when the stream is that short. */
enum mp_filetype mp_filetype_detect(const void *p, size_t n);

/* What content that is not a container is. Together with the containers
 * above (an archive, or a compressed stream) these are the outcomes of
 * typing: text, UTF-16 text, binary, media. */
enum mp_content {
	MP_CT_TEXT,    /* scanned with every rule */
	MP_CT_UTF16LE, /* transcoded to UTF-8 (text.h), then scanned as text */
	MP_CT_UTF16BE,
	MP_CT_BINARY, /* secrets only by default (--binary) */
	MP_CT_MEDIA,  /* image, audio, video: skipped by default (--media) */
	MP_CT_UNSURE, /* no signature, not plain text: libmagic is to decide */
	MP_CT__COUNT
};

/* Bytes from the start that mp_content_detect looks at for NUL bytes and
 * control characters (signatures may lie further, up to the peek). Git
 * looks at its first 8000 bytes the same way. */
#define MP_CONTENT_SNIFF 8192

/* The content type of a stream that is not a container, whose first n
 * bytes are p: a BOM, then media and executable signatures, then ASCII or
 * UTF-8 text (no NUL in the first MP_CONTENT_SNIFF bytes and few control
 * characters in the first KiB), then UTF-16 without a BOM (zero bytes at
 * every other position next to printable ASCII). Anything else is
 * MP_CT_UNSURE, for mp_content_from_mime. Plain text never needs libmagic. */
enum mp_content mp_content_detect(const void *p, size_t n);

/* The content type for a MIME type libmagic gave (NULL: it failed):
 * image/, audio/, video/ are media, text/ is text, anything else binary. */
enum mp_content mp_content_from_mime(const char *mime);

/* "text", "utf-16le", "utf-16be", "binary", "media", "unsure". */
const char *mp_content_name(enum mp_content c);

/* A short lowercase name ("gzip", "zip", "iso9660"), for messages. */
const char *mp_filetype_name(enum mp_filetype t);

/* A compressed stream (one file inside, no names). */
bool mp_filetype_is_compressed(enum mp_filetype t);

/* Anything libarchive is to open: a compressed stream or an archive. */
bool mp_filetype_is_container(enum mp_filetype t);

/* The decoder memory a stream of type t declares in its first n bytes: the
 * LZMA dictionary of an .lzma header, or of the first block of an .xz
 * stream (its LZMA2 filter). 0 when the type declares none worth checking
 * (the other decoders use at most a few MiB, and libzstd refuses windows
 * over 128 MiB by itself) or the header is not in p. */
uint64_t mp_filetype_decoder_memory(enum mp_filetype t, const void *p, size_t n);

#endif
