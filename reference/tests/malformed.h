/* Test helper: the gate's list of malformed requests (ROB-1), each a whole
 * request that frame.c must refuse. Static data, owned here. */
#ifndef AFI_TEST_MALFORMED_H
#define AFI_TEST_MALFORMED_H

#include <stddef.h>

struct malformed {
	const char *name;
	const char *head;	/* may hold NUL bytes: use len */
	size_t len;
};

extern const struct malformed malformed[];
extern const size_t malformed_count;

#endif
