/* Tests of the one case-status enum and its tally. */
#include <criterion/criterion.h>

#include "status.h"

Test(status, words_round_trip_and_unknown_words_are_unknown)
{
    for (int s = STATUS_PASSED; s <= STATUS_XPASS; s++)
        cr_assert_eq(status_of(status_name((enum status)s)), s, "%s", status_name((enum status)s));
    cr_assert_str_eq(status_name(STATUS_XFAIL), "xfail");
    cr_assert_eq(status_of("PASSED"), STATUS_UNKNOWN);
    cr_assert_eq(status_of("pending"), STATUS_UNKNOWN, "pending is not a report's word");
    cr_assert_eq(status_of(NULL), STATUS_UNKNOWN);
    cr_assert_str_eq(status_name((enum status)99), "unknown");
    cr_assert_str_eq(status_name(STATUS_OTHER_SHARD), "other-shard");
}

Test(status, tally_counts_the_run_and_what_fails_it)
{
    struct status_tally t = {0};
    enum status all[] = {STATUS_PASSED, STATUS_PASSED, STATUS_FAILED, STATUS_WARNED, STATUS_SKIPPED,
                         STATUS_XFAIL, STATUS_XPASS, STATUS_OTHER_SHARD, (enum status)42};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        status_tally_add(&t, all[i]);
    cr_assert_eq(t.total, 8, "a case of another shard is not part of the run");
    cr_assert_eq(t.n[STATUS_PASSED], 2);
    cr_assert_eq(t.n[STATUS_OTHER_SHARD], 0);
    cr_assert_eq(t.n[STATUS_UNKNOWN], 1, "a value outside the enum counts as unknown");
    cr_assert_eq(status_tally_failing(&t), 3, "failed, xpass and unknown fail the run");
    struct status_tally ok = {0};
    status_tally_add(&ok, STATUS_WARNED);
    status_tally_add(&ok, STATUS_XFAIL);
    cr_assert_eq(status_tally_failing(&ok), 0, "warnings and expected failures do not");
}
