/* image.c - container images: docker save tarballs and OCI image layouts,
 * layer by layer. */
#include "mp_config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "image.h"
#include "log.h"
#include "walk.h"

/* Path bytes kept per recorded layer entry (longer ones are cut). */
#define PATH_MAX_BYTES 4096
/* Indexes that point to indexes: at most this deep. */
#define INDEX_DEPTH_MAX 4
/* Member data kept from a compressed tarball's first pass (its JSON). */
#define GZ_KEPT_MAX (64u << 20)

const char *mp_layer_status_name(enum mp_layer_status s)
{
	switch (s) {
	case MP_LS_PRESENT: return "present";
	case MP_LS_DELETED: return "deleted";
	case MP_LS_OVERWRITTEN: return "overwritten";
	case MP_LS_UNKNOWN: return "unknown";
	case MP_LS_NONE: break;
	}
	return NULL;
}

/* ---- records held until the image is complete ---- */

struct held {
	bool is_finding;
	char **chain; /* copies */
	size_t nchain;
	struct mp_finding f; /* is_finding: secret, redacted and context are owned copies */
	char *kind, *message;
};

/* A unit of an image: its config (index 0) or one layer. */
struct unit {
	struct mp_image *img;
	unsigned index;
	struct mp_image_ref ref; /* ref.hold points back here */
	char *name;              /* chain[0] of its records */
	/* Layers only. */
	char *blob;          /* member name (tar sources) or file path (directory) */
	uint64_t off, size;  /* tar: data offset and size; directory: size from the descriptor */
	bool size_known;     /* size comes from a descriptor or header */
	bool missing;        /* no such blob: a notice was held, nothing is scanned */
	char *digest;        /* expected digest of the blob, or NULL */
	bool digest_is_diff; /* digest is the diff_id (a legacy layer.tar, uncompressed) */
	char *diff_id, *media_type, *created_by;
	struct mp_layer_paths paths;
	bool paths_noted; /* the image-paths notice was held */
	struct held *held;
	size_t nheld, capheld;
};

struct cfg_field {
	char *name; /* "config.Env[2]" */
	char *text;
};

enum src_kind {
	SRC_TAR,
	SRC_DIR,
	SRC_GZ
};

/* The images of one input: written together, in the order they were
 * built, by the worker that finishes the last unit of any of them. */
struct group {
	atomic_uint refs; /* units not yet finished, over every image */
	struct mp_image **imgs;
	size_t n;
	struct held *pend; /* notices about the input itself, written first */
	size_t npend;
};

struct mp_image {
	struct group *grp;
	enum src_kind kind;
	char *path; /* the input as given */
	char *dir;  /* SRC_DIR: the layout's directory */
	const uint64_t *caps;
	char **tags;
	size_t ntags;
	char *platform, *manifest_digest, *config_digest;
	struct unit *units; /* units[0]: the config; units[1..nunits): layers */
	size_t nunits;
	struct cfg_field *fields;
	size_t nfields;
	atomic_uint_fast64_t nheld, npaths;
	atomic_bool held_noted; /* the image-findings notice was held */
};

struct mp_image_job {
	struct mp_image *img; /* NULL for a compressed tarball, which makes its own */
	size_t unit;
	/* SRC_GZ */
	char *path;
	const uint64_t *caps;
	char *platform;
	bool forced;
};

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void held_free(struct held *h)
{
	for (size_t i = 0; i < h->nchain; i++)
		free(h->chain[i]);
	free(h->chain);
	free((char *)h->f.secret);
	free((char *)h->f.redacted);
	free((char *)h->f.context);
	free((char *)h->f.record.column_name);
	free((char *)h->f.record.json_path);
	free(h->kind);
	free(h->message);
}

static void image_free(struct mp_image *img)
{
	if (img == NULL)
		return;
	for (size_t i = 0; i < img->nunits; i++) {
		struct unit *u = &img->units[i];
		free(u->name);
		free(u->blob);
		free(u->digest);
		free(u->diff_id);
		free(u->media_type);
		free(u->created_by);
		for (size_t k = 0; k < u->paths.n; k++)
			free(u->paths.ents[k].path);
		free(u->paths.ents);
		for (size_t k = 0; k < u->nheld; k++)
			held_free(&u->held[k]);
		free(u->held);
	}
	free(img->units);
	for (size_t i = 0; i < img->nfields; i++) {
		free(img->fields[i].name);
		free(img->fields[i].text);
	}
	free(img->fields);
	for (size_t i = 0; i < img->ntags; i++)
		free(img->tags[i]);
	free(img->tags);
	free(img->platform);
	free(img->manifest_digest);
	free(img->config_digest);
	free(img->path);
	free(img->dir);
	free(img);
}

static struct held *held_new(struct unit *u)
{
	if (mp_array_grow(&u->held, &u->capheld, u->nheld, sizeof *u->held, 16) != 0)
		return NULL;
	memset(&u->held[u->nheld], 0, sizeof u->held[0]);
	return &u->held[u->nheld++];
}

static int copy_chain(struct held *h, const struct mp_loc *loc)
{
	h->chain = calloc(loc->nchain ? loc->nchain : 1, sizeof *h->chain);
	if (h->chain == NULL)
		return -1;
	for (size_t i = 0; i < loc->nchain; i++) {
		h->chain[i] = strdup(loc->chain[i]);
		if (h->chain[i] == NULL)
			return -1;
		h->nchain = i + 1;
	}
	return 0;
}

void mp_image_hold_notice(const struct mp_loc *loc, const char *kind, const char *message)
{
	struct unit *u = loc->image->hold;
	struct held *h = held_new(u);

	if (h == NULL)
		return;
	h->kind = strdup(kind);
	h->message = strdup(message);
	if (h->kind == NULL || h->message == NULL || copy_chain(h, loc) != 0) {
		held_free(h);
		u->nheld--;
	}
}

/* A notice at a unit: its name (for layers) then nothing more. */
static void unit_note(struct unit *u, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void unit_note(struct unit *u, const char *kind, const char *fmt, ...)
{
	char nm[32];
	const char *chain[1] = {u->name};
	struct mp_loc loc = {
		.path = u->img->path, .chain = chain, .nchain = u->index ? 1 : 0, .image = &u->ref};
	char msg[768];

	if (u->name == NULL) {
		snprintf(nm, sizeof nm, "layer %u", u->index);
		chain[0] = nm;
	}
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	mp_image_hold_notice(&loc, kind, msg);
}

/* n bytes of p (which may hold NULs) and a NUL, or NULL for NULL. */
static char *dupn(const char *p, size_t n)
{
	char *d = p ? malloc(n + 1) : NULL;

	if (d != NULL) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

bool mp_image_hold_finding(const struct mp_loc *loc, const struct mp_finding *f)
{
	struct unit *u = loc->image->hold;
	struct mp_image *img = u->img;
	uint64_t cap = img->caps[MP_CAP_IMAGE_FINDINGS];
	struct held *h;

	if (atomic_fetch_add(&img->nheld, 1) >= cap) {
		if (!atomic_exchange(&img->held_noted, true))
			unit_note(u, "limit",
				  "image-findings limit (%llu) reached: further findings of the image are "
				  "counted, not written",
				  (unsigned long long)cap);
		return false;
	}
	h = held_new(u);
	if (h == NULL)
		return false;
	h->is_finding = true;
	h->f = *f;
	h->f.secret = malloc(f->secret_len ? f->secret_len : 1);
	h->f.redacted = strdup(f->redacted);
	h->f.context = strdup(f->context);
	/* The record location's names are borrowed too. */
	h->f.record.column_name = dupn(f->record.column_name, f->record.column_name_len);
	h->f.record.json_path = dupn(f->record.json_path, f->record.json_path_len);
	if (h->f.secret == NULL || h->f.redacted == NULL || h->f.context == NULL || copy_chain(h, loc) != 0 ||
	    (f->record.column_name && h->f.record.column_name == NULL) ||
	    (f->record.json_path && h->f.record.json_path == NULL)) {
		held_free(h);
		u->nheld--;
		return false;
	}
	memcpy((char *)h->f.secret, f->secret, f->secret_len);
	return true;
}

/* ---- tar headers ---- */

static uint64_t tar_num(const unsigned char *p, size_t n, bool *ok)
{
	uint64_t v = 0;
	size_t i = 0;

	if (p[0] & 0x80) { /* base-256 */
		v = p[0] & 0x3f;
		for (i = 1; i < n; i++) {
			if (v >> 55) {
				*ok = false;
				return 0;
			}
			v = v << 8 | p[i];
		}
		return v;
	}
	while (i < n && (p[i] == ' ' || p[i] == '\0'))
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
		if (v >> 60) {
			*ok = false;
			return 0;
		}
		v = v * 8 + (uint64_t)(p[i] - '0');
	}
	if (i < n && p[i] != ' ' && p[i] != '\0')
		*ok = false;
	return v;
}

static bool tar_checksum_ok(const unsigned char *h)
{
	unsigned long sum = 0;
	bool ok = true;
	uint64_t want = tar_num(h + 148, 8, &ok);

	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return ok && want == sum;
}

/* Drop "./" and "/" at the front and "/" at the end. */
static void normalize(char *s)
{
	size_t n = strlen(s);
	const char *t = mp_path_trim(s, &n);

	memmove(s, t, n + 1);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
}

/* The "path" record of pax extended header data, or NULL. */
static char *pax_path(const char *d, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t len = 0, j = i;
		while (j < n && d[j] >= '0' && d[j] <= '9' && len < n)
			len = len * 10 + (size_t)(d[j++] - '0');
		if (j >= n || d[j] != ' ' || len == 0 || len > n - i)
			return NULL;
		const char *kv = d + j + 1, *end = d + i + len - 1; /* end: the record's '\n' */
		if (end - kv > 5 && memcmp(kv, "path=", 5) == 0)
			return strndup(kv + 5, (size_t)(end - kv - 5));
		i += len;
	}
	return NULL;
}

