/* test_image.c - container images: tar headers, whiteouts, layer status. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "helpers.h"
#include "image.h"

/* ---- a tar written by hand, header by header ---- */

struct tarbuf {
	unsigned char *p;
	size_t len;
};

static void header(struct tarbuf *t, const char *name, const char *prefix, char type, size_t size)
{
	unsigned char *h;
	unsigned sum = 0;

	t->p = realloc(t->p, t->len + 512);
	cr_assert_not_null(t->p);
	h = t->p + t->len;
	memset(h, 0, 512);
	memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
	memcpy(h + 100, "0000644", 7);
	memcpy(h + 108, "0000000", 7);
	memcpy(h + 116, "0000000", 7);
	char sz[32], ck[32];
	snprintf(sz, sizeof sz, "%011zo", size);
	memcpy(h + 124, sz, 11);
	memcpy(h + 136, "14540000000", 11);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	if (prefix)
		memcpy(h + 345, prefix, strlen(prefix));
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf(ck, sizeof ck, "%06o", sum & 0777777);
	memcpy(h + 148, ck, 7);
	t->len += 512;
}

static void data(struct tarbuf *t, const void *d, size_t n)
{
	size_t padded = (n + 511) / 512 * 512;

	t->p = realloc(t->p, t->len + padded);
	cr_assert_not_null(t->p);
	memset(t->p + t->len, 0, padded);
	memcpy(t->p + t->len, d, n);
	t->len += padded;
}

static void file(struct tarbuf *t, const char *name, const char *prefix, const char *body)
{
	header(t, name, prefix, '0', strlen(body));
	data(t, body, strlen(body));
}

/* Write t to a temporary file; returns an fd opened for reading. */
static int to_file(struct tarbuf *t, char **dir)
{
	char *path;
	int fd;

	*dir = t_mkdtemp();
	path = t_path(*dir, "t.tar");
	cr_assert_eq(t_write_file(path, t->p, t->len), 0);
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	free(path);
	return fd;
}

Test(image, tar_index_names_offsets_and_sizes)
{
	struct tarbuf t = {0};
	struct mp_tar_member *m;
	size_t n;
	char err[256], *dir;
	char pax[128];
	const char *longname =
		"blobs/sha256/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef/and/more/than/100";
	int fd;

	file(&t, "./manifest.json", NULL, "[]");
	header(&t, "etc/", NULL, '5', 0);
	file(&t, "layer.tar", "0123456789abcdef", "layer bytes");
	header(&t, "././@LongLink", NULL, 'L', strlen(longname) + 1);
	data(&t, longname, strlen(longname) + 1);
	file(&t, "cut-name", NULL, "long");
	snprintf(pax, sizeof pax, "%d path=pax/named.json\n", 23);
	header(&t, "PaxHeaders/x", NULL, 'x', strlen(pax));
	data(&t, pax, strlen(pax));
	file(&t, "short", NULL, "{}");
	data(&t, "", 0);
	t.p = realloc(t.p, t.len + 1024);
	memset(t.p + t.len, 0, 1024);
	t.len += 1024;
	fd = to_file(&t, &dir);
	cr_assert_eq(mp_tar_index(fd, t.len, 100, &m, &n, err, sizeof err), 0, "%s", err);
	cr_assert_eq(n, 5);
	cr_assert_str_eq(m[0].name, "manifest.json");
	cr_assert_eq(m[0].offset, 512);
	cr_assert_eq(m[0].size, 2);
	cr_assert(m[0].regular);
	cr_assert_str_eq(m[1].name, "etc");
	cr_assert_not(m[1].regular);
	cr_assert_str_eq(m[2].name, "0123456789abcdef/layer.tar");
	cr_assert_eq(m[2].size, 11);
	cr_assert_eq(memcmp(t.p + m[2].offset, "layer bytes", 11), 0);
	cr_assert_str_eq(m[3].name, longname);
	cr_assert_eq(memcmp(t.p + m[3].offset, "long", 4), 0);
	cr_assert_str_eq(m[4].name, "pax/named.json");
	cr_assert_eq(memcmp(t.p + m[4].offset, "{}", 2), 0);
	mp_tar_members_free(m, n);

	/* The member limit, and damage: the members before are kept. */
	cr_assert_eq(mp_tar_index(fd, t.len, 2, &m, &n, err, sizeof err), -1);
	cr_assert_eq(n, 2);
	cr_assert(strstr(err, "archive-entries") != NULL, "%s", err);
	mp_tar_members_free(m, n);
	t.p[512 * 3 + 10] ^= 0x55; /* inside layer.tar's header */
	close(fd);
	t_rmtree(dir);
	free(dir);
	fd = to_file(&t, &dir);
	cr_assert_eq(mp_tar_index(fd, t.len, 100, &m, &n, err, sizeof err), -1);
	cr_assert_eq(n, 2);
	cr_assert(strstr(err, "checksum") != NULL, "%s", err);
	mp_tar_members_free(m, n);
	close(fd);
	t_rmtree(dir);
	free(dir);
	free(t.p);
}

Test(image, tar_index_of_a_file_that_is_no_tar)
{
	struct tarbuf t = {0};
	struct mp_tar_member *m;
	size_t n;
	char err[256], *dir;
	int fd;

	data(&t, "just some text, not a header", 28);
	fd = to_file(&t, &dir);
	cr_assert_eq(mp_tar_index(fd, t.len, 100, &m, &n, err, sizeof err), -1);
	cr_assert_eq(n, 0);
	close(fd);
	t_rmtree(dir);
	free(dir);
	free(t.p);
}

