/* pool.c - the workers. */
#include "mp_config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "image.h"
#include "log.h"
#include "pool.h"
#include "walk.h"

/* --staged: a finding counts when it lies on a line the staged diff adds.
 * Inside an archive or compressed file, line numbers are those of the
 * member, so there any change to the file counts. */
static bool on_added_line(const struct mp_staged_file *sf, const struct mp_loc *loc,
			  const struct mp_finding *f)
{
	if (loc->nchain > 0)
		return sf->add.n > 0;
	return mp_lines_overlap(&sf->add, f->line, f->end_line > f->line ? f->end_line : f->line);
}

/* The consumer's filters, in order: --staged lines, then an inline
 * "magpie:allow" or the baseline (after --write-baseline has seen the
 * finding). True when the finding
 * counts; written says whether it would be written (a suppressed one is
 * written only with --show-suppressed). */
static bool passes(struct mp_worker *w, const struct mp_loc *loc, const struct mp_finding *f, bool written)
{
	if (w->item && w->item->staged && !on_added_line(w->item->staged, loc, f)) {
		w->stats.skipped_not_added++;
		return false;
	}
	if (w->sh->collect) {
		struct mp_buf where;
		mp_buf_init(&where, 1u << 20);
		mp_loc_display(loc, &where);
		mp_baseline_add(w->sh->collect, f->rule->id, f->fingerprint, where.data ? where.data : "",
				f->line);
		mp_buf_free(&where);
	}
	if (f->allowed ||
	    (w->sh->allow && mp_config_allows(w->sh->allow, f->rule->id, f->secret, f->secret_len)) ||
	    (w->sh->baseline && mp_baseline_has(w->sh->baseline, f->rule->id, f->fingerprint))) {
		w->stats.suppressed++;
		if (written && w->sh->show_suppressed)
			mp_record_suppressed(&w->batch, w->sh->sink, loc, f);
		if (w->batch.buf.len > MP_BATCH_FLUSH)
			mp_sink_write(w->sh->sink, &w->batch);
		return false;
	}
	return true;
}

/* --report: count a finding (written, or counted past findings-per-rule:
 * then f is NULL) in the object's tally, and keep its location as one of
 * the object's samples while there is room. */
static void tally(struct mp_worker *w, const struct mp_loc *loc, const struct mp_finding *f,
		  const struct mp_rule *r)
{
	const struct mp_report_opts *ro = w->sh->report;
	uint32_t ri = (uint32_t)(r - w->sh->engine->rules->rules);
	struct mp_object *o = &w->obj;

	mp_object_add(o, ri, r, (enum mp_class)ro->rule_class[ri]);
	if (f != NULL && ro->objects && o->nsamples < ro->samples) {
		size_t len = o->samples.len;
		if (o->nsamples > 0)
			mp_buf_addc(&o->samples, ',');
		mp_record_sample(&o->samples, loc, f);
		/* A sample cut short by the buffer's maximum is taken back. */
		if (o->samples.len > len && o->samples.data[o->samples.len - 1] == '}') {
			o->nsamples++;
		} else {
			o->samples.len = len;
			if (o->samples.data)
				o->samples.data[len] = '\0';
		}
	}
}

static void on_unreported(void *ctx, const struct mp_rule *r);

static bool on_finding(void *ctx, const struct mp_loc *loc, const struct mp_finding *f)
{
	struct mp_worker *w = ctx;
	const struct mp_rule *base = w->sh->engine->rules->rules;

	if (f->test_value && !w->sh->engine->include_test_values) {
		w->stats.skipped_test_values++;
		return false;
	}
	if (!passes(w, loc, f, true))
		return false;
	if (mp_image_holds(loc)) {
		/* Written when the image is complete (held_finding). */
		if (!mp_image_hold_finding(loc, f))
			on_unreported(w, f->rule);
		return true;
	}
	mp_record_finding(&w->batch, w->sh->sink, loc, f);
	w->stats.findings++;
	w->stats.by_rule[f->rule - base]++;
	if (w->sh->report)
		tally(w, loc, f, f->rule);
	if (w->batch.buf.len > MP_BATCH_FLUSH)
		mp_sink_write(w->sh->sink, &w->batch);
	return true;
}