void mp_tar_members_free(struct mp_tar_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].name);
	free(m);
}

static int pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

int mp_tar_index(int fd, uint64_t size, uint64_t max, struct mp_tar_member **out, size_t *n, char *err,
		 size_t errlen)
{
	unsigned char h[512];
	struct mp_tar_member *m = NULL;
	size_t nm = 0, cap = 0;
	char *longname = NULL;
	uint64_t off = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	err[0] = '\0';
	while (off + 512 <= size) {
		bool ok = true;
		uint64_t len, data = off + 512;
		char type;
		if (pread_all(fd, h, 512, off) != 0) {
			snprintf(err, errlen, "cannot read the tar header at byte %llu",
				 (unsigned long long)off);
			rc = -1;
			break;
		}
		if (h[0] == '\0') {
			bool zero = true;
			for (int i = 0; i < 512 && zero; i++)
				zero = h[i] == 0;
			if (zero)
				break; /* the end-of-archive blocks */
		}
		if (!tar_checksum_ok(h)) {
			snprintf(err, errlen, "not a tar header at byte %llu (bad checksum)",
				 (unsigned long long)off);
			rc = -1;
			break;
		}
		len = tar_num(h + 124, 12, &ok);
		type = (char)h[156];
		if (!ok || len > UINT64_MAX - 1024) {
			snprintf(err, errlen, "bad size in the tar header at byte %llu",
				 (unsigned long long)off);
			rc = -1;
			break;
		}
		if (type == 'L' || type == 'x') {
			size_t cut = len > 65536 ? 65536 : (size_t)len;
			char *d = malloc(cut + 1);
			if (d == NULL || pread_all(fd, d, cut, data) != 0) {
				free(d);
				snprintf(err, errlen, "cannot read the long name at byte %llu",
					 (unsigned long long)data);
				rc = -1;
				break;
			}
			d[cut] = '\0';
			free(longname);
			longname = type == 'L' ? strndup(d, cut) : pax_path(d, cut);
			free(d);
		} else if (type != 'g' && type != 'K') {
			char name[257];
			if (longname == NULL) {
				size_t pl = strnlen((const char *)h + 345, 155),
				       nl = strnlen((const char *)h, 100);
				bool ustar = memcmp(h + 257, "ustar", 5) == 0;
				size_t k = 0;
				if (ustar && pl > 0) {
					memcpy(name, h + 345, pl);
					k = pl;
					name[k++] = '/';
				}
				memcpy(name + k, h, nl);
				name[k + nl] = '\0';
			}
			if (nm >= max) {
				snprintf(err, errlen, "archive-entries limit (%llu) reached",
					 (unsigned long long)max);
				rc = -1;
				break;
			}
			if (mp_array_grow(&m, &cap, nm, sizeof *m, 16) != 0) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
				break;
			}
			m[nm].name = longname ? longname : strdup(name);
			longname = NULL;
			if (m[nm].name == NULL) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
				break;
			}
			normalize(m[nm].name);
			m[nm].offset = data;
			m[nm].size = len;
			m[nm].regular = type == '0' || type == '\0' || type == '7';
			nm++;
		}
		if (type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6')
			len = 0; /* no data, whatever the size field says */
		off = data + ((len + 511) / 512) * 512;
	}
	free(longname);
	*out = m;
	*n = nm;
	return rc;
}

/* ---- layer entries and the final file system ---- */

int mp_path_classify(const char *name, bool is_dir, char *out, size_t outlen)
{
	const char *base;
	size_t n;

	snprintf(out, outlen, "%s", name);
	normalize(out);
	base = strrchr(out, '/');
	base = base ? base + 1 : out;
	if (strncmp(base, ".wh.", 4) != 0)
		return is_dir ? MP_PK_DIR : MP_PK_ENTRY;
	if (strcmp(base, ".wh..wh..opq") == 0) {
		n = (size_t)(base - out);
		out[n > 0 ? n - 1 : 0] = '\0';
		return MP_PK_OPAQUE;
	}
	if (strncmp(base, ".wh..wh.", 8) == 0)
		return -1; /* aufs bookkeeping (.wh..wh.plnk, ...) */
	memmove((char *)base, base + 4, strlen(base + 4) + 1);
	return MP_PK_WHITEOUT;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct mp_path_ent *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	return c ? c : (int)x->kind - (int)y->kind;
}

void mp_layer_paths_sort(struct mp_layer_paths *l)
{
	if (l->n > 1)
		qsort(l->ents, l->n, sizeof *l->ents, cmp_ent);
}

/* Kinds recorded at path[0..n) in l, as a bit set. */
static unsigned kinds_at(const struct mp_layer_paths *l, const char *path, size_t n)
{
	size_t lo = 0, hi = l->n;
	unsigned bits = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(l->ents[mid].path, path, n);
		if (c == 0 && l->ents[mid].path[n] != '\0')
			c = 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < l->n && strncmp(l->ents[lo].path, path, n) == 0 && l->ents[lo].path[n] == '\0'; lo++)
		bits |= 1u << l->ents[lo].kind;
	return bits;
}

enum mp_layer_status mp_status_resolve(const struct mp_layer_paths *layers, size_t n, size_t layer,
				       const char *path, size_t *by)
{
	size_t len = strlen(path);

	*by = 0;
	for (size_t j = layer + 1; j < n; j++) {
		const struct mp_layer_paths *l = &layers[j];
		unsigned k = kinds_at(l, path, len);
		*by = j;
		if (k & (1u << MP_PK_ENTRY | 1u << MP_PK_DIR))
			return MP_LS_OVERWRITTEN;
		if (k & (1u << MP_PK_WHITEOUT))
			return MP_LS_DELETED;
		for (size_t i = len; i-- > 0;) {
			if (path[i] != '/')
				continue;
			k = kinds_at(l, path, i);
			if (k & (1u << MP_PK_WHITEOUT | 1u << MP_PK_OPAQUE))
				return MP_LS_DELETED;
			if (k & (1u << MP_PK_ENTRY))
				return MP_LS_OVERWRITTEN; /* a parent became a file or a link */
		}
		if (!l->complete)
			return MP_LS_UNKNOWN;
	}
	*by = 0;
	return MP_LS_PRESENT;
}

static bool on_entry(void *ctx, const char *name, bool is_dir)
{
	struct unit *u = ctx;
	struct mp_image *img = u->img;
	char path[PATH_MAX_BYTES + 1];
	int kind = mp_path_classify(name, is_dir, path, sizeof path);
	struct mp_layer_paths *l = &u->paths;

	if (kind < 0)
		return false;
	if (atomic_fetch_add(&img->npaths, 1) >= img->caps[MP_CAP_IMAGE_PATHS]) {
		l->complete = false;
		if (!u->paths_noted) {
			u->paths_noted = true;
			unit_note(u, "limit",
				  "image-paths limit (%llu) reached: the layer's further entries are scanned "
				  "but not recorded; the status of lower layers' findings may be unknown",
				  (unsigned long long)img->caps[MP_CAP_IMAGE_PATHS]);
		}
	} else if (mp_array_grow(&l->ents, &l->cap, l->n, sizeof *l->ents, 64) != 0 ||
		   (l->ents[l->n].path = strdup(path)) == NULL) {
		l->complete = false;
	} else {
		l->ents[l->n].kind = (enum mp_path_kind)kind;
		l->n++;
	}
	return kind == MP_PK_ENTRY || kind == MP_PK_DIR;
}

/* ---- emitting an image ---- */

static int cmp_str_chain(const struct held *a, const struct held *b)
{
	for (size_t i = 1; i < a->nchain && i < b->nchain; i++) {
		int c = strcmp(a->chain[i], b->chain[i]);
		if (c)
			return c;
	}
	return (a->nchain > b->nchain) - (a->nchain < b->nchain);
}

struct held_ref {
	struct unit *u;
	struct held *h;
};

