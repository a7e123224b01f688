/* run.c - wiring for each command. */
#include "mp_config.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "git.h"
#include "image.h"
#include "log.h"
#include "pool.h"
#include "run.h"
#include "scanid.h"
#include "scan.h"
#include "validate.h"
#include "walk.h"

void mp_settings_free(struct mp_settings *s)
{
	free(s->paths);
	free(s->rule_paths);
	free(s->enable_rules);
	free(s->disable_rules);
	if (s->config) {
		mp_config_free(s->config);
		free(s->config);
	}
	mp_ignore_free(&s->ignore);
}

const char *mp_default_rules_dir(void)
{
	static char in_tree[PATH_MAX + 16];
	const char *env = getenv("MAGPIE_RULES_DIR");
	char exe[PATH_MAX], build[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0 && realpath(MP_BUILDDIR, build) != NULL) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (strcmp(exe, build) == 0) {
				snprintf(in_tree, sizeof in_tree, "%s/patterns", MP_SRCDIR);
				return in_tree;
			}
		}
	}
	return MP_PKGDATADIR "/patterns";
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Apply --enable-rule and --disable-rule. An --enable-rule glob that
 * matches no rule is an error (a typo would silently scan for nothing); a
 * --disable-rule glob that matches none only earns a warning. */
static int select_rules(const struct mp_settings *s, struct mp_ruleset *rs)
{
	size_t ne = s->nenable_rules, nd = s->ndisable_rules;
	bool *used;
	int rc = 0;

	if (ne + nd == 0)
		return 0;
	used = calloc(ne + nd, sizeof *used);
	if (used == NULL) {
		mp_log_error("out of memory");
		return -1;
	}
	mp_rules_select(rs, s->enable_rules, ne, s->disable_rules, nd, used);
	for (size_t i = 0; i < ne; i++) {
		if (!used[i]) {
			mp_log_error("--enable-rule '%s' matches no rule", s->enable_rules[i]);
			rc = -1;
		}
	}
	for (size_t i = 0; i < nd; i++)
		if (!used[ne + i])
			mp_log_notice("--disable-rule '%s' matches no rule", s->disable_rules[i]);
	if (rc == 0 && rs->n == 0) {
		mp_log_error("no rule left after --enable-rule and --disable-rule");
		rc = -1;
	}
	free(used);
	return rc;
}

/* Load the rules: the default set, unless --no-default-rules or FILE
 * arguments were given; then the FILEs and the --rules paths, each its own
 * source, so a later one replaces same-id rules of an earlier one.
 * Returns 0 or -1 (fatal, message printed). */
int mp_run_load_rules(const struct mp_settings *s, struct mp_ruleset *rs, char **files, size_t nfiles)
{
	char err[1024];
	int source = 0;

	if (!s->no_default_rules && nfiles == 0 &&
	    mp_rules_load(rs, mp_default_rules_dir(), source, err, sizeof err) != 0) {
		mp_log_error("%s (set MAGPIE_RULES_DIR or use --rules)", err);
		return -1;
	}
	for (size_t i = 0; i < nfiles; i++) {
		if (mp_rules_load(rs, files[i], ++source, err, sizeof err) != 0) {
			mp_log_error("%s", err);
			return -1;
		}
	}
	for (size_t i = 0; i < s->nrule_paths; i++) {
		if (mp_rules_load(rs, s->rule_paths[i], ++source, err, sizeof err) != 0) {
			mp_log_error("%s", err);
			return -1;
		}
	}
	return select_rules(s, rs);
}

/* The rule file named by "file:line: message". */
static char *error_file(const char *e)
{
	for (const char *p = e; (p = strchr(p, ':')) != NULL; p++) {
		const char *q = p + 1;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q > p + 1 && q[0] == ':' && q[1] == ' ')
			return strndup(e, (size_t)(p - e));
	}
	return strdup(e);
}

