/* Context bundles (CTX-2..CTX-5): every member's result for one viewer, under
 * a strong ETag keyed per viewer. */
#ifndef AFI_BUNDLE_H
#define AFI_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "profile.h"
#include "registry.h"
#include "store.h"

/* A quoted ETag: '"' + 32 hex digits + '"' + NUL. */
#define BUNDLE_ETAG_SIZE 35

/* Derives the 16-byte ETag key from the secret. */
void bundle_key(const unsigned char *secret, size_t len, uint8_t key[16]);

/* Computes ctx's bundle for viewer (NULL: anonymous). On success returns 0,
 * *body is a malloc'd {"context":..,"data":{..}} (caller frees) and etag is
 * set. On failure returns -1 with failure->code/message/internal set by the
 * failing member (or an internal error). */
int bundle_build(const struct registry_context *ctx, const struct auth_viewer *viewer, struct store *store,
		 const uint8_t key[16], char **body, size_t *len, char etag[BUNDLE_ETAG_SIZE],
		 struct profile_call *failure);

/* CTX-4: 1 when If-None-Match (a comma-separated list, weak comparison, or
 * "*") matches etag. */
int bundle_etag_matches(const char *if_none_match, const char *etag);

#endif
