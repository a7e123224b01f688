/* helpers.c - small utilities shared by the unit tests. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

char *t_mkdtemp(void)
{
	char tmpl[] = "/tmp/magpie-unit-XXXXXX";
	char *d = mkdtemp(tmpl);

	cr_assert_not_null(d, "mkdtemp: %s", strerror(errno));
	d = strdup(d);
	cr_assert_not_null(d);
	return d;
}

char *t_path(const char *dir, const char *name)
{
	char *p = NULL;

	cr_assert(asprintf(&p, "%s/%s", dir, name) >= 0);
	return p;
}

static int rm_at(int dfd, const char *name)
{
	struct stat sb;
	int rc = 0;

	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode))
		return unlinkat(dfd, name, 0);
	(void)fchmodat(dfd, name, 0700, 0);
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (rm_at(dirfd(d), de->d_name) != 0)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) != 0)
		rc = -1;
	return rc;
}

int t_rmtree(const char *path)
{
	if (path == NULL)
		return 0;
	return rm_at(AT_FDCWD, path);
}

int t_write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	if (n > 0 && fwrite(data, 1, n, f) != n) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

char *t_cat(const char *first, ...)
{
	va_list ap;
	size_t n = 0;
	char *out, *w;

	va_start(ap, first);
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
		n += strlen(s);
	va_end(ap);
	out = malloc(n + 1);
	cr_assert_not_null(out);
	w = out;
	va_start(ap, first);
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *)) {
		size_t k = strlen(s);
		memcpy(w, s, k);
		w += k;
	}
	va_end(ap);
	*w = '\0';
	return out;
}

static int b64v(int c)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

long t_b64decode(const char *s, unsigned char *out)
{
	size_t n = strlen(s);
	long len = 0;

	if (n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == n && j >= 2) {
				v[j] = 0;
				pad++;
			} else {
				if (pad)
					return -1;
				v[j] = b64v((unsigned char)s[i + j]);
				if (v[j] < 0)
					return -1;
			}
		}
		unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
		out[len++] = (unsigned char)(w >> 16);
		if (pad < 2)
			out[len++] = (unsigned char)(w >> 8);
		if (pad < 1)
			out[len++] = (unsigned char)w;
	}
	return len;
}

char *t_slurp(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0, got;
	char *p = malloc(cap);

	cr_assert_not_null(p);
	cr_assert_eq(fseek(f, 0, SEEK_SET), 0);
	while ((got = fread(p + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n - 1 == 0) {
			cap *= 2;
			p = realloc(p, cap);
			cr_assert_not_null(p);
		}
	}
	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

uint64_t t_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(0x2545F4914F6CDD1D);
}

size_t t_count_sub(const char *hay, size_t len, const char *needle, size_t n)
{
	size_t c = 0;

	if (n == 0 || len < n)
		return 0;
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			c++;
	return c;
}
