/* cmd_list.h: `conformance list`: the cases of the suites, one a line. */
#ifndef AFI_CONFORMANCE_CMD_LIST_H
#define AFI_CONFORMANCE_CMD_LIST_H

/* The subcommand's entry point: argv[0] is its name; parses its own options,
 * prints its usage on --help (exit 0) and after a usage error; returns the
 * process exit code (exit_code.h). */
int cmd_list(int argc, char **argv);

#endif