static int build_engine(const struct mp_settings *s, struct mp_ruleset *rs, struct mp_engine *eng)
{
	struct mp_hsdb_opts o = {.cache_dir = s->cache_dir,
				 .use_cache = !s->no_cache,
				 .match_width = s->caps[MP_CAP_MATCH_WIDTH]};
	char err[1024];

	eng->min_confidence = s->min_confidence;
	eng->include_test_values = s->include_test_values;
	eng->binary = s->binary;
	eng->scan_media = s->scan_media;
	if (mp_engine_init(eng, rs, s->caps, &o, s->show_secrets, err, sizeof err) != 0) {
		for (size_t i = 0; i < rs->nerrors; i++)
			mp_log_error("%s", rs->errors[i]);
		mp_log_error("%s", err);
		return -1;
	}
	return 0;
}

/* Walker notices are formatted like a worker's, into the main thread's batch. */
static void walk_notice(void *ctx, const char *path, const char *kind, const char *message)
{
	struct mp_loc loc = {.path = path};
	mp_worker_notice(ctx, &loc, kind, message);
}

static const struct mp_prof *sort_prof;

static int cmp_prof(const void *a, const void *b)
{
	uint64_t x = sort_prof->ns[*(const size_t *)a], y = sort_prof->ns[*(const size_t *)b];
	return x > y ? -1 : x < y;
}

/* --profile: one line per rule that had hits, the costliest first. */
static void print_profile(const struct mp_stats *t, const struct mp_ruleset *rs, const struct mp_hsdb *hs,
			  double elapsed)
{
	const struct mp_prof *p = t->prof;
	size_t *order = malloc((rs->n ? rs->n : 1) * sizeof *order);
	uint64_t rules_ns = 0;

	if (order == NULL)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		order[i] = i;
		rules_ns += p->ns[i];
	}
	sort_prof = p;
	qsort(order, rs->n, sizeof *order, cmp_prof);
	fprintf(stderr, "magpie profile: %.3f s wall; CPU seconds summed over threads:\n", elapsed);
	fprintf(stderr, "  %10.3f s  Vectorscan, of which:\n", p->hs_ns / 1e9);
	for (unsigned d = 0; d < hs->ndb; d++) {
		if (hs->db_rule[d] >= 0)
			fprintf(stderr, "  %10.3f s    the database of %s\n", p->db_ns[d] / 1e9,
				rs->rules[hs->db_rule[d]].id);
		else
			fprintf(stderr, "  %10.3f s    the shared database\n", p->db_ns[d] / 1e9);
	}
	fprintf(stderr, "  %10.3f s  digit-run finder\n", p->runs_ns / 1e9);
	fprintf(stderr, "  %10.3f s  confirmation and checks, all rules\n", rules_ns / 1e9);
	fprintf(stderr, "  %10s %12s %12s %10s  %s\n", "seconds", "hits", "matches", "findings", "rule");
	for (size_t k = 0; k < rs->n; k++) {
		size_t i = order[k];
		if (p->hits[i] == 0)
			continue;
		fprintf(stderr, "  %10.3f %12llu %12llu %10llu  %s\n", p->ns[i] / 1e9,
			(unsigned long long)p->hits[i], (unsigned long long)p->matches[i],
			(unsigned long long)(t->by_rule[i] + t->unreported_by_rule[i]), rs->rules[i].id);
	}
	free(order);
}

/* --staged: queue each staged file's content as an in-memory item, read
 * through one `git cat-file --batch`. A file the diff adds no line to is
 * not read: none of its findings could count. Returns 0, or -1 when git
 * failed (message printed). */
static int feed_staged(const struct mp_settings *s, const struct mp_staged *st, struct mp_queue *q,
		       struct mp_worker *mainw)
{
	uint64_t cap = s->caps[MP_CAP_FILE_SIZE];
	struct mp_git_cat *cat = NULL;
	char err[512], msg[256];
	int rc = 0;

