/* libFuzzer target: token parsing and verification (auth_verify), and where
 * a token is found (credential_find). An input whose first byte is odd is a
 * token as it stands; otherwise the rest is a claims object, signed here
 * with the right key, so that the claim checks are reached. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "credential.h"
#include "token.h"

static const char secret[] = "fuzz-secret-fuzz-secret-fuzz-secret-0123";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct auth_cache *cache;
	if (!cache && !(cache = auth_cache_new()))
		return 0;
	struct auth_config cfg = {
		.secret = (const unsigned char *)secret,
		.secret_len = sizeof secret - 1,
		.issuer = size & 1 ? "iss" : NULL,
		.audience = size & 2 ? "aud" : NULL,
		.cache = cache,
	};
	char *raw = malloc(size + 1);
	if (!raw)
		return 0;
	memcpy(raw, data, size);
	raw[size] = '\0';
	char *text = raw;
	if (size && !(data[0] & 1)) {
		char *minted = token_mint("HS256", secret, raw + 1);
		if (minted) {
			free(raw);
			text = minted;
			size = strlen(minted);
		}
	}
	char err[256];
	for (int round = 0; round < 2; round++) {	/* the second may be a cache hit */
		struct auth_viewer viewer;
		memset(&viewer, 0, sizeof viewer);
		auth_verify(&cfg, text, size, 1.7e9, &viewer, err, sizeof err);
		auth_viewer_clear(&viewer);
	}
	struct credential c;
	credential_find(&c, text, 1, text);
	free(text);
	return 0;
}
