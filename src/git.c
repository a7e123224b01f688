/* git.c - staged files, added lines and blobs, from git. */
#include "mp_config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "git.h"
#include "log.h"

extern char **environ;

/* Largest diff line or raw listing kept in memory. */
#define GIT_RAW_MAX (256u << 20)

int mp_lines_add(struct mp_lines *l, uint64_t line)
{
	if (l->n > 0 && line <= l->r[2 * l->n - 1] + 1) {
		if (line > l->r[2 * l->n - 1])
			l->r[2 * l->n - 1] = line;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		uint64_t *r = realloc(l->r, 2 * cap * sizeof *r);
		if (r == NULL)
			return -1;
		l->r = r;
		l->cap = cap;
	}
	l->r[2 * l->n] = line;
	l->r[2 * l->n + 1] = line;
	l->n++;
	return 0;
}

bool mp_lines_overlap(const struct mp_lines *l, uint64_t first, uint64_t last)
{
	size_t lo = 0, hi = l->n;

	/* the first range whose last line is >= first */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->r[2 * mid + 1] < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && l->r[2 * lo] <= last;
}

void mp_lines_free(struct mp_lines *l)
{
	free(l->r);
	memset(l, 0, sizeof *l);
}

static int parse_num(const char **pp, uint64_t *v)
{
	const char *p = *pp;
	uint64_t x = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*v = x;
	*pp = p;
	return 0;
}

/* "N[,M]" after the sign; M defaults to 1. */
static int parse_range(const char **pp, uint64_t *start, uint64_t *count)
{
	if (parse_num(pp, start) != 0)
		return -1;
	*count = 1;
	if (**pp == ',') {
		(*pp)++;
		if (parse_num(pp, count) != 0)
			return -1;
	}
	return 0;
}

int mp_git_parse_hunk(const char *line, uint64_t *old_start, uint64_t *old_count, uint64_t *new_start,
		      uint64_t *new_count)
{
	const char *p = line;

	if (strncmp(p, "@@ -", 4) != 0)
		return -1;
	p += 4;
	if (parse_range(&p, old_start, old_count) != 0 || strncmp(p, " +", 2) != 0)
		return -1;
	p += 2;
	if (parse_range(&p, new_start, new_count) != 0 || strncmp(p, " @@", 3) != 0)
		return -1;
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct mp_staged_file *)a)->path, ((const struct mp_staged_file *)b)->path);
}

struct mp_staged_file *mp_staged_find(const struct mp_staged *st, const char *path)
{
	struct mp_staged_file key = {.path = (char *)path};

	if (st->n == 0)
		return NULL;
	return bsearch(&key, st->files, st->n, sizeof key, cmp_file);
}

void mp_staged_free(struct mp_staged *st)
{
	for (size_t i = 0; i < st->n; i++) {
		free(st->files[i].path);
		mp_lines_free(&st->files[i].add);
	}
	free(st->files);
	memset(st, 0, sizeof *st);
}

/* One record of `git diff --raw -z`:
 *   ":oldmode newmode oldsha newsha STATUS\0path\0"  (A, M, T)
 *   ":oldmode newmode oldsha newsha STATUS\0src\0dst\0"  (C, R) */
