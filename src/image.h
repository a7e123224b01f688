/* image.h - container images (docker save tarballs, OCI image layouts)
 * scanned layer by layer, without a daemon and without unpacking to disk.
 *
 * The main thread looks at each scan root (mp_image_root). An image is read
 * from its index, manifest and config (json-c) and becomes work items: one
 * for the config's fields and one per layer, scanned in parallel by any
 * worker (a layer of an uncompressed tar is read with pread at its offset;
 * a layer of an OCI directory is its own file). A gzip-compressed tarball
 * cannot be seeked: it is one item, read twice in order by one worker.
 *
 * While a layer streams through the unpacker, its blob is hashed (SHA-256)
 * and the entries of its tar are recorded (paths, whiteouts). Findings and
 * notices of an image are held (mp_image_hold_*) instead of written; the
 * worker that finishes the image's last item gives each finding its status
 * in the final file system (present, deleted, overwritten) and writes every
 * held record, sorted by (layer, chain, offset, rule), so that any number
 * of threads writes the same bytes.
 *
 * Limits (caps.h): image-metadata (bytes of one JSON document), image-paths
 * (entries recorded per image), image-findings (records held per image).
 */
#ifndef MP_IMAGE_H
#define MP_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "pathhash.h"
#include "queue.h"
#include "stats.h"
#include "scan.h"
#include "unpack.h"

/* A layer file's state in the image's final file system. */
enum mp_layer_status {
	MP_LS_NONE,        /* not resolved (not a layer file, or not yet) */
	MP_LS_PRESENT,     /* no later layer touches it */
	MP_LS_DELETED,     /* a later layer's whiteout (.wh.NAME or .wh..wh..opq) removes it */
	MP_LS_OVERWRITTEN, /* a later layer puts something else at its path (or a parent's) */
	MP_LS_UNKNOWN      /* a later layer could not be read whole (or image-paths was reached) */
};

const char *mp_layer_status_name(enum mp_layer_status s);

/* The image context of a location (mp_loc.image). Strings are borrowed from
 * the image and valid while its records are formatted; NULL when unknown. */
struct mp_image_ref {
	const char *const *repo_tags; /* ntags tags, e.g. "app:1.2" */
	size_t ntags;
	const char *platform;        /* "os/arch[/variant]" */
	const char *manifest_digest; /* "sha256:<hex>" of the manifest (OCI) */
	const char *config_digest;   /* "sha256:<hex>" of the config */
	unsigned layer;              /* 1 for the base layer, 2 above it ...; 0: not in a layer */
	const char *layer_digest;    /* the blob's digest */
	const char *diff_id;         /* digest of the uncompressed layer (config rootfs.diff_ids) */
	const char *media_type;      /* the manifest's media type for the layer */
	const char *created_by;      /* the history entry that made the layer */
	enum mp_layer_status status; /* set only on records being written */
	unsigned status_layer;       /* the layer that deleted or overwrote it; 0: none */
	void *hold;                  /* image.c's: records at this location are held */
};

/* What mp_image_root needs from the run. */
struct mp_image_opts {
	const uint64_t *caps; /* the engine's limits */
	int mode;             /* 1 --image (force), 0 --no-image, -1 detect */
	const char *platform; /* --platform os/arch[/variant], or NULL: every platform */
	struct mp_queue *queue;
	/* --shard and --sample: an image is one object, taken or not by the
	 * hash of its root's base name (as a file given as a root). NULL: all. */
	const struct mp_select *select;
	struct mp_stats *stats; /* skipped_shard, skipped_sample (main thread's) */
	/* A notice not tied to one image (written at once). Main thread. */
	void (*notice)(void *ctx, const struct mp_loc *loc, const char *kind, const char *message);
	void *ctx;
};

/* Main thread: if root is a container image (or --image asks for one),
 * queue its items and return 1; return 0 when it is to be walked or
 * scanned as usual. Items are struct mp_item with .image set. */