/* A finding past findings-per-rule: counted only if the filters keep it. */
static bool on_keep(void *ctx, const struct mp_loc *loc, const struct mp_finding *f)
{
	return passes(ctx, loc, f, false);
}

static void on_unreported(void *ctx, const struct mp_rule *r)
{
	struct mp_worker *w = ctx;

	w->stats.unreported++;
	w->stats.unreported_by_rule[r - w->sh->engine->rules->rules]++;
	if (w->sh->report)
		tally(w, NULL, NULL, r);
}

/* A notice written now. */
static void write_notice(void *ctx, const struct mp_loc *loc, const char *kind, const char *message)
{
	struct mp_worker *w = ctx;
	struct mp_buf where;

	mp_record_notice(&w->batch, w->sh->sink, loc, kind, message);
	w->stats.notices++;
	w->stats.by_kind[mp_notice_kind(kind)]++;
	mp_buf_init(&where, 1u << 20);
	mp_loc_display(loc, &where);
	mp_log_notice("%s: %s: %s", where.data ? where.data : "", kind, message);
	mp_buf_free(&where);
	if (w->batch.buf.len > MP_BATCH_FLUSH)
		mp_sink_write(w->sh->sink, &w->batch);
}

void mp_worker_notice(void *ctx, const struct mp_loc *loc, const char *kind, const char *message)
{
	if (mp_image_holds(loc))
		mp_image_hold_notice(loc, kind, message);
	else
		write_notice(ctx, loc, kind, message);
}

/* A held image finding, now that its status is known (the filters ran
 * when it was held). */
static void held_finding(void *ctx, const struct mp_loc *loc, const struct mp_finding *f)
{
	struct mp_worker *w = ctx;
	enum mp_layer_status st = loc->image->status;

	if (w->sh->final_only && (st == MP_LS_DELETED || st == MP_LS_OVERWRITTEN))
		return;
	mp_record_finding(&w->batch, w->sh->sink, loc, f);
	w->stats.findings++;
	w->stats.by_rule[f->rule - w->sh->engine->rules->rules]++;
	if (w->sh->report) {
		tally(w, loc, f, f->rule);
		w->obj_scanned = true;
	}
	if (w->batch.buf.len > MP_BATCH_FLUSH)
		mp_sink_write(w->sh->sink, &w->batch);
}

struct fd_reader {
	int fd;
	bool sized; /* stop after `left` bytes (from fstat), saving a read() */
	uint64_t left;
	uint64_t size; /* from fstat, when sized */
	int err;
	/* A sparse file (fewer blocks than its size): holes are handed on as
	 * zeros made here, not read, since the kernel zero-filling them
	 * inside read() was most of the time such a file took. */
	bool sparse;
	uint64_t hole_end; /* [pos, hole_end) is known to be a hole */
	uint64_t data_end; /* [pos, data_end) is known to hold data */
};

/* Sparse file at pos: find out whether a hole or data comes next, and how
 * far it goes. On any error the rest is simply read. */
static void fd_probe(struct fd_reader *r, uint64_t pos)
{
	off_t d = lseek(r->fd, (off_t)pos, SEEK_DATA);

	if (d < 0) {
		if (errno == ENXIO) /* only a hole up to the end */
			r->hole_end = r->size;
		else
			r->sparse = false;
	} else if ((uint64_t)d > pos) {
		r->hole_end = (uint64_t)d;
	} else {
		off_t h = lseek(r->fd, (off_t)pos, SEEK_HOLE);
		r->data_end = h < 0 ? r->size : (uint64_t)h;
		if (h < 0)
			r->sparse = false;
	}
	if (lseek(r->fd, (off_t)pos, SEEK_SET) < 0)
		r->sparse = false;
}

