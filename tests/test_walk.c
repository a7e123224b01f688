/* test_walk.c - directory traversal into a queue. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "helpers.h"
#include "ignore.h"
#include "queue.h"
#include "stats.h"
#include "walk.h"

struct wnote {
	char *path;
	char kind[32];
	char msg[512];
};

struct wfx {
	char *root;
	struct mp_queue *q;
	struct mp_stats stats;
	struct mp_ignore ig;
	struct mp_walk w;
	struct wnote *notes;
	size_t nnotes, capnotes;
	struct mp_item **items;
	size_t nitems;
};

static void wnotice(void *ctx, const char *path, const char *kind, const char *message)
{
	struct wfx *x = ctx;

	if (x->nnotes == x->capnotes) {
		x->capnotes = x->capnotes ? x->capnotes * 2 : 16;
		x->notes = realloc(x->notes, x->capnotes * sizeof *x->notes);
		cr_assert_not_null(x->notes);
	}
	struct wnote *n = &x->notes[x->nnotes++];
	n->path = strdup(path ? path : "");
	snprintf(n->kind, sizeof n->kind, "%s", kind);
	snprintf(n->msg, sizeof n->msg, "%s", message);
}

static void mkdir_ok(const char *root, const char *rel)
{
	char *p = t_path(root, rel);
	cr_assert_eq(mkdir(p, 0755), 0, "mkdir %s: %s", p, strerror(errno));
	free(p);
}

static void file_ok(const char *root, const char *rel)
{
	char *p = t_path(root, rel);
	cr_assert_eq(t_write_file(p, rel, strlen(rel)), 0, "write %s", p);
	free(p);
}

static void symlink_ok(const char *root, const char *rel, const char *target)
{
	char *p = t_path(root, rel);
	cr_assert_eq(symlink(target, p), 0, "symlink %s: %s", p, strerror(errno));
	free(p);
}

static void fifo_ok(const char *root, const char *rel)
{
	char *p = t_path(root, rel);
	cr_assert_eq(mkfifo(p, 0644), 0, "mkfifo %s: %s", p, strerror(errno));
	free(p);
}

static void socket_ok(const char *root, const char *rel)
{
	char *p = t_path(root, rel);
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	cr_assert_lt(strlen(p), sizeof sa.sun_path);
	memcpy(sa.sun_path, p, strlen(p) + 1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0, "bind %s: %s", p, strerror(errno));
	close(fd);  /* the socket file stays */
	free(p);
}

/* The standard tree:
 *   a.txt  b.log  link.txt -> a.txt  dangling -> nowhere  fifo  sock
 *   sub/c.txt  sub/loop -> ..  sub/deep/d.txt
 */
static void make_tree(const char *root)
{
	file_ok(root, "a.txt");
	file_ok(root, "b.log");
	symlink_ok(root, "link.txt", "a.txt");
	symlink_ok(root, "dangling", "nowhere");
	fifo_ok(root, "fifo");
	socket_ok(root, "sock");
	mkdir_ok(root, "sub");
	file_ok(root, "sub/c.txt");
	symlink_ok(root, "sub/loop", "..");
	mkdir_ok(root, "sub/deep");
	file_ok(root, "sub/deep/d.txt");
}

static void wfx_init(struct wfx *x)
{
	memset(x, 0, sizeof *x);
	x->root = t_mkdtemp();
	x->q = mp_queue_new(1000, free);
	cr_assert_not_null(x->q);
	cr_assert_eq(mp_stats_init(&x->stats, 0), 0);
	x->w.ignore = &x->ig;
	x->w.follow_symlinks = false;
	x->w.one_file_system = false;
	x->w.max_depth = mp_cap_defs[MP_CAP_WALK_DEPTH].def;
	x->w.queue = x->q;
	x->w.stats = &x->stats;
	x->w.notice = wnotice;
	x->w.ctx = x;
}

/* Close the queue and take every item out of it. */
static void drain(struct wfx *x)
{
	struct mp_item *it;

	mp_queue_close(x->q);
	while ((it = mp_queue_pop(x->q)) != NULL) {
		x->items = realloc(x->items, (x->nitems + 1) * sizeof *x->items);
		cr_assert_not_null(x->items);
		x->items[x->nitems++] = it;
	}
}