	for (size_t i = 0; i < st->n; i++) {
		const struct mp_staged_file *sf = &st->files[i];
		char *data = NULL;
		uint64_t len = 0;
		size_t plen = strlen(sf->path);
		struct mp_item *it;

		if (sf->add.n == 0)
			continue;
		if (cat == NULL && (cat = mp_git_cat_open(err, sizeof err)) == NULL)
			goto fail;
		/* The blob is read straight behind the item's header and path. */
		if (mp_git_cat_get(cat, sf->blob, cap, sizeof *it + plen + 1, &data, &len, err, sizeof err) !=
		    0)
			goto fail;
		if (data == NULL) {
			snprintf(msg, sizeof msg,
				 "file-size limit (%llu bytes): file of %llu bytes not scanned",
				 (unsigned long long)cap, (unsigned long long)len);
			walk_notice(mainw, sf->path, "limit", msg);
			continue;
		}
		it = (struct mp_item *)(void *)data;
		memset(it, 0, sizeof *it);
		memcpy(it->path, sf->path, plen + 1);
		/* Where the blob was put: path[] may start inside sizeof *it's
		 * trailing padding, so not at it->path + plen + 1. */
		it->data = data + sizeof *it + plen + 1;
		it->len = len;
		it->staged = sf;
		if (mp_queue_push(q, it) != 0) {
			free(it);
			snprintf(err, sizeof err, "%s: cannot queue the file", sf->path);
			goto fail;
		}
		mp_sink_write(mainw->sh->sink, &mainw->batch);
	}
	goto out;
fail:
	mp_log_error("%s", err);
	rc = -1;
out:
	mp_git_cat_close(cat);
	return rc;
}

/* --files-from: each path of the list (ended by newline, or NUL with
 * --null) is walked as a root, with its whole listed path as the part
 * --shard hashes. Empty entries are skipped; a path longer than
 * FILES_FROM_PATH_MAX bytes is a notice, and the list goes on. A read
 * error ends the list with an error. Returns 0, or -1 when a root could
 * not be used or the list could not be read (the exit status is then 2). */
#define FILES_FROM_PATH_MAX (1u << 20)
static int feed_list(const struct mp_settings *s, FILE *in, struct mp_walk *w, struct mp_worker *mainw)
{
	struct mp_buf line;
	int delim = s->files_from_null ? '\0' : '\n', c, rc = 0;
	bool too_long = false;
	uint64_t lineno = 1;
	char msg[128];

	mp_buf_init(&line, FILES_FROM_PATH_MAX);
	w->listed = true;
	/* The list is one root of the rollup, named after it; each listed
	 * path's bucket is its first component. */
	if (w->buckets != NULL && (w->root = mp_buckets_root(w->buckets, s->files_from)) == MP_BUCKET_NONE) {
		mp_log_error("out of memory");
		w->buckets = NULL;
	}
	for (;;) {
		c = getc_unlocked(in);
		if (c != EOF && c != delim) {
			if (!too_long && (c == '\0' || mp_buf_addc(&line, (char)c) != 0))
				too_long = true;
			continue;
		}
		if (too_long) {
			snprintf(msg, sizeof msg,
				 "entry %llu of the list is longer than %u bytes or holds a NUL; "
				 "not scanned (use --null for lists of NUL-ended paths)",
				 (unsigned long long)lineno, FILES_FROM_PATH_MAX);
			walk_notice(mainw, s->files_from, "limit", msg);
		} else if (line.len > 0 && mp_walk_root(w, line.data) != 0) {
			rc = -1;
		}
		mp_sink_write(mainw->sh->sink, &mainw->batch);
		mp_buf_reset(&line);
		too_long = false;
		lineno++;
		if (c == EOF)
			break;
	}
	if (ferror(in)) {
		mp_log_error("%s: cannot read the --files-from list", s->files_from);
		rc = -1;
	}
	w->listed = false;
	mp_buf_free(&line);
	return rc;
}

/* The progress line: from a thread of its own, every half second after
 * the first second, "magpie: N files, X MB (Y MB/s), F findings" on
 * stderr; rewritten in place on a terminal, one line each time elsewhere
 * (only with --progress). */
struct progress_run {
	struct mp_progress counts;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t done_cv;
	bool done, tty;
	double t0;
};