static int cmp_held(const void *pa, const void *pb)
{
	const struct held_ref *a = pa, *b = pb;
	int c;

	if (a->u->index != b->u->index)
		return a->u->index < b->u->index ? -1 : 1;
	if (a->u->index == 0 && a->h->nchain > 0 && b->h->nchain > 0 &&
	    (c = strcmp(a->h->chain[0], b->h->chain[0])) != 0)
		return c;
	if ((c = cmp_str_chain(a->h, b->h)) != 0)
		return c;
	if (a->h->is_finding != b->h->is_finding)
		return a->h->is_finding ? 1 : -1;
	if (a->h->is_finding) {
		if (a->h->f.offset != b->h->f.offset)
			return a->h->f.offset < b->h->f.offset ? -1 : 1;
		return strcmp(a->h->f.rule->id, b->h->f.rule->id);
	}
	if ((c = strcmp(a->h->kind, b->h->kind)) != 0)
		return c;
	return strcmp(a->h->message, b->h->message);
}

/* Every record of a complete image, sorted, with the status of each layer
 * finding; then the image is freed. */
static void image_emit(struct mp_image *img, const struct mp_image_out *out)
{
	size_t total = 0, k = 0, nl = img->nunits > 0 ? img->nunits - 1 : 0;
	struct held_ref *all;
	struct mp_layer_paths *lp = calloc(nl ? nl : 1, sizeof *lp);

	for (size_t i = 0; i < img->nunits; i++)
		total += img->units[i].nheld;
	all = malloc((total ? total : 1) * sizeof *all);
	if (all == NULL || lp == NULL) {
		mp_log_error("%s: out of memory: the image's %zu records are lost", img->path, total);
		goto out;
	}
	for (size_t i = 0; i < img->nunits; i++)
		for (size_t j = 0; j < img->units[i].nheld; j++)
			all[k++] = (struct held_ref){&img->units[i], &img->units[i].held[j]};
	qsort(all, total, sizeof *all, cmp_held);
	for (size_t i = 1; i < img->nunits; i++) {
		mp_layer_paths_sort(&img->units[i].paths);
		lp[i - 1] = img->units[i].paths;
	}
	for (size_t i = 0; i < total; i++) {
		struct unit *u = all[i].u;
		struct held *h = all[i].h;
		struct mp_image_ref ref = u->ref;
		struct mp_loc loc = {.path = img->path,
				     .chain = (const char *const *)h->chain,
				     .nchain = h->nchain,
				     .image = &ref};
		ref.hold = NULL;
		if (!h->is_finding) {
			out->notice(out->ctx, &loc, h->kind, h->message);
			continue;
		}
		if (u->index > 0 && h->nchain >= 2) {
			char path[PATH_MAX_BYTES + 1];
			size_t by = 0;
			snprintf(path, sizeof path, "%s", h->chain[1]);
			normalize(path);
			ref.status = mp_status_resolve(lp, nl, u->index - 1, path, &by);
			ref.status_layer = ref.status == MP_LS_DELETED || ref.status == MP_LS_OVERWRITTEN
						   ? (unsigned)by + 1
						   : 0;
		}
		out->finding(out->ctx, &loc, &h->f);
	}
out:
	free(lp);
	free(all);
	image_free(img);
}

static void group_free(struct group *g)
{
	for (size_t i = 0; i < g->npend; i++)
		held_free(&g->pend[i]);
	free(g->pend);
	free(g->imgs);
	free(g);
}

static void image_release(struct mp_image *img, const struct mp_image_out *out)
{
	struct group *g = img->grp;

	if (atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < g->npend; i++) {
		struct mp_loc loc = {.path = img->path};
		out->notice(out->ctx, &loc, g->pend[i].kind, g->pend[i].message);
	}
	for (size_t i = 0; i < g->n; i++)
		image_emit(g->imgs[i], out);
	group_free(g);
}

struct src;
static void src_take_images(struct src *s, struct mp_image ***imgs, size_t *n, struct held **pend,
			    size_t *npend);

/* A group of s's images, with refs units to wait for; NULL when out of
 * memory (the images are then freed). s->imgs moves into the group. */
static struct group *group_new(struct src *s, unsigned refs)
{
	struct group *g = calloc(1, sizeof *g);
	struct mp_image **imgs;
	struct held *pend;
	size_t n, npend;

	src_take_images(s, &imgs, &n, &pend, &npend);
	if (g == NULL) {
		for (size_t i = 0; i < n; i++)
			image_free(imgs[i]);
		free(imgs);
		for (size_t i = 0; i < npend; i++)
			held_free(&pend[i]);
		free(pend);
		return NULL;
	}
	g->pend = pend;
	g->npend = npend;
	atomic_store(&g->refs, refs);
	g->imgs = imgs;
	g->n = n;
	for (size_t i = 0; i < g->n; i++)
		g->imgs[i]->grp = g;
	return g;
}

/* ---- digests ---- */