static void wfx_free(struct wfx *x)
{
	for (size_t i = 0; i < x->nitems; i++)
		free(x->items[i]);
	free(x->items);
	for (size_t i = 0; i < x->nnotes; i++)
		free(x->notes[i].path);
	free(x->notes);
	mp_queue_free(x->q);
	mp_stats_free(&x->stats);
	mp_ignore_free(&x->ig);
	cr_assert_eq(t_rmtree(x->root), 0, "cleanup of %s", x->root);
	free(x->root);
}

static const struct mp_item *item(const struct wfx *x, const char *rel)
{
	char *p = t_path(x->root, rel);
	const struct mp_item *hit = NULL;

	for (size_t i = 0; i < x->nitems; i++) {
		if (strcmp(x->items[i]->path, p) == 0) {
			cr_assert_null(hit, "%s queued twice", p);
			hit = x->items[i];
		}
	}
	free(p);
	return hit;
}

static size_t notes_of(const struct wfx *x, const char *kind, const char *rel)
{
	char *p = rel ? t_path(x->root, rel) : NULL;
	size_t k = 0;

	for (size_t i = 0; i < x->nnotes; i++)
		if (strcmp(x->notes[i].kind, kind) == 0 && (p == NULL || strcmp(x->notes[i].path, p) == 0))
			k++;
	free(p);
	return k;
}

static void dump(const struct wfx *x)
{
	for (size_t i = 0; i < x->nitems; i++)
		cr_log_info("item %s%s", x->items[i]->path, x->items[i]->follow ? " (follow)" : "");
	for (size_t i = 0; i < x->nnotes; i++)
		cr_log_info("notice %s %s: %s", x->notes[i].kind, x->notes[i].path, x->notes[i].msg);
}

Test(walk, regular_files_queued_specials_and_links_skipped, .timeout = 30)
{
	struct wfx x;

	wfx_init(&x);
	make_tree(x.root);
	cr_assert_eq(mp_walk_root(&x.w, x.root), 0);
	drain(&x);
	dump(&x);
	cr_assert_eq(x.nitems, 4);
	cr_assert_not_null(item(&x, "a.txt"));
	cr_assert_not_null(item(&x, "b.log"));
	cr_assert_not_null(item(&x, "sub/c.txt"));
	cr_assert_not_null(item(&x, "sub/deep/d.txt"));
	for (size_t i = 0; i < x.nitems; i++) {
		cr_assert_not(x.items[i]->is_stdin);
		cr_assert_not(x.items[i]->follow, "%s: files found by the walk are opened without following", x.items[i]->path);
	}
	cr_assert_null(item(&x, "fifo"), "a FIFO must never be queued");
	cr_assert_null(item(&x, "sock"), "a socket must never be queued");
	cr_assert_null(item(&x, "link.txt"));
	cr_assert_eq(notes_of(&x, "special-file", "fifo"), 1);
	cr_assert_eq(notes_of(&x, "special-file", "sock"), 1);
	cr_assert_eq(x.stats.skipped_symlinks, 3, "link.txt, dangling and sub/loop");
	cr_assert_eq(x.nnotes, 2, "only the two special files give notices");
	cr_assert_eq(x.stats.skipped_excluded, 0);
	wfx_free(&x);
}

Test(walk, follow_symlinks_detects_loop, .timeout = 30)
{
	struct wfx x;

	wfx_init(&x);
	make_tree(x.root);
	x.w.follow_symlinks = true;
	cr_assert_eq(mp_walk_root(&x.w, x.root), 0);
	drain(&x);
	dump(&x);
	cr_assert_eq(notes_of(&x, "symlink-loop", "sub/loop"), 1);
	cr_assert_eq(notes_of(&x, "symlink-loop", NULL), 1);
	const struct mp_item *l = item(&x, "link.txt");
	cr_assert_not_null(l, "a followed link to a file is queued");
	cr_assert(l->follow, "and may be opened through the link");
	cr_assert_not_null(item(&x, "a.txt"));
	cr_assert_not_null(item(&x, "sub/c.txt"));
	cr_assert_not_null(item(&x, "sub/deep/d.txt"));
	cr_assert_eq(x.nitems, 5, "nothing is reached twice through the loop");
	cr_assert_eq(x.stats.skipped_symlinks, 1, "only the dangling link");
	cr_assert_eq(notes_of(&x, "special-file", NULL), 2);
	wfx_free(&x);
}

