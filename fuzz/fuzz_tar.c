/* fuzz_tar.c - libFuzzer target: the image reader's tar header parser
 * (mp_tar_index) on arbitrary bytes, through a memfd as magpie reads a
 * file. Every member it returns must start inside the input (its declared
 * size may run past the end: the layer is then truncated, which the reader
 * reports). Build:
 * fuzz/README. */
#define _GNU_SOURCE
#include "mp_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_tar_member *m = NULL;
	size_t n = 0;
	char err[256];
	int fd = memfd_create("tar", 0);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	mp_tar_index(fd, size, 1000, &m, &n, err, sizeof err);
	for (size_t i = 0; i < n; i++)
		if (m[i].name == NULL || m[i].offset > size)
			abort();
	mp_tar_members_free(m, n);
	close(fd);
	return 0;
}
