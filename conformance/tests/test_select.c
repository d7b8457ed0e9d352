/* Tests of case selection: globs, levels, shards and expected-failure files. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "select.h"

Test(select, globs_and_levels)
{
    struct select_opts o = {.shard_k = 1, .shard_n = 1};
    cr_assert_eq(select_case(&o, "auth.expired", 0, 0), SELECT_RUN);
    cr_assert_eq(select_case(&o, "auth.expired", 1, 0), SELECT_SKIP, "full case in a core run");
    o.full = 1;
    cr_assert_eq(select_case(&o, "auth.expired", 1, 0), SELECT_RUN);
    select_list_add(&o.only, "auth.*");
    select_list_add(&o.only, "env.unknown-?");
    select_list_add(&o.skip, "auth.*-slow");
    cr_assert_eq(select_case(&o, "auth.expired", 0, 0), SELECT_RUN);
    cr_assert_eq(select_case(&o, "env.unknown-x", 0, 0), SELECT_RUN);
    cr_assert_eq(select_case(&o, "env.unknown-xy", 0, 0), SELECT_SKIP);
    cr_assert_eq(select_case(&o, "auth.big-slow", 0, 0), SELECT_SKIP);
    cr_assert_eq(select_case(&o, "calls.echo", 0, 0), SELECT_SKIP);
    select_list_free(&o.only);
    select_list_free(&o.skip);
}

Test(select, shards_are_disjoint_and_cover_everything)
{
    int n = 4, seen[23] = {0};
    for (int k = 1; k <= n; k++) {
        struct select_opts o = {.full = 1, .shard_k = k, .shard_n = n};
        for (int i = 0; i < 23; i++)
            if (select_case(&o, "x", 0, i) == SELECT_RUN)
                seen[i]++;
    }
    for (int i = 0; i < 23; i++)
        cr_assert_eq(seen[i], 1, "case %d ran %d times", i, seen[i]);
    struct select_opts o = {.shard_k = 2, .shard_n = 2};
    cr_assert_eq(select_case(&o, "x", 1, 0), SELECT_OTHER_SHARD);
    cr_assert_eq(select_case(&o, "x", 1, 1), SELECT_SKIP);
}

Test(select, parse_shard)
{
    int k, n;
    char err[200];
    cr_assert_eq(select_parse_shard("2/5", &k, &n, err, sizeof err), 0);
    cr_assert(k == 2 && n == 5);
    cr_assert_eq(select_parse_shard("0/5", &k, &n, err, sizeof err), -1);
    cr_assert_eq(select_parse_shard("6/5", &k, &n, err, sizeof err), -1);
    cr_assert_eq(select_parse_shard("2", &k, &n, err, sizeof err), -1);
    cr_assert_eq(select_parse_shard("2/5x", &k, &n, err, sizeof err), -1);
    cr_assert(strstr(err, "--shard"));
}

Test(select, expected_failures_file)
{
    char path[] = "/tmp/afi-xfail-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("# known problems\nauth.expired   # needs a fix\n\n  env.*-head \n", f);
    fclose(f);
    struct select_list l = {0};
    char err[200];
    cr_assert_eq(select_load_file(&l, path, err, sizeof err), 0);
    cr_assert_eq(l.n, 2);
    cr_assert(select_list_match(&l, "auth.expired"));
    cr_assert(select_list_match(&l, "env.unknown-head"));
    cr_assert_not(select_list_match(&l, "auth.expired-now"));
    select_list_free(&l);
    unlink(path);
    cr_assert_eq(select_load_file(&l, path, err, sizeof err), -1);
    cr_assert(strstr(err, path));
}
