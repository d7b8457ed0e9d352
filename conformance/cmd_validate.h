/* cmd_validate.h: `conformance validate`: checks fixture suites and prints every problem. */
#ifndef AFI_CONFORMANCE_CMD_VALIDATE_H
#define AFI_CONFORMANCE_CMD_VALIDATE_H

/* The subcommand's entry point: argv[0] is its name; parses its own options,
 * prints its usage on --help (exit 0) and after a usage error; returns the
 * process exit code (exit_code.h). */
int cmd_validate(int argc, char **argv);

#endif
