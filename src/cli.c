/* cli.c - options, help and version text. */
#include "mp_config.h"

#include <archive.h>
#include <getopt.h>
#include <stdarg.h>
#include <hs/hs.h>
#include <json-c/json_c_version.h>
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cli.h"
#include "log.h"
#include "shard.h"

enum {
	OPT_RULES = 256,
	OPT_NO_DEFAULT_RULES,
	OPT_ENABLE_RULE,
	OPT_DISABLE_RULE,
	OPT_PROFILE,
	OPT_CONFIG,
	OPT_NO_CONFIG,
	OPT_FAIL_ON,
	OPT_EXIT_ZERO,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_FORMAT,
	OPT_EXCLUDE,
	OPT_MAX_FILE_SIZE,
	OPT_FOLLOW,
	OPT_ONE_FS,
	OPT_SHOW_SECRETS,
	OPT_MIN_CONFIDENCE,
	OPT_INCLUDE_TEST_VALUES,
	OPT_LIMIT,
	OPT_BINARY,
	OPT_MEDIA,
	OPT_NO_CACHE,
	OPT_CACHE_DIR,
	OPT_STAGED,
	OPT_SHARD,
	OPT_SHARD_COUNT,
	OPT_FILES_FROM,
	OPT_NULL,
	OPT_ALLOW_PARTIAL,
	OPT_BASELINE,
	OPT_WRITE_BASELINE,
	OPT_SHOW_SUPPRESSED,
	OPT_REPORT,
	OPT_REPORT_SAMPLES,
	OPT_SAMPLE,
	OPT_IMAGE,
	OPT_NO_IMAGE,
	OPT_PLATFORM,
	OPT_FINAL_ONLY,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option long_opts[] = {
	{"threads", required_argument, NULL, 'j'},
	{"rules", required_argument, NULL, OPT_RULES},
	{"no-default-rules", no_argument, NULL, OPT_NO_DEFAULT_RULES},
	{"enable-rule", required_argument, NULL, OPT_ENABLE_RULE},
	{"disable-rule", required_argument, NULL, OPT_DISABLE_RULE},
	{"profile", no_argument, NULL, OPT_PROFILE},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"no-config", no_argument, NULL, OPT_NO_CONFIG},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	{"exit-zero", no_argument, NULL, OPT_EXIT_ZERO},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"output", required_argument, NULL, 'o'},
	{"exclude", required_argument, NULL, OPT_EXCLUDE},
	{"max-file-size", required_argument, NULL, OPT_MAX_FILE_SIZE},
	{"follow-symlinks", no_argument, NULL, OPT_FOLLOW},
	{"one-file-system", no_argument, NULL, OPT_ONE_FS},
	{"show-secrets", no_argument, NULL, OPT_SHOW_SECRETS},
	{"min-confidence", required_argument, NULL, OPT_MIN_CONFIDENCE},
	{"include-test-values", no_argument, NULL, OPT_INCLUDE_TEST_VALUES},
	{"limit", required_argument, NULL, OPT_LIMIT},
	{"binary", required_argument, NULL, OPT_BINARY},
	{"media", required_argument, NULL, OPT_MEDIA},
	{"no-cache", no_argument, NULL, OPT_NO_CACHE},
	{"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
	{"staged", no_argument, NULL, OPT_STAGED},
	{"shard", required_argument, NULL, OPT_SHARD},
	{"shard-count", required_argument, NULL, OPT_SHARD_COUNT},
	{"files-from", required_argument, NULL, OPT_FILES_FROM},
	{"null", no_argument, NULL, OPT_NULL},
	{"allow-partial", no_argument, NULL, OPT_ALLOW_PARTIAL},
	{"baseline", required_argument, NULL, OPT_BASELINE},
	{"write-baseline", required_argument, NULL, OPT_WRITE_BASELINE},
	{"show-suppressed", no_argument, NULL, OPT_SHOW_SUPPRESSED},
	{"report", required_argument, NULL, OPT_REPORT},
	{"report-samples", required_argument, NULL, OPT_REPORT_SAMPLES},
	{"sample", required_argument, NULL, OPT_SAMPLE},
	{"image", no_argument, NULL, OPT_IMAGE},
	{"no-image", no_argument, NULL, OPT_NO_IMAGE},
	{"platform", required_argument, NULL, OPT_PLATFORM},
	{"final-only", no_argument, NULL, OPT_FINAL_ONLY},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

void mp_cli_version(void)
{
	printf("magpie %s\n", PACKAGE_VERSION);
	printf("Vectorscan/Hyperscan %s; PCRE2 %d.%d; %s; libmagic %d; json-c %s; libyaml %s\n", hs_version(),
	       PCRE2_MAJOR, PCRE2_MINOR, archive_version_string(), magic_version(), json_c_version(),
	       yaml_get_version_string());
}

void mp_cli_help(enum mp_command cmd)
{
	if (cmd == MP_CMD_RULES_LIST || cmd == MP_CMD_RULES_CHECK) {
		fputs("Usage: magpie rules list [--rules PATH]... [--no-default-rules] [--format "
		      "text|json|jsonl] [FILE...]\n"
		      "       magpie rules check [--rules PATH]... [FILE...]\n"
		      "\n"
		      "list   print every rule: id, category, severity, name (json adds pattern,\n"
		      "       keywords, validators, file and line)\n"
		      "check  compile the rules and run every rule's examples and negative\n"
		      "       examples through the full matcher; exit 0 when all behave, 2 otherwise\n"
		      "With FILE arguments the default rules are not loaded: the FILEs (and any\n"
		      "--rules) are, each one a source that may replace ids of the ones before.\n",
		      stdout);
		return;
	}
	fputs("Usage: magpie scan [OPTIONS] PATH...\n"
	      "       magpie scan --files-from FILE [OPTIONS] [PATH...]\n"
	      "       magpie scan --staged [OPTIONS]\n"
	      "       magpie merge [--format FMT] [--allow-partial] [-o FILE] FILE...\n"
	      "       magpie rules list|check [OPTIONS] [FILE...]\n"
	      "       magpie --help | --version\n"
	      "\n"
	      "Find secrets and personal data in files. A directory is walked, a file is\n"
	      "scanned, - reads standard input.\n"
	      "\n"
	      "Options for scan:\n"
	      "      --staged            scan what git is about to commit: the staged content\n"
	      "                          of changed files, reporting only findings on the lines\n"
	      "                          the staged diff adds (run inside a git work tree)\n"
	      "      --files-from FILE   also scan the paths listed in FILE, one a line (- reads\n"
	      "                          standard input)\n"
	      "      --null              --files-from paths end with NUL instead of newline\n"
	      "      --shard K/N         scan only shard K (from 0) of N: the objects whose path\n"
	      "                          below its scan root hashes to K; the rest is walked, never\n"
	      "                          opened\n"
	      "      --shard auto        take K/N from a Slurm job array, a Kubernetes Indexed Job\n"
	      "                          or an AWS Batch array job\n"
	      "      --shard-count N     N for --shard auto under Kubernetes or AWS Batch (else\n"
	      "                          MAGPIE_SHARD_COUNT)\n"
	      "      --baseline FILE     suppress the findings listed in FILE\n"
	      "      --write-baseline FILE  write the findings' fingerprints to FILE\n"
	      "      --show-suppressed   also write suppressed findings, marked suppressed\n"
	      "  -j, --threads N         worker threads, 1 to 1024 (default: online CPUs)\n"
	      "      --rules PATH        add a rule file or directory; a rule with the id of a\n"
	      "                          default rule replaces it (repeatable)\n"
	      "      --no-default-rules  use only the --rules files\n"
	      "      --enable-rule GLOB  use only rules whose id matches GLOB, e.g. 'pii.*'\n"
	      "                          (repeatable; a GLOB matching no rule is an error)\n"
	      "      --disable-rule GLOB do not use rules whose id matches GLOB (repeatable)\n"
	      "      --format FMT        json, jsonl, text or sarif (default: text on a terminal, else "
	      "json)\n"
	      "  -o, --output FILE       write results to FILE\n"
	      "      --exclude GLOB      skip matching paths (repeatable); a GLOB without '/'\n"
	      "                          matches names, one with '/' matches the path below the\n"
	      "                          scan root; '**' spans directories\n"
	      "      --max-file-size N   skip files larger than N bytes (K, M, G, T suffixes are\n"
	      "                          powers of 1024; 0: no limit)\n"
	      "      --follow-symlinks   follow symbolic links (loops are detected)\n"
	      "      --one-file-system   do not cross into other file systems\n"
	      "      --show-secrets      print secrets in full (redacted by default)\n"
	      "      --min-confidence C  report only findings of confidence C or higher\n"
	      "                          (low, medium, high; default low: everything)\n"
	      "      --include-test-values  also report documented example values (AWS's\n"
	      "                          AKIAIOSFODNN7EXAMPLE, test card numbers), marked test_value\n"
	      "      --image             read each PATH as a container image (docker save\n"
	      "                          tarball, OCI layout); by default one is recognised\n"
	      "      --no-image          never: an image tarball is scanned as a plain tar\n"
	      "      --platform P        only this platform of a multi-platform image,\n"
	      "                          os/arch[/variant], e.g. linux/arm64 (default: all)\n"
	      "      --final-only        of an image's layer files, report only those still\n"
	      "                          present in its final file system\n"
	      "      --binary MODE       binary content: secrets (default: every rule but\n"
	      "                          personal data), all, or skip (counted)\n"
	      "      --media MODE        images, audio, video: skip (default, counted) or scan\n"
	      "                          (as binary content)\n"
	      "      --limit NAME=VALUE  change a named limit (below)\n"
	      "      --no-cache          neither read nor write the compiled-rules cache\n"
	      "      --cache-dir DIR     cache directory (default: $XDG_CACHE_HOME/magpie)\n"
	      "  -q, --quiet             no notices on stderr, no text summary\n"
	      "      --profile           print each rule's cost (hits, time) on stderr at the end\n"
	      "      --config FILE       read FILE instead of the .magpie.yml at the scan root or\n"
	      "                          the git work tree's top\n"
	      "      --no-config         read no .magpie.yml\n"
	      "      --fail-on SEV       exit 1 only for findings of severity SEV or above\n"
	      "                          (info, low, medium, high, critical; default info)\n"
	      "      --exit-zero         exit 0 whatever was found (2 still means an error)\n"
	      "      --report WHAT       objects: a record per object with findings (counts per\n"
	      "                          rule and data class, score, sample locations) and the\n"
	      "                          per-bucket rollup; buckets: the rollup only\n"
	      "      --report-samples N  sample locations per object record, 0 to 1000\n"
	      "                          (default 15)\n"
	      "      --sample FRACTION   scan a deterministic sample of the objects under each\n"
	      "                          root (0 < FRACTION <= 1, or a percentage: 5%%) and\n"
	      "                          estimate the whole\n"
	      "      --progress          a progress line on stderr (default: when stderr is a\n"
	      "                          terminal, the results go elsewhere and -q is not\n"
	      "                          given); --no-progress: none\n"
	      "\n"
	      "Limits (--limit NAME=VALUE):\n",
	      stdout);
	for (int i = 0; i < MP_CAP__COUNT; i++)
		printf("  %-20s %s (default %llu)\n", mp_cap_defs[i].name, mp_cap_defs[i].help,
		       (unsigned long long)mp_cap_defs[i].def);
	fputs("\nExit status: 0 nothing found, 1 findings, 2 usage or fatal error.\n"
	      "See magpie(1), doc/output.md and doc/rules.md.\n",
	      stdout);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	mp_log_error("%s (see 'magpie --help')", msg);
	return 2;
}

static int push_str(char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (nv == NULL)
		return -1;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static const char *real_getenv(const char *name, void *ctx)
{
	(void)ctx;
	return getenv(name);
}

int mp_cli_parse(int argc, char **argv, struct mp_settings *s)
{
	char err[512];
	const char *shard_arg = NULL;
	uint32_t shard_count = 0;
	int c, first;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	s->threads = ncpu > 0 ? (unsigned)(ncpu > 1024 ? 1024 : ncpu) : 1;
	s->progress = -1;
	s->report_samples = 15;
	s->image = -1;
	s->format = MP_FMT_JSON;
	mp_caps_defaults(s->caps);

	if (argc < 2)
		return usage_error("%s", "no command given");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		s->cmd = MP_CMD_HELP;
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		s->cmd = MP_CMD_VERSION;
		return 0;
	}
	if (strcmp(argv[1], "scan") == 0) {
		s->cmd = MP_CMD_SCAN;
		first = 2;
	} else if (strcmp(argv[1], "merge") == 0) {
		s->cmd = MP_CMD_MERGE;
		first = 2;
	} else if (strcmp(argv[1], "rules") == 0) {
		if (argc < 3 || (strcmp(argv[2], "list") != 0 && strcmp(argv[2], "check") != 0)) {
			if (argc >= 3 && strcmp(argv[2], "--help") == 0) {
				mp_cli_help(MP_CMD_RULES_LIST);
				s->cmd = MP_CMD_HELP;
				s->help_printed = true;
				return 0;
			}
			return usage_error("%s", "'rules' takes 'list' or 'check'");
		}
		s->cmd = strcmp(argv[2], "list") == 0 ? MP_CMD_RULES_LIST : MP_CMD_RULES_CHECK;
		first = 3;
	} else {
		return usage_error("unknown command '%s'", argv[1]);
	}

	optind = first;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":j:o:q", long_opts, NULL)) != -1) {
		switch (c) {
		case 'j': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 || v > 1024)
				return usage_error("--threads takes a number from 1 to 1024, got '%s'",
						   optarg);
			s->threads = (unsigned)v;
			break;
		}
		case OPT_RULES:
			if (push_str(&s->rule_paths, &s->nrule_paths, optarg) != 0)
				return usage_error("%s", "out of memory");
			break;
		case OPT_NO_DEFAULT_RULES: s->no_default_rules = true; break;
		case OPT_ENABLE_RULE:
			if (push_str(&s->enable_rules, &s->nenable_rules, optarg) != 0)
				return usage_error("%s", "out of memory");
			break;
		case OPT_DISABLE_RULE:
			if (push_str(&s->disable_rules, &s->ndisable_rules, optarg) != 0)
				return usage_error("%s", "out of memory");
			break;
		case OPT_PROFILE: s->profile = true; break;
		case OPT_CONFIG: s->config_path = optarg; break;
		case OPT_NO_CONFIG: s->no_config = true; break;
		case OPT_FAIL_ON:
			if (mp_severity_parse(optarg, &s->fail_on) != 0)
				return usage_error(
					"--fail-on takes info, low, medium, high or critical, got '%s'",
					optarg);
			break;
		case OPT_EXIT_ZERO: s->exit_zero = true; break;
		case OPT_PROGRESS: s->progress = 1; break;
		case OPT_NO_PROGRESS: s->progress = 0; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "json") == 0)
				s->format = MP_FMT_JSON;
			else if (strcmp(optarg, "jsonl") == 0)
				s->format = MP_FMT_JSONL;
			else if (strcmp(optarg, "text") == 0)
				s->format = MP_FMT_TEXT;
			else if (strcmp(optarg, "sarif") == 0)
				s->format = MP_FMT_SARIF;
			else
				return usage_error("--format takes json, jsonl, text or sarif, got '%s'",
						   optarg);
			s->format_set = true;
			break;
		case 'o': s->output = optarg; break;
		case OPT_EXCLUDE:
			if (mp_ignore_add(&s->ignore, optarg) != 0)
				return usage_error("%s", "out of memory");
			break;
		case OPT_MAX_FILE_SIZE:
			s->caps_from_cli[MP_CAP_FILE_SIZE] = true;
			if (mp_caps_set_one(s->caps, MP_CAP_FILE_SIZE, optarg, err, sizeof err) != 0)
				return usage_error("--max-file-size: %s", err);
			break;
		case OPT_FOLLOW: s->follow_symlinks = true; break;
		case OPT_ONE_FS: s->one_file_system = true; break;
		case OPT_SHOW_SECRETS: s->show_secrets = true; break;
		case OPT_INCLUDE_TEST_VALUES: s->include_test_values = true; break;
		case OPT_MIN_CONFIDENCE:
			if (mp_confidence_parse(optarg, &s->min_confidence) != 0)
				return usage_error("--min-confidence takes low, medium or high, got '%s'",
						   optarg);
			break;
		case OPT_BINARY:
			if (strcmp(optarg, "secrets") == 0)
				s->binary = MP_BIN_SECRETS;
			else if (strcmp(optarg, "all") == 0)
				s->binary = MP_BIN_ALL;
			else if (strcmp(optarg, "skip") == 0)
				s->binary = MP_BIN_SKIP;
			else
				return usage_error("--binary takes secrets, all or skip, got '%s'", optarg);
			break;
		case OPT_MEDIA:
			if (strcmp(optarg, "skip") == 0)
				s->scan_media = false;
			else if (strcmp(optarg, "scan") == 0)
				s->scan_media = true;
			else
				return usage_error("--media takes skip or scan, got '%s'", optarg);
			break;
		case OPT_LIMIT:
			for (int i = 0; i < MP_CAP__COUNT; i++) {
				size_t nl = strlen(mp_cap_defs[i].name);
				if (strncmp(optarg, mp_cap_defs[i].name, nl) == 0 && optarg[nl] == '=')
					s->caps_from_cli[i] = true;
			}
			if (mp_caps_set(s->caps, optarg, err, sizeof err) != 0)
				return usage_error("--limit: %s", err);
			break;
		case OPT_NO_CACHE: s->no_cache = true; break;
		case OPT_CACHE_DIR: s->cache_dir = optarg; break;
		case 'q': s->quiet = true; break;
		case OPT_STAGED: s->staged = true; break;
		case OPT_SHARD: shard_arg = optarg; break;
		case OPT_SHARD_COUNT:
			if (mp_shard_count_parse(optarg, &shard_count) != 0)
				return usage_error("--shard-count takes a count from 1 to %u, got '%s'",
						   MP_SHARD_MAX, optarg);
			break;
		case OPT_FILES_FROM: s->files_from = optarg; break;
		case OPT_NULL: s->files_from_null = true; break;
		case OPT_ALLOW_PARTIAL: s->allow_partial = true; break;
		case OPT_BASELINE: s->baseline = optarg; break;
		case OPT_WRITE_BASELINE: s->write_baseline = optarg; break;
		case OPT_SHOW_SUPPRESSED: s->show_suppressed = true; break;
		case OPT_REPORT: {
			/* A comma-separated list: objects, buckets. */
			const char *p = optarg;
			while (*p) {
				size_t n = strcspn(p, ",");
				if (n == 7 && strncmp(p, "objects", 7) == 0)
					s->report_objects = s->report_buckets = true;
				else if (n == 7 && strncmp(p, "buckets", 7) == 0)
					s->report_buckets = true;
				else
					return usage_error("--report takes objects or buckets, got '%s'",
							   optarg);
				p += n + (p[n] == ',');
			}
			break;
		}
		case OPT_REPORT_SAMPLES: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 0 || v > 1000)
				return usage_error("--report-samples takes a number from 0 to 1000, got '%s'",
						   optarg);
			s->report_samples = (size_t)v;
			break;
		}
		case OPT_SAMPLE: {
			char *end;
			double v = strtod(optarg, &end);
			if (end != optarg && *end == '%' && end[1] == '\0') {
				v /= 100;
				end++;
			}
			if (end == optarg || *end != '\0' || !(v > 0 && v <= 1))
				return usage_error("--sample takes a fraction above 0 and at most 1 (or a "
						   "percentage), got '%s'",
						   optarg);
			s->sample = v;
			break;
		}
		case OPT_IMAGE: s->image = 1; break;
		case OPT_NO_IMAGE: s->image = 0; break;
		case OPT_PLATFORM: {
			/* two or three non-empty words between slashes */
			size_t slashes = 0, len = strlen(optarg);
			bool empty = len == 0 || optarg[0] == '/' || optarg[len - 1] == '/' ||
				     strstr(optarg, "//") != NULL;
			for (const char *p = optarg; *p; p++)
				slashes += *p == '/';
			if (empty || slashes < 1 || slashes > 2)
				return usage_error("--platform takes os/arch[/variant], got '%s'", optarg);
			s->platform = optarg;
			break;
		}
		case OPT_FINAL_ONLY: s->final_only = true; break;
		case OPT_HELP:
			mp_cli_help(s->cmd);
			s->cmd = MP_CMD_HELP;
			s->help_printed = true;
			return 0;
		case OPT_VERSION: s->cmd = MP_CMD_VERSION; return 0;
		case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++)
		if (push_str(&s->paths, &s->npaths, argv[i]) != 0)
			return usage_error("%s", "out of memory");
	if (s->cmd == MP_CMD_SCAN && s->staged && s->npaths > 0)
		return usage_error("%s", "scan --staged takes no PATH");
	if (s->cmd == MP_CMD_MERGE && (s->staged || s->files_from || shard_arg))
		return usage_error("%s", "merge takes FILEs, not --staged, --files-from or --shard");
	if (s->cmd == MP_CMD_MERGE && s->npaths == 0)
		return usage_error("%s", "merge: no FILE given (the json or jsonl outputs of the shards)");
	if (s->allow_partial && s->cmd != MP_CMD_MERGE)
		return usage_error("%s", "--allow-partial goes with merge");
	if (s->cmd == MP_CMD_SCAN && s->staged && (s->files_from || shard_arg))
		return usage_error("%s", "scan --staged takes neither --files-from nor --shard");
	if (s->files_from_null && s->files_from == NULL)
		return usage_error("%s", "--null goes with --files-from");
	if (shard_count != 0 && (shard_arg == NULL || strcmp(shard_arg, "auto") != 0))
		return usage_error("%s", "--shard-count goes with --shard auto");
	if (shard_arg != NULL && strcmp(shard_arg, "auto") == 0) {
		if (mp_shard_from_env(real_getenv, NULL, shard_count, &s->shard_k, &s->shard_n,
				      &s->shard_source, err, sizeof err) != 0)
			return usage_error("%s", err);
	} else if (shard_arg != NULL) {
		if (mp_shard_parse(shard_arg, &s->shard_k, &s->shard_n, err, sizeof err) != 0)
			return usage_error("%s", err);
		s->shard_source = "option";
	}
	if (s->files_from != NULL && strcmp(s->files_from, "-") == 0)
		for (size_t i = 0; i < s->npaths; i++)
			if (strcmp(s->paths[i], "-") == 0)
				return usage_error("%s",
						   "standard input cannot be both --files-from and a PATH");
	if (s->cmd == MP_CMD_SCAN && !s->staged && s->npaths == 0 && s->files_from == NULL)
		return usage_error("%s",
				   "scan: no PATH given (use . for the current directory, - for stdin)");
	if (s->caps[MP_CAP_SEGMENT_SIZE] < 4 * s->caps[MP_CAP_MATCH_WIDTH])
		return usage_error("%s", "--limit: segment-size must be at least 4 times match-width");
	return 0;
}
