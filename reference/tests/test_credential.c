/* Where credentials come from (AUTH-1). */
#include <criterion/criterion.h>
#include <string.h>

#include "credential.h"

static void token_is(const struct credential *c, const char *want)
{
	cr_assert_eq(c->kind, CREDENTIAL_TOKEN);
	cr_assert_eq(c->len, strlen(want));
	cr_assert(!memcmp(c->token, want, c->len), "token %.*s", (int)c->len, c->token);
}

Test(credential, none_is_anonymous)
{
	struct credential c;
	credential_find(&c, NULL, 0, NULL);
	cr_assert_eq(c.kind, CREDENTIAL_NONE);
	credential_find(&c, NULL, 0, "other=1; x=2");
	cr_assert_eq(c.kind, CREDENTIAL_NONE);
}

Test(credential, bearer_scheme_is_case_insensitive)
{
	struct credential c;
	credential_find(&c, "Bearer abc.def.ghi", 1, NULL);
	token_is(&c, "abc.def.ghi");
	credential_find(&c, "bEaReR   tok  ", 1, NULL);
	token_is(&c, "tok");
}

Test(credential, the_header_wins_over_the_cookie)
{
	struct credential c;
	credential_find(&c, "Bearer fromheader", 1, "afi_viewer=fromcookie");
	token_is(&c, "fromheader");
	credential_find(&c, NULL, 0, "a=1; afi_viewer=fromcookie; b=2");
	token_is(&c, "fromcookie");
	credential_find(&c, NULL, 0, "afi_viewer=\"quoted\"");
	token_is(&c, "quoted");
}

Test(credential, presented_but_unusable_is_bad_not_anonymous)
{
	struct credential c;
	const char *bad[] = {"Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "Bearerabc", "", "Token abc"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		credential_find(&c, bad[i], 1, NULL);
		cr_assert_eq(c.kind, CREDENTIAL_BAD, "'%s'", bad[i]);
		cr_assert_not_null(c.why);
	}
	credential_find(&c, "Bearer a", 2, NULL);
	cr_assert_eq(c.kind, CREDENTIAL_BAD, "two Authorization headers");
	credential_find(&c, NULL, 0, "afi_viewer=");
	cr_assert_eq(c.kind, CREDENTIAL_BAD, "an empty cookie");
	credential_find(&c, NULL, 0, "x=1; afi_viewer=; y=2");
	cr_assert_eq(c.kind, CREDENTIAL_BAD);
}