static void hex_of(const unsigned char *d, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static void sha256_str(const void *p, size_t n, char out[72])
{
	unsigned char d[32];
	unsigned int dl = 0;

	memcpy(out, "sha256:", 7);
	EVP_Digest(p, n, d, &dl, EVP_sha256(), NULL);
	hex_of(d, 32, out + 7);
}

/* "alg:hex" with a safe algorithm name and hexadecimal. */
static bool digest_ok(const char *d)
{
	const char *c = d ? strchr(d, ':') : NULL;

	if (c == NULL || c == d || c[1] == '\0')
		return false;
	for (const char *p = d; p < c; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' || *p == '_' ||
		      *p == '-'))
			return false;
	for (const char *p = c + 1; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return strncmp(d, "sha256:", 7) != 0 || strlen(c + 1) == 64;
}

/* ---- sources: where blobs and JSON documents come from ---- */

struct gz_member {
	char *name;
	uint64_t size;
	char *data; /* kept: JSON-like ('{' or '[' first) and fits image-metadata */
	size_t len;
};

struct src {
	enum src_kind kind;
	const char *path;
	const uint64_t *caps;
	const char *platform;
	/* how notices not tied to one image leave */
	void (*notice)(void *ctx, const struct mp_loc *loc, const char *kind, const char *message);
	void *ctx;
	int fd;                   /* SRC_TAR: the tarball; SRC_DIR: the directory */
	struct mp_tar_member *tm; /* SRC_TAR, sorted by name */
	size_t ntm;
	struct gz_member *gm; /* SRC_GZ, sorted by name */
	size_t ngm;
	struct mp_image **imgs; /* built */
	size_t nimgs;
	size_t filtered;   /* images left out by --platform */
	struct held *pend; /* notices about the input, held with its images */
	size_t npend, cappend;
};

/* Move the built images and the held notices out of s (s->nimgs stays,
 * as a count). */
static void src_take_images(struct src *s, struct mp_image ***imgs, size_t *n, struct held **pend,
			    size_t *npend)
{
	*imgs = s->imgs;
	*n = s->nimgs;
	s->imgs = NULL;
	*pend = s->pend;
	*npend = s->npend;
	s->pend = NULL;
	s->npend = s->cappend = 0;
}

/* Write the held notices now: no image was made. */
static void src_flush(struct src *s)
{
	struct mp_loc loc = {.path = s->path};

	for (size_t i = 0; i < s->npend; i++) {
		s->notice(s->ctx, &loc, s->pend[i].kind, s->pend[i].message);
		held_free(&s->pend[i]);
	}
	free(s->pend);
	s->pend = NULL;
	s->npend = s->cappend = 0;
}

static void src_note(struct src *s, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void src_note(struct src *s, const char *kind, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	struct held *h;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (mp_array_grow(&s->pend, &s->cappend, s->npend, sizeof *s->pend, 4) != 0)
		return;
	h = &s->pend[s->npend];
	memset(h, 0, sizeof *h);
	h->kind = strdup(kind);
	h->message = strdup(msg);
	if (h->kind == NULL || h->message == NULL)
		held_free(h);
	else
		s->npend++;
}

static int cmp_tm(const void *a, const void *b)
{
	return strcmp(((const struct mp_tar_member *)a)->name, ((const struct mp_tar_member *)b)->name);
}

static int cmp_gm(const void *a, const void *b)
{
	return strcmp(((const struct gz_member *)a)->name, ((const struct gz_member *)b)->name);
}

static const struct mp_tar_member *tar_find(const struct src *s, const char *name)
{
	struct mp_tar_member key = {.name = (char *)name};
	const struct mp_tar_member *m = bsearch(&key, s->tm, s->ntm, sizeof key, cmp_tm);
	/* A name given twice: the last one wins, as when the tar is extracted. */
	while (m != NULL && m + 1 < s->tm + s->ntm && strcmp(m[1].name, name) == 0)
		m++;
	return m != NULL && m->regular ? m : NULL;
}

static const struct gz_member *gz_find(const struct src *s, const char *name)
{
	struct gz_member key = {.name = (char *)name};
	const struct gz_member *m = bsearch(&key, s->gm, s->ngm, sizeof key, cmp_gm);
	while (m != NULL && m + 1 < s->gm + s->ngm && strcmp(m[1].name, name) == 0)
		m++;
	return m;
}

static bool src_has(const struct src *s, const char *name)
{
	struct stat sb;

	switch (s->kind) {
	case SRC_TAR: return tar_find(s, name) != NULL;
	case SRC_GZ: return gz_find(s, name) != NULL;
	case SRC_DIR: return fstatat(s->fd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode);
	}
	return false;
}

/* The bytes of a (small) document. Returns 0, or -1 with why in err. */
static int src_get(const struct src *s, const char *name, char **data, size_t *len, char *err, size_t errlen)
{
	uint64_t cap = s->caps[MP_CAP_IMAGE_METADATA];
	char ebuf[128];

	*data = NULL;
	*len = 0;
	if (s->kind == SRC_GZ) {
		const struct gz_member *m = gz_find(s, name);
		if (m == NULL) {
			snprintf(err, errlen, "%s is missing", name);
			return -1;
		}
		if (m->data == NULL) {
			snprintf(err, errlen,
				 "%s (%llu bytes) is not a JSON document of at most %llu bytes "
				 "(image-metadata)",
				 name, (unsigned long long)m->size, (unsigned long long)cap);
			return -1;
		}
		*data = malloc(m->len + 1);
		if (*data == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		memcpy(*data, m->data, m->len);
		(*data)[m->len] = '\0';
		*len = m->len;
		return 0;
	}
	uint64_t off = 0, size;
	int fd = s->fd;
	if (s->kind == SRC_TAR) {
		const struct mp_tar_member *m = tar_find(s, name);
		if (m == NULL) {
			snprintf(err, errlen, "%s is missing", name);
			return -1;
		}
		off = m->offset;
		size = m->size;
	} else {
		struct stat sb;
		fd = openat(s->fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			snprintf(err, errlen, "%s: %s", name,
				 fd < 0 && errno == ENOENT ? "missing"
				 : fd < 0                  ? mp_strerror(errno, ebuf, sizeof ebuf)
							   : "not a regular file");
			if (fd >= 0)
				close(fd);
			return -1;
		}
		size = (uint64_t)sb.st_size;
	}
	if (size > cap) {
		snprintf(err, errlen, "%s: %llu bytes, more than image-metadata (%llu)", name,
			 (unsigned long long)size, (unsigned long long)cap);
		if (fd != s->fd)
			close(fd);
		return -1;
	}
	*data = malloc((size_t)size + 1);
	if (*data == NULL || pread_all(fd, *data, (size_t)size, off) != 0) {
		snprintf(err, errlen, "%s: cannot read %llu bytes (truncated?)", name,
			 (unsigned long long)size);
		free(*data);
		*data = NULL;
		if (fd != s->fd)
			close(fd);
		return -1;
	}
	(*data)[size] = '\0';
	*len = (size_t)size;
	if (fd != s->fd)
		close(fd);
	return 0;
}

/* ---- JSON ---- */

static json_object *parse_json(const char *data, size_t len, char *err, size_t errlen)
{
	json_tokener *t = json_tokener_new_ex(64);
	json_object *o;
	enum json_tokener_error e;

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o = json_tokener_parse_ex(t, data, (int)len);
	e = json_tokener_get_error(t);
	if (o == NULL || e != json_tokener_success) {
		snprintf(err, errlen, "JSON does not parse: %s at byte %zu",
			 e == json_tokener_continue ? "unexpected end" : json_tokener_error_desc(e),
			 json_tokener_get_parse_end(t));
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(t);
	return o;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;
	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static json_object *jget(json_object *o, const char *key, enum json_type t)
{
	json_object *v;
	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, t) ? v : NULL;
}

/* ---- building an image from its config and layers ---- */

static const char *const known_layer_types[] = {
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	"application/vnd.docker.image.rootfs.diff.tar",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.diff.tar.zstd",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};

static bool known_layer_type(const char *t)
{
	for (size_t i = 0; i < sizeof known_layer_types / sizeof known_layer_types[0]; i++)
		if (strcmp(t, known_layer_types[i]) == 0)
			return true;
	return false;
}

static int add_field(struct mp_image *img, size_t *cap, const char *name, const char *text)
{
	if (text == NULL || *text == '\0')
		return 0;
	if (mp_array_grow(&img->fields, cap, img->nfields, sizeof *img->fields, 16) != 0)
		return -1;
	img->fields[img->nfields].name = strdup(name);
	img->fields[img->nfields].text = strdup(text);
	if (img->fields[img->nfields].name == NULL || img->fields[img->nfields].text == NULL) {
		free(img->fields[img->nfields].name);
		free(img->fields[img->nfields].text);
		return -1;
	}
	img->nfields++;
	return 0;
}

/* Cmd and Entrypoint: their words joined by spaces, one object. */
static int add_words(struct mp_image *img, size_t *cap, const char *name, json_object *v)
{
	struct mp_buf b;
	int rc;

	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_string))
		return add_field(img, cap, name, json_object_get_string(v));
	if (!json_object_is_type(v, json_type_array))
		return 0;
	mp_buf_init(&b, (size_t)img->caps[MP_CAP_IMAGE_METADATA] + 1);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *w = json_object_array_get_idx(v, i);
		if (!json_object_is_type(w, json_type_string))
			continue;
		if (b.len > 0)
			mp_buf_addc(&b, ' ');
		mp_buf_adds(&b, json_object_get_string(w));
	}
	rc = b.data ? add_field(img, cap, name, b.data) : 0;
	mp_buf_free(&b);
	return rc;
}

/* The config's fields to scan, its platform, diff_ids and history. */
static void read_config(struct mp_image *img, json_object *cfg)
{
	json_object *c = jget(cfg, "config", json_type_object);
	json_object *hist = jget(cfg, "history", json_type_array);
	json_object *rootfs = jget(cfg, "rootfs", json_type_object);
	json_object *diffs = jget(rootfs, "diff_ids", json_type_array);
	json_object *v;
	size_t cap = 0, layer = 1;
	char name[512];

	if (img->platform == NULL && jstr(cfg, "os") && jstr(cfg, "architecture")) {
		snprintf(name, sizeof name, "%s/%s%s%s", jstr(cfg, "os"), jstr(cfg, "architecture"),
			 jstr(cfg, "variant") ? "/" : "", jstr(cfg, "variant") ? jstr(cfg, "variant") : "");
		img->platform = strdup(name);
	}
	if ((v = jget(c, "Env", json_type_array)) != NULL)
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);
			snprintf(name, sizeof name, "config.Env[%zu]", i);
			if (json_object_is_type(e, json_type_string))
				add_field(img, &cap, name, json_object_get_string(e));
		}
	add_words(img, &cap, "config.Entrypoint", jget(c, "Entrypoint", json_type_array));
	add_words(img, &cap, "config.Cmd", jget(c, "Cmd", json_type_array));
	if ((v = jget(c, "Labels", json_type_object)) != NULL) {
		json_object_object_foreach(v, key, val)
		{
			struct mp_buf b;
			if (!json_object_is_type(val, json_type_string))
				continue;
			snprintf(name, sizeof name, "config.Labels.%s", key);
			mp_buf_init(&b, (size_t)img->caps[MP_CAP_IMAGE_METADATA] + 1);
			mp_buf_printf(&b, "%s=%s", key, json_object_get_string(val));
			if (b.data)
				add_field(img, &cap, name, b.data);
			mp_buf_free(&b);
		}
	}
	for (size_t i = 0; hist && i < json_object_array_length(hist); i++) {
		json_object *h = json_object_array_get_idx(hist, i), *empty;
		const char *cb = jstr(h, "created_by");
		snprintf(name, sizeof name, "config.history[%zu].created_by", i);
		add_field(img, &cap, name, cb);
		if (jget(h, "empty_layer", json_type_boolean) &&
		    json_object_object_get_ex(h, "empty_layer", &empty) && json_object_get_boolean(empty))
			continue;
		if (layer < img->nunits && cb != NULL && img->units[layer].created_by == NULL)
			img->units[layer].created_by = strdup(cb);
		layer++;
	}
	for (size_t i = 0; diffs && i < json_object_array_length(diffs) && i + 1 < img->nunits; i++) {
		json_object *d = json_object_array_get_idx(diffs, i);
		if (json_object_is_type(d, json_type_string) && img->units[i + 1].diff_id == NULL)
			img->units[i + 1].diff_id = strdup(json_object_get_string(d));
	}
}

static struct mp_image *image_new(struct src *s, size_t nlayers)
{
	struct mp_image *img = calloc(1, sizeof *img);

	if (img == NULL)
		return NULL;
	img->kind = s->kind;
	img->caps = s->caps;
	img->path = strdup(s->path);
	img->units = calloc(nlayers + 1, sizeof *img->units);
	if (img->path == NULL || img->units == NULL) {
		image_free(img);
		return NULL;
	}
	img->nunits = nlayers + 1;
	for (size_t i = 0; i <= nlayers; i++) {
		img->units[i].img = img;
		img->units[i].index = (unsigned)i;
		img->units[i].paths.complete = true;
		img->units[i].ref.layer = (unsigned)i;
		img->units[i].ref.hold = &img->units[i]; /* notices before image_finish */
	}
	if (s->kind == SRC_DIR && (img->dir = strdup(s->path)) == NULL) {
		image_free(img);
		return NULL;
	}
	return img;
}