Test(walk, followed_link_to_directory_is_walked, .timeout = 30)
{
	struct wfx x;

	wfx_init(&x);
	mkdir_ok(x.root, "real");
	file_ok(x.root, "real/r.txt");
	mkdir_ok(x.root, "top");
	symlink_ok(x.root, "top/alias", "../real");
	x.w.follow_symlinks = true;
	cr_assert_eq(mp_walk_root(&x.w, x.root), 0);
	drain(&x);
	dump(&x);
	cr_assert_not_null(item(&x, "real/r.txt"));
	cr_assert_not_null(item(&x, "top/alias/r.txt"));
	cr_assert_eq(notes_of(&x, "symlink-loop", NULL), 0, "a second path to a directory is not a loop");
	wfx_free(&x);
}

Test(walk, excluded_globs_prune, .timeout = 30)
{
	struct wfx x;

	wfx_init(&x);
	make_tree(x.root);
	cr_assert_eq(mp_ignore_add(&x.ig, "sub"), 0);
	cr_assert_eq(mp_ignore_add(&x.ig, "*.log"), 0);
	cr_assert_eq(mp_walk_root(&x.w, x.root), 0);
	drain(&x);
	dump(&x);
	cr_assert_eq(x.nitems, 1);
	cr_assert_not_null(item(&x, "a.txt"));
	cr_assert_eq(x.stats.skipped_excluded, 2, "the sub directory and b.log");
	cr_assert_eq(x.stats.skipped_symlinks, 2, "sub/loop is never seen");
	wfx_free(&x);
}

Test(walk, excluded_relative_path_glob, .timeout = 30)
{
	struct wfx x;

	wfx_init(&x);
	make_tree(x.root);
	mkdir_ok(x.root, "other");
	mkdir_ok(x.root, "other/deep");
	file_ok(x.root, "other/deep/e.txt");
	cr_assert_eq(mp_ignore_add(&x.ig, "/sub/deep"), 0);
	cr_assert_eq(mp_walk_root(&x.w, x.root), 0);
	drain(&x);
	cr_assert_null(item(&x, "sub/deep/d.txt"));
	cr_assert_not_null(item(&x, "sub/c.txt"));
	cr_assert_not_null(item(&x, "other/deep/e.txt"), "anchored glob matched elsewhere");
	cr_assert_eq(x.stats.skipped_excluded, 1);
	wfx_free(&x);
}

Test(walk, depth_limit, .timeout = 30)
{
	struct wfx x;

	wfx_init(&x);
	make_tree(x.root);
	x.w.max_depth = 1;
	cr_assert_eq(mp_walk_root(&x.w, x.root), 0);
	drain(&x);
	dump(&x);
	cr_assert_not_null(item(&x, "a.txt"));
	cr_assert_not_null(item(&x, "sub/c.txt"), "depth 1 is walked");
	cr_assert_null(item(&x, "sub/deep/d.txt"), "depth 2 is not");
	cr_assert_eq(notes_of(&x, "limit", "sub/deep"), 1);
	cr_assert_eq(notes_of(&x, "limit", NULL), 1);
	wfx_free(&x);
}

