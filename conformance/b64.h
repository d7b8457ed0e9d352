/* b64.h: base64 (standard, for fixture bodies) and base64url (for JWT parts). */
#ifndef AFI_CONFORMANCE_B64_H
#define AFI_CONFORMANCE_B64_H

#include <stddef.h>

/* Decodes standard or URL-safe base64, padding optional. Returns a malloc'd
 * buffer (NUL-terminated for convenience; *outlen excludes it) or NULL when s
 * is not base64. */
unsigned char *b64_decode(const char *s, size_t *outlen);

/* base64url without padding of buf[0..len). Caller frees. */
char *b64_url_encode(const void *buf, size_t len);

#endif
