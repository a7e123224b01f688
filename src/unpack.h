/* unpack.h - archives and compressed streams, opened from the stream.
 *
 * mp_unpack_scan takes one top-level input (a file or standard input) as a
 * byte source. It reads the first bytes (the peek) and asks filetype.c what
 * they are. Plain content goes to the matcher (mp_scan_stream), the peeked
 * bytes first. An archive or a compressed stream is opened with libarchive
 * from the same source, through read callbacks that hand over the peeked
 * bytes first: nothing is written to disk and nothing is read twice. Each
 * regular-file member is handled the same way, recursively: its first bytes
 * are peeked from archive_read_data, and it is either opened as a nested
 * archive (up to archive-depth) or scanned. Only one stream is scanned at a
 * time, so the matcher's one segment buffer serves every level.
 *
 * Member names are data: they are put in the location's chain and never used
 * as paths. Links, directories and devices inside archives are skipped.
 *
 * Limits (caps.h, budget.h): archive-depth, member-size, expanded-size,
 * compression-ratio (past ratio-grace), archive-entries, input-time. Each
 * produces a `limit` notice with the chain where it stopped; findings made
 * before are kept. Damaged, truncated or unsupported archives produce
 * `archive-error` notices and encrypted members `encrypted` notices, with
 * libarchive's message; what was readable before the damage is scanned.
 *
 * Memory: one BLOCK (64 KiB) buffer per nesting level, plus what libarchive
 * keeps for each open archive (see doc/internals.md).
 */
#ifndef MP_UNPACK_H
#define MP_UNPACK_H

#include <stdbool.h>
#include <stdint.h>

#include "filetype.h"
#include "scan.h"

/* What one input gave. */
struct mp_unpack_counts {
	uint64_t input;          /* bytes read from the input itself */
	uint64_t expanded;       /* bytes unpacked from archives and compressed streams, every level */
	uint64_t archives;       /* archives and compressed streams opened */
	uint64_t members;        /* archive members (and decompressed files) whose data was read */
	uint64_t binaries;       /* objects (inputs or members) typed binary and scanned */
	uint64_t utf16;          /* objects typed UTF-16 text and transcoded */
	uint64_t media;          /* objects typed media and skipped (--media=skip) */
	uint64_t binary_skipped; /* objects typed binary and skipped (--binary=skip) */
	unsigned type;           /* what the input itself was taken for: see mp_unpack_type_name */
};

/* Types of an input: the enum mp_filetype of a container that was opened
 * (gzip, zip, tar, ...), or MP_FT__COUNT + the enum mp_content it was
 * scanned (or skipped) as: text, utf-16le, utf-16be, binary, media. */
#define MP_UNPACK_NTYPES (MP_FT__COUNT + MP_CT__COUNT)
/* The type's name: mp_filetype_name or mp_content_name. */
const char *mp_unpack_type_name(unsigned type);

struct mp_unpacker;

/* Names a caller may put before the levels' own in the chain (a layer). */
#define MP_UNPACK_BASE_MAX 2

/* Sees each entry of the input's outermost archive (after any compression
 * around it): a layer's tar. name is the entry's path as stored (raw bytes,
 * valid during the call); is_dir tells directories. Returns whether the
 * entry may be scanned (a regular file); false keeps it out (a whiteout). */
struct mp_unpack_hook {
	bool (*entry)(void *ctx, const char *name, bool is_dir);
	void *ctx;
};

/* An unpacker for one worker thread. e, s and emit are borrowed and must
 * outlive it; notices go to emit->notice, findings through s. NULL when out
 * of memory. Not shared between threads. */
struct mp_unpacker *mp_unpacker_new(const struct mp_engine *e, struct mp_scanner *s,
				    const struct mp_emit *emit);
void mp_unpacker_free(struct mp_unpacker *u);

/* Scan one top-level input read from rd (owned by the caller; rd->seek may
 * be NULL) at loc: its path, and at most MP_UNPACK_BASE_MAX chain names that
 * come before those of the content (a container image's layer name);
 * loc->image is copied into every location reported. Read errors, limits
 * and damaged archives become notices; the rest of the input is still
 * scanned where possible. Fills *out. */
void mp_unpack_scan(struct mp_unpacker *u, const struct mp_loc *loc, const struct mp_reader *rd,
		    struct mp_unpack_counts *out);

/* The hook for the following inputs (copied), or NULL for none. */
void mp_unpack_set_hook(struct mp_unpacker *u, const struct mp_unpack_hook *h);

#endif
