/* Bundle building and per-viewer keyed ETags (CTX-2, CTX-4). */
#include "bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sjson.h"
#include "siphash.h"

void bundle_key(const unsigned char *secret, size_t len, uint8_t key[16])
{
	/* A fixed domain-separation key turns the secret into the ETag key. */
	static const uint8_t domain[16] = "afi-etag-key-v1";
	siphash(secret, len, domain, key, 16);
}

int bundle_build(const struct registry_context *ctx, const struct auth_viewer *viewer, struct store *store,
		 const uint8_t key[16], char **body, size_t *len, char etag[BUNDLE_ETAG_SIZE],
		 struct profile_call *failure)
{
	struct buf out = {0}, tag = {0};
	cJSON *empty = cJSON_CreateObject();
	int rc = -1;
	cJSON str = {.type = cJSON_String};

	memset(failure, 0, sizeof *failure);
	if (!empty)
		goto oom;
	/* CTX-4: the tag is keyed per viewer unless every member is public.
	 * INV-2: it covers every member's rev and current result, read from the
	 * store at this moment, so a viewer's own write shows at once under a
	 * new tag while other viewers' tags stay as they were. */
	buf_puts(&tag, ctx->auth == AUTH_PUBLIC || !viewer ? "" : viewer->sub);
	buf_putc(&tag, '\0');
	buf_puts(&tag, ctx->name);
	buf_putc(&tag, '\0');

	str.valuestring = (char *)ctx->name;
	buf_puts(&out, "{\"context\":");
	sjson_write(&out, &str);
	buf_puts(&out, ",\"data\":{");
	for (size_t i = 0; i < ctx->count; i++) {
		const struct registry_fn *f = ctx->members[i];
		/* CTX-2: each member's result as if called now with {}. */
		struct profile_call call = {.args = empty, .viewer = viewer, .store = store};
		if (f->handler(&call) < 0) {
			*failure = call;
			goto out;
		}
		size_t rlen = 0;
		char *r = sjson_print(call.result, &rlen);
		cJSON_Delete(call.result);
		if (!r)
			goto oom;
		if (i)
			buf_putc(&out, ',');
		str.valuestring = (char *)f->name;
		sjson_write(&out, &str);
		buf_putc(&out, ':');
		buf_put(&out, r, rlen);
		buf_puts(&tag, f->name);
		buf_putc(&tag, '\0');
		buf_printf(&tag, "%d", f->rev);
		buf_putc(&tag, '\0');
		buf_put(&tag, r, rlen);
		buf_putc(&tag, '\0');
		free(r);
	}
	buf_puts(&out, "}}");
	if (out.oom || tag.oom)
		goto oom;
	uint8_t h[16];
	siphash(tag.data, tag.len, key, h, 16);
	etag[0] = '"';
	for (int i = 0; i < 16; i++)
		snprintf(etag + 1 + 2 * i, 3, "%02x", h[i]);
	etag[33] = '"';
	etag[34] = '\0';
	*body = buf_take(&out, len);
	if (!*body)
		goto oom;
	rc = 0;
	goto out;
oom:
	failure->code = ENVELOPE_INTERNAL_ERROR;
	snprintf(failure->internal, sizeof failure->internal, "out of memory while building a bundle");
out:
	buf_free(&out);
	buf_free(&tag);
	cJSON_Delete(empty);
	return rc;
}

int bundle_etag_matches(const char *inm, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = inm;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		const char *start = p;
		while (*p && *p != ',')
			p++;
		const char *end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end - start == 1 && *start == '*')
			return 1;
		if (end - start >= 2 && start[0] == 'W' && start[1] == '/')
			start += 2;	/* weak comparison */
		if ((size_t)(end - start) == elen && !memcmp(start, etag, elen))
			return 1;
	}
	return 0;
}
