/* main.c - start-up order and exit status. No scanning logic lives here. */
#include "mp_config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "run.h"

int main(int argc, char **argv)
{
	struct mp_settings s;
	int status;

	memset(&s, 0, sizeof s);
	status = mp_cli_parse(argc, argv, &s);
	if (status != 0) {
		mp_settings_free(&s);
		return MP_EXIT_ERROR;
	}
	mp_log_set_quiet(s.quiet);
	if (s.cmd == MP_CMD_SCAN && !s.no_config) {
		char *path = s.config_path ? strdup(s.config_path) : mp_config_find(&s);
		char err[600];
		if (path != NULL) {
			s.config = calloc(1, sizeof *s.config);
			if (s.config == NULL || mp_config_load(&s, s.config, path, err, sizeof err) != 0) {
				mp_log_error("%s", s.config ? err : "out of memory");
				free(path);
				mp_settings_free(&s);
				return MP_EXIT_ERROR;
			}
			free(path);
		}
	}
	switch (s.cmd) {
	case MP_CMD_HELP:
		if (!s.help_printed)
			mp_cli_help(MP_CMD_SCAN);
		status = MP_EXIT_CLEAN;
		break;
	case MP_CMD_VERSION:
		mp_cli_version();
		status = MP_EXIT_CLEAN;
		break;
	case MP_CMD_SCAN: status = mp_run_scan(&s); break;
	case MP_CMD_RULES_LIST: status = mp_run_rules_list(&s); break;
	case MP_CMD_RULES_CHECK: status = mp_run_rules_check(&s); break;
	case MP_CMD_MERGE: status = mp_run_merge(&s); break;
	}
	mp_settings_free(&s);
	return status;
}