Test(image, whiteouts_are_classified)
{
	char out[256];

	cr_assert_eq(mp_path_classify("./app/.wh.secret.env", false, out, sizeof out), MP_PK_WHITEOUT);
	cr_assert_str_eq(out, "app/secret.env");
	cr_assert_eq(mp_path_classify(".wh.top", false, out, sizeof out), MP_PK_WHITEOUT);
	cr_assert_str_eq(out, "top");
	cr_assert_eq(mp_path_classify("opaque/dir/.wh..wh..opq", false, out, sizeof out), MP_PK_OPAQUE);
	cr_assert_str_eq(out, "opaque/dir");
	cr_assert_eq(mp_path_classify(".wh..wh..opq", false, out, sizeof out), MP_PK_OPAQUE);
	cr_assert_str_eq(out, "");
	cr_assert_eq(mp_path_classify(".wh..wh.plnk/123", false, out, sizeof out), MP_PK_ENTRY);
	cr_assert_eq(mp_path_classify("x/.wh..wh.plnk", false, out, sizeof out), -1);
	cr_assert_eq(mp_path_classify("/etc/x/", true, out, sizeof out), MP_PK_DIR);
	cr_assert_str_eq(out, "etc/x");
	cr_assert_eq(mp_path_classify("etc/not.wh.file", false, out, sizeof out), MP_PK_ENTRY);
	cr_assert_str_eq(out, "etc/not.wh.file");
}

/* Layers from "kind:path" lines (kinds e d w o); "!" marks incomplete. */
static void layer(struct mp_layer_paths *l, const char *const *ents)
{
	memset(l, 0, sizeof *l);
	l->complete = true;
	for (size_t i = 0; ents[i]; i++) {
		if (strcmp(ents[i], "!") == 0) {
			l->complete = false;
			continue;
		}
		l->ents = realloc(l->ents, (l->n + 1) * sizeof *l->ents);
		l->ents[l->n].path = strdup(ents[i] + 2);
		l->ents[l->n].kind = ents[i][0] == 'e'	 ? MP_PK_ENTRY
				     : ents[i][0] == 'd' ? MP_PK_DIR
				     : ents[i][0] == 'w' ? MP_PK_WHITEOUT
							 : MP_PK_OPAQUE;
		l->n++;
	}
	mp_layer_paths_sort(l);
}

static void layers_free(struct mp_layer_paths *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < l[i].n; k++)
			free(l[i].ents[k].path);
		free(l[i].ents);
	}
}

Test(image, status_in_the_final_file_system)
{
	static const char *const l0[] = {"d:app", "e:app/a.env", "e:app/b.env", "d:opq", "e:opq/x/k", "e:keep",
					 "e:dir/sub/f", NULL};
	static const char *const l1[] = {"d:app", "w:app/a.env", "e:app/b.env", "o:opq", "e:opq/new", "e:dir", NULL};
	static const char *const l2[] = {"e:keep2", NULL};
	struct mp_layer_paths ls[3];
	size_t by;

	layer(&ls[0], l0);
	layer(&ls[1], l1);
	layer(&ls[2], l2);
	cr_assert_eq(mp_status_resolve(ls, 3, 0, "app/a.env", &by), MP_LS_DELETED);
	cr_assert_eq(by, 1);
	cr_assert_eq(mp_status_resolve(ls, 3, 0, "app/b.env", &by), MP_LS_OVERWRITTEN);
	cr_assert_eq(by, 1);
	cr_assert_eq(mp_status_resolve(ls, 3, 0, "opq/x/k", &by), MP_LS_DELETED);
	cr_assert_eq(mp_status_resolve(ls, 3, 0, "keep", &by), MP_LS_PRESENT);
	cr_assert_eq(by, 0);
	/* a parent directory replaced by a file */
	cr_assert_eq(mp_status_resolve(ls, 3, 0, "dir/sub/f", &by), MP_LS_OVERWRITTEN);
	/* the top layer's own files, and a name that only shares a prefix */
	cr_assert_eq(mp_status_resolve(ls, 3, 1, "app/b.env", &by), MP_LS_PRESENT);
	cr_assert_eq(mp_status_resolve(ls, 3, 1, "opq/new", &by), MP_LS_PRESENT);
	cr_assert_eq(mp_status_resolve(ls, 3, 0, "app/a.env2", &by), MP_LS_PRESENT);
	cr_assert_eq(mp_status_resolve(ls, 3, 2, "keep2", &by), MP_LS_PRESENT);
	layers_free(ls, 3);

	/* A layer above that was not read whole: unknown, unless a layer
	 * before it already decided. */
	static const char *const i1[] = {"w:gone", "!", NULL};
	static const char *const i0[] = {"e:gone", "e:stay", NULL};
	layer(&ls[0], i0);
	layer(&ls[1], i1);
	cr_assert_eq(mp_status_resolve(ls, 2, 0, "stay", &by), MP_LS_UNKNOWN);
	cr_assert_eq(mp_status_resolve(ls, 2, 0, "gone", &by), MP_LS_DELETED);
	layers_free(ls, 2);
}

Test(image, status_names)
{
	cr_assert_str_eq(mp_layer_status_name(MP_LS_PRESENT), "present");
	cr_assert_str_eq(mp_layer_status_name(MP_LS_DELETED), "deleted");
	cr_assert_str_eq(mp_layer_status_name(MP_LS_OVERWRITTEN), "overwritten");
	cr_assert_str_eq(mp_layer_status_name(MP_LS_UNKNOWN), "unknown");
	cr_assert_null(mp_layer_status_name(MP_LS_NONE));
}
