/* walk.c - directory traversal. */
#include "mp_config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "walk.h"

#define PATH_BYTES_MAX (1u << 20) /* a path longer than this is not walked */

struct ancestor {
	dev_t dev;
	ino_t ino;
};

struct state {
	struct mp_walk *w;
	struct mp_buf path; /* the current path */
	size_t rootlen;     /* bytes of the root in path */
	dev_t root_dev;
	bool root_is_slash;
	uint32_t bucket;      /* the bucket of the entries below the current top-level directory */
	struct ancestor *anc; /* directories from the root down; depth + 1 entries */
	size_t nanc, capanc;
};

struct mp_item *mp_item_new(const char *path, bool is_stdin, bool follow)
{
	size_t n = strlen(path);
	struct mp_item *it = malloc(sizeof *it + n + 1);

	if (it == NULL)
		return NULL;
	it->is_stdin = is_stdin;
	it->follow = follow;
	it->data = NULL;
	it->len = 0;
	it->staged = NULL;
	it->rel = 0;
	it->bucket = MP_BUCKET_NONE;
	it->image = NULL;
	memcpy(it->path, path, n + 1);
	return it;
}

static void note(struct state *st, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct state *st, const char *kind, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	st->w->notice(st->w->ctx, st->path.data, kind, msg);
}

/* Queue the current path; rel is the offset of its root-relative part. */
static void push(struct state *st, bool follow, size_t rel)
{
	const struct mp_select *sel = st->w->select;
	struct mp_bucket_name *b = st->bucket != MP_BUCKET_NONE ? &st->w->buckets->b[st->bucket] : NULL;
	if (!mp_select_all(sel)) {
		uint64_t h = mp_path_hash(st->path.data + rel, st->path.len - rel);
		if (!mp_select_shard(sel, h)) {
			st->w->stats->skipped_shard++;
			return;
		}
		if (b)
			b->population++;
		if (!mp_select_sample(sel, h)) {
			st->w->stats->skipped_sample++;
			return;
		}
	} else if (b) {
		b->population++;
	}
	if (b)
		b->sampled++;
	struct mp_item *it = mp_item_new(st->path.data, false, follow);
	if (it != NULL) {
		it->rel = (uint32_t)rel;
		it->bucket = st->bucket;
	}
	if (it == NULL || mp_queue_push(st->w->queue, it) != 0) {
		free(it);
		note(st, "error", "cannot queue the file (out of memory)");
		return;
	}
	st->w->stats->queued++;
}

/* The one notice when the buckets limit is first reached for a root. */
static void bucket_overflow(struct state *st, bool over)
{
	struct mp_walk *w = st->w;

	if (over)
		w->notice(w->ctx, w->buckets->roots[w->root], "limit",
			  "buckets limit reached: further top-level directories of this root are counted "
			  "together in the bucket (other)");
}

/* --report: the bucket of what follows, named n bytes at name ("." when n
 * is 0), of the root being walked. */
static void set_bucket(struct state *st, const char *name, size_t n)
{
	bool over = false;

	if (st->w->buckets == NULL)
		return;
	st->bucket = mp_buckets_find(st->w->buckets, st->w->root, name, n, &over);
	bucket_overflow(st, over);
}

/* The same for a path relative to the root: its first component. */
static void set_bucket_rel(struct state *st, const char *rel)
{
	bool over = false;

	if (st->w->buckets == NULL)
		return;
	st->bucket = mp_buckets_find_rel(st->w->buckets, st->w->root, rel, strlen(rel), &over);
	bucket_overflow(st, over);
}

static const char *special_name(mode_t m)
{
	if (S_ISFIFO(m))
		return "FIFO";
	if (S_ISSOCK(m))
		return "socket";
	if (S_ISCHR(m))
		return "character device";
	if (S_ISBLK(m))
		return "block device";
	return "special file";
}

