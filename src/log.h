/* log.h - one-line messages on stderr, safe from any thread. */
#ifndef MP_LOG_H
#define MP_LOG_H

#include <stddef.h>

/* Suppress warnings and notices (errors still print). Call before threads start. */
void mp_log_set_quiet(int quiet);

/* "magpie: " + formatted message + newline, written with one call. */
void mp_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like mp_log_error but silenced by -q. */
void mp_log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Thread-safe strerror: returns a pointer into buf or a static string. */
const char *mp_strerror(int err, char *buf, size_t len);

#endif
