/* cmd_coverage.h: `conformance coverage`: the requirement ids of docs/protocol.md that no case checks. */
#ifndef AFI_CONFORMANCE_CMD_COVERAGE_H
#define AFI_CONFORMANCE_CMD_COVERAGE_H

/* The subcommand's entry point: argv[0] is its name; parses its own options,
 * prints its usage on --help (exit 0) and after a usage error; returns the
 * process exit code (exit_code.h). */
int cmd_coverage(int argc, char **argv);

#endif
