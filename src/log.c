/* log.c - stderr messages. */
#include "mp_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static int quiet;

void mp_log_set_quiet(int q)
{
	quiet = q;
}

static void vlog(const char *fmt, va_list ap)
{
	char line[4096];
	int n = snprintf(line, sizeof line, "magpie: ");

	vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	/* One fputs of one line: stdio locks the stream, so lines never interleave. */
	size_t len = strlen(line);
	line[len] = '\n';
	line[len + 1] = '\0';
	fputs(line, stderr);
}

void mp_log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void mp_log_notice(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

const char *mp_strerror(int err, char *buf, size_t len)
{
	/* _GNU_SOURCE is on (AC_USE_SYSTEM_EXTENSIONS): the GNU variant. */
	return strerror_r(err, buf, len);
}
