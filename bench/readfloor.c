/* readfloor.c - the "read floor" for magpie benchmarks.
 *
 * Walks the given paths and reads every regular file once, doing nothing
 * with the bytes. Its throughput is the ceiling any scanner can reach on the
 * same tree with the same thread count: open + fstat + read-until-EOF +
 * close, nothing more.
 *
 * Structure (it mirrors the scanner): one walker thread feeds a bounded
 * queue of paths; T worker threads pop paths and read each file into a
 * per-thread reusable 8 MiB buffer.
 *
 * Walk rules: readdir with d_type, fstatat(AT_SYMLINK_NOFOLLOW) when d_type
 * is DT_UNKNOWN; symlinks below the given paths are never followed (a given
 * path that is itself a symlink is resolved, as most tools do); anything not
 * a regular file is skipped.
 *
 * Output, one line on stdout:  files=N bytes=N seconds=S
 * (wall time, CLOCK_MONOTONIC, from start of the walk to the last close).
 * Files that could not be opened or read are counted on stderr.
 *
 * Build: cc -std=c17 -O2 -Wall -Wextra -pthread -o readfloor readfloor.c
 * Usage: readfloor [-j T] PATH...
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* d_type, DT_* */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (8u << 20) /* per-thread read buffer: 8 MiB */
#define QUEUE_CAP 4096      /* paths in flight between walker and workers */
#define MAX_THREADS 1024

/* ---- bounded queue of malloc'd path strings ---------------------------- */

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	char *items[QUEUE_CAP];
	size_t head, len;
	bool closed;
};

static struct queue q = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.not_empty = PTHREAD_COND_INITIALIZER,
	.not_full = PTHREAD_COND_INITIALIZER,
};

static void queue_push(char *path)
{
	pthread_mutex_lock(&q.mu);
	while (q.len == QUEUE_CAP)
		pthread_cond_wait(&q.not_full, &q.mu);
	q.items[(q.head + q.len) % QUEUE_CAP] = path;
	q.len++;
	pthread_cond_signal(&q.not_empty);
	pthread_mutex_unlock(&q.mu);
}

/* NULL once the queue is closed and empty. */
static char *queue_pop(void)
{
	pthread_mutex_lock(&q.mu);
	while (q.len == 0 && !q.closed)
		pthread_cond_wait(&q.not_empty, &q.mu);
	char *path = NULL;
	if (q.len > 0) {
		path = q.items[q.head];
		q.head = (q.head + 1) % QUEUE_CAP;
		q.len--;
		pthread_cond_signal(&q.not_full);
	}
	pthread_mutex_unlock(&q.mu);
	return path;
}

static void queue_close(void)
{
	pthread_mutex_lock(&q.mu);
	q.closed = true;
	pthread_cond_broadcast(&q.not_empty);
	pthread_mutex_unlock(&q.mu);
}

/* ---- small helpers ------------------------------------------------------ */

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (p == NULL) {
		fprintf(stderr, "readfloor: out of memory\n");
		exit(2);
	}
	return p;
}

static char *join_path(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	bool slash = dl > 0 && dir[dl - 1] != '/';
	char *p = xmalloc(dl + slash + nl + 1);
	memcpy(p, dir, dl);
	if (slash)
		p[dl] = '/';
	memcpy(p + dl + slash, name, nl + 1);
	return p;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- walker -------------------------------------------------------------- */

struct walk_args {
	char **roots;
	int nroots;
	unsigned long errors;
};

/* Directories still to read, depth first (an explicit stack keeps at most
 * one directory descriptor open, however deep the tree). */
struct dirstack {
	char **v;
	size_t n, cap;
};

static void dirstack_push(struct dirstack *s, char *path)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		char **v = realloc(s->v, s->cap * sizeof *v);
		if (v == NULL) {
			fprintf(stderr, "readfloor: out of memory\n");
			exit(2);
		}
		s->v = v;
	}
	s->v[s->n++] = path;
}

static void walk_dir(struct dirstack *stack, char *dirpath, unsigned long *errors)
{
	int dfd = open(dirpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(stderr, "readfloor: %s: %s\n", dirpath, strerror(errno));
		(*errors)++;
		return;
	}
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		fprintf(stderr, "readfloor: %s: %s\n", dirpath, strerror(errno));
		(*errors)++;
		close(dfd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
			continue;
		unsigned char type = e->d_type;
		if (type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
				(*errors)++;
				continue;
			}
			type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
		}
		if (type == DT_REG)
			queue_push(join_path(dirpath, name));
		else if (type == DT_DIR)
			dirstack_push(stack, join_path(dirpath, name));
		/* symlinks, devices, fifos, sockets: skipped */
	}
	closedir(d);
}

