/* Test helper: the registry fixture of the schema and validation suites. */
#include <criterion/criterion.h>

#include "testreg.h"

struct registry testreg;

void testreg_setup(void)
{
	char err[128];
	cr_assert_eq(registry_init(&testreg, err, sizeof err), 0, "%s", err);
}

void testreg_teardown(void)
{
	registry_free(&testreg);
}