static void progress_print(struct progress_run *p, bool last)
{
	uint64_t files = atomic_load(&p->counts.files), bytes = atomic_load(&p->counts.bytes);
	uint64_t found = atomic_load(&p->counts.findings);
	double secs = now() - p->t0;

	fprintf(stderr, "%smagpie: %llu file%s, %.1f MB (%.0f MB/s), %llu finding%s%s",
		p->tty ? "\r\033[K" : "", (unsigned long long)files, files == 1 ? "" : "s",
		(double)bytes / 1e6, secs > 0 ? (double)bytes / 1e6 / secs : 0.0, (unsigned long long)found,
		found == 1 ? "" : "s", p->tty ? "" : "\n");
	if (last && p->tty)
		fputs("\r\033[K", stderr); /* leave the terminal as it was */
	fflush(stderr);
}

static void *progress_main(void *arg)
{
	struct progress_run *p = arg;
	double next = p->t0 + 1.0;

	pthread_mutex_lock(&p->lock);
	while (!p->done) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L; /* wake every 0.1 s to see whether we are done */
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->done_cv, &p->lock, &ts);
		if (!p->done && now() >= next) {
			progress_print(p, false);
			next = now() + 0.5;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* End the progress thread; with `last`, print the final counts. */
static void progress_stop(struct progress_run *p, bool last)
{
	pthread_mutex_lock(&p->lock);
	p->done = true;
	pthread_cond_signal(&p->done_cv);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	if (last)
		progress_print(p, true);
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->lock);
}

/* Do the findings (written or only counted) make the exit status 1? */
static bool fails(const struct mp_settings *s, const struct mp_stats *t, const struct mp_ruleset *rs)
{
	if (s->exit_zero)
		return false;
	for (size_t i = 0; i < rs->n && i < t->nrules; i++)
		if (t->by_rule[i] + t->unreported_by_rule[i] > 0 && rs->rules[i].severity >= s->fail_on)
			return true;
	return false;
}

static const struct mp_buckets *sort_bs;