static int add_tag(struct mp_image *img, const char *t)
{
	char **n;

	for (size_t i = 0; i < img->ntags; i++)
		if (strcmp(img->tags[i], t) == 0)
			return 0;
	n = realloc(img->tags, (img->ntags + 1) * sizeof *n);
	if (n == NULL)
		return -1;
	img->tags = n;
	if ((n[img->ntags] = strdup(t)) == NULL)
		return -1;
	img->ntags++;
	return 0;
}

/* Names and refs, once every field is known. */
static int image_finish(struct src *s, struct mp_image *img)
{
	for (size_t i = 0; i < img->nunits; i++) {
		struct unit *u = &img->units[i];
		char nm[64];
		const char *d = u->digest ? u->digest : u->diff_id;
		if (i == 0)
			snprintf(nm, sizeof nm, "config");
		else if (d != NULL)
			snprintf(nm, sizeof nm, "layer %zu %.19s", i, d);
		else
			snprintf(nm, sizeof nm, "layer %zu", i);
		if ((u->name = strdup(nm)) == NULL)
			return -1;
		u->ref = (struct mp_image_ref){.repo_tags = (const char *const *)img->tags,
					       .ntags = img->ntags,
					       .platform = img->platform,
					       .manifest_digest = img->manifest_digest,
					       .config_digest = img->config_digest,
					       .layer = (unsigned)i,
					       .layer_digest = u->digest,
					       .diff_id = u->diff_id,
					       .media_type = u->media_type,
					       .created_by = u->created_by,
					       .hold = u};
		if (i > 0 && !u->missing && !src_has(s, u->blob)) {
			u->missing = true;
			u->paths.complete = false;
			unit_note(u, "image-error",
				  "the manifest names a layer blob that is not in the image: %s", u->blob);
		}
		if (i > 0 && u->media_type && !known_layer_type(u->media_type))
			unit_note(u, "image-error", "unknown layer media type '%s'; scanned by its content",
				  u->media_type);
		if (i > 0 && s->kind == SRC_TAR && !u->missing) {
			const struct mp_tar_member *m = tar_find(s, u->blob);
			u->off = m->offset;
			if (u->size_known && u->size != m->size)
				unit_note(u, "image-error",
					  "the manifest gives the layer %llu bytes, the tarball %llu",
					  (unsigned long long)u->size, (unsigned long long)m->size);
			u->size = m->size;
			u->size_known = true;
		}
	}
	return 0;
}

/* Does platform p ("os/arch[/variant]") match --platform? Without a
 * variant asked, any variant does. */
static bool platform_wanted(const struct src *s, const char *p)
{
	size_t n;

	if (s->platform == NULL)
		return true;
	if (p == NULL)
		return false;
	n = strlen(s->platform);
	if (strncmp(p, s->platform, n) != 0)
		return false;
	return p[n] == '\0' || (p[n] == '/' && strchr(s->platform, '/') == strrchr(s->platform, '/'));
}

static int push_image(struct src *s, struct mp_image *img)
{
	struct mp_image **n = realloc(s->imgs, (s->nimgs + 1) * sizeof *n);

	if (n == NULL)
		return -1;
	s->imgs = n;
	n[s->nimgs++] = img;
	return 0;
}

static char *blob_name(const char *digest)
{
	const char *c = strchr(digest, ':');
	size_t n = strlen("blobs/") + strlen(digest) + 1;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "blobs/%.*s/%s", (int)(c - digest), digest, c + 1);
	return p;
}

/* Config bytes from a manifest's config reference: parsed into img, with
 * the digest checked; notices are held at the config. */
static void load_config(struct src *s, struct mp_image *img, const char *name, const char *digest)
{
	char err[512], got[72];
	char *data = NULL;
	size_t len;
	json_object *cfg;

	if (src_get(s, name, &data, &len, err, sizeof err) != 0) {
		unit_note(&img->units[0], "image-error", "config: %s", err);
		return;
	}
	sha256_str(data, len, got);
	if (img->config_digest == NULL && strncmp(name, "blobs/sha256/", 13) == 0) {
		char d[80];
		snprintf(d, sizeof d, "sha256:%.64s", name + 13);
		img->config_digest = strdup(d);
	}
	if (img->config_digest == NULL && digest == NULL)
		img->config_digest = strdup(got);
	if (img->config_digest && strncmp(img->config_digest, "sha256:", 7) == 0 &&
	    strcmp(img->config_digest, got) != 0)
		unit_note(&img->units[0], "image-error", "config %s: digest mismatch: the content is %s",
			  img->config_digest, got);
	cfg = parse_json(data, len, err, sizeof err);
	if (cfg == NULL)
		unit_note(&img->units[0], "image-error", "config %s: %s", name, err);
	else
		read_config(img, cfg);
	json_object_put(cfg);
	free(data);
}

/* docker save: manifest.json is an array of {Config, RepoTags, Layers}. */
static void build_docker(struct src *s)
{
	char err[512];
	char *data = NULL;
	size_t len;
	json_object *arr;

	if (src_get(s, "manifest.json", &data, &len, err, sizeof err) != 0) {
		src_note(s, "image-error", "manifest.json: %s", err);
		return;
	}
	arr = parse_json(data, len, err, sizeof err);
	free(data);
	if (arr == NULL || !json_object_is_type(arr, json_type_array)) {
		src_note(s, "image-error", "manifest.json: %s", arr ? "not an array of images" : err);
		json_object_put(arr);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *m = json_object_array_get_idx(arr, i);
		json_object *layers = jget(m, "Layers", json_type_array);
		json_object *tags = jget(m, "RepoTags", json_type_array);
		const char *config = jstr(m, "Config");
		size_t nl = layers ? json_object_array_length(layers) : 0;
		struct mp_image *img;
		if (config == NULL || layers == NULL) {
			src_note(s, "image-error", "manifest.json: image %zu has no Config or Layers", i);
			continue;
		}
		if ((img = image_new(s, nl)) == NULL)
			break;
		for (size_t k = 0; tags && k < json_object_array_length(tags); k++) {
			json_object *t = json_object_array_get_idx(tags, k);
			if (json_object_is_type(t, json_type_string))
				add_tag(img, json_object_get_string(t));
		}
		for (size_t k = 0; k < nl; k++) {
			json_object *l = json_object_array_get_idx(layers, k);
			struct unit *u = &img->units[k + 1];
			const char *b = json_object_is_type(l, json_type_string) ? json_object_get_string(l)
										 : "";
			u->blob = strdup(b);
			if (u->blob)
				normalize(u->blob);
			if (strncmp(b, "blobs/sha256/", 13) == 0 && strlen(b) == 13 + 64) {
				char d[80];
				snprintf(d, sizeof d, "sha256:%s", b + 13);
				u->digest = strdup(d);
			}
		}
		load_config(s, img, config, NULL);
		for (size_t k = 1; k < img->nunits; k++)
			if (img->units[k].digest == NULL && img->units[k].diff_id != NULL) {
				img->units[k].digest = strdup(img->units[k].diff_id);
				img->units[k].digest_is_diff = true;
			}
		if (!platform_wanted(s, img->platform)) {
			image_free(img);
			s->filtered++;
			continue;
		}
		if (image_finish(s, img) != 0 || push_image(s, img) != 0) {
			image_free(img);
			break;
		}
	}
	json_object_put(arr);
}

static void oci_manifest(struct src *s, json_object *desc, const char *platform, json_object *annotations,
			 unsigned depth);

/* An index (index.json or a nested image index): each manifest it lists. */
static void oci_index(struct src *s, json_object *idx, unsigned depth)
{
	json_object *ms = jget(idx, "manifests", json_type_array);

	if (ms == NULL) {
		src_note(s, "image-error", "an image index lists no manifests");
		return;
	}
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		json_object *p = jget(d, "platform", json_type_object);
		json_object *ann = jget(d, "annotations", json_type_object);
		char plat[256] = "";
		const char *rt = jstr(ann, "vnd.docker.reference.type");
		if (rt && strcmp(rt, "attestation-manifest") == 0)
			continue; /* build provenance, not a file system */
		if (jstr(p, "os") && jstr(p, "architecture"))
			snprintf(plat, sizeof plat, "%s/%s%s%s", jstr(p, "os"), jstr(p, "architecture"),
				 jstr(p, "variant") ? "/" : "", jstr(p, "variant") ? jstr(p, "variant") : "");
		oci_manifest(s, d, plat[0] ? plat : NULL, ann, depth);
	}
}

