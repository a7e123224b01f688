/* cli.h - argv to settings. */
#ifndef MP_CLI_H
#define MP_CLI_H

#include "settings.h"

/* Parse argv into s (zeroed by the caller). Returns 0, or 2 after printing
 * a one-line usage error. --help and --version set s->cmd. */
int mp_cli_parse(int argc, char **argv, struct mp_settings *s);

/* Help text for a command, to stdout. */
void mp_cli_help(enum mp_command cmd);
void mp_cli_version(void);

#endif
