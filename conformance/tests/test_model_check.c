/* Tests of the model run's checks on hand-made histories: each check finds its
 * violation under its requirement id, and a correct history has none. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "model_check.h"
#include "model_plan.h"

static const char *const INV = "[\"context:user\",\"function:kv_get\",\"function:kv_list\"]";

/* Two viewers ("s" a WRITER, "s.x" a READER), names k, x.k and the draft; no operations yet. */
static void plan_init(struct model_plan *p)
{
    memset(p, 0, sizeof *p);
    p->nviewers = 2;
    p->viewers = mem_calloc(2, sizeof *p->viewers);
    strcpy(p->viewers[0].sub, "s");
    p->viewers[0].role = "WRITER";
    strcpy(p->viewers[1].sub, "s.x");
    p->viewers[1].role = "READER";
    p->nnames = 3;
    p->names = mem_calloc(3, sizeof *p->names);
    p->names[0] = mem_strdup("k");
    p->names[1] = mem_strdup("x.k");
    p->names[2] = mem_strdup("draft");
    p->nclients = 2;
    p->ntargets = 2;
    strcpy(p->nonce, "n");
    p->ops = mem_calloc(16, sizeof *p->ops);
}

/* Appends an answered operation; times in ms. */
static struct model_op *op(struct model_plan *p, enum model_kind kind, int viewer, int key, int shared,
                           long long call, long long ret, long status, const char *answer)
{
    struct model_op *o = &p->ops[p->nops++];
    *o = (struct model_op){.kind = kind, .client = viewer, .viewer = viewer, .key = key, .shared = shared,
                           .by = 1, .if_rev = -1, .t_call = call * 1000000, .t_ret = ret * 1000000,
                           .status = status, .answer = mem_strdup(answer), .request = mem_strdup("{}")};
    return o;
}

static char *result(const char *r, const char *inv)
{
    char *s = mem_alloc(strlen(r) + strlen(inv) + 40);
    sprintf(s, "{\"result\":%s,\"invalidate\":%s}", r, inv);
    return s;
}

static struct model_check run(struct model_plan *p)
{
    struct model_check c;
    model_check_run(p, 100000, 0, &c);
    return c;
}

Test(model_check, a_correct_history_has_no_violation)
{
    struct model_plan p;
    plan_init(&p);
    char *a = result("{\"key\":\"personal:k\",\"rev\":1}", INV);
    char *b = result("{\"key\":\"personal:k\",\"value\":1000000,\"rev\":1}", "[]");
    op(&p, MODEL_SET, 0, 0, 0, 0, 1, 200, a);
    op(&p, MODEL_GET, 0, 0, 0, 2, 3, 200, b);
    struct model_check c = run(&p);
    cr_assert_eq(c.n, 0, "%s", c.n ? c.v[0].message : "");
    cr_assert_eq(c.keys, 1);
    cr_assert_eq(c.ops_checked, 2);
    free(a);
    free(b);
    model_check_clear(&c);
    model_plan_clear(&p);
}

Test(model_check, a_read_after_a_completed_write_that_misses_it_is_stale)
{
    struct model_plan p;
    plan_init(&p);
    char *a = result("{\"key\":\"shared:n.k\",\"rev\":1}", INV);
    char *b = result("{\"key\":\"shared:n.k\",\"value\":null,\"rev\":0}", "[]");
    op(&p, MODEL_SET, 0, 0, 1, 0, 1, 200, a);
    op(&p, MODEL_GET, 0, 0, 1, 2, 3, 200, b)->target = 1;
    struct model_check c = run(&p);
    cr_assert(model_check_has(&c, "ROB-2"));
    cr_assert_not(model_check_has(&c, "SCOPE-2"));
    free(a);
    free(b);
    model_check_clear(&c);
    model_plan_clear(&p);
}

Test(model_check, another_viewers_value_under_a_personal_key_is_a_scope2_leak)
{
    struct model_plan p;
    plan_init(&p);
    /* viewer 0 ("s") writes personal:x.k; viewer 1 ("s.x") reads it back under personal:k */
    char *a = result("{\"key\":\"personal:x.k\",\"rev\":1}", INV);
    char *b = result("{\"key\":\"personal:k\",\"value\":1000000,\"rev\":1}", "[]");
    op(&p, MODEL_SET, 0, 1, 0, 0, 1, 200, a);
    op(&p, MODEL_GET, 1, 0, 0, 2, 3, 200, b);
    struct model_check c = run(&p);
    cr_assert(model_check_has(&c, "SCOPE-2"));
    free(a);
    free(b);
    model_check_clear(&c);
    model_plan_clear(&p);
}

