/* settings.h - what the command line asked for. Filled by cli.c, then frozen. */
#ifndef MP_SETTINGS_H
#define MP_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "caps.h"
#include "ignore.h"
#include "report.h"
#include "rules.h"
#include "scan.h"

enum mp_command {
	MP_CMD_SCAN,
	MP_CMD_RULES_LIST,
	MP_CMD_RULES_CHECK,
	MP_CMD_MERGE,
	MP_CMD_HELP,
	MP_CMD_VERSION
};

struct mp_settings {
	enum mp_command cmd;
	bool help_printed; /* --help already wrote its text */
	char **paths;      /* scan roots, or rule files for `rules check` */
	size_t npaths;
	char **rule_paths; /* --rules, in order */
	size_t nrule_paths;
	bool no_default_rules;
	char **enable_rules; /* --enable-rule globs */
	size_t nenable_rules;
	char **disable_rules; /* --disable-rule globs */
	size_t ndisable_rules;
	bool profile;             /* --profile: per-rule cost on stderr */
	enum mp_severity fail_on; /* --fail-on: lowest severity that makes the exit status 1 */
	bool exit_zero;           /* --exit-zero: findings never change the exit status */
	int progress;             /* --progress 1, --no-progress 0, default -1: when stderr is a terminal */
	unsigned threads;         /* workers; >= 1 */
	enum mp_format format;
	bool format_set;         /* --format given */
	const char *output;      /* -o; NULL = stdout */
	struct mp_ignore ignore; /* --exclude */
	bool follow_symlinks;
	bool one_file_system;
	bool show_secrets;
	enum mp_confidence min_confidence; /* --min-confidence; 0 = report all */
	bool include_test_values;          /* --include-test-values */
	enum mp_binary_mode binary;        /* --binary */
	bool scan_media;                   /* --media=scan */
	bool quiet;
	bool report_objects;       /* --report objects: object records (and the bucket rollup) */
	bool report_buckets;       /* --report buckets (or objects): bucket records */
	size_t report_samples;     /* --report-samples: sample locations per object record */
	double sample;             /* --sample: the fraction of objects scanned; 0 = all */
	bool staged;               /* --staged: the git index's added lines */
	uint32_t shard_k, shard_n; /* --shard: this run is shard k of n; n == 0: not sharded */
	const char
		*shard_source;  /* where the shard came from: "option", "slurm", "kubernetes", "aws-batch" */
	const char *files_from; /* --files-from FILE ("-": standard input), or NULL */
	bool files_from_null;   /* --null: its paths end with NUL, not newline */
	bool allow_partial;     /* merge --allow-partial: shards may be missing */
	const char *baseline;   /* --baseline FILE, or NULL */
	const char *write_baseline; /* --write-baseline FILE, or NULL */
	bool show_suppressed;       /* --show-suppressed */
	int image;                  /* --image 1, --no-image 0, default -1: detect container images */
	const char *platform;       /* --platform os/arch[/variant], or NULL: every platform */
	bool final_only;            /* --final-only: only image findings still present */
	bool no_cache;
	const char *cache_dir; /* --cache-dir; NULL = default */
	uint64_t caps[MP_CAP__COUNT];
	bool caps_from_cli[MP_CAP__COUNT]; /* set by --limit or --max-file-size: the config file leaves it */
	const char *config_path;           /* --config FILE */
	bool no_config;                    /* --no-config */
	struct mp_config *config;          /* the .magpie.yml in use, or NULL (owned) */
};

void mp_settings_free(struct mp_settings *s);

#endif
