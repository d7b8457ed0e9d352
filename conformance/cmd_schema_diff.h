/* cmd_schema_diff.h: `conformance schema-diff`: a target's canonical /schema against the profile's (SCH-4). */
#ifndef AFI_CONFORMANCE_CMD_SCHEMA_DIFF_H
#define AFI_CONFORMANCE_CMD_SCHEMA_DIFF_H

/* The subcommand's entry point: argv[0] is its name; parses its own options,
 * prints its usage on --help (exit 0) and after a usage error; returns the
 * process exit code (exit_code.h). */
int cmd_schema_diff(int argc, char **argv);

#endif