static long fd_read(void *ctx, void *buf, size_t n)
{
	struct fd_reader *r = ctx;
	ssize_t k;

	if (r->sized && r->left == 0)
		return 0;
	if (r->sparse) {
		uint64_t pos = r->size - r->left;
		if (pos >= r->hole_end && pos >= r->data_end)
			fd_probe(r, pos);
		if (r->sparse && pos < r->hole_end) {
			size_t z = r->hole_end - pos < n ? (size_t)(r->hole_end - pos) : n;
			memset(buf, 0, z);
			r->left -= z;
			if (pos + z == r->hole_end && r->left > 0 &&
			    lseek(r->fd, (off_t)r->hole_end, SEEK_SET) < 0)
				r->sparse = false;
			return (long)z;
		}
		if (r->sparse && r->data_end - pos < n)
			n = (size_t)(r->data_end - pos);
	}
	do
		k = read(r->fd, buf, n);
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		r->err = errno;
		return -1;
	}
	if (r->sized)
		r->left = (uint64_t)k >= r->left ? 0 : r->left - (uint64_t)k;
	return (long)k;
}

static int64_t fd_seek(void *ctx, int64_t offset, int whence)
{
	struct fd_reader *r = ctx;
	off_t at = lseek(r->fd, (off_t)offset, whence);

	if (at < 0) {
		r->err = errno;
		return -1;
	}
	r->left = (uint64_t)at >= r->size ? 0 : r->size - (uint64_t)at;
	r->hole_end = r->data_end = 0; /* probe again from the new place */
	return (int64_t)at;
}

static const char *fd_error(void *ctx)
{
	struct fd_reader *r = ctx;
	static __thread char buf[128];
	return mp_strerror(r->err, buf, sizeof buf);
}

struct mem_reader {
	const char *p;
	uint64_t len, pos;
};

static long mem_read(void *ctx, void *buf, size_t n)
{
	struct mem_reader *m = ctx;
	uint64_t k = m->len - m->pos < n ? m->len - m->pos : n;

	if (k > LONG_MAX)
		k = LONG_MAX;
	memcpy(buf, m->p + m->pos, (size_t)k);
	m->pos += k;
	return (long)k;
}

static int64_t mem_seek(void *ctx, int64_t offset, int whence)
{
	struct mem_reader *m = ctx;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)m->pos : (int64_t)m->len;

	if (base + offset < 0)
		return -1;
	m->pos = (uint64_t)(base + offset) > m->len ? m->len : (uint64_t)(base + offset);
	return (int64_t)m->pos;
}

static const char *mem_error(void *ctx)
{
	(void)ctx;
	return "no error";
}

/* One input scanned: its counts into the worker's. */
static void add_counts(struct mp_worker *w, const struct mp_unpack_counts *c)
{
	w->stats.files++;
	w->stats.bytes += c->input;
	w->stats.expanded += c->expanded;
	w->stats.archives += c->archives;
	w->stats.members += c->members;
	w->stats.binaries += c->binaries;
	w->stats.utf16 += c->utf16;
	w->stats.skipped_media += c->media;
	w->stats.skipped_binary += c->binary_skipped;
}

/* An object already in memory (a staged blob). */
static void scan_mem_item(struct mp_worker *w, const struct mp_item *it)
{
	struct mp_loc loc = {.path = it->path};
	struct mem_reader mr = {.p = it->data, .len = it->len};
	struct mp_reader rd = {.read = mem_read, .error = mem_error, .seek = mem_seek, .ctx = &mr};
	struct mp_unpack_counts counts;

	mp_unpack_scan(w->unpacker, &loc, &rd, &counts);
	add_counts(w, &counts);
	w->obj_size = it->len;
	w->obj_type = counts.type;
	w->obj_scanned = true;
}