static void oci_manifest(struct src *s, json_object *desc, const char *platform, json_object *annotations,
			 unsigned depth)
{
	const char *digest = jstr(desc, "digest"), *mt = jstr(desc, "mediaType");
	char err[512], got[72];
	char *name = NULL, *data = NULL;
	size_t len;
	json_object *m = NULL, *layers, *cfg;
	struct mp_image *img = NULL;

	if (!digest_ok(digest)) {
		src_note(s, "image-error", "a manifest descriptor has no valid digest ('%s')",
			 digest ? digest : "");
		return;
	}
	if (platform && s->platform && !platform_wanted(s, platform)) {
		s->filtered++;
		return;
	}
	name = blob_name(digest);
	if (name == NULL)
		return;
	if (src_get(s, name, &data, &len, err, sizeof err) != 0) {
		src_note(s, "image-error", "manifest %s: %s", digest, err);
		goto out;
	}
	sha256_str(data, len, got);
	if (strncmp(digest, "sha256:", 7) == 0 && strcmp(digest, got) != 0)
		src_note(s, "image-error", "manifest %s: digest mismatch: the content is %s", digest, got);
	m = parse_json(data, len, err, sizeof err);
	if (m == NULL) {
		src_note(s, "image-error", "manifest %s: %s", digest, err);
		goto out;
	}
	if (jget(m, "manifests", json_type_array) != NULL ||
	    (mt && (strstr(mt, "index") || strstr(mt, "manifest.list")))) {
		if (depth >= INDEX_DEPTH_MAX)
			src_note(s, "image-error", "image indexes nested more than %d deep", INDEX_DEPTH_MAX);
		else
			oci_index(s, m, depth + 1);
		goto out;
	}
	layers = jget(m, "layers", json_type_array);
	cfg = jget(m, "config", json_type_object);
	if (layers == NULL || cfg == NULL || !digest_ok(jstr(cfg, "digest"))) {
		src_note(s, "image-error", "manifest %s: no layers or config", digest);
		goto out;
	}
	if ((img = image_new(s, json_object_array_length(layers))) == NULL)
		goto out;
	img->manifest_digest = strdup(digest);
	img->platform = xstrdup(platform);
	if (annotations) {
		const char *t = jstr(annotations, "io.containerd.image.name");
		if (t)
			add_tag(img, t);
		if ((t = jstr(annotations, "org.opencontainers.image.ref.name")) != NULL)
			add_tag(img, t);
	}
	img->config_digest = strdup(jstr(cfg, "digest"));
	for (size_t k = 1; k < img->nunits; k++) {
		json_object *l = json_object_array_get_idx(layers, k - 1), *sz;
		struct unit *u = &img->units[k];
		const char *d = jstr(l, "digest");
		u->media_type = xstrdup(jstr(l, "mediaType"));
		if (!digest_ok(d)) {
			u->missing = true;
			u->paths.complete = false;
			continue; /* noted once the unit is named */
		}
		u->digest = strdup(d);
		u->blob = blob_name(d);
		if ((sz = jget(l, "size", json_type_int)) != NULL && json_object_get_int64(sz) >= 0) {
			u->size = (uint64_t)json_object_get_int64(sz);
			u->size_known = true;
		}
	}
	{
		char *cname = blob_name(jstr(cfg, "digest"));
		if (cname)
			load_config(s, img, cname, img->config_digest);
		free(cname);
	}
	if (!platform_wanted(s, img->platform)) {
		image_free(img);
		img = NULL;
		s->filtered++;
		goto out;
	}
	if (image_finish(s, img) != 0 || push_image(s, img) != 0) {
		image_free(img);
		goto out;
	}
	for (size_t k = 1; k < img->nunits; k++)
		if (img->units[k].blob == NULL)
			unit_note(&img->units[k], "image-error",
				  "the manifest gives layer %zu no valid digest", k);
out:
	json_object_put(m);
	free(data);
	free(name);
}

static void build_oci(struct src *s)
{
	char err[512];
	char *data = NULL;
	size_t len;
	json_object *idx;

	if (src_get(s, "index.json", &data, &len, err, sizeof err) != 0) {
		src_note(s, "image-error", "index.json: %s", err);
		return;
	}
	idx = parse_json(data, len, err, sizeof err);
	free(data);
	if (idx == NULL) {
		src_note(s, "image-error", "index.json: %s", err);
		return;
	}
	oci_index(s, idx, 0);
	json_object_put(idx);
}

/* Every image of the source, into s->imgs. */
static void build_images(struct src *s)
{
	if (src_has(s, "manifest.json"))
		build_docker(s);
	else if (src_has(s, "index.json"))
		build_oci(s);
	else
		src_note(s, "image-error", "no manifest.json or index.json: not a container image");
	if (s->nimgs == 0 && s->platform != NULL)
		src_note(s, "image-error", "no image for platform %s", s->platform);
}

/* ---- reading a layer ---- */

struct blob_reader {
	int fd;
	uint64_t off;      /* next byte to read from fd */
	uint64_t left;     /* bytes of the blob not yet read (sized) */
	bool sized;        /* left is known (tar members); else read to EOF */
	struct archive *a; /* SRC_GZ: the blob is the current member of a */
	EVP_MD_CTX *md;    /* SHA-256 of what was read */
	uint64_t got;      /* bytes read */
	bool short_read;   /* the blob ended before its declared size */
	int err;
	char msg[256];
};

static long blob_read(void *ctx, void *buf, size_t n)
{
	struct blob_reader *r = ctx;
	ssize_t k;

	if (r->sized && r->left == 0)
		return 0;
	if (r->sized && n > r->left)
		n = (size_t)r->left;
	if (r->a != NULL) {
		k = archive_read_data(r->a, buf, n);
		if (k < 0) {
			snprintf(r->msg, sizeof r->msg, "%s",
				 archive_error_string(r->a) ? archive_error_string(r->a)
							    : "libarchive error");
			r->short_read = true;
			return -1;
		}
	} else {
		do
			k = pread(r->fd, buf, n, (off_t)r->off);
		while (k < 0 && errno == EINTR);
		if (k < 0) {
			r->err = errno;
			mp_strerror(errno, r->msg, sizeof r->msg);
			return -1;
		}
	}
	if (k == 0 && r->sized && r->left > 0)
		r->short_read = true;
	if (k > 0) {
		EVP_DigestUpdate(r->md, buf, (size_t)k);
		r->off += (uint64_t)k;
		r->got += (uint64_t)k;
		if (r->sized)
			r->left -= (uint64_t)k;
	}
	return (long)k;
}

static const char *blob_error(void *ctx)
{
	return ((struct blob_reader *)ctx)->msg;
}

/* Scan one layer from r (positioned at the blob's start); then check its
 * size and digest. */
static void scan_layer(struct unit *u, struct blob_reader *r, struct mp_unpacker *up,
		       struct mp_unpack_counts *counts)
{
	const char *chain[1] = {u->name};
	struct mp_loc loc = {.path = u->img->path, .chain = chain, .nchain = 1, .image = &u->ref};
	struct mp_unpack_hook hook = {.entry = on_entry, .ctx = u};
	uint64_t drain_cap = u->img->caps[MP_CAP_MEMBER_SIZE];
	struct mp_reader rd = {.read = blob_read, .error = blob_error, .ctx = r};
	unsigned char d[32];
	unsigned int dl = 0;
	char got[72], buf[16384];
	bool whole = true;

	mp_unpack_set_hook(up, &hook);
	mp_unpack_scan(up, &loc, &rd, counts);
	mp_unpack_set_hook(up, NULL);
	/* The tar's end blocks and padding are part of the blob: read on
	 * (at most member-size more) so that the digest covers it all. */
	for (uint64_t extra = 0;;) {
		long k;
		if (drain_cap != 0 && extra >= drain_cap) {
			whole = false;
			break;
		}
		k = blob_read(r, buf, sizeof buf);
		if (k <= 0) {
			whole = whole && k == 0;
			break;
		}
		extra += (uint64_t)k;
		counts->input += (uint64_t)k;
	}
	if (r->short_read) {
		u->paths.complete = false;
		unit_note(u, "image-error", "truncated layer: the blob ends after %llu of %llu bytes%s%s",
			  (unsigned long long)r->got, (unsigned long long)(r->got + r->left),
			  r->msg[0] ? ": " : "", r->msg);
		return;
	}
	if (!whole)
		return;
	if (u->size_known && !r->sized && r->got < u->size) {
		u->paths.complete = false;
		unit_note(u, "image-error",
			  "truncated layer: the blob has %llu of the %llu bytes its descriptor gives",
			  (unsigned long long)r->got, (unsigned long long)u->size);
		return;
	}
	if (u->size_known && !r->sized && r->got != u->size)
		unit_note(u, "image-error", "the layer blob has %llu bytes, its descriptor says %llu",
			  (unsigned long long)r->got, (unsigned long long)u->size);
	EVP_DigestFinal_ex(r->md, d, &dl);
	memcpy(got, "sha256:", 7);
	hex_of(d, 32, got + 7);
	if (u->digest && strncmp(u->digest, "sha256:", 7) == 0 && strcmp(u->digest, got) != 0)
		unit_note(u, "image-error", "digest mismatch: the %s is %s, the blob's content %s",
			  u->digest_is_diff ? "diff_id" : "digest", u->digest, got);
}

static void run_layer_fd(struct unit *u, int fd, uint64_t off, bool sized, uint64_t size, struct archive *a,
			 struct mp_unpacker *up, struct mp_unpack_counts *counts)
{
	struct blob_reader r = {.fd = fd, .off = off, .left = size, .sized = sized, .a = a};