static int push_ancestor(struct state *st, dev_t dev, ino_t ino)
{
	if (mp_array_grow(&st->anc, &st->capanc, st->nanc, sizeof *st->anc, 32) != 0)
		return -1;
	st->anc[st->nanc].dev = dev;
	st->anc[st->nanc].ino = ino;
	st->nanc++;
	return 0;
}

static void walk_dir(struct state *st, int dfd, size_t depth);

/* Enter the directory `name` of parent dfd, whose path is st->path. */
static void enter(struct state *st, int pfd, const char *name, bool via_link, size_t depth)
{
	struct mp_walk *w = st->w;
	char ebuf[128];
	int fd;
	struct stat sb;
	bool need_stat = w->follow_symlinks || w->one_file_system;

	if (depth > w->max_depth) {
		note(st, "limit", "walk-depth limit (%llu) reached; directory not entered",
		     (unsigned long long)w->max_depth);
		return;
	}
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY | (via_link ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		note(st, "unreadable", "cannot open directory: %s", mp_strerror(errno, ebuf, sizeof ebuf));
		return;
	}
	if (need_stat) {
		if (fstat(fd, &sb) != 0) {
			note(st, "unreadable", "cannot stat directory: %s",
			     mp_strerror(errno, ebuf, sizeof ebuf));
			close(fd);
			return;
		}
		if (w->one_file_system && sb.st_dev != st->root_dev) {
			close(fd);
			return;
		}
		if (w->follow_symlinks) {
			for (size_t i = 0; i < st->nanc; i++) {
				if (st->anc[i].dev == sb.st_dev && st->anc[i].ino == sb.st_ino) {
					note(st, "symlink-loop",
					     "directory is its own ancestor; not entered");
					close(fd);
					return;
				}
			}
			if (push_ancestor(st, sb.st_dev, sb.st_ino) != 0) {
				close(fd);
				return;
			}
		}
	}
	walk_dir(st, fd, depth); /* takes fd */
	if (w->follow_symlinks)
		st->nanc--;
}

static bool is_system_dir(const char *name)
{
	return strcmp(name, "proc") == 0 || strcmp(name, "sys") == 0 || strcmp(name, "dev") == 0;
}

static void walk_dir(struct state *st, int dfd, size_t depth)
{
	struct mp_walk *w = st->w;
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	char ebuf[128];

	if (d == NULL) {
		note(st, "unreadable", "cannot read directory: %s", mp_strerror(errno, ebuf, sizeof ebuf));
		close(dfd);
		return;
	}
	size_t here = st->path.len;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0) {
				st->path.len = here;
				st->path.data[here] = '\0';
				note(st, "read-error", "cannot list directory: %s",
				     mp_strerror(errno, ebuf, sizeof ebuf));
			}
			break;
		}
		const char *name = de->d_name;
		if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
			continue;
		st->path.len = here;
		st->path.data[here] = '\0';
		if ((here == 0 || st->path.data[here - 1] != '/') && mp_buf_addc(&st->path, '/') != 0)
			continue;
		if (mp_buf_adds(&st->path, name) != 0) {
			note(st, "limit", "path longer than %u bytes; not walked", PATH_BYTES_MAX);
			continue;
		}
		const char *rel = st->path.data + st->rootlen;
		while (*rel == '/')
			rel++;
		if (mp_ignore_match(w->ignore, rel, name)) {
			w->stats->skipped_excluded++;
			continue;
		}
		unsigned char type = de->d_type;
		bool via_link = false;
		mode_t mode = 0;
		if (type == DT_LNK) {
			if (!w->follow_symlinks) {
				w->stats->skipped_symlinks++;
				continue;
			}
			via_link = true;
			type = DT_UNKNOWN;
		}
		if (type == DT_UNKNOWN) {
			struct stat sb;
			if (fstatat(dirfd(d), name, &sb, via_link ? 0 : AT_SYMLINK_NOFOLLOW) != 0) {
				if (via_link)
					w->stats->skipped_symlinks++; /* dangling link */
				else
					note(st, "unreadable", "cannot stat: %s",
					     mp_strerror(errno, ebuf, sizeof ebuf));
				continue;
			}
			mode = sb.st_mode;
			type = S_ISDIR(mode)   ? DT_DIR
			       : S_ISREG(mode) ? DT_REG
			       : S_ISLNK(mode) ? DT_LNK
					       : DT_FIFO;
			if (type == DT_LNK) {
				w->stats->skipped_symlinks++;
				continue;
			}
		} else if (type != DT_DIR && type != DT_REG) {
			mode = type == DT_FIFO   ? S_IFIFO
			       : type == DT_SOCK ? S_IFSOCK
			       : type == DT_CHR  ? S_IFCHR
						 : S_IFBLK;
		}
		if (type == DT_DIR) {
			if (st->root_is_slash && depth == 0 && is_system_dir(name)) {
				w->stats->skipped_system++;
				continue;
			}
			if (depth == 0)
				set_bucket(st, name, strlen(name));
			enter(st, dirfd(d), name, via_link, depth + 1);
		} else if (type == DT_REG) {
			if (depth == 0)
				set_bucket(st, "", 0);
			push(st, via_link, (size_t)(rel - st->path.data));
		} else {
			note(st, "special-file", "%s skipped, never opened", special_name(mode));
		}
	}
	closedir(d);
	st->path.len = here;
	if (st->path.data)
		st->path.data[here] = '\0';
}

