/* budget.h - the limits on one top-level input and on what it unpacks to.
 *
 * A budget is started for each file (or standard input) a worker takes, and
 * charged as bytes are read from the input and unpacked from the archives
 * and compressed streams inside it. mp_budget_check is the one place that
 * decides whether the input must stop, and says which limit stopped it:
 *
 *   expanded-size      bytes unpacked, summed over every nesting level
 *   compression-ratio  unpacked / read, once more than ratio-grace bytes
 *                      were unpacked (so a bomb stops after ratio-grace
 *                      bytes, not after inflating)
 *   input-time         wall-clock seconds since the input was started
 *
 * The per-archive and per-member limits (archive-depth, archive-entries,
 * member-size) are plain comparisons, kept here so that every limit is
 * decided in one file.
 *
 * A budget belongs to the worker that started it; the functions are pure
 * (time is passed in) and need no lock.
 */
#ifndef MP_BUDGET_H
#define MP_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "caps.h"

struct mp_budget {
	const uint64_t *caps; /* borrowed: MP_CAP__COUNT values, outlive the budget */
	uint64_t input;       /* bytes read from the input itself */
	uint64_t expanded;    /* bytes unpacked, at every nesting level */
	uint64_t start_ns;    /* CLOCK_MONOTONIC at the start */
	uint64_t deadline_ns; /* input-time: stop at or after this; 0 = never */
	enum mp_cap stop;     /* the limit that stopped the input, MP_CAP__COUNT while none */
};

/* Start a budget at now_ns (CLOCK_MONOTONIC nanoseconds). */
void mp_budget_start(struct mp_budget *b, const uint64_t *caps, uint64_t now_ns);

/* Count n bytes read from the input, or n bytes unpacked. */
void mp_budget_read(struct mp_budget *b, uint64_t n);
void mp_budget_unpacked(struct mp_budget *b, uint64_t n);

/* How many of `want` bytes may still be unpacked under expanded-size. 0 means
 * the limit is reached: if the data goes on, call mp_budget_stop with
 * MP_CAP_EXPANDED_SIZE. */
uint64_t mp_budget_room(const struct mp_budget *b, uint64_t want);

/* Check expanded-size, compression-ratio and input-time at now_ns. Returns
 * the first one exceeded (recording it in b->stop), b->stop when already
 * stopped, or MP_CAP__COUNT while the input may go on. */
enum mp_cap mp_budget_check(struct mp_budget *b, uint64_t now_ns);

/* Stop the input for cap (the first stop is kept). */
void mp_budget_stop(struct mp_budget *b, enum mp_cap cap);

/* True once the input was stopped. */
bool mp_budget_stopped(const struct mp_budget *b);

/* The notice message for b->stop: the limit, its value, and how much was
 * read and unpacked. */
void mp_budget_describe(const struct mp_budget *b, char *out, size_t outlen);

/* May an archive or compressed stream found `depth` levels down (0: the
 * input itself) be opened under archive-depth? */
bool mp_budget_may_open(const uint64_t *caps, unsigned depth);

/* How many of `want` bytes of a member that already gave `done` bytes may
 * still be scanned under member-size (want when there is no limit). */
uint64_t mp_budget_member_room(const uint64_t *caps, uint64_t done, uint64_t want);

/* May an archive that gave `entries` entries so far give one more? */
bool mp_budget_entry_ok(const uint64_t *caps, uint64_t entries);

#endif