int mp_git_parse_raw(struct mp_staged *st, const char *p, size_t n, char *err, size_t errlen)
{
	const char *end = p + n;
	size_t cap = 0;

	while (p < end) {
		const char *hdr = p, *nul = memchr(p, '\0', (size_t)(end - p));
		char oldsha[72], newsha[72], status, newmode[16];
		const char *path;
		int fields;

		if (nul == NULL || *hdr != ':')
			goto bad;
		fields = sscanf(hdr, ":%*s %15s %71s %71s %c", newmode, oldsha, newsha, &status);
		if (fields != 4)
			goto bad;
		p = nul + 1;
		path = p;
		if (p >= end || (nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			goto bad;
		p = nul + 1;
		if (status == 'C' || status == 'R') {
			path = p;
			if (p >= end || (nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
				goto bad;
			p = nul + 1;
		}
		/* Unchanged content (a mode change, an exact rename) adds no
		 * line; a submodule (160000) is a commit, not content. */
		if (strchr("ACMRT", status) == NULL || strcmp(oldsha, newsha) == 0 ||
		    strcmp(newmode, "160000") == 0)
			continue;
		if (st->n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct mp_staged_file *f = realloc(st->files, ncap * sizeof *f);
			if (f == NULL)
				goto oom;
			st->files = f;
			cap = ncap;
		}
		struct mp_staged_file *f = &st->files[st->n];
		memset(f, 0, sizeof *f);
		if ((f->path = strdup(path)) == NULL)
			goto oom;
		snprintf(f->blob, sizeof f->blob, "%s", newsha);
		st->n++;
	}
	if (st->n > 0)
		qsort(st->files, st->n, sizeof *st->files, cmp_file);
	return 0;
bad:
	snprintf(err, errlen, "cannot parse the output of git diff --raw");
	return -1;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* A path of a patch header: as is, or C-quoted ("a\tb") when it holds
 * unusual bytes. Decoded in place; the "b/" prefix is removed. Returns the
 * path, or NULL for /dev/null or a header we cannot read. */
static char *patch_path(char *s)
{
	char *w = s, *r = s;

	if (*s == '"') {
		r++;
		for (; *r && *r != '"'; r++) {
			if (*r != '\\') {
				*w++ = *r;
				continue;
			}
			r++;
			switch (*r) {
			case 'a': *w++ = '\a'; break;
			case 'b': *w++ = '\b'; break;
			case 'f': *w++ = '\f'; break;
			case 'n': *w++ = '\n'; break;
			case 'r': *w++ = '\r'; break;
			case 't': *w++ = '\t'; break;
			case 'v': *w++ = '\v'; break;
			case '0':
			case '1':
			case '2':
			case '3': {
				int v = 0;
				for (int k = 0; k < 3 && *r >= '0' && *r <= '7'; k++, r++)
					v = v * 8 + (*r - '0');
				r--;
				*w++ = (char)v;
				break;
			}
			case '\0': return NULL;
			default: *w++ = *r;
			}
		}
		*w = '\0';
	} else {
		size_t n = strlen(s);
		if (n > 0 && s[n - 1] == '\t') /* git adds a tab after names with spaces */
			s[n - 1] = '\0';
	}
	if (strncmp(s, "b/", 2) != 0)
		return NULL;
	return s + 2;
}

int mp_git_parse_patch(struct mp_staged *st, FILE *in, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct mp_staged_file *cur = NULL;
	uint64_t old_left = 0, new_left = 0, next = 0;
	int rc = 0;

	while ((n = getline(&line, &cap, in)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (old_left > 0 || new_left > 0) {
			/* inside a hunk body */
			if (line[0] == '+' && new_left > 0) {
				if (cur && mp_lines_add(&cur->add, next) != 0)
					goto oom;
				next++;
				new_left--;
			} else if (line[0] == '-' && old_left > 0) {
				old_left--;
			} else if (line[0] == ' ' && old_left > 0 && new_left > 0) {
				next++;
				old_left--;
				new_left--;
			} else if (line[0] != '\\') {
				snprintf(err, errlen, "cannot parse git diff: unexpected line in a hunk");
				rc = -1;
				break;
			}
			continue;
		}
		if (strncmp(line, "diff --git ", 11) == 0) {
			cur = NULL;
		} else if (strncmp(line, "+++ ", 4) == 0) {
			char *p = patch_path(line + 4);
			cur = p ? mp_staged_find(st, p) : NULL;
			if (cur)
				cur->has_patch = true;
		} else if (strncmp(line, "@@ ", 3) == 0) {
			uint64_t os, ns;
			if (mp_git_parse_hunk(line, &os, &old_left, &ns, &new_left) != 0) {
				snprintf(err, errlen, "cannot parse git diff hunk header: %.80s", line);
				rc = -1;
				break;
			}
			next = ns;
		}
	}
	free(line);
	return rc;
oom:
	free(line);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* Start git with args; its stdin and stdout are pipes when in/out are not
 * NULL; its stderr goes to /dev/null when quiet. Returns the pid or -1. */
static pid_t spawn_git(const char *const *args, int *in, int *out, bool quiet)
{
	posix_spawn_file_actions_t fa;
	int ip[2] = {-1, -1}, op[2] = {-1, -1};
	pid_t pid = -1;

	if ((in && pipe2(ip, O_CLOEXEC) != 0) || (out && pipe2(op, O_CLOEXEC) != 0))
		goto out;
	if (posix_spawn_file_actions_init(&fa) != 0)
		goto out;
	if (in)
		posix_spawn_file_actions_adddup2(&fa, ip[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out)
		posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	int e = posix_spawnp(&pid, "git", &fa, NULL, (char *const *)args, environ);
	if (e != 0) {
		pid = -1;
		errno = e;
	}
	posix_spawn_file_actions_destroy(&fa);
out:
	if (ip[0] >= 0)
		close(ip[0]);
	if (op[1] >= 0)
		close(op[1]);
	if (pid < 0) {
		if (ip[1] >= 0)
			close(ip[1]);
		if (op[0] >= 0)
			close(op[0]);
		return -1;
	}
	if (in)
		*in = ip[1];
	if (out)
		*out = op[0];
	return pid;
}

/* Wait for pid. Returns its exit status, or -1 when it did not exit. */
static int wait_git(pid_t pid)
{
	int ws;

	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

/* Run git, collecting its stdout (up to GIT_RAW_MAX). Returns its exit
 * status, or -1. */
static int run_git(const char *const *args, bool quiet, char **data, size_t *len)
{
	int fd = -1, rc;
	pid_t pid = spawn_git(args, NULL, &fd, quiet);
	size_t n = 0, cap = 0;
	char *buf = NULL;

	if (pid < 0)
		return -1;
	for (;;) {
		if (cap - n < 4096) {
			char *nb = cap < GIT_RAW_MAX ? realloc(buf, cap ? 2 * cap : 8192) : NULL;
			if (nb == NULL)
				break;
			buf = nb;
			cap = cap ? 2 * cap : 8192;
		}
		ssize_t k = read(fd, buf + n, cap - n - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	rc = wait_git(pid);
	if (buf)
		buf[n] = '\0';
	*data = buf;
	*len = n;
	return rc;
}

/* Options that keep a user's diff configuration from changing what we
 * parse: no colour, no external diff or textconv, no path prefix change,
 * no relative paths, every file as text. */
#define DIFF_COMMON                                                                          \
	"diff", "--cached", "--no-color", "--no-ext-diff", "--no-textconv", "--no-relative", \
		"--diff-filter=ACMRT"

int mp_git_staged(struct mp_staged *st, char *err, size_t errlen)
{
	const char *rev[] = {"git", "rev-parse", "--is-inside-work-tree", NULL};
	const char *raw[] = {"git", DIFF_COMMON, "--raw", "-z", "--no-abbrev", NULL};
	const char *patch[] = {"git",
			       DIFF_COMMON,
			       "-U0",
			       "--inter-hunk-context=0",
			       "--text",
			       "--src-prefix=a/",
			       "--dst-prefix=b/",
			       NULL};
	char *data = NULL, ebuf[128];
	size_t len = 0;
	int fd = -1, rc = -1;
	pid_t pid;
	FILE *in = NULL;

	memset(st, 0, sizeof *st);
	setenv("GIT_NO_LAZY_FETCH", "1", 1);
	setenv("GIT_OPTIONAL_LOCKS", "0", 1);
	if (run_git(rev, true, &data, &len) != 0 || data == NULL || strncmp(data, "true", 4) != 0) {
		snprintf(err, errlen, "--staged: not inside a git work tree");
		goto out;
	}
	free(data);
	data = NULL;
	if (run_git(raw, false, &data, &len) != 0) {
		snprintf(err, errlen, "--staged: git diff --cached --raw failed");
		goto out;
	}
	if (mp_git_parse_raw(st, data ? data : "", len, err, errlen) != 0)
		goto out;
	if (st->n == 0) {
		rc = 0;
		goto out;
	}
	if ((pid = spawn_git(patch, NULL, &fd, false)) < 0) {
		snprintf(err, errlen, "--staged: cannot run git: %s", mp_strerror(errno, ebuf, sizeof ebuf));
		goto out;
	}
	in = fdopen(fd, "r");
	if (in == NULL) {
		close(fd);
		wait_git(pid);
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = mp_git_parse_patch(st, in, err, errlen);
	if (rc != 0) /* drain, so that git can finish */
		while (fgetc(in) != EOF)
			;
	fclose(in);
	if (wait_git(pid) != 0 && rc == 0) {
		snprintf(err, errlen, "--staged: git diff --cached failed");
		rc = -1;
	}
out:
	free(data);
	if (rc != 0)
		mp_staged_free(st);
	return rc;
}

struct mp_git_cat {
	pid_t pid;
	FILE *to;   /* requests */
	FILE *from; /* replies */
};

struct mp_git_cat *mp_git_cat_open(char *err, size_t errlen)
{
	const char *args[] = {"git", "cat-file", "--batch", NULL};
	struct mp_git_cat *c = calloc(1, sizeof *c);
	int in = -1, out = -1;
	char ebuf[128];

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->pid = spawn_git(args, &in, &out, false);
	if (c->pid < 0) {
		snprintf(err, errlen, "--staged: cannot run git cat-file: %s",
			 mp_strerror(errno, ebuf, sizeof ebuf));
		free(c);
		return NULL;
	}
	c->to = fdopen(in, "w");
	c->from = fdopen(out, "r");
	if (c->to == NULL || c->from == NULL) {
		if (c->to == NULL)
			close(in);
		if (c->from == NULL)
			close(out);
		mp_git_cat_close(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return c;
}

int mp_git_cat_get(struct mp_git_cat *c, const char *name, uint64_t cap, size_t headroom, char **data,
		   uint64_t *len, char *err, size_t errlen)
{
	char hdr[256], type[32];
	unsigned long long size;
	char *buf = NULL;

	*data = NULL;
	*len = 0;
	if (fprintf(c->to, "%s\n", name) < 0 || fflush(c->to) != 0)
		goto fail;
	if (fgets(hdr, sizeof hdr, c->from) == NULL)
		goto fail;
	if (sscanf(hdr, "%*s %31s %llu", type, &size) != 2 || strcmp(type, "blob") != 0) {
		snprintf(err, errlen, "--staged: git cat-file: unexpected reply for %s", name);
		return -1;
	}
	*len = size;
	if (cap == 0 || size <= cap) {
		buf = size < SIZE_MAX - headroom ? malloc(headroom + size + 1) : NULL;
		if (buf == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (size > 0 && fread(buf + headroom, 1, size, c->from) != size) {
			free(buf);
			goto fail;
		}
	} else {
		char sink[65536];
		for (uint64_t left = size; left > 0;) {
			size_t k = left < sizeof sink ? (size_t)left : sizeof sink;
			if (fread(sink, 1, k, c->from) != k)
				goto fail;
			left -= k;
		}
	}
	if (fgetc(c->from) != '\n') {
		free(buf);
		goto fail;
	}
	*data = buf;
	return 0;
fail:
	snprintf(err, errlen, "--staged: git cat-file: cannot read %s", name);
	return -1;
}

void mp_git_cat_close(struct mp_git_cat *c)
{
	if (c == NULL)
		return;
	if (c->to)
		fclose(c->to);
	if (c->from)
		fclose(c->from);
	if (c->pid > 0)
		wait_git(c->pid);
	free(c);
}
