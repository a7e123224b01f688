/* unpack.c - archives and compressed streams, read with libarchive from the
 * stream they arrive in, nested, under the per-input limits. */
#include "mp_config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budget.h"
#include "filetype.h"
#include "log.h"
#include "structured.h"
#include "text.h"
#include "unpack.h"

/* Bytes peeked at each level, and the size of the blocks handed to
 * libarchive. It must cover every signature filetype.c knows. */
#define BLOCK (64u << 10)
_Static_assert(BLOCK >= MP_FILETYPE_PEEK, "the peek must reach every signature");

/* Levels: the input, and one per archive open (archive-depth is at most 32). */
#define LEVELS 33
/* Chain names: those of the levels, after the caller's own (a layer's name). */
#define NAMES (LEVELS + MP_UNPACK_BASE_MAX)

/* A member name longer than this is cut to it in the chain. */
#define NAME_MAX_BYTES 4096

enum src_state {
	SRC_MORE,   /* data may follow */
	SRC_END,    /* the source ended */
	SRC_FAILED, /* a read failed; err says why */
	SRC_CUT,    /* member-size stopped this member (the notice was given) */
	SRC_STOPPED /* the input's budget ran out (the notice was given) */
};

/* One level's byte source: the input itself (depth 0), or the current
 * member of the archive one level up. */
struct stream {
	struct mp_unpacker *u;
	unsigned depth;              /* archives and compressed streams above this stream */
	unsigned nchain;             /* names in the chain of this stream's location (<= depth) */
	bool decompressed;           /* the content of a compressed stream (a raw member) */
	const struct mp_reader *top; /* depth 0: the input */
	struct archive *parent;      /* depth > 0: whose current member this is */
	unsigned char *buf;          /* BLOCK bytes, this level's own */
	size_t peek;                 /* bytes of buf filled by the peek */
	size_t peek_off;             /* bytes of the peek already handed on */
	bool moved;                  /* bytes past the peek were taken (or a seek): the peek is gone */
	bool err_noted;              /* the matcher reported the read error itself */
	uint64_t pos;                /* bytes taken from the source */
	const char *blk;             /* depth > 0: the rest of libarchive's current data block */
	size_t blk_len;              /* bytes left in blk */
	uint64_t blk_at;             /* member offset of blk[0]; above pos: a hole (zeros) first */
	enum src_state state;
	int rc;        /* SRC_FAILED below depth 0: libarchive's status */
	char err[256]; /* SRC_FAILED: the cause */
};

struct level {
	unsigned char *buf; /* BLOCK bytes, allocated when first needed */
	char *name;         /* NAME_MAX_BYTES + 1: chain[i] when i is this level's index */
};

/* Filters whose support call returned ARCHIVE_OK when the unpacker was made:
 * ARCHIVE_WARN means libarchive would run an external program. */
static const struct {
	int (*add)(struct archive *);
} filters[] = {
	{archive_read_support_filter_bzip2}, {archive_read_support_filter_compress},
	{archive_read_support_filter_gzip},  {archive_read_support_filter_lz4},
	{archive_read_support_filter_lzip},  {archive_read_support_filter_lzma},
	{archive_read_support_filter_xz},    {archive_read_support_filter_zstd},
	{archive_read_support_filter_rpm},
};
#define NFILTERS (sizeof filters / sizeof filters[0])