static void scan_item(struct mp_worker *w, const struct mp_item *it)
{
	struct mp_loc loc = {.path = it->path};
	struct fd_reader fr = {.fd = 0};
	struct mp_reader rd = {.read = fd_read, .error = fd_error, .ctx = &fr};
	uint64_t cap = w->sh->engine->caps[MP_CAP_FILE_SIZE];
	struct mp_unpack_counts counts;
	char ebuf[128], msg[256];
	struct stat sb;

	if (!it->is_stdin) {
		/* O_NONBLOCK: should the file have become a FIFO since the walk,
		 * opening it must not wait for a writer. */
		fr.fd = open(it->path,
			     O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (it->follow ? 0 : O_NOFOLLOW));
		if (fr.fd < 0) {
			if (errno == ELOOP && !it->follow) {
				w->stats.skipped_symlinks++;
				return;
			}
			snprintf(msg, sizeof msg, "cannot open: %s", mp_strerror(errno, ebuf, sizeof ebuf));
			mp_worker_notice(w, &loc, "unreadable", msg);
			return;
		}
		if (fstat(fr.fd, &sb) != 0) {
			snprintf(msg, sizeof msg, "cannot stat: %s", mp_strerror(errno, ebuf, sizeof ebuf));
			mp_worker_notice(w, &loc, "unreadable", msg);
			close(fr.fd);
			return;
		}
		if (!S_ISREG(sb.st_mode)) {
			mp_worker_notice(w, &loc, "special-file", "not a regular file when opened; skipped");
			close(fr.fd);
			return;
		}
		if (cap != 0 && (uint64_t)sb.st_size > cap) {
			snprintf(msg, sizeof msg,
				 "file-size limit (%llu bytes): file of %llu bytes not scanned",
				 (unsigned long long)cap, (unsigned long long)sb.st_size);
			mp_worker_notice(w, &loc, "limit", msg);
			close(fr.fd);
			return;
		}
		/* A size of 0 may be a lie (procfs): read until EOF then. */
		fr.sized = sb.st_size > 0;
		fr.left = (uint64_t)sb.st_size;
		fr.size = (uint64_t)sb.st_size;
		fr.sparse = fr.sized && (uint64_t)sb.st_blocks * 512 < (uint64_t)sb.st_size;
		/* Seeking is offered to libarchive only where it is needed (a
		 * 7-Zip archive): a regular file whose size is known. */
		if (fr.sized)
			rd.seek = fd_seek;
		if ((uint64_t)sb.st_size > w->sh->engine->caps[MP_CAP_SEGMENT_SIZE])
			posix_fadvise(fr.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}
	mp_unpack_scan(w->unpacker, &loc, &rd, &counts);
	add_counts(w, &counts);
	w->obj_size = it->is_stdin ? counts.input : fr.size;
	w->obj_type = counts.type;
	w->obj_scanned = true;
	if (!it->is_stdin)
		close(fr.fd);
}

/* --report: the object record of the item just scanned, and its share of
 * its bucket's rollup. */
static void report_object(struct mp_worker *w, const struct mp_item *it)
{
	const struct mp_report_opts *ro = w->sh->report;
	const struct mp_object *o = &w->obj;

	if (ro->objects && o->findings > 0) {
		const char *rel = it->path + it->rel, *slash = strchr(rel, '/');
		struct mp_object_view v = {
			.path = it->path,
			.bucket = slash ? rel : ".",
			.bucketlen = slash ? (size_t)(slash - rel) : 1,
			.size = w->obj_size,
			.type = w->obj_type,
			.score = mp_object_score(o),
			.object = o,
			.rules = w->sh->engine->rules,
		};
		mp_record_object(&w->batch, w->sh->sink, &v);
	}
	if (ro->buckets && it->bucket != MP_BUCKET_NONE &&
	    mp_rollup_object(&w->rollup, it->bucket, w->obj_size, w->obj_type, o, it->path,
			     strlen(it->path)) != 0)
		mp_log_error("%s: out of memory for the bucket rollup", it->path);
}

/* A unit of a container image: the image counts as one file. With
 * --report, the image is one object, reported with the unit that writes
 * its held findings (held_finding sets obj_scanned). */
static void scan_image_item(struct mp_worker *w, const struct mp_item *it)
{
	struct mp_image_out out = {.finding = held_finding, .notice = write_notice, .ctx = w};
	struct mp_unpack_counts counts;
	struct stat sb;
	bool is_file = mp_image_job_run(it->image, w->sh->engine, w->unpacker, w->scanner, &out, &counts);

	add_counts(w, &counts);
	if (!is_file)
		w->stats.files--;
	w->obj_size = stat(it->path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
	w->obj_type = counts.type;
}

static void *worker_main(void *arg)
{
	struct mp_worker *w = arg;
	struct mp_item *it;

	while ((it = mp_queue_pop(w->sh->queue)) != NULL) {
		uint64_t files0 = w->stats.files, bytes0 = w->stats.bytes, found0 = w->stats.findings;
		uint64_t unrep0 = w->stats.unreported;
		w->item = it;
		w->obj_scanned = false;
		if (w->sh->report)
			mp_object_reset(&w->obj);
		if (it->image != NULL)
			scan_image_item(w, it);
		else if (it->data != NULL)
			scan_mem_item(w, it);
		else
			scan_item(w, it);
		if (w->stats.findings + w->stats.unreported > found0 + unrep0)
			w->stats.with_findings++;
		if (w->sh->report && w->obj_scanned)
			report_object(w, it);
		w->item = NULL;
		free(it);
		mp_sink_write(w->sh->sink, &w->batch);
		if (w->sh->progress) {
			struct mp_progress *p = w->sh->progress;
			atomic_fetch_add_explicit(&p->files, w->stats.files - files0, memory_order_relaxed);
			atomic_fetch_add_explicit(&p->bytes, w->stats.bytes - bytes0, memory_order_relaxed);
			atomic_fetch_add_explicit(&p->findings, w->stats.findings - found0,
						  memory_order_relaxed);
		}
	}
	return NULL;
}

int mp_pool_start(struct mp_pool *p, unsigned n, const struct mp_pool_shared *sh)
{
	struct mp_emit emit = {.finding = on_finding,
			       .notice = mp_worker_notice,
			       .unreported = on_unreported,
			       .keep = sh->collect || sh->baseline || sh->staged || sh->allow ? on_keep
											      : NULL};
	unsigned started = 0;

	p->n = 0;
	p->workers = calloc(n, sizeof *p->workers);
	if (p->workers == NULL)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		struct mp_worker *w = &p->workers[i];
		w->sh = sh;
		p->n = i + 1;
		mp_batch_init(&w->batch);
		mp_object_init(&w->obj);
		mp_rollup_init(&w->rollup, sh->engine->rules->n, MP_UNPACK_NTYPES);
		emit.ctx = w;
		if (mp_stats_init(&w->stats, sh->engine->rules->n) != 0 ||
		    (sh->profile && mp_stats_profile(&w->stats) != 0) ||
		    (w->scanner = mp_scanner_new(sh->engine, &emit)) == NULL ||
		    (w->unpacker = mp_unpacker_new(sh->engine, w->scanner, &emit)) == NULL)
			break;
		mp_scanner_profile(w->scanner, w->stats.prof);
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
			break;
		w->started = 1;
		started++;
	}
	if (started == 0) {
		mp_pool_join(p, NULL, NULL);
		return -1;
	}
	return 0;
}

void mp_pool_join(struct mp_pool *p, struct mp_stats *total, struct mp_rollup *rollup)
{
	for (unsigned i = 0; i < p->n; i++) {
		struct mp_worker *w = &p->workers[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		mp_sink_write(w->sh->sink, &w->batch);
		if (total && w->stats.by_rule)
			mp_stats_add(total, &w->stats);
		if (rollup && mp_rollup_merge(rollup, &w->rollup) != 0)
			mp_log_error("out of memory for the bucket rollup");
		mp_rollup_free(&w->rollup);
		mp_object_free(&w->obj);
		mp_unpacker_free(w->unpacker);
		mp_scanner_free(w->scanner);
		mp_batch_free(&w->batch);
		mp_stats_free(&w->stats);
	}
	free(p->workers);
	p->workers = NULL;
	p->n = 0;
}
