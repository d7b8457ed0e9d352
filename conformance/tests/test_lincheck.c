/* Tests of the per-key linearizability search on hand-made histories. */
#include <criterion/criterion.h>

#include "lincheck.h"

#define INT(x) ((struct lincheck_value){LINCHECK_INT, (x)})
#define ABSENT ((struct lincheck_value){LINCHECK_ABSENT, 0})

static struct lincheck_op set(long long call, long long ret, long long v, long long if_rev, long long rev)
{
    return (struct lincheck_op){.kind = LINCHECK_SET, .call = call, .ret = ret, .arg = INT(v),
                                .if_rev = if_rev, .out_rev = rev};
}

static struct lincheck_op get(long long call, long long ret, struct lincheck_value v, long long rev)
{
    return (struct lincheck_op){.kind = LINCHECK_GET, .call = call, .ret = ret, .out = v, .out_rev = rev,
                                .if_rev = -1};
}

static struct lincheck_op incr(long long call, long long ret, long long by, long long out)
{
    return (struct lincheck_op){.kind = LINCHECK_INCR, .call = call, .ret = ret, .arg = INT(by),
                                .out = INT(out), .if_rev = -1};
}

static enum lincheck_verdict check(struct lincheck_op *ops, size_t n, long limit)
{
    struct lincheck_result r;
    return lincheck_run(ops, n, limit, &r);
}

Test(lincheck, empty_and_sequential_histories_are_linearizable)
{
    cr_assert_eq(check(NULL, 0, 10), LINCHECK_OK);
    struct lincheck_op h[] = {get(0, 1, ABSENT, 0), set(2, 3, 7, -1, 1), get(4, 5, INT(7), 1),
                              set(6, 7, 8, 1, 2), get(8, 9, INT(8), 2)};
    cr_assert_eq(check(h, 5, 1000), LINCHECK_OK);
}

Test(lincheck, a_read_of_a_concurrent_write_may_see_either_value)
{
    struct lincheck_op old[] = {set(0, 1, 1, -1, 1), set(2, 10, 2, -1, 2), get(3, 4, INT(1), 1)};
    struct lincheck_op new[] = {set(0, 1, 1, -1, 1), set(2, 10, 2, -1, 2), get(3, 4, INT(2), 2)};
    cr_assert_eq(check(old, 3, 1000), LINCHECK_OK);
    cr_assert_eq(check(new, 3, 1000), LINCHECK_OK);
}

Test(lincheck, a_stale_read_after_a_completed_write_is_a_violation)
{
    /* what a per-instance cache serves: the write completed before the read began */
    struct lincheck_op h[] = {set(0, 1, 1, -1, 1), set(2, 3, 2, -1, 2), get(4, 5, INT(1), 1)};
    cr_assert_eq(check(h, 3, 1000), LINCHECK_VIOLATION);
}

Test(lincheck, two_concurrent_increments_that_both_answer_one_lose_an_update)
{
    struct lincheck_op lost[] = {incr(0, 10, 1, 1), incr(1, 11, 1, 1)};
    struct lincheck_op fine[] = {incr(0, 10, 1, 2), incr(1, 11, 1, 1), get(12, 13, INT(2), 2)};
    cr_assert_eq(check(lost, 2, 1000), LINCHECK_VIOLATION);
    cr_assert_eq(check(fine, 3, 1000), LINCHECK_OK);
}