struct mp_unpacker {
	const struct mp_engine *e;
	const uint64_t *caps; /* the engine's */
	struct mp_scanner *scanner;
	struct mp_emit emit;
	locale_t utf8; /* C.UTF-8 for libarchive's name conversions, or 0 */
	bool filter_ok[NFILTERS];
	struct level lv[NAMES];   /* buf: by depth (< LEVELS); name: by chain index */
	const char *chain[NAMES]; /* chain[i]: lv[i].name while a member of level i is read */
	/* The input being scanned. */
	const struct mp_loc *loc;
	unsigned base;              /* names of loc's own chain, before the levels' */
	struct mp_unpack_hook hook; /* the entries of the input's outermost archive, or none */
	struct mp_budget budget;
	bool stop_noted; /* the budget's limit notice was given */
	struct mp_unpack_counts counts;
	magic_t magic;        /* this worker's libmagic cookie, made when first needed, or NULL */
	bool magic_tried;     /* magic_open and magic_load were tried (once) */
	struct mp_utf16 *u16; /* the transcoder, made when first needed */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void note(struct mp_unpacker *u, unsigned nchain, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A notice at the input's path and the first nchain names of the chain. */
static void note(struct mp_unpacker *u, unsigned nchain, const char *kind, const char *fmt, ...)
{
	struct mp_loc loc = {
		.path = u->loc->path, .chain = u->chain, .nchain = nchain, .image = u->loc->image};
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	u->emit.notice(u->emit.ctx, &loc, kind, msg);
}

static bool source_ok(const struct stream *st)
{
	return st->state == SRC_MORE || st->state == SRC_END;
}

static void budget_stopped(struct mp_unpacker *u, struct stream *st)
{
	char msg[512];

	st->state = SRC_STOPPED;
	if (u->stop_noted)
		return;
	u->stop_noted = true;
	mp_budget_describe(&u->budget, msg, sizeof msg);
	note(u, st->nchain, "limit", "%s", msg);
}

static int member_failed(struct stream *st, int rc)
{
	const char *m = archive_error_string(st->parent);

	st->state = SRC_FAILED;
	st->rc = (int)rc;
	snprintf(st->err, sizeof st->err, "%s", m ? m : "libarchive gave no reason");
	return -1;
}

/* Is there more member data? 1 yes (a block or a hole is pending), 0 at
 * its end, -1 when reading failed. archive_read_data_block is used rather
 * than archive_read_data, which drops the bytes it copied when it then
 * fails: with blocks, everything before the damage is scanned. */
static int member_more(struct stream *st)
{
	for (int empty = 0; st->blk_len == 0 && st->blk_at <= st->pos; empty++) {
		const void *b;
		size_t len;
		la_int64_t off;
		int r;
		if (empty == 1000) {
			snprintf(st->err, sizeof st->err, "no data in 1000 blocks in a row");
			st->state = SRC_FAILED;
			st->rc = ARCHIVE_FATAL;
			return -1;
		}
		r = archive_read_data_block(st->parent, &b, &len, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return member_failed(st, r);
		st->blk = b;
		st->blk_len = len;
		/* Sparse members: a block further on leaves zeros between. */
		st->blk_at = off > 0 && (uint64_t)off > st->pos ? (uint64_t)off : st->pos;
	}
	return 1;
}

/* Copy up to n bytes of member data (member_more said there are some). */
static size_t member_take(struct stream *st, char *dst, size_t n)
{
	size_t m;

	if (st->blk_at > st->pos) {
		m = st->blk_at - st->pos < n ? (size_t)(st->blk_at - st->pos) : n;
		memset(dst, 0, m);
		return m;
	}
	m = st->blk_len < n ? st->blk_len : n;
	memcpy(dst, st->blk, m);
	st->blk += m;
	st->blk_len -= m;
	st->blk_at += m;
	return m;
}

/* Take up to n bytes from st's source, past the peek, into dst, charging the
 * budget and enforcing member-size. Returns the bytes taken (> 0), 0 at the
 * end or when a limit stopped the stream, -1 when a read failed. */
static long stream_pull(struct stream *st, void *dst, size_t n)
{
	struct mp_unpacker *u = st->u;
	struct mp_budget *b = &u->budget;
	uint64_t room;
	size_t k;
	int more;

	if (st->state == SRC_FAILED)
		return -1;
	if (st->state != SRC_MORE)
		return 0;
	if (mp_budget_check(b, now_ns()) != MP_CAP__COUNT) {
		budget_stopped(u, st);
		return 0;
	}
	if (st->depth == 0) {
		long got = st->top->read(st->top->ctx, dst, n);
		if (got < 0) {
			const char *m = st->top->error ? st->top->error(st->top->ctx) : NULL;
			st->state = SRC_FAILED;
			snprintf(st->err, sizeof st->err, "%s", m ? m : "error");
			return -1;
		}
		if (got == 0) {
			st->state = SRC_END;
			return 0;
		}
		st->pos += (uint64_t)got;
		mp_budget_read(b, (uint64_t)got);
		return got;
	}
	more = member_more(st);
	if (more <= 0) {
		if (more == 0)
			st->state = SRC_END;
		return more;
	}
	room = mp_budget_room(b, mp_budget_member_room(u->caps, st->pos, n));
	if (room == 0) {
		/* At a limit, and the member goes on. */
		if (mp_budget_member_room(u->caps, st->pos, 1) == 0) {
			st->state = SRC_CUT;
			note(u, st->nchain, "limit",
			     "member-size limit (%llu bytes) reached: the rest of the member was not scanned",
			     (unsigned long long)u->caps[MP_CAP_MEMBER_SIZE]);
		} else {
			mp_budget_stop(b, MP_CAP_EXPANDED_SIZE);
			budget_stopped(u, st);
		}
		return 0;
	}
	k = member_take(st, dst, (size_t)room);
	st->pos += k;
	mp_budget_unpacked(b, k);
	return (long)k;
}

/* Read the first BLOCK bytes (or all there is) into st->buf, and say what
 * they are. A slow source (a pipe) need not fill the block when its first
 * bytes already name a container: the type cannot change with more bytes.
 * 7-Zip is read on, so that a small one can be held whole (mem_seek). */
static enum mp_filetype fill_peek(struct stream *st)
{
	enum mp_filetype t = MP_FT_PLAIN;

	st->peek = 0;
	st->peek_off = 0;
	while (st->peek < BLOCK) {
		long k = stream_pull(st, st->buf + st->peek, BLOCK - st->peek);
		if (k <= 0)
			break;
		st->peek += (size_t)k;
		t = mp_filetype_detect(st->buf, st->peek);
		if (mp_filetype_is_container(t) && t != MP_FT_7ZIP)
			return t;
	}
	return mp_filetype_detect(st->buf, st->peek);
}

/* ---- plain content: the matcher reads the peek, then the source ---- */

static long plain_read(void *ctx, void *buf, size_t n)
{
	struct stream *st = ctx;
	long k;

	if (st->peek_off < st->peek) {
		size_t m = st->peek - st->peek_off < n ? st->peek - st->peek_off : n;
		memcpy(buf, st->buf + st->peek_off, m);
		st->peek_off += m;
		return (long)m;
	}
	k = stream_pull(st, buf, n);
	if (k < 0 && st->depth > 0)
		return 0; /* the archive above reports it, as an archive-error */
	if (k < 0)
		st->err_noted = true; /* mp_scan_stream reports it, as a read-error */
	return k;
}

static const char *plain_error(void *ctx)
{
	return ((struct stream *)ctx)->err;
}

static void scan_plain(struct mp_unpacker *u, struct stream *st, unsigned flags)
{
	struct mp_reader rd = {.read = plain_read, .error = plain_error, .ctx = st};
	struct mp_loc loc = {
		.path = u->loc->path, .chain = u->chain, .nchain = st->nchain, .image = u->loc->image};
	uint64_t bytes = 0;

	mp_scanner_next_object(u->scanner, flags);
	mp_scan_stream(u->scanner, &loc, &rd, &bytes);
}

/* ---- typing: text, UTF-16 text, binary or media ---- */

/* libmagic's MIME type for the peek, through this worker's own cookie
 * (magic_t is not thread-safe), which is made and loaded the first time it
 * is needed: a tree of plain text never loads the magic database. Checks
 * that would decompress, or that only name text and programs, are off. */
static enum mp_content ask_magic(struct mp_unpacker *u, const void *p, size_t n)
{
	if (!u->magic_tried) {
		u->magic_tried = true;
		u->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR |
				      MAGIC_NO_CHECK_ELF | MAGIC_NO_CHECK_APPTYPE | MAGIC_NO_CHECK_CDF |
				      MAGIC_NO_CHECK_TOKENS | MAGIC_NO_CHECK_CSV | MAGIC_NO_CHECK_JSON);
		if (u->magic != NULL && magic_load(u->magic, NULL) != 0) {
			mp_log_error("libmagic: cannot load its database: %s; content of unknown type "
				     "is taken for binary",
				     magic_error(u->magic) ? magic_error(u->magic) : "no reason given");
			magic_close(u->magic);
			u->magic = NULL;
		}
	}
	return mp_content_from_mime(u->magic != NULL ? magic_buffer(u->magic, p, n) : NULL);
}

/* Tell the scanner whether st's text is CSV or JSON, from its name and its
 * peek. The name is the member's, or the input's path; the content of a
 * compressed file without a stored name ("<decompressed>") is named after
 * the compressed file, its suffix removed: reports.csv.gz holds reports.csv. */
static void detect_structure(struct mp_unpacker *u, struct stream *st)
{
	struct mp_struct_info info;
	char name[NAME_MAX_BYTES + 1];
	const char *n = st->nchain > 0 ? u->chain[st->nchain - 1] : u->loc->path;

	if (st->nchain > 0 && st->decompressed && strcmp(n, "<decompressed>") == 0) {
		const char *parent = st->nchain >= 2 ? u->chain[st->nchain - 2] : u->loc->path;
		size_t len = strlen(parent), k = mp_struct_strip_compression(parent, len);
		if (k > NAME_MAX_BYTES)
			k = NAME_MAX_BYTES;
		memcpy(name, parent, k);
		name[k] = '\0';
		n = name;
	}
	mp_struct_detect(n, st->buf, st->peek, &info);
	if (info.kind != MP_STRUCT_NONE)
		mp_scanner_next_structure(u->scanner, &info);
}

/* Scan st's content, which is not a container (or could not be opened as
 * one), according to its type. */
static void scan_typed(struct mp_unpacker *u, struct stream *st)
{
	enum mp_content c = mp_content_detect(st->buf, st->peek);
	unsigned flags = 0;

	if (c == MP_CT_UNSURE)
		c = ask_magic(u, st->buf, st->peek);
	if (st->depth == 0)
		u->counts.type = MP_FT__COUNT + (unsigned)c;
	switch (c) {
	case MP_CT_MEDIA:
		if (!u->e->scan_media) {
			u->counts.media++;
			return;
		}
		/* --media=scan: scanned as binary content */
		/* fall through */
	case MP_CT_BINARY:
	case MP_CT_UNSURE:
		if (u->e->binary == MP_BIN_SKIP) {
			u->counts.binary_skipped++;
			return;
		}
		u->counts.binaries++;
		if (u->e->binary == MP_BIN_SECRETS)
			flags = MP_SCAN_NO_PII;
		break;
	case MP_CT_UTF16LE:
	case MP_CT_UTF16BE:
		if (u->u16 == NULL)
			u->u16 = malloc(sizeof *u->u16);
		if (u->u16 == NULL) {
			note(u, st->nchain, "error",
			     "out of memory for the UTF-16 transcoder; scanned as bytes");
			break;
		}
		u->counts.utf16++;
		{
			struct mp_reader src = {.read = plain_read, .error = plain_error, .ctx = st};
			struct mp_reader rd;
			struct mp_loc loc = {.path = u->loc->path,
					     .chain = u->chain,
					     .nchain = st->nchain,
					     .image = u->loc->image};
			uint64_t bytes = 0;
			mp_utf16_init(u->u16, &src, c == MP_CT_UTF16BE);
			rd = mp_utf16_reader(u->u16);
			mp_scanner_next_object(u->scanner, MP_SCAN_UTF16);
			mp_scan_stream(u->scanner, &loc, &rd, &bytes);
		}
		return;
	case MP_CT_TEXT: detect_structure(u, st); break;
	case MP_CT__COUNT: break;
	}
	scan_plain(u, st, flags);
}

/* ---- libarchive's side of a stream ---- */

static la_ssize_t lvl_read(struct archive *a, void *ctx, const void **out)
{
	struct stream *st = ctx;
	long k;

	if (st->peek_off < st->peek) {
		*out = st->buf + st->peek_off;
		k = (long)(st->peek - st->peek_off);
		st->peek_off = st->peek;
		return k;
	}
	k = stream_pull(st, st->buf, BLOCK);
	if (k > 0) {
		st->moved = true;
		*out = st->buf;
		return k;
	}
	if (k == 0 && st->state == SRC_END) {
		*out = NULL;
		return 0;
	}
	if (k < 0)
		archive_set_error(a, EIO, "%s", st->err);
	else
		archive_set_error(a, ECANCELED, "stopped by a limit");
	return ARCHIVE_FATAL;
}

/* Seeking within content that fitted in the peek: nothing is read again. */
static la_int64_t mem_seek(struct archive *a, void *ctx, la_int64_t offset, int whence)
{
	struct stream *st = ctx;
	int64_t base = whence == SEEK_SET   ? 0
		       : whence == SEEK_CUR ? (int64_t)st->peek_off
					    : (int64_t)st->peek;

	if (offset < -base || offset > (int64_t)st->peek - base) {
		archive_set_error(a, EINVAL, "seek outside the data");
		return ARCHIVE_FATAL;
	}
	st->peek_off = (size_t)(base + offset);
	return base + offset;
}

static la_int64_t lvl_seek(struct archive *a, void *ctx, la_int64_t offset, int whence)
{
	struct stream *st = ctx;
	int64_t r;

	st->moved = true;
	st->peek_off = st->peek;
	if (!source_ok(st)) {
		archive_set_error(a, ECANCELED, "stopped");
		return ARCHIVE_FATAL;
	}
	r = st->top->seek(st->top->ctx, offset, whence);
	if (r < 0) {
		const char *m = st->top->error ? st->top->error(st->top->ctx) : NULL;
		st->state = SRC_FAILED;
		snprintf(st->err, sizeof st->err, "seek failed: %s", m ? m : "error");
		archive_set_error(a, EIO, "%s", st->err);
		return ARCHIVE_FATAL;
	}
	st->state = SRC_MORE;
	return r;
}

/* Filters and formats one by one rather than the _all calls: those would
 * add mtree, which reads files named inside the archive from the host's
 * disk, and filters that run external programs. */
static void support(struct mp_unpacker *u, struct archive *a, bool compressed)
{
	for (size_t i = 0; i < NFILTERS; i++)
		if (u->filter_ok[i])
			filters[i].add(a);
	if (compressed) {
		/* The decompressed content is one member. What it is (another
		 * archive, or plain) is decided by filetype.c when it is peeked,
		 * like any member: libarchive's own guess takes a run of zero
		 * bytes for an empty tar archive and would skip the rest. */
		archive_read_support_format_raw(a);
		archive_read_support_format_empty(a);
		return;
	}
	archive_read_support_format_7zip(a);
	archive_read_support_format_ar(a);
	archive_read_support_format_cab(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_iso9660(a);
	archive_read_support_format_lha(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_warc(a);
	archive_read_support_format_xar(a);
	archive_read_support_format_zip_streamable(a);
}

static locale_t utf8_on(struct mp_unpacker *u)
{
	return u->utf8 ? uselocale(u->utf8) : (locale_t)0;
}

static void utf8_off(struct mp_unpacker *u, locale_t old)
{
	if (u->utf8)
		uselocale(old);
}

/* The chain name of the current member of st's archive a. A compressed
 * plain file has no member name unless its gzip header holds one. */
static void set_name(struct mp_unpacker *u, struct stream *st, struct archive *a, struct archive_entry *e,
		     bool gzip_named)
{
	locale_t old = utf8_on(u);
	const char *n = archive_entry_pathname(e);
	char *dst = u->lv[st->nchain].name;
	size_t len;

	if (n == NULL)
		n = archive_entry_pathname_utf8(e);
	if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_RAW &&
	    (n == NULL || (strcmp(n, "data") == 0 && !gzip_named)))
		n = "<decompressed>";
	if (n == NULL || *n == '\0')
		n = "<unnamed>";
	len = strlen(n);
	if (len > NAME_MAX_BYTES)
		len = NAME_MAX_BYTES;
	memcpy(dst, n, len);
	dst[len] = '\0';
	u->chain[st->nchain] = dst;
	utf8_off(u, old);
}

static int next_header(struct mp_unpacker *u, struct archive *a, struct archive_entry **e)
{
	locale_t old = utf8_on(u);
	int r = archive_read_next_header(a, e);

	utf8_off(u, old);
	return r;
}

/* The buffers a stream at depth needs: its block, and the name of its
 * members (chain index depth + base at most). */
static bool level_ready(struct mp_unpacker *u, unsigned depth)
{
	struct level *l = &u->lv[depth], *n = &u->lv[depth + u->base];

	if (l->buf == NULL)
		l->buf = malloc(BLOCK);
	if (n->name == NULL)
		n->name = malloc(NAME_MAX_BYTES + 1);
	return l->buf != NULL && n->name != NULL;
}

static void scan_content(struct mp_unpacker *u, struct stream *st);

/* Read the current member of st's archive a. Returns false when the
 * archive cannot go on. */
static bool scan_member(struct mp_unpacker *u, struct stream *st, struct archive *a, struct archive_entry *e)
{
	struct stream ms = {.u = u,
			    .depth = st->depth + 1,
			    .nchain = st->nchain + 1,
			    .parent = a,
			    .decompressed = (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) ==
					    ARCHIVE_FORMAT_RAW,
			    .state = SRC_MORE};
	bool encrypted;

	if (!level_ready(u, ms.depth)) {
		note(u, ms.nchain, "error", "out of memory for a %u-byte buffer; member not scanned", BLOCK);
		return true;
	}
	ms.buf = u->lv[ms.depth].buf;
	scan_content(u, &ms);
	encrypted = ms.state == SRC_FAILED && archive_entry_is_encrypted(e);
	if (ms.state == SRC_FAILED && source_ok(st)) {
		if (encrypted)
			note(u, ms.nchain, "encrypted", "encrypted member not scanned: %s", ms.err);
		else
			note(u, ms.nchain, "archive-error",
			     "member damaged after %llu bytes: %s; what was read before was scanned",
			     (unsigned long long)ms.pos, ms.err);
	}
	if (!encrypted)
		u->counts.members++;
	if (mp_budget_stopped(&u->budget) || !source_ok(st))
		return false;
	return !(ms.state == SRC_FAILED && ms.rc <= ARCHIVE_FATAL);
}

/* Give up on an archive that could not be read from its start. When
 * libarchive took nothing past the peek, the content is scanned as plain
 * bytes instead (returns false); otherwise it is lost (returns true). */
static bool open_failed(struct mp_unpacker *u, struct stream *st, enum mp_filetype t, struct archive *a)
{
	const char *m = archive_error_string(a);
	const char *why = t == MP_FT_7ZIP ? " (7-Zip needs random access, which only a regular file or "
					    "content of at most 64 KiB gives)"
					  : "";

	if (!st->moved) {
		if (source_ok(st))
			note(u, st->nchain, "archive-error",
			     "cannot read as %s%s: %s; scanned as plain bytes", mp_filetype_name(t), why,
			     m ? m : "libarchive gave no reason");
		st->peek_off = 0;
		return false;
	}
	if (source_ok(st))
		note(u, st->nchain, "archive-error", "cannot read as %s%s: %s; not scanned",
		     mp_filetype_name(t), why, m ? m : "libarchive gave no reason");
	return true;
}

/* Open st as an archive or compressed stream of type t and scan its members.
 * Returns false when st is to be scanned as plain bytes instead. */
static bool open_archive(struct mp_unpacker *u, struct stream *st, enum mp_filetype t)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e = NULL;
	bool gzip_named = t == MP_FT_GZIP && st->peek > 3 && (st->buf[3] & 0x08) != 0;
	bool handled = true, opened = false;
	uint64_t entries = 0;
	locale_t old;
	int r;

	if (a == NULL) {
		note(u, st->nchain, "error", "out of memory for a %s reader; scanned as plain bytes",
		     mp_filetype_name(t));
		return false;
	}
	support(u, a, mp_filetype_is_compressed(t));
	archive_read_set_callback_data(a, st);
	archive_read_set_read_callback(a, lvl_read);
	/* 7-Zip keeps its index at the end: it needs to seek. The input
	 * itself can when it is a regular file; a member can when it fitted
	 * whole in the peek. Other formats are read strictly in order. */
	if (t == MP_FT_7ZIP && st->depth == 0 && st->top->seek != NULL)
		archive_read_set_seek_callback(a, lvl_seek);
	else if (t == MP_FT_7ZIP && st->state == SRC_END)
		archive_read_set_seek_callback(a, mem_seek);
	old = utf8_on(u);
	r = archive_read_open1(a);
	utf8_off(u, old);
	if (r != ARCHIVE_OK) {
		handled = open_failed(u, st, t, a);
		goto out;
	}
	opened = true;
	for (;;) {
		r = next_header(u, a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_FATAL) {
			const char *m = archive_error_string(a);
			if (entries == 0 && !st->moved) {
				handled = open_failed(u, st, t, a);
				opened = false;
			} else if (source_ok(st)) {
				bool enc = archive_read_has_encrypted_entries(a) > 0;
				note(u, st->nchain, enc ? "encrypted" : "archive-error",
				     "%s archive %s after %llu entr%s: %s; the rest of it was not scanned",
				     mp_filetype_name(t), enc ? "encrypted" : "damaged",
				     (unsigned long long)entries, entries == 1 ? "y" : "ies",
				     m ? m : "libarchive gave no reason");
			}
			break;
		}
		if (!mp_budget_entry_ok(u->caps, entries)) {
			note(u, st->nchain, "limit",
			     "archive-entries limit (%llu) reached: the rest of the archive was not scanned",
			     (unsigned long long)u->caps[MP_CAP_ARCHIVE_ENTRIES]);
			break;
		}
		entries++;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			/* ARCHIVE_FAILED or ARCHIVE_RETRY: this entry is lost, the next may be fine. */
			const char *m = archive_error_string(a);
			note(u, st->nchain, "archive-error", "entry %llu of the %s archive skipped: %s",
			     (unsigned long long)entries, mp_filetype_name(t),
			     m ? m : "libarchive gave no reason");
			continue;
		}
		/* The caller's hook sees every entry of the input's own archive
		 * (a layer's tar), and may keep it from being scanned. */
		if (u->hook.entry != NULL && st->nchain == u->base && !mp_filetype_is_compressed(t)) {
			locale_t o = utf8_on(u);
			const char *n = archive_entry_pathname(e);
			bool go = u->hook.entry(u->hook.ctx, n ? n : "",
						archive_entry_filetype(e) == AE_IFDIR);
			utf8_off(u, o);
			if (!go)
				continue;
		}
		/* Directories, links and devices are names only; a hard link
		 * without data of its own was scanned where it points. */
		if (archive_entry_filetype(e) != AE_IFREG ||
		    (archive_entry_hardlink(e) != NULL && archive_entry_size_is_set(e) &&
		     archive_entry_size(e) == 0))
			continue;
		set_name(u, st, a, e, gzip_named);
		if (!scan_member(u, st, a, e))
			break;
	}
out:
	if (opened && handled)
		u->counts.archives++;
	archive_read_free(a);
	return handled;
}

/* Scan what st delivers: as an archive when it is one (and archive-depth
 * allows), else as plain bytes. */
static void scan_content(struct mp_unpacker *u, struct stream *st)
{
	enum mp_filetype t = fill_peek(st);

	if (mp_filetype_is_container(t) && st->state != SRC_STOPPED) {
		if (!mp_budget_may_open(u->caps, st->depth)) {
			note(u, st->nchain, "limit",
			     "archive-depth limit (%llu): %s content not opened; scanned as plain bytes",
			     (unsigned long long)u->caps[MP_CAP_ARCHIVE_DEPTH], mp_filetype_name(t));
		} else {
			/* An archive that was compressed (a .tar.gz) is named by
			 * its members alone: the decompressed step leaves the chain. */
			unsigned keep = st->nchain;
			uint64_t mem = mp_filetype_decoder_memory(t, st->buf, st->peek);
			uint64_t cap = u->caps[MP_CAP_DECODER_MEMORY];
			if (cap != 0 && mem > cap) {
				/* libarchive sets no memory limit on these decoders:
				 * the header's word would be taken as it stands. */
				note(u, st->nchain, "limit",
				     "decoder-memory limit (%llu bytes): the %s stream declares a %llu-byte "
				     "dictionary; not unpacked, scanned as plain bytes",
				     (unsigned long long)cap, mp_filetype_name(t), (unsigned long long)mem);
				scan_typed(u, st);
				return;
			}
			if (st->depth == 0)
				u->counts.type = (unsigned)t;
			if (st->decompressed)
				st->nchain--;
			if (open_archive(u, st, t))
				return;
			st->nchain = keep;
		}
	}
	scan_typed(u, st);
}

const char *mp_unpack_type_name(unsigned type)
{
	if (type < MP_FT__COUNT)
		return mp_filetype_name((enum mp_filetype)type);
	if (type < MP_UNPACK_NTYPES)
		return mp_content_name((enum mp_content)(type - MP_FT__COUNT));
	return "unknown";
}

struct mp_unpacker *mp_unpacker_new(const struct mp_engine *e, struct mp_scanner *s,
				    const struct mp_emit *emit)
{
	struct mp_unpacker *u = calloc(1, sizeof *u);
	struct archive *probe = NULL;

	if (u == NULL)
		goto fail;
	u->e = e;
	u->caps = e->caps;
	u->scanner = s;
	u->emit = *emit;
	/* Without C.UTF-8, non-ASCII zip names become "<unnamed>". */
	u->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	probe = archive_read_new();
	if (probe == NULL || !level_ready(u, 0))
		goto fail;
	for (size_t i = 0; i < NFILTERS; i++)
		u->filter_ok[i] = filters[i].add(probe) == ARCHIVE_OK;
	archive_read_free(probe);
	return u;
fail:
	archive_read_free(probe);
	mp_unpacker_free(u);
	return NULL;
}

void mp_unpacker_free(struct mp_unpacker *u)
{
	if (u == NULL)
		return;
	for (int i = 0; i < NAMES; i++) {
		free(u->lv[i].buf);
		free(u->lv[i].name);
	}
	if (u->utf8)
		freelocale(u->utf8);
	if (u->magic != NULL)
		magic_close(u->magic);
	free(u->u16);
	free(u);
}

void mp_unpack_scan(struct mp_unpacker *u, const struct mp_loc *loc, const struct mp_reader *rd,
		    struct mp_unpack_counts *out)
{
	struct stream st = {.u = u, .depth = 0, .top = rd, .buf = u->lv[0].buf, .state = SRC_MORE};