	r.md = EVP_MD_CTX_new();
	if (r.md == NULL || EVP_DigestInit_ex(r.md, EVP_sha256(), NULL) != 1) {
		unit_note(u, "error", "out of memory for a digest");
		EVP_MD_CTX_free(r.md);
		return;
	}
	scan_layer(u, &r, up, counts);
	EVP_MD_CTX_free(r.md);
}

static void run_unit_file(struct unit *u, struct mp_unpacker *up, struct mp_unpack_counts *counts)
{
	struct mp_image *img = u->img;
	struct stat sb;
	char ebuf[128];
	int fd;

	if (u->missing)
		return;
	if (img->kind == SRC_TAR)
		fd = open(img->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	else {
		int dfd = open(img->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		fd = dfd < 0 ? -1 : openat(dfd, u->blob, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (dfd >= 0)
			close(dfd);
	}
	if (fd < 0) {
		u->paths.complete = false;
		unit_note(u, "unreadable", "cannot open %s: %s", img->kind == SRC_TAR ? "the image" : u->blob,
			  mp_strerror(errno, ebuf, sizeof ebuf));
		return;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		u->paths.complete = false;
		unit_note(u, "special-file", "%s is not a regular file; not read",
			  u->blob ? u->blob : img->path);
		close(fd);
		return;
	}
	if (img->kind == SRC_TAR)
		run_layer_fd(u, fd, u->off, true, u->size, NULL, up, counts);
	else
		run_layer_fd(u, fd, 0, false, 0, NULL, up, counts);
	close(fd);
}

static void run_config(struct mp_image *img, struct mp_scanner *s, struct mp_unpack_counts *counts)
{
	struct unit *u = &img->units[0];

	for (size_t i = 0; i < img->nfields; i++) {
		const char *chain[1] = {img->fields[i].name};
		struct mp_loc loc = {.path = img->path, .chain = chain, .nchain = 1, .image = &u->ref};
		size_t n = strlen(img->fields[i].text);
		mp_scanner_next_object(s, 0);
		mp_scan_mem(s, &loc, img->fields[i].text, n);
		counts->expanded += n;
	}
}

/* ---- compressed tarballs: two passes in order ---- */

static struct archive *gz_open(const char *path, int *fd, char *err, size_t errlen)
{
	struct archive *a = archive_read_new();
	char ebuf[128];

	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (*fd < 0) {
		snprintf(err, errlen, "cannot open: %s", mp_strerror(errno, ebuf, sizeof ebuf));
		archive_read_free(a);
		return NULL;
	}
	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		close(*fd);
		return NULL;
	}
	/* gzip only: libarchive's own decoder, never an external program. */
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, *fd, 65536) != ARCHIVE_OK) {
		snprintf(err, errlen, "%s",
			 archive_error_string(a) ? archive_error_string(a) : "cannot read");
		archive_read_free(a);
		close(*fd);
		return NULL;
	}
	return a;
}

static void gz_members_free(struct src *s)
{
	for (size_t i = 0; i < s->ngm; i++) {
		free(s->gm[i].name);
		free(s->gm[i].data);
	}
	free(s->gm);
	s->gm = NULL;
	s->ngm = 0;
}

/* Pass 1: the member list, and the small JSON documents. */
static int gz_index(struct src *s, char *err, size_t errlen)
{
	uint64_t cap = s->caps[MP_CAP_IMAGE_METADATA], kept = 0;
	struct archive_entry *e;
	struct archive *a;
	size_t capm = 0;
	int fd, r, rc = 0;

	if ((a = gz_open(s->path, &fd, err, errlen)) == NULL)
		return -1;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		struct gz_member *m;
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (s->ngm >= s->caps[MP_CAP_ARCHIVE_ENTRIES] ||
		    mp_array_grow(&s->gm, &capm, s->ngm, sizeof *s->gm, 16) != 0) {
			snprintf(err, errlen, "too many members");
			rc = -1;
			break;
		}
		m = &s->gm[s->ngm];
		memset(m, 0, sizeof *m);
		m->name = strdup(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
		if (m->name == NULL)
			break;
		normalize(m->name);
		m->size = archive_entry_size(e) > 0 ? (uint64_t)archive_entry_size(e) : 0;
		s->ngm++;
		if (m->size <= cap && kept + m->size <= GZ_KEPT_MAX) {
			char *d = malloc((size_t)m->size + 1);
			la_ssize_t k = d ? archive_read_data(a, d, (size_t)m->size) : -1;
			if (k == (la_ssize_t)m->size && m->size > 0 && (d[0] == '{' || d[0] == '[')) {
				m->data = d;
				m->len = (size_t)k;
				kept += m->size;
			} else {
				free(d);
			}
		}
	}
	if (r == ARCHIVE_FATAL) {
		snprintf(err, errlen, "%s",
			 archive_error_string(a) ? archive_error_string(a) : "damaged archive");
		rc = -1;
	}
	archive_read_free(a);
	close(fd);
	if (s->ngm > 1)
		qsort(s->gm, s->ngm, sizeof *s->gm, cmp_gm);
	return rc;
}

/* Pass 2, for one image: its layers in the order the tarball holds them. */
static void gz_layers(struct src *s, struct mp_image *img, struct mp_unpacker *up,
		      struct mp_unpack_counts *total)
{
	struct archive_entry *e;
	struct archive *a;
	char err[512];
	bool *seen = calloc(img->nunits, sizeof *seen);
	int fd, r;