/* Bucket records: by root, the overflow bucket last, then by name. */
static int cmp_bucket(const void *a, const void *b)
{
	const struct mp_bucket_name *x = &sort_bs->b[*(const uint32_t *)a],
				    *y = &sort_bs->b[*(const uint32_t *)b];

	if (x->root != y->root)
		return x->root < y->root ? -1 : 1;
	if (x->other != y->other)
		return x->other ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* --report: one bucket record per bucket the walker named, sorted, into
 * the main thread's batch. */
static void write_buckets(const struct mp_settings *s, const struct mp_buckets *bs,
			  const struct mp_rollup *ru, const struct mp_ruleset *rs, struct mp_worker *mainw)
{
	uint32_t *order = malloc((bs->n ? bs->n : 1) * sizeof *order);

	if (order == NULL) {
		mp_log_error("out of memory for the bucket records");
		return;
	}
	for (size_t i = 0; i < bs->n; i++)
		order[i] = (uint32_t)i;
	sort_bs = bs;
	qsort(order, bs->n, sizeof *order, cmp_bucket);
	for (size_t k = 0; k < bs->n; k++) {
		uint32_t id = order[k];
		struct mp_bucket_view v = {
			.root = bs->roots[bs->b[id].root],
			.name = &bs->b[id],
			.acc = id < ru->n ? &ru->b[id] : NULL,
			.rules = rs,
			.sampling = s->sample > 0 && s->sample < 1,
		};
		mp_record_bucket(&mainw->batch, mainw->sh->sink, &v);
		if (mainw->batch.buf.len > MP_BATCH_FLUSH)
			mp_sink_write(mainw->sh->sink, &mainw->batch);
	}
	mp_sink_write(mainw->sh->sink, &mainw->batch);
	free(order);
}

int mp_run_scan(const struct mp_settings *s)
{
	struct mp_staged staged = {0};
	struct mp_baseline base, collect;
	struct mp_ruleset rs;
	struct mp_engine eng;
	struct mp_sink sink;
	struct mp_pool pool = {0};
	struct mp_pool_shared sh;
	struct mp_worker mainw;
	struct mp_stats total;
	struct mp_buckets buckets;
	struct mp_rollup rollup;
	struct mp_report_opts ropts = {0};
	uint8_t *rule_class = NULL;
	struct mp_sample_summary sample = {0};
	struct mp_queue *q = NULL;
	FILE *out = stdout;
	enum mp_format fmt = s->format;
	bool exit_error = false;
	int status = MP_EXIT_ERROR;
	double t0 = now();
	char ebuf[512];
	FILE *files_from = NULL;
	struct mp_select select = {.shard_k = s->shard_k, .shard_n = s->shard_n, .sample = s->sample};

	memset(&rs, 0, sizeof rs);
	memset(&eng, 0, sizeof eng);
	memset(&mainw, 0, sizeof mainw);
	memset(&total, 0, sizeof total);
	mp_baseline_init(&base);
	mp_baseline_init(&collect);
	mp_buckets_init(&buckets, s->caps[MP_CAP_BUCKETS]);
	mp_rollup_init(&rollup, 0, MP_UNPACK_NTYPES);
	/* First, so that outside a work tree the error comes at once, and
	 * before any thread starts (it sets git's environment). */
	if (s->staged && mp_git_staged(&staged, ebuf, sizeof ebuf) != 0) {
		mp_log_error("%s", ebuf);
		return MP_EXIT_ERROR;
	}
	if (s->files_from != NULL) {
		files_from = strcmp(s->files_from, "-") == 0 ? stdin : fopen(s->files_from, "r");
		if (files_from == NULL) {
			mp_log_error("%s: cannot open the --files-from list: %s", s->files_from,
				     mp_strerror(errno, ebuf, sizeof ebuf));
			return MP_EXIT_ERROR;
		}
	}
	if (s->baseline && mp_baseline_load(&base, s->baseline, ebuf, sizeof ebuf) != 0) {
		mp_log_error("%s: %s", s->baseline, ebuf);
		goto out_rules;
	}
	if (mp_run_load_rules(s, &rs, NULL, 0) != 0)
		goto out_rules;
	if (build_engine(s, &rs, &eng) != 0)
		goto out_rules;
	if (s->output != NULL && (out = fopen(s->output, "w")) == NULL) {
		mp_log_error("%s: cannot open for writing: %s", s->output,
			     mp_strerror(errno, ebuf, sizeof ebuf));
		goto out_engine;
	}
	if (!s->format_set)
		fmt = isatty(fileno(out)) ? MP_FMT_TEXT : MP_FMT_JSON;
	mp_sink_init(&sink, out, fmt, s->show_secrets);
	/* Colour only for people: a terminal, NO_COLOR unset (no-color.org). */
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	sink.color = fmt == MP_FMT_TEXT && isatty(fileno(out)) && !(nc && nc[0]) &&
		     !(term && strcmp(term, "dumb") == 0);
	q = mp_queue_new((size_t)s->caps[MP_CAP_QUEUE_DEPTH], free);
	if (q == NULL || mp_stats_init(&total, rs.n) != 0 || mp_stats_init(&mainw.stats, rs.n) != 0 ||
	    (s->profile && mp_stats_profile(&total) != 0)) {
		mp_log_error("out of memory");
		goto out_sink;
	}
	/* --report: each rule's data class, looked up once. */
	if (s->report_objects || s->report_buckets) {
		rule_class = malloc(rs.n ? rs.n : 1);
		if (rule_class == NULL) {
			mp_log_error("out of memory");
			goto out_sink;
		}
		for (size_t i = 0; i < rs.n; i++)
			rule_class[i] = (uint8_t)mp_rule_class(&rs.rules[i]);
		ropts.objects = s->report_objects;
		ropts.buckets = s->report_buckets;
		ropts.samples = s->report_samples;
		ropts.rule_class = rule_class;
		mp_rollup_init(&rollup, rs.n, MP_UNPACK_NTYPES);
	}
	sh.report = rule_class ? &ropts : NULL;
	sh.engine = &eng;
	sh.sink = &sink;
	sh.queue = q;
	sh.profile = s->profile;
	sh.baseline = s->baseline ? &base : NULL;
	sh.show_suppressed = s->show_suppressed;
	sh.collect = s->write_baseline ? &collect : NULL;
	sh.staged = s->staged;
	sh.allow = s->config && s->config->nallow > 0 ? s->config : NULL;
	sh.final_only = s->final_only;
	/* The progress line: asked for, or for a person watching a terminal
	 * while the results go elsewhere (on the same terminal the findings
	 * themselves show the progress, and a line rewritten in place would
	 * tangle with them). */
	static struct progress_run pr;
	bool progress = s->progress == 1 ||
			(s->progress == -1 && !s->quiet && isatty(STDERR_FILENO) && !isatty(fileno(out)));
	sh.progress = NULL;
	if (progress) {
		memset(&pr, 0, sizeof pr);
		pr.tty = isatty(STDERR_FILENO);
		pr.t0 = t0;
		pthread_mutex_init(&pr.lock, NULL);
		pthread_cond_init(&pr.done_cv, NULL);
		if (pthread_create(&pr.thread, NULL, progress_main, &pr) == 0)
			sh.progress = &pr.counts;
	}
	mainw.sh = &sh;
	mp_batch_init(&mainw.batch);

	/* Rejected rules: one line each on stderr (even with -q) and a notice. */
	for (size_t i = 0; i < rs.nerrors; i++) {
		struct mp_loc loc = {.path = rs.errors[i]};
		char *file = error_file(rs.errors[i]);
		if (file)
			loc.path = file;
		mp_record_notice(&mainw.batch, &sink, &loc, "rule-error", rs.errors[i]);
		mainw.stats.notices++;
		mainw.stats.by_kind[MP_NK_RULE_ERROR]++;
		mp_log_error("%s", rs.errors[i]);
		free(file);
	}

	if (mp_pool_start(&pool, s->threads, &sh) != 0) {
		mp_log_error("cannot start worker threads");
		if (sh.progress)
			progress_stop(&pr, false);
		goto out_sink;
	}
	struct mp_walk w = {
		.ignore = &s->ignore,
		.follow_symlinks = s->follow_symlinks,
		.one_file_system = s->one_file_system,
		.max_depth = s->caps[MP_CAP_WALK_DEPTH],
		.buckets = s->report_buckets ? &buckets : NULL,
		.queue = q,
		.stats = &mainw.stats,
		.notice = walk_notice,
		.ctx = &mainw,
		.select = &select,
	};
	if (s->staged && feed_staged(s, &staged, q, &mainw) != 0)
		exit_error = true;
	struct mp_image_opts io = {.caps = s->caps,
				   .mode = s->image,
				   .platform = s->platform,
				   .queue = q,
				   .select = &select,
				   .stats = &mainw.stats,
				   .notice = mp_worker_notice,
				   .ctx = &mainw};
	for (size_t i = 0; i < s->npaths; i++) {
		w.root = w.buckets ? mp_buckets_root(&buckets, s->paths[i]) : 0;
		if (w.buckets && w.root == MP_BUCKET_NONE) {
			mp_log_error("out of memory");
			w.buckets = NULL;
		}
		/* A container image becomes one item per layer; anything else
		 * (a directory, a file) is walked as usual. */
		if (mp_image_root(&io, s->paths[i]) == 0 && mp_walk_root(&w, s->paths[i]) != 0)
			exit_error = true;
		mp_sink_write(&sink, &mainw.batch);
	}
	if (files_from != NULL && feed_list(s, files_from, &w, &mainw) != 0)
		exit_error = true;
	mp_queue_close(q);
	mp_pool_join(&pool, &total, s->report_buckets ? &rollup : NULL);
	if (sh.progress)
		progress_stop(&pr, true);
	mp_sink_write(&sink, &mainw.batch);
	mp_stats_add(&total, &mainw.stats);

	if (s->profile)
		print_profile(&total, &rs, &eng.hs, now() - t0);
	if (s->report_buckets)
		write_buckets(s, &buckets, &rollup, &rs, &mainw);
	struct mp_summary sum = {.stats = &total,
				 .rules = &rs,
				 .threads = s->threads,
				 .elapsed = now() - t0,
				 .shard_k = s->shard_k,
				 .shard_n = s->shard_n,
				 .shard_source = s->shard_source};
	char chash[72];
	if (mp_scan_config_hash(s, &rs, s->baseline ? &base : NULL, select.sample, chash) == 0)
		sum.config_hash = chash;
	else
		mp_log_error("cannot compute the configuration hash (out of memory, or %s unreadable)",
			     s->config && s->config->path ? s->config->path : "the configuration");
	if (s->sample > 0) {
		/* The raw counts; the estimate is made from them when written. */
		sample.fraction = s->sample;
		sample.sampled = total.queued;
		sample.population = total.queued + total.skipped_sample;
		sample.with_findings = total.with_findings;
		for (size_t i = 0; i < rs.n; i++) {
			uint64_t n = total.by_rule[i] + total.unreported_by_rule[i];
			sample.findings += n;
			sample.by_class[mp_rule_class(&rs.rules[i])] += n;
		}
		sum.sample = &sample;
	}
	sum.failed = exit_error;
	if (s->write_baseline && mp_baseline_write(&collect, s->write_baseline, ebuf, sizeof ebuf) != 0) {
		mp_log_error("%s: %s", s->write_baseline, ebuf);
		exit_error = true;
	}
	if (mp_sink_finish(&sink, &sum, s->quiet) != 0) {
		mp_log_error("%s: write failed", s->output ? s->output : "standard output");
		status = MP_EXIT_ERROR;
	} else if (exit_error) {
		status = MP_EXIT_ERROR;
	} else {
		status = fails(s, &total, &rs) ? MP_EXIT_FINDINGS : MP_EXIT_CLEAN;
	}
out_sink:
	free(rule_class);
	mp_batch_free(&mainw.batch);
	mp_stats_free(&mainw.stats);
	mp_stats_free(&total);
	mp_queue_free(q);
	mp_sink_destroy(&sink);
	if (out != stdout && fclose(out) != 0) {
		mp_log_error("%s: write failed", s->output);
		status = MP_EXIT_ERROR;
	}
out_engine:
	mp_engine_free(&eng);
out_rules:
	mp_rollup_free(&rollup);
	mp_buckets_free(&buckets);
	mp_ruleset_free(&rs);
	mp_staged_free(&staged);
	mp_baseline_free(&base);
	mp_baseline_free(&collect);
	if (files_from != NULL && files_from != stdin)
		fclose(files_from);
	return status;
}

int mp_run_rules_list(const struct mp_settings *s)
{
	struct mp_ruleset rs;
	int status = MP_EXIT_ERROR;

	memset(&rs, 0, sizeof rs);
	if (mp_run_load_rules(s, &rs, s->paths, s->npaths) != 0)
		goto out;
	for (size_t i = 0; i < rs.nerrors; i++)
		mp_log_error("%s", rs.errors[i]);
	if (s->format_set && s->format != MP_FMT_TEXT) {
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < rs.n; i++) {
			const struct mp_rule *r = &rs.rules[i];
			json_object *o = json_object_new_object();
			json_object *kw = json_object_new_array();
			json_object_object_add(o, "id", json_object_new_string(r->id));
			json_object_object_add(o, "name", json_object_new_string(r->name));
			json_object_object_add(o, "category",
					       json_object_new_string(mp_category_name(r->category)));
			json_object_object_add(o, "severity",
					       json_object_new_string(mp_severity_name(r->severity)));
			json_object_object_add(o, "confidence",
					       json_object_new_string(mp_confidence_name(r->confidence)));
			json_object_object_add(o, "pattern", json_object_new_string(r->pattern));
			for (size_t k = 0; k < r->nkeywords; k++)
				json_object_array_add(kw, json_object_new_string(r->keywords[k]));
			json_object_object_add(o, "keywords", kw);
			json_object_object_add(o, "keyword_distance",
					       json_object_new_int((int)r->kw_distance));
			json_object_object_add(o, "keywords_required",
					       json_object_new_boolean(r->kw_required));
			if (r->kw_same_line)
				json_object_object_add(o, "keywords_same_line", json_object_new_boolean(1));
			json_object *va = json_object_new_array();
			for (int b = 0; b < MP_VALIDATE__COUNT; b++)
				if (r->validators & (1u << b))
					json_object_array_add(va,
							      json_object_new_string(mp_validator_name(b)));
			json_object_object_add(o, "validators", va);
			if (r->digits_min > 0) {
				json_object *dg = json_object_new_object();
				json_object_object_add(dg, "min", json_object_new_int((int)r->digits_min));
				json_object_object_add(dg, "max", json_object_new_int((int)r->digits_max));
				json_object_object_add(o, "digits", dg);
			}
			json_object_object_add(o, "file", json_object_new_string(r->file));
			json_object_object_add(o, "line", json_object_new_int(r->line));
			json_object_object_add(o, "examples", json_object_new_int((int)r->nexamples));
			json_object_object_add(o, "negative_examples",
					       json_object_new_int((int)r->nnegatives));
			json_object_array_add(arr, o);
		}
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	} else {
		for (size_t i = 0; i < rs.n; i++) {
			const struct mp_rule *r = &rs.rules[i];
			printf("%-40s %-8s %-9s %s\n", r->id, mp_category_name(r->category),
			       mp_severity_name(r->severity), r->name);
		}
	}
	status = (rs.nerrors > 0 || fflush(stdout) != 0) ? MP_EXIT_ERROR : MP_EXIT_CLEAN;
out:
	mp_ruleset_free(&rs);
	return status;
}

