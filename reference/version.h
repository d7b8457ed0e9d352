/* version.h: the versions `reference-server --version` prints and /health and /schema announce. */
#ifndef AFI_REFERENCE_VERSION_H
#define AFI_REFERENCE_VERSION_H

/* The version of docs/protocol.md this server implements. */
#define AFI_PROTOCOL_VERSION "1"

/* The tool's own version, from the file VERSION (the Makefile passes it). */
#ifndef AFI_TOOL_VERSION
#error "AFI_TOOL_VERSION is set by the Makefile from the file VERSION"
#endif

#endif
