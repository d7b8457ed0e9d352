/* env2.h: the protocol's error codes and the one status each goes with (ENV-2),
 * shared by the run-wide check and the fixtures' `error` shorthand. */
#ifndef AFI_CONFORMANCE_ENV2_H
#define AFI_CONFORMANCE_ENV2_H

/* The status ENV-2 gives code, or 0 when code is not an error code of the protocol. */
long env2_status(const char *code);

#endif