Test(model_check, a_success_with_a_token_after_its_logout_is_an_auth6_violation)
{
    struct model_plan p;
    plan_init(&p);
    char *a = result("{\"revoked\":true}", "[]");
    char *b = result("{\"key\":\"personal:k\",\"value\":null,\"rev\":0}", "[]");
    op(&p, MODEL_LOGOUT, 0, -1, 0, 0, 1, 200, a);
    op(&p, MODEL_REUSE, 0, 0, 0, 2, 3, 200, b)->target = 1;
    struct model_check c = run(&p);
    cr_assert(model_check_has(&c, "AUTH-6"));
    model_check_clear(&c);
    /* answered 401 token_revoked, as it must be */
    free(p.ops[1].answer);
    p.ops[1].status = 401;
    p.ops[1].answer = mem_strdup("{\"error\":{\"code\":\"token_revoked\",\"message\":\"m\",\"details\":null}}");
    c = run(&p);
    cr_assert_eq(c.n, 0, "%s", c.n ? c.v[0].message : "");
    free(a);
    free(b);
    model_check_clear(&c);
    model_plan_clear(&p);
}

Test(model_check, a_readers_shared_write_must_be_refused)
{
    struct model_plan p;
    plan_init(&p);
    char *a = result("{\"key\":\"shared:n.k\",\"rev\":1}", INV);
    op(&p, MODEL_SET, 1, 0, 1, 0, 1, 200, a);
    struct model_check c = run(&p);
    cr_assert(model_check_has(&c, "SCOPE-3"));
    free(a);
    model_check_clear(&c);
    model_plan_clear(&p);
}

Test(model_check, two_viewers_with_one_tag_break_ctx4_and_a_wrong_invalidate_inv1)
{
    struct model_plan p;
    plan_init(&p);
    const char *b0 = "{\"context\":\"user\",\"data\":{\"get_draft\":{\"draft\":\"\"},\"whoami\":{\"sub\":\"s\",\"role\":\"WRITER\"}}}";
    const char *b1 = "{\"context\":\"user\",\"data\":{\"get_draft\":{\"draft\":\"\"},\"whoami\":{\"sub\":\"s.x\",\"role\":\"READER\"}}}";
    strcpy(op(&p, MODEL_BUNDLE, 0, 2, 0, 0, 1, 200, b0)->etag, "\"t\"");
    strcpy(op(&p, MODEL_BUNDLE, 1, 2, 0, 2, 3, 200, b1)->etag, "\"t\"");
    free(p.ops[0].request);
    free(p.ops[1].request);
    p.ops[0].request = p.ops[1].request = NULL;
    char *a = result("{\"saved\":true}", "[]");
    op(&p, MODEL_SAVE_DRAFT, 0, 2, 0, 4, 5, 200, a);
    struct model_check c = run(&p);
    cr_assert(model_check_has(&c, "CTX-4"));
    cr_assert(model_check_has(&c, "INV-1"), "save_draft declares context:user");
    free(a);
    model_check_clear(&c);
    model_plan_clear(&p);
}

Test(model_check, a_logout_without_an_answer_may_or_may_not_have_revoked_its_token)
{
    struct model_plan p;
    plan_init(&p);
    op(&p, MODEL_LOGOUT, 0, -1, 0, 0, 1, 0, "");
    op(&p, MODEL_REUSE, 0, 0, 0, 2, 3, 401, "{\"error\":{\"code\":\"token_revoked\",\"message\":\"m\",\"details\":null}}");
    struct model_check c = run(&p);
    cr_assert_eq(c.n, 0, "%s", c.n ? c.v[0].message : "");
    model_check_clear(&c);
    char *b = result("{\"key\":\"personal:k\",\"value\":null,\"rev\":0}", "[]");
    free(p.ops[1].answer);
    p.ops[1].answer = b;
    p.ops[1].status = 200;
    c = run(&p);
    cr_assert_eq(c.n, 0, "%s", c.n ? c.v[0].message : "");
    model_check_clear(&c);
    model_plan_clear(&p);
}