Test(walk, unreadable_directory, .timeout = 30)
{
	struct wfx x;
	bool dropped = false;

	wfx_init(&x);
	make_tree(x.root);
	char *deep = t_path(x.root, "sub/deep");
	cr_assert_eq(chmod(deep, 0), 0);
	if (geteuid() == 0) {
		/* root reads anything: walk as an unprivileged user instead. */
		cr_assert_eq(chmod(x.root, 0755), 0);
		if (seteuid(65534) != 0) {
			chmod(deep, 0755);
			free(deep);
			wfx_free(&x);
			cr_skip_test("running as root and cannot drop privileges");
		}
		dropped = true;
	}
	int rc = mp_walk_root(&x.w, x.root);
	if (dropped)
		cr_assert_eq(seteuid(0), 0);
	cr_assert_eq(rc, 0);
	drain(&x);
	dump(&x);
	cr_assert_eq(notes_of(&x, "unreadable", "sub/deep"), 1);
	cr_assert_not_null(item(&x, "sub/c.txt"), "the rest of the tree is still walked");
	cr_assert_not_null(item(&x, "a.txt"));
	cr_assert_null(item(&x, "sub/deep/d.txt"));
	cr_assert_eq(chmod(deep, 0755), 0);
	free(deep);
	wfx_free(&x);
}