Test(lincheck, a_conditional_set_must_refuse_a_stale_rev_and_write_nothing)
{
    struct lincheck_op conflict = set(4, 5, 3, 1, -1);
    conflict.conflict = 1;
    struct lincheck_op ok[] = {set(0, 1, 1, -1, 1), set(2, 3, 2, 1, 2), conflict, get(6, 7, INT(2), 2)};
    cr_assert_eq(check(ok, 4, 1000), LINCHECK_OK);
    /* both conditional sets on rev 1 succeeded: a conditional set wrote on conflict */
    struct lincheck_op both[] = {set(0, 1, 1, -1, 1), set(2, 10, 2, 1, 2), set(3, 11, 3, 1, 2)};
    cr_assert_eq(check(both, 3, 1000), LINCHECK_VIOLATION);
    /* a 409 that wrote anyway: the read sees the refused value */
    struct lincheck_op wrote[] = {set(0, 1, 1, -1, 1), conflict, get(6, 7, INT(3), 2)};
    wrote[1].call = 2;
    wrote[1].ret = 3;
    wrote[1].if_rev = 0;
    cr_assert_eq(check(wrote, 3, 1000), LINCHECK_VIOLATION);
}

Test(lincheck, delete_resets_the_rev_and_incr_counts_from_zero)
{
    struct lincheck_op del = {.kind = LINCHECK_DELETE, .call = 2, .ret = 3, .out_deleted = 1, .if_rev = -1};
    struct lincheck_op h[] = {set(0, 1, 5, -1, 1), del, get(4, 5, ABSENT, 0), incr(6, 7, 2, 2),
                              get(8, 9, INT(2), 1)};
    cr_assert_eq(check(h, 5, 1000), LINCHECK_OK);
    h[2].out_rev = 1;
    cr_assert_eq(check(h, 5, 1000), LINCHECK_VIOLATION, "a deleted key reads as rev 0");
}

Test(lincheck, a_timed_out_write_may_or_may_not_have_happened)
{
    struct lincheck_op h[] = {set(0, 1, 1, -1, 1), set(2, 3, 9, -1, 0), get(4, 5, INT(9), 2)};
    h[1].unknown = 1;
    cr_assert_eq(check(h, 3, 1000), LINCHECK_OK, "it happened");
    h[2] = get(4, 5, INT(1), 1);
    cr_assert_eq(check(h, 3, 1000), LINCHECK_OK, "it did not (yet)");
    h[2] = get(4, 5, INT(4), 1);
    cr_assert_eq(check(h, 3, 1000), LINCHECK_VIOLATION, "no write ever stored 4");
}

Test(lincheck, draft_reads_see_strings_only)
{
    struct lincheck_op save = {.kind = LINCHECK_SET, .call = 0, .ret = 1, .arg = {LINCHECK_STR, 3},
                               .if_rev = -1, .out_rev = -1};
    struct lincheck_op read = {.kind = LINCHECK_DRAFT_GET, .call = 2, .ret = 3, .out = {LINCHECK_STR, 3}};
    struct lincheck_op h[] = {save, read, set(4, 5, 8, -1, 2), read};
    h[3].call = 6;
    h[3].ret = 7;
    cr_assert_eq(check(h, 3, 1000), LINCHECK_OK);
    cr_assert_eq(check(h, 4, 1000), LINCHECK_VIOLATION, "an integer value reads as the empty draft");
    h[3].out.v = 0;
    cr_assert_eq(check(h, 4, 1000), LINCHECK_OK);
}

Test(lincheck, a_search_past_its_limit_is_undecided_not_a_verdict)
{
    /* twelve concurrent increments answering 1..12 then a read of 12: linearizable, but
       the search needs more than a handful of steps */
    struct lincheck_op h[13];
    for (int i = 0; i < 12; i++)
        h[i] = incr(i, 100 + i, 1, 12 - i);
    h[12] = get(200, 201, INT(12), 12);
    struct lincheck_result r;
    cr_assert_eq(lincheck_run(h, 13, 5, &r), LINCHECK_UNDECIDED);
    cr_assert_eq(r.steps, 5);
    cr_assert_eq(lincheck_run(h, 13, 1000000, &r), LINCHECK_OK);
    cr_assert_eq(r.deepest, 13);
    cr_assert_str_eq(lincheck_verdict_name(LINCHECK_UNDECIDED), "undecided");
}