static void *walker(void *arg)
{
	struct walk_args *wa = arg;
	struct dirstack stack = {0};
	for (int i = 0; i < wa->nroots; i++) {
		/* A root given as a symlink is resolved once; below it, symlinks
		 * are never followed (files and directories are opened O_NOFOLLOW). */
		const char *given = wa->roots[i];
		struct stat st;
		char *root = NULL;
		if (lstat(given, &st) == 0 && S_ISLNK(st.st_mode))
			root = realpath(given, NULL);
		else
			root = join_path("", given);
		if (root == NULL || stat(root, &st) != 0) {
			fprintf(stderr, "readfloor: %s: %s\n", given, strerror(errno));
			wa->errors++;
			free(root);
			continue;
		}
		if (S_ISREG(st.st_mode)) {
			queue_push(root);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			free(root);
			continue;
		}
		dirstack_push(&stack, root);
		while (stack.n > 0) {
			char *dir = stack.v[--stack.n];
			walk_dir(&stack, dir, &wa->errors);
			free(dir);
		}
	}
	free(stack.v);
	queue_close();
	return NULL;
}

/* ---- workers ------------------------------------------------------------- */

struct worker {
	pthread_t tid;
	uint64_t files;
	uint64_t bytes;
	unsigned long errors;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char *buf = xmalloc(BUF_SIZE);
	char *path;
	while ((path = queue_pop()) != NULL) {
		int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (fd < 0) {
			w->errors++;
			free(path);
			continue;
		}
		struct stat st;
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			/* vanished or replaced since the walk saw it */
			close(fd);
			free(path);
			continue;
		}
		uint64_t got = 0;
		bool failed = false;
		for (;;) {
			ssize_t n = read(fd, buf, BUF_SIZE);
			if (n > 0) {
				got += (uint64_t)n;
			} else if (n == 0) {
				break;
			} else if (errno != EINTR) {
				failed = true;
				break;
			}
		}
		close(fd);
		free(path);
		if (failed) {
			w->errors++;
			continue;
		}
		w->files++;
		w->bytes += got;
	}
	free(buf);
	return NULL;
}

/* ---- main ---------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: readfloor [-j THREADS] PATH...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long nthreads = sysconf(_SC_NPROCESSORS_ONLN);
	int opt;
	while ((opt = getopt(argc, argv, "j:h")) != -1) {
		switch (opt) {
		case 'j': {
			char *end;
			errno = 0;
			nthreads = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || nthreads < 1 || nthreads > MAX_THREADS) {
				fprintf(stderr, "readfloor: -j wants 1..%d\n", MAX_THREADS);
				return 2;
			}
			break;
		}
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	if (nthreads < 1)
		nthreads = 1;

	struct walk_args wa = {.roots = argv + optind, .nroots = argc - optind};
	struct worker *workers = calloc((size_t)nthreads, sizeof *workers);
	if (workers == NULL) {
		fprintf(stderr, "readfloor: out of memory\n");
		return 2;
	}

	double t0 = now_seconds();
	pthread_t walk_tid;
	int rc = pthread_create(&walk_tid, NULL, walker, &wa);
	if (rc != 0) {
		fprintf(stderr, "readfloor: pthread_create: %s\n", strerror(rc));
		return 2;
	}
	for (long i = 0; i < nthreads; i++) {
		rc = pthread_create(&workers[i].tid, NULL, worker_main, &workers[i]);
		if (rc != 0) {
			fprintf(stderr, "readfloor: pthread_create: %s\n", strerror(rc));
			return 2;
		}
	}
	pthread_join(walk_tid, NULL);

	uint64_t files = 0, bytes = 0;
	unsigned long errors = wa.errors;
	for (long i = 0; i < nthreads; i++) {
		pthread_join(workers[i].tid, NULL);
		files += workers[i].files;
		bytes += workers[i].bytes;
		errors += workers[i].errors;
	}
	double secs = now_seconds() - t0;
	free(workers);

	printf("files=%llu bytes=%llu seconds=%.3f\n",
	       (unsigned long long)files, (unsigned long long)bytes, secs);
	if (errors > 0)
		fprintf(stderr, "readfloor: %lu paths could not be read\n", errors);
	return errors > 0 ? 1 : 0;
}