	memset(&u->counts, 0, sizeof u->counts);
	u->counts.type = MP_FT__COUNT + MP_CT_TEXT;
	u->loc = loc;
	u->base = loc->nchain < MP_UNPACK_BASE_MAX ? (unsigned)loc->nchain : MP_UNPACK_BASE_MAX;
	for (unsigned i = 0; i < u->base; i++)
		u->chain[i] = loc->chain[i];
	st.nchain = u->base;
	if (!level_ready(u, 0)) {
		note(u, u->base, "error", "out of memory for a %u-byte buffer; not scanned", BLOCK);
		memset(out, 0, sizeof *out);
		u->loc = NULL;
		return;
	}
	u->stop_noted = false;
	mp_budget_start(&u->budget, u->caps, now_ns());
	scan_content(u, &st);
	if (st.state == SRC_FAILED && !st.err_noted)
		note(u, u->base, "read-error", "read failed after %llu bytes: %s", (unsigned long long)st.pos,
		     st.err);
	u->counts.input = u->budget.input;
	u->counts.expanded = u->budget.expanded;
	*out = u->counts;
	u->loc = NULL;
	u->base = 0;
}

void mp_unpack_set_hook(struct mp_unpacker *u, const struct mp_unpack_hook *h)
{
	if (h != NULL)
		u->hook = *h;
	else
		memset(&u->hook, 0, sizeof u->hook);
}