	if (seen == NULL)
		return;
	if ((a = gz_open(s->path, &fd, err, sizeof err)) == NULL) {
		unit_note(&img->units[0], "read-error", "%s", err);
		free(seen);
		return;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		char name[PATH_MAX_BYTES + 1];
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		snprintf(name, sizeof name, "%s", archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
		normalize(name);
		for (size_t i = 1; i < img->nunits; i++) {
			struct unit *u = &img->units[i];
			struct mp_unpack_counts c;
			if (seen[i] || u->missing || u->blob == NULL || strcmp(u->blob, name) != 0)
				continue;
			seen[i] = true;
			memset(&c, 0, sizeof c);
			run_layer_fd(u, -1, 0, true,
				     archive_entry_size(e) > 0 ? (uint64_t)archive_entry_size(e) : 0, a, up,
				     &c);
			total->input += c.input;
			total->expanded += c.expanded;
			total->archives += c.archives;
			total->members += c.members;
			total->binaries += c.binaries;
			total->utf16 += c.utf16;
			total->media += c.media;
			total->binary_skipped += c.binary_skipped;
			break; /* the data was read: a layer listed twice is scanned once */
		}
	}
	if (r == ARCHIVE_FATAL)
		unit_note(&img->units[0], "archive-error", "the compressed tarball is damaged: %s",
			  archive_error_string(a) ? archive_error_string(a) : "libarchive gave no reason");
	for (size_t i = 1; i < img->nunits; i++)
		if (!seen[i] && !img->units[i].missing) {
			img->units[i].paths.complete = false;
			unit_note(&img->units[i], "image-error", "layer blob %s was not read",
				  img->units[i].blob);
		}
	archive_read_free(a);
	close(fd);
	free(seen);
}

/* A compressed tarball that held no image after all: scanned as usual. */
static void scan_plain_file(const char *path, struct mp_unpacker *up, struct mp_unpack_counts *counts)
{
	struct blob_reader r = {.fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
	struct mp_reader rd = {.read = blob_read, .error = blob_error, .ctx = &r};
	struct mp_loc loc = {.path = path};

	r.md = EVP_MD_CTX_new();
	if (r.fd >= 0 && r.md != NULL && EVP_DigestInit_ex(r.md, EVP_sha256(), NULL) == 1)
		mp_unpack_scan(up, &loc, &rd, counts);
	EVP_MD_CTX_free(r.md);
	if (r.fd >= 0)
		close(r.fd);
}

static void run_gz(struct mp_image_job *j, struct mp_unpacker *up, struct mp_scanner *sc,
		   const struct mp_image_out *out, struct mp_unpack_counts *counts)
{
	struct src s = {.kind = SRC_GZ,
			.path = j->path,
			.caps = j->caps,
			.platform = j->platform,
			.notice = out->notice,
			.ctx = out->ctx,
			.fd = -1};
	struct group *g;
	char err[512];

	if (gz_index(&s, err, sizeof err) != 0)
		src_note(&s, "archive-error", "reading the compressed image: %s", err);
	build_images(&s);
	if (s.nimgs == 0 && s.filtered == 0)
		scan_plain_file(j->path, up, counts);
	if (s.nimgs > 0 && (g = group_new(&s, 1)) != NULL) {
		for (size_t i = 0; i < g->n; i++) {
			gz_layers(&s, g->imgs[i], up, counts);
			run_config(g->imgs[i], sc, counts);
		}
		image_release(g->imgs[0], out);
	}
	src_flush(&s);
	gz_members_free(&s);
}

/* ---- jobs ---- */

void mp_image_job_free(struct mp_image_job *j)
{
	if (j == NULL)
		return;
	free(j->path);
	free(j->platform);
	free(j);
}

bool mp_image_job_run(struct mp_image_job *j, const struct mp_engine *e, struct mp_unpacker *u,
		      struct mp_scanner *s, const struct mp_image_out *out, struct mp_unpack_counts *counts)
{
	bool is_file = false;

	(void)e;
	memset(counts, 0, sizeof *counts);
	if (j->img == NULL) {
		run_gz(j, u, s, out, counts);
		is_file = true;
	} else if (j->unit == 0) {
		run_config(j->img, s, counts);
		is_file = true;
		image_release(j->img, out);
	} else {
		run_unit_file(&j->img->units[j->unit], u, counts);
		image_release(j->img, out);
	}
	mp_image_job_free(j);
	return is_file;
}

/* ---- the main thread: is a root an image? ---- */

/* --shard, --sample: is the image at root (one object) taken? */
static bool taken(const struct mp_image_opts *o, const char *root)
{
	const char *base;
	size_t n = strlen(root);
	uint64_t h;

	if (o->select == NULL || mp_select_all(o->select))
		return true;
	/* "dir/" names dir: the base name is the last non-empty component */
	while (n > 1 && root[n - 1] == '/')
		n--;
	for (base = root + n; base > root && base[-1] != '/'; base--)
		;
	h = mp_path_hash(base, (size_t)(root + n - base));
	if (!mp_select_shard(o->select, h)) {
		if (o->stats)
			o->stats->skipped_shard++;
		return false;
	}
	if (!mp_select_sample(o->select, h)) {
		if (o->stats)
			o->stats->skipped_sample++;
		return false;
	}
	return true;
}

/* Does the first member name look like docker save or an OCI layout? */
static bool image_like(const char *name)
{
	size_t hex = 0;

	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[hex] &&
	       ((name[hex] >= '0' && name[hex] <= '9') || (name[hex] >= 'a' && name[hex] <= 'f')))
		hex++;
	if (hex == 64 &&
	    (name[64] == '/' || strcmp(name + 64, ".json") == 0 || strcmp(name + 64, ".tar") == 0))
		return true;
	return strncmp(name, "blobs/", 6) == 0 || strcmp(name, "blobs") == 0 ||
	       strcmp(name, "oci-layout") == 0 || strcmp(name, "index.json") == 0 ||
	       strcmp(name, "manifest.json") == 0 || strcmp(name, "repositories") == 0;
}

static int queue_job(const struct mp_image_opts *o, struct mp_image_job *j)
{
	struct mp_item *it = mp_item_new(j->img ? j->img->path : j->path, false, true);

	if (it == NULL) {
		mp_image_job_free(j);
		return -1;
	}
	it->image = j;
	if (mp_queue_push(o->queue, it) != 0) {
		free(it);
		mp_image_job_free(j);
		return -1;
	}
	return 0;
}

/* Queue the units of each built image: the config, and each layer whose
 * blob is there. The jobs are all made first: once the last one is queued,
 * a worker may finish it and free the group and its images, so nothing of
 * them is read after a push. */
static void queue_images(const struct mp_image_opts *o, struct src *s)
{
	unsigned n = 0;
	struct group *g;
	struct mp_image_job **jobs;
	size_t nimgs = s->nimgs, k = 0;

	for (size_t i = 0; i < s->nimgs; i++)
		for (size_t u = 0; u < s->imgs[i]->nunits; u++)
			n += u == 0 || !s->imgs[i]->units[u].missing;
	if (nimgs == 0 || (g = group_new(s, n)) == NULL)
		return;
	jobs = calloc(n, sizeof *jobs);
	for (size_t i = 0; jobs != NULL && i < nimgs; i++) {
		struct mp_image *img = g->imgs[i];
		for (size_t u = 0; u < img->nunits; u++) {
			if (u > 0 && img->units[u].missing)
				continue;
			if ((jobs[k] = calloc(1, sizeof *jobs[k])) == NULL)
				break;
			jobs[k]->img = img;
			jobs[k++]->unit = u;
		}
	}
	if (jobs == NULL || k < n) {
		/* Nothing queued, so the group never completes: nothing of the
		 * input is written. */
		mp_log_error("%s: out of memory: the image's layers are not scanned", s->path);
		for (size_t i = 0; jobs != NULL && i < k; i++)
			mp_image_job_free(jobs[i]);
		free(jobs);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (queue_job(o, jobs[i]) != 0) {
			/* queue_job freed it; units not queued never finish, so
			 * nothing of the input is written (the queue is closing). */
			mp_log_error("%s: cannot queue the image's layers", s->path);
			for (size_t r = i + 1; r < n; r++)
				mp_image_job_free(jobs[r]);
			break;
		}
	}
	free(jobs);
}

static int root_dir(const struct mp_image_opts *o, const char *root)
{
	struct src s = {.kind = SRC_DIR,
			.path = root,
			.caps = o->caps,
			.platform = o->platform,
			.notice = o->notice,
			.ctx = o->ctx};
	struct stat sb;

	s.fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.fd < 0)
		return 0;
	if (o->mode != 1 &&
	    !(fstatat(s.fd, "oci-layout", &sb, 0) == 0 && fstatat(s.fd, "index.json", &sb, 0) == 0)) {
		close(s.fd);
		return 0;
	}
	if (!taken(o, root)) {
		close(s.fd);
		return 1;
	}
	build_images(&s);
	close(s.fd);
	queue_images(o, &s);
	src_flush(&s);
	free(s.imgs);
	/* Nothing usable: walked as a directory; all left out by --platform: done. */
	return s.nimgs > 0 || s.filtered > 0;
}

/* The first member's name of a compressed tar, or "" when it is none. */
static void gz_first(const char *path, char *name, size_t n)
{
	char err[256];
	struct archive_entry *e;
	int fd;
	struct archive *a = gz_open(path, &fd, err, sizeof err);

	name[0] = '\0';
	if (a == NULL)
		return;
	if (archive_read_next_header(a, &e) == ARCHIVE_OK && archive_entry_pathname(e))
		snprintf(name, n, "%s", archive_entry_pathname(e));
	archive_read_free(a);
	close(fd);
}

int mp_image_root(const struct mp_image_opts *o, const char *root)
{
	struct src s = {.kind = SRC_TAR,
			.path = root,
			.caps = o->caps,
			.platform = o->platform,
			.notice = o->notice,
			.ctx = o->ctx,
			.fd = -1};
	unsigned char h[512];
	struct stat sb;
	char err[512];
	int rc = 0;

	if (o->mode == 0 || strcmp(root, "-") == 0 || stat(root, &sb) != 0)
		return 0;
	if (S_ISDIR(sb.st_mode))
		return root_dir(o, root);
	if (!S_ISREG(sb.st_mode))
		return 0;
	s.fd = open(root, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (s.fd < 0)
		return 0; /* the worker says why */
	if (pread_all(s.fd, h, sizeof h, 0) != 0)
		goto out;
	if (h[0] == 0x1f && h[1] == 0x8b) {
		char first[PATH_MAX_BYTES + 1];
		struct mp_image_job *j;
		gz_first(root, first, sizeof first);
		if (o->mode != 1 && !image_like(first))
			goto out;
		if (!taken(o, root)) {
			rc = 1;
			goto out;
		}
		j = calloc(1, sizeof *j);
		if (j == NULL || (j->path = strdup(root)) == NULL ||
		    (o->platform && (j->platform = strdup(o->platform)) == NULL)) {
			mp_image_job_free(j);
			goto out;
		}
		j->caps = o->caps;
		rc = queue_job(o, j) == 0;
		goto out;
	}
	if (!tar_checksum_ok(h)) {
		if (o->mode == 1)
			src_note(&s, "image-error",
				 "--image: neither a tar nor a compressed tar; scanned as a file");
		goto out;
	}
	{
		char first[257];
		snprintf(first, sizeof first, "%.100s", (const char *)h);
		if (o->mode != 1 && !image_like(first) && h[156] != 'x' && h[156] != 'L')
			goto out;
	}
	if (mp_tar_index(s.fd, (uint64_t)sb.st_size, o->caps[MP_CAP_ARCHIVE_ENTRIES], &s.tm, &s.ntm, err,
			 sizeof err) != 0)
		src_note(&s, "archive-error", "reading the image's tar headers: %s", err);
	if (s.ntm > 1)
		qsort(s.tm, s.ntm, sizeof *s.tm, cmp_tm);
	if (o->mode != 1 && !src_has(&s, "manifest.json") && !src_has(&s, "index.json"))
		goto out; /* a plain tar after all */
	if (!taken(o, root)) {
		rc = 1;
		goto out;
	}
	build_images(&s);
	queue_images(o, &s);
	rc = s.nimgs > 0 || s.filtered > 0; /* else scanned as a plain tar */
out:
	src_flush(&s);
	free(s.imgs);
	mp_tar_members_free(s.tm, s.ntm);
	if (s.fd >= 0)
		close(s.fd);
	return rc;
}
