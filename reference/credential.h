/* Where a request's credential comes from (AUTH-1): the Authorization header
 * or the afi_viewer cookie. Presentation only; auth.c verifies the token. */
#ifndef AFI_CREDENTIAL_H
#define AFI_CREDENTIAL_H

#include <stddef.h>

enum credential_kind {
	CREDENTIAL_NONE,	/* anonymous */
	CREDENTIAL_TOKEN,	/* token[0..len) to verify */
	CREDENTIAL_BAD,		/* presented but unusable: invalid_token */
};

struct credential {
	enum credential_kind kind;
	const char *token;	/* points into the header it came from */
	size_t len;
	const char *why;	/* CREDENTIAL_BAD: a message for a person */
};

/* authorization: the first Authorization header (NULL if none) and how many
 * there were; cookie: the Cookie header (NULL if none). Pointers in *c borrow
 * from the headers. */
void credential_find(struct credential *c, const char *authorization, int authorization_count,
		     const char *cookie);

#endif
