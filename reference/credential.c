/* Finds the presented credential: the Bearer header wins over the cookie (AUTH-1). */
#include "credential.h"

#include <string.h>
#include <strings.h>

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static void bad(struct credential *c, const char *why)
{
	c->kind = CREDENTIAL_BAD;
	c->why = why;
}

static void found(struct credential *c, const char *start, const char *end)
{
	while (start < end && is_space(*start))
		start++;
	while (end > start && is_space(end[-1]))
		end--;
	c->kind = CREDENTIAL_TOKEN;
	c->token = start;
	c->len = (size_t)(end - start);
}

void credential_find(struct credential *c, const char *authorization, int authorization_count,
		     const char *cookie)
{
	memset(c, 0, sizeof *c);
	/* AUTH-1: these are presented-but-invalid credentials, never anonymous. */
	if (authorization_count > 1) {
		bad(c, "more than one Authorization header");
		return;
	}
	if (authorization) {
		/* The scheme name is case-insensitive. */
		if (strncasecmp(authorization, "Bearer", 6) || (authorization[6] && !is_space(authorization[6]))) {
			bad(c, "the Authorization scheme is not Bearer");
			return;
		}
		found(c, authorization + 6, authorization + strlen(authorization));
		if (!c->len)
			bad(c, "the Bearer credential is empty");
		return;
	}
	for (const char *p = cookie; p && *p;) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		/* AUTH-1: the first afi_viewer cookie is the credential (RFC 6265
		 * sends the most specific first). */
		if (!strncmp(p, "afi_viewer=", 11)) {
			const char *v = p + 11, *vend = end;
			while (vend > v && is_space(vend[-1]))
				vend--;
			if (vend - v >= 2 && *v == '"' && vend[-1] == '"') {
				v++;
				vend--;
			}
			found(c, v, vend);
			if (!c->len)
				bad(c, "the afi_viewer cookie is empty");
			return;
		}
		p = end;
	}
}
