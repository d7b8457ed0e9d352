/* cmd_run.h: `conformance run`: replays the suites against a target, prints the results, writes the reports. */
#ifndef AFI_CONFORMANCE_CMD_RUN_H
#define AFI_CONFORMANCE_CMD_RUN_H

/* The subcommand's entry point: argv[0] is its name; parses its own options,
 * prints its usage on --help (exit 0) and after a usage error; returns the
 * process exit code (exit_code.h). */
int cmd_run(int argc, char **argv);

#endif
