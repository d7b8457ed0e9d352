/* rx.h: POSIX extended regular expressions compiled once per pattern, shared by threads. */
#ifndef AFI_CONFORMANCE_RX_H
#define AFI_CONFORMANCE_RX_H

#include <stddef.h>

/* 1 when s matches pattern (a search: anchor it yourself), 0 when not, -1 when
 * the pattern does not compile (message in err). Compiled patterns are cached
 * for the life of the process; safe to call from several threads. */
int rx_search(const char *pattern, const char *s, char *err, size_t errlen);

#endif
