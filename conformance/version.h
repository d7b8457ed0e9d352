/* version.h: the versions `conformance --version` prints and every JSON report carries. */
#ifndef AFI_CONFORMANCE_VERSION_H
#define AFI_CONFORMANCE_VERSION_H

/* The version of docs/protocol.md this suite checks. */
#define AFI_PROTOCOL_VERSION "1"

/* The tool's own version, from the file VERSION (the Makefile passes it). */
#ifndef AFI_TOOL_VERSION
#error "AFI_TOOL_VERSION is set by the Makefile from the file VERSION"
#endif

#endif