int mp_walk_root(struct mp_walk *w, const char *root)
{
	struct state st;
	struct stat sb;
	char ebuf[128];
	int rc = 0;

	memset(&st, 0, sizeof st);
	st.w = w;
	st.bucket = MP_BUCKET_NONE;
	mp_buf_init(&st.path, PATH_BYTES_MAX);
	if (mp_buf_adds(&st.path, root) != 0) {
		mp_buf_free(&st.path);
		return -1;
	}
	if (strcmp(root, "-") == 0) {
		struct mp_item *it = mp_item_new("-", true, true);
		set_bucket(&st, "", 0);
		if (it != NULL)
			it->bucket = st.bucket;
		if (st.bucket != MP_BUCKET_NONE) {
			w->buckets->b[st.bucket].population++;
			w->buckets->b[st.bucket].sampled++;
		}
		if (it == NULL || mp_queue_push(w->queue, it) != 0)
			free(it);
		else
			w->stats->queued++;
		goto out;
	}
	/* Roots are followed even when they are links, as a user named them. */
	if (stat(root, &sb) != 0) {
		note(&st, "unreadable", "cannot stat: %s", mp_strerror(errno, ebuf, sizeof ebuf));
		rc = -1;
		goto out;
	}
	if (S_ISREG(sb.st_mode)) {
		const char *base = strrchr(root, '/');
		base = base ? base + 1 : root;
		if (mp_ignore_match(w->ignore, base, base)) {
			w->stats->skipped_excluded++;
		} else if (w->listed) {
			/* A listed path is named below the list's root: its
			 * bucket is its first component. */
			set_bucket_rel(&st, root);
			push(&st, true, 0);
		} else {
			set_bucket(&st, "", 0);
			push(&st, true, (size_t)(base - root));
		}
	} else if (S_ISDIR(sb.st_mode)) {
		st.rootlen = st.path.len;
		st.root_dev = sb.st_dev;
		char *real = realpath(root, NULL);
		st.root_is_slash = real != NULL && strcmp(real, "/") == 0;
		free(real);
		if (w->follow_symlinks)
			push_ancestor(&st, sb.st_dev, sb.st_ino);
		int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			note(&st, "unreadable", "cannot open directory: %s",
			     mp_strerror(errno, ebuf, sizeof ebuf));
			rc = -1;
			goto out;
		}
		walk_dir(&st, fd, 0);
	} else {
		note(&st, "special-file", "%s skipped, never opened", special_name(sb.st_mode));
	}
out:
	free(st.anc);
	mp_buf_free(&st.path);
	return rc;
}
