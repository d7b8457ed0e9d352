/* file.h: the one whole-file reader of the runner (suites, schemas, reports). */
#ifndef AFI_CONFORMANCE_FILE_H
#define AFI_CONFORMANCE_FILE_H

#include <stddef.h>

/* The whole file at path, NUL-terminated (*len excludes the NUL; the file may
 * hold NUL bytes of its own). Caller frees. NULL when it cannot be opened or
 * read, with "cannot open: REASON" or "cannot read: REASON" in err (the
 * caller names the file). */
char *file_read(const char *path, size_t *len, char *err, size_t errlen);

#endif