int mp_image_root(const struct mp_image_opts *o, const char *root);

/* One queued unit of image work. */
struct mp_image_job;

/* How held records leave, on the thread that finishes an image. */
struct mp_image_out {
	void (*finding)(void *ctx, const struct mp_loc *loc, const struct mp_finding *f);
	void (*notice)(void *ctx, const struct mp_loc *loc, const char *kind, const char *message);
	void *ctx;
};

/* Worker: run job j with this worker's unpacker and scanner (findings and
 * notices reach the worker's emitter, whose callbacks hold them through
 * mp_image_hold_*), then free j. The worker that completes an image writes
 * its records through out. counts gets what was read. Returns true when
 * the job stands for a file in the summary (the image itself). */
bool mp_image_job_run(struct mp_image_job *j, const struct mp_engine *e, struct mp_unpacker *u,
		      struct mp_scanner *s, const struct mp_image_out *out, struct mp_unpack_counts *counts);
/* Free a job that will not run (the queue was closed). Accepts NULL. */
void mp_image_job_free(struct mp_image_job *j);

/* Is a record at loc to be held rather than written? */
static inline bool mp_image_holds(const struct mp_loc *loc)
{
	return loc->image != NULL && loc->image->hold != NULL;
}
/* Keep a copy of a finding (mp_image_holds(loc)). Returns false when the
 * image-findings limit was reached: the finding is then only counted by the
 * caller (a notice is held once). Thread-safe across an image's items. */
bool mp_image_hold_finding(const struct mp_loc *loc, const struct mp_finding *f);
/* Keep a copy of a notice (mp_image_holds(loc)). */
void mp_image_hold_notice(const struct mp_loc *loc, const char *kind, const char *message);

/* ---- exposed for the unit tests ---- */

/* Members of an uncompressed tar, from its headers alone (ustar, GNU long
 * names, pax path records). */
struct mp_tar_member {
	char *name;      /* normalized: no leading "./" or "/" */
	uint64_t offset; /* of the data */
	uint64_t size;   /* as the header declares it */
	bool regular;
};
/* Read the member list of the tar in fd (size bytes) with pread, at most
 * max members. Returns 0 with *out and *n (free with mp_tar_members_free), or -1
 * with a reason in err (the members read before are still returned). */
int mp_tar_index(int fd, uint64_t size, uint64_t max, struct mp_tar_member **out, size_t *n, char *err,
		 size_t errlen);
void mp_tar_members_free(struct mp_tar_member *m, size_t n);

/* A layer's entry, as the status resolution sees it. */
enum mp_path_kind {
	MP_PK_ENTRY,    /* a file, link or device at the path */
	MP_PK_DIR,      /* a directory at the path */
	MP_PK_WHITEOUT, /* .wh.NAME: the path is deleted */
	MP_PK_OPAQUE    /* .wh..wh..opq: lower layers' content below the path is hidden */
};
/* Classify a tar entry name: writes the normalized path it concerns into out
 * (at most outlen - 1 bytes) and returns its kind; -1 for a name to ignore
 * (other .wh..wh. entries). */
int mp_path_classify(const char *name, bool is_dir, char *out, size_t outlen);

/* One layer's recorded entries, for mp_status_resolve. */
struct mp_layer_paths {
	struct mp_path_ent {
		char *path;
		enum mp_path_kind kind;
	} * ents; /* sorted by (path, kind) */
	size_t n, cap;
	bool complete; /* every entry was recorded */
};
/* Sort ents (after recording). */
void mp_layer_paths_sort(struct mp_layer_paths *l);
/* The status of path (normalized) of layer `layer` (0-based index into
 * layers[0..n)), and in *by the 0-based index of the layer that changed it. */
enum mp_layer_status mp_status_resolve(const struct mp_layer_paths *layers, size_t n, size_t layer,
				       const char *path, size_t *by);

#endif