struct walk_job {
	struct wfx *x;
	const char *root;
	int rc;
	int done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void *walk_thread(void *arg)
{
	struct walk_job *j = arg;
	int rc = mp_walk_root(&j->x->w, j->root);

	pthread_mutex_lock(&j->lock);
	j->rc = rc;
	j->done = 1;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* Run the walk on a thread; fail (instead of hanging) if it does not end. */
static int walk_with_deadline(struct wfx *x, const char *root, int seconds)
{
	struct walk_job j = {.x = x, .root = root};
	struct timespec ts;
	pthread_t t;
	int done;

	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.cond, NULL);
	cr_assert_eq(pthread_create(&t, NULL, walk_thread, &j), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	pthread_mutex_lock(&j.lock);
	while (!j.done && pthread_cond_timedwait(&j.cond, &j.lock, &ts) == 0)
		;
	done = j.done;
	pthread_mutex_unlock(&j.lock);
	cr_assert(done, "the walk hung (did it open a FIFO?)");
	pthread_join(t, NULL);
	return j.rc;
}

Test(walk, never_opens_a_fifo, .timeout = 30)
{
	struct wfx x;

	wfx_init(&x);
	/* A FIFO without a writer: opening it for reading would block forever. */
	fifo_ok(x.root, "pipe");
	mkdir_ok(x.root, "d");
	fifo_ok(x.root, "d/pipe2");
	file_ok(x.root, "d/f.txt");
	cr_assert_eq(walk_with_deadline(&x, x.root, 5), 0);
	char *pipe = t_path(x.root, "pipe");
	/* Named as a root, too. */
	cr_assert_eq(walk_with_deadline(&x, pipe, 5), 0);
	drain(&x);
	dump(&x);
	cr_assert_eq(x.nitems, 1);
	cr_assert_not_null(item(&x, "d/f.txt"));
	cr_assert_eq(notes_of(&x, "special-file", "pipe"), 2, "once from the walk, once as a root");
	cr_assert_eq(notes_of(&x, "special-file", "d/pipe2"), 1);
	/* Nobody holds the FIFO open for reading now. */
	int fd = open(pipe, O_WRONLY | O_NONBLOCK);
	cr_assert_eq(fd, -1);
	cr_assert_eq(errno, ENXIO);
	free(pipe);
	wfx_free(&x);
}

Test(walk, root_kinds, .timeout = 30)
{
	struct wfx x;

	wfx_init(&x);
	file_ok(x.root, "f.txt");
	file_ok(x.root, "skip.log");
	symlink_ok(x.root, "lnk", "f.txt");
	char *f = t_path(x.root, "f.txt");
	char *lnk = t_path(x.root, "lnk");
	char *missing = t_path(x.root, "missing");
	char *skip = t_path(x.root, "skip.log");

	cr_assert_eq(mp_ignore_add(&x.ig, "*.log"), 0);
	cr_assert_eq(mp_walk_root(&x.w, f), 0);
	cr_assert_eq(mp_walk_root(&x.w, lnk), 0, "a link named as a root is followed");
	cr_assert_eq(mp_walk_root(&x.w, "-"), 0);
	cr_assert_eq(mp_walk_root(&x.w, missing), -1);
	cr_assert_eq(mp_walk_root(&x.w, skip), 0);
	drain(&x);
	dump(&x);
	cr_assert_eq(x.nitems, 3);
	cr_assert_str_eq(x.items[0]->path, f);
	cr_assert(x.items[0]->follow);
	cr_assert_str_eq(x.items[1]->path, lnk);
	cr_assert(x.items[1]->follow);
	cr_assert_str_eq(x.items[2]->path, "-");
	cr_assert(x.items[2]->is_stdin);
	cr_assert_eq(notes_of(&x, "unreadable", "missing"), 1);
	cr_assert_eq(x.stats.skipped_excluded, 1, "an excluded file named as a root");
	free(f);
	free(lnk);
	free(missing);
	free(skip);
	wfx_free(&x);
}

Test(walk, root_with_trailing_slash, .timeout = 30)
{
	struct wfx x;

	wfx_init(&x);
	mkdir_ok(x.root, "s");
	file_ok(x.root, "s/x.txt");
	char *slash = t_cat(x.root, "/", NULL);
	cr_assert_eq(mp_ignore_add(&x.ig, "/s/x.txt"), 0);
	file_ok(x.root, "s/y.txt");
	cr_assert_eq(mp_walk_root(&x.w, slash), 0);
	drain(&x);
	dump(&x);
	cr_assert_eq(x.nitems, 1);
	cr_assert_not_null(item(&x, "s/y.txt"), "no doubled '/' in paths");
	cr_assert_eq(x.stats.skipped_excluded, 1, "relative paths do not start with '/'");
	free(slash);
	wfx_free(&x);
}

Test(walk, item_new_copies_path)
{
	char p[] = "some/path";
	struct mp_item *it = mp_item_new(p, false, true);

	cr_assert_not_null(it);
	p[0] = 'X';
	cr_assert_str_eq(it->path, "some/path");
	cr_assert(it->follow);
	cr_assert_not(it->is_stdin);
	free(it);
}

Test(walk, shards_partition_the_tree_by_relative_path, .timeout = 30)
{
	/* Three shards of the same tree, walked through two different root
	 * spellings, take every file exactly once; the items' rel part is the
	 * path under the root. */
	char name[32];
	size_t total = 0;
	unsigned seen[40] = {0};
	struct wfx x;

	wfx_init(&x);
	mkdir_ok(x.root, "b1");
	mkdir_ok(x.root, "b2");
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "b%d/o%02d.csv", 1 + i % 2, i);
		file_ok(x.root, name);
	}
	char *slash = t_cat(x.root, "//", NULL);
	for (uint32_t k = 0; k < 3; k++) {
		struct mp_select sel = {.shard_k = k, .shard_n = 3};
		x.w.select = &sel;
		cr_assert_eq(mp_walk_root(&x.w, k == 1 ? slash : x.root), 0);
	}
	drain(&x);
	dump(&x);
	for (size_t i = 0; i < x.nitems; i++) {
		const struct mp_item *it = x.items[i];
		int n = -1;
		cr_assert_eq(sscanf(it->path + it->rel, "b%*d/o%d.csv", &n), 1, "rel part of %s", it->path);
		cr_assert(it->path[it->rel] == 'b', "%s: rel %u", it->path, it->rel);
		cr_assert(n >= 0 && n < 40);
		seen[n]++;
		total++;
	}
	for (int i = 0; i < 40; i++)
		cr_assert_eq(seen[i], 1, "o%02d taken %u times", i, seen[i]);
	cr_assert_eq(total, 40);
	cr_assert_eq(x.stats.skipped_shard, 80, "each shard skips the others' files");
	free(slash);
	wfx_free(&x);
}

Test(walk, file_root_rel_is_its_base_name, .timeout = 30)
{
	struct wfx x;

	wfx_init(&x);
	mkdir_ok(x.root, "d");
	file_ok(x.root, "d/f.json");
	char *p = t_path(x.root, "d/f.json");
	cr_assert_eq(mp_walk_root(&x.w, p), 0);
	drain(&x);
	cr_assert_eq(x.nitems, 1);
	cr_assert_str_eq(x.items[0]->path + x.items[0]->rel, "f.json");
	free(p);
	wfx_free(&x);
}
