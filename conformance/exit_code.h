/* exit_code.h: the exit codes of every `conformance` subcommand (docs/reports.md, run --help). */
#ifndef AFI_CONFORMANCE_EXIT_CODE_H
#define AFI_CONFORMANCE_EXIT_CODE_H

enum exit_code {
    EXIT_CODE_OK = 0,          /* everything passed, or the command did its work */
    EXIT_CODE_FAILED = 1,      /* a case failed, an expected failure passed, a difference */
    EXIT_CODE_USAGE = 2,       /* bad usage, a fixture or file problem, a report not written */
    EXIT_CODE_UNREACHABLE = 3, /* the target did not answer (or --spawn could not start it) */
};

#endif
