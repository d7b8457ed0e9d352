/* The protocol, independent of the HTTP library: routing (ENV-5, ENV-6,
 * CALL-1, CTX-1), the decision order of CALL-4, authorization (AUTH-*),
 * calls (CALL-*) and bundles (CTX-*). server.c feeds it requests and writes
 * its replies; the unit tests drive it directly. */
#ifndef AFI_DISPATCH_H
#define AFI_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "bundle.h"
#include "registry.h"
#include "store.h"

/* CALL-3: the largest accepted body. */
#define DISPATCH_MAX_BODY (1024 * 1024)

struct dispatch {
	struct registry registry;
	struct store *store;		/* borrowed */
	struct auth_config auth;	/* strings borrowed */
	uint8_t etag_key[16];
	char *schema;			/* the /schema body, built once */
	size_t schema_len;
	double (*now)(void);		/* the clock; tests may replace it */
};

/* What server.c read from the request line and headers; all borrowed. */
struct dispatch_request {
	const char *method;
	const char *path;		/* below the base, query removed, not decoded */
	const char *authorization;	/* first Authorization header or NULL */
	int authorization_count;
	const char *cookie;		/* Cookie header or NULL */
	const char *content_type;	/* or NULL */
	const char *content_length;	/* or NULL (e.g. chunked) */
	const char *if_none_match;	/* or NULL */
};

/* A complete answer. */
struct dispatch_reply {
	int status;
	char *body;			/* malloc'd unless body_static; may be NULL for 304 */
	size_t len;
	int body_static;		/* body points into struct dispatch or a literal */
	const char *allow;		/* ENV-6 */
	const char *www_authenticate;	/* ENV-7 */
	char etag[BUNDLE_ETAG_SIZE];	/* CTX-4; empty when none */
	const char *cache_control;	/* CTX-5 */
	const char *vary;		/* CTX-5 */
	unsigned defer_ms;		/* send only after this delay (sleep) */
};

/* Per-request state between dispatch_begin and dispatch_body. */
struct dispatch_state {
	const struct registry_fn *fn;
	struct auth_viewer viewer;
	int has_viewer;
};

/* Sets d up with store and cfg (both must outlive d). Returns 0, or -1 with
 * err filled. */
int dispatch_init(struct dispatch *d, struct store *store, const struct auth_config *cfg,
		  char *err, size_t errlen);
/* Frees what dispatch_init built (not the store); accepts NULL. */
void dispatch_free(struct dispatch *d);

/* Decides everything that does not need the body. Returns 1 with *reply
 * filled when the answer is known (404, 405, 401/403; 413 and 415 when
 * Content-Length announces the body; /health, /schema, bundles), 0 when the
 * body must be read and passed to dispatch_body. */
int dispatch_begin(struct dispatch *d, const struct dispatch_request *req, struct dispatch_state *st,
		   struct dispatch_reply *reply);

/* Answers a call once its body is read: body[0..len), too_large when more
 * than DISPATCH_MAX_BODY bytes arrived (the rest was not kept). */
void dispatch_body(struct dispatch *d, const struct dispatch_request *req, struct dispatch_state *st,
		   const char *body, size_t len, int too_large, struct dispatch_reply *reply);

/* Fills *reply with the error envelope of code. */
void dispatch_error(struct dispatch_reply *reply, enum envelope_code code, const char *message,
		    const cJSON *details);

/* Frees what a state or reply owns; both accept NULL. */
void dispatch_state_clear(struct dispatch_state *st);
void dispatch_reply_clear(struct dispatch_reply *reply);

#endif
