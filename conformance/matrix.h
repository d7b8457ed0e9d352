/* matrix.h: the `conformance matrix` subcommand, several implementations side by side. */
#ifndef AFI_CONFORMANCE_MATRIX_H
#define AFI_CONFORMANCE_MATRIX_H

/* Entry point of `conformance matrix REPORT.json... --html OUT [--md OUT]`:
 * parses its own options (argv[0] is "matrix"), prints its own usage on --help,
 * returns the process exit code (0 written, 2 usage or unreadable report). */
int matrix_main(int argc, char **argv);

#endif