struct check_ctx {
	const struct mp_rule *want;
	unsigned hits;
};

static bool check_finding(void *ctx, const struct mp_loc *loc, const struct mp_finding *f)
{
	struct check_ctx *c = ctx;
	(void)loc;
	/* A documented example value is not a finding by default. */
	if (f->rule == c->want && !f->test_value)
		c->hits++;
	return !f->test_value;
}

static void check_notice(void *ctx, const struct mp_loc *loc, const char *kind, const char *message)
{
	(void)ctx;
	(void)loc;
	mp_log_error("example: %s: %s", kind, message);
}

int mp_run_rules_check(const struct mp_settings *s)
{
	struct mp_ruleset rs;
	struct mp_engine eng;
	struct mp_scanner *sc = NULL;
	struct check_ctx cc = {0};
	struct mp_emit emit = {.finding = check_finding, .notice = check_notice, .ctx = &cc};
	struct mp_loc loc = {.path = "(example)"};
	size_t failures = 0, examples = 0;
	int status = MP_EXIT_ERROR;

	memset(&rs, 0, sizeof rs);
	memset(&eng, 0, sizeof eng);
	if (mp_run_load_rules(s, &rs, s->paths, s->npaths) != 0)
		goto out;
	if (build_engine(s, &rs, &eng) != 0)
		goto out;
	for (size_t i = 0; i < rs.nerrors; i++)
		mp_log_error("%s", rs.errors[i]);
	sc = mp_scanner_new(&eng, &emit);
	if (sc == NULL) {
		mp_log_error("out of memory");
		goto out;
	}
	for (size_t i = 0; i < rs.n; i++) {
		const struct mp_rule *r = &rs.rules[i];
		if (r->disabled)
			continue;
		cc.want = r;
		for (size_t k = 0; k < r->nexamples; k++, examples++) {
			cc.hits = 0;
			mp_scan_mem(sc, &loc, r->examples[k], strlen(r->examples[k]));
			if (cc.hits == 0) {
				mp_log_error("%s:%d: rule '%s': example %zu does not match: %s", r->file,
					     r->line, r->id, k + 1, r->examples[k]);
				failures++;
			}
		}
		for (size_t k = 0; k < r->nnegatives; k++, examples++) {
			cc.hits = 0;
			mp_scan_mem(sc, &loc, r->negatives[k], strlen(r->negatives[k]));
			if (cc.hits != 0) {
				mp_log_error("%s:%d: rule '%s': negative example %zu matches: %s", r->file,
					     r->line, r->id, k + 1, r->negatives[k]);
				failures++;
			}
		}
	}
	if (!s->quiet)
		printf("magpie: %zu rules, %zu examples checked, %zu failed, %zu rule errors\n",
		       mp_rules_enabled(&rs), examples, failures, rs.nerrors);
	status = (failures == 0 && rs.nerrors == 0) ? MP_EXIT_CLEAN : MP_EXIT_ERROR;
out:
	mp_scanner_free(sc);
	mp_engine_free(&eng);
	mp_ruleset_free(&rs);
	return status;
}
