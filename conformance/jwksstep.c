/* jwksstep.c: applies a jwks step to the runner's JWK Set server and checks its fetch count (see jwksstep.h). */
#include "jwksstep.h"
#include "jwks.h"
#include "matcher.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Past a rate limit or cache time of the target's, so that it may fetch again. */
#define MARGIN_MS 200

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts))
        ;
}

static int publish_all(const struct step_env *env, const cJSON *names, int on, char *err, size_t errlen)
{
    for (const cJSON *n = names ? names->child : NULL; n; n = n->next)
        if (jwks_publish(env->jwks, env->case_idx, n->valuestring, on, err, errlen))
            return -1;
    return 0;
}

/* expect_fetches: a matcher of the count, or "rate_limited": FULL-7's one
 * fetch per AFI_JWKS_REFRESH_SECONDS (and one more for a window's start). */
static void check_fetches(const struct step_env *env, const cJSON *want, struct failure *(*fail)(void *), void *ctx)
{
    double secs;
    int got = jwks_fetches(env->jwks, &secs);
    if (cJSON_IsString(want)) {
        int most = 1 + (int)(secs / JWKS_REFRESH_SECONDS);
        if (got > most)
            failure_msg(fail(ctx), "FULL-7: the target fetched the JWK Set %d times in %.1f s; at most %d "
                                   "(one per AFI_JWKS_REFRESH_SECONDS=%d)", got, secs, most, JWKS_REFRESH_SECONDS);
        return;
    }
    cJSON *n = cJSON_CreateNumber(got);
    struct matcher_diffs d = {0};
    matcher_match(want, n, "fetches", &d);
    if (d.n) {
        struct failure *f = fail(ctx);
        failure_msg(f, "the target fetched the JWK Set %d times in the %.1f s since the count was reset", got, secs);
        failure_diffs(f, &d);
    }
    matcher_diffs_clear(&d);
    cJSON_Delete(n);
}

struct site {
    const struct step_env *env;
    struct failure_list *out;
    int n;
    const char *name;
};

static struct failure *site_fail(void *ctx)
{
    struct site *s = ctx;
    return failure_add(s->out, s->n, s->name, s->env->requirement);
}

int jwksstep_run(const struct step_env *env, const struct fixture_step *st, int n, struct failure_list *out)
{
    char name[64], err[300];
    snprintf(name, sizeof name, "step %d", n);
    struct site site = {env, out, n, st->name ? st->name : name};
    size_t nf0 = out->n;
    const cJSON *serve = cJSON_GetObjectItemCaseSensitive(st->jwks, "serve");
    const cJSON *wait = cJSON_GetObjectItemCaseSensitive(st->jwks, "wait");
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(st->jwks, "expect_fetches");
    enum jwks_mode mode;
    if ((serve && (jwks_parse_mode(serve->valuestring, &mode) || jwks_serve(env->jwks, mode, err, sizeof err))) ||
        publish_all(env, cJSON_GetObjectItemCaseSensitive(st->jwks, "publish"), 1, err, sizeof err) ||
        publish_all(env, cJSON_GetObjectItemCaseSensitive(st->jwks, "withdraw"), 0, err, sizeof err)) {
        failure_msg(site_fail(&site), "the runner's JWK Set server: %s", err);
        return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive(st->jwks, "fetches"))
        jwks_fetches_reset(env->jwks);
    if (wait) {
        /* FULL-7: refresh: past the rate limit; cache: past the cache time too. */
        int cache = !strcmp(wait->valuestring, "cache");
        int secs = cache && JWKS_CACHE_SECONDS > JWKS_REFRESH_SECONDS ? JWKS_CACHE_SECONDS : JWKS_REFRESH_SECONDS;
        sleep_ms(secs * 1000L + MARGIN_MS);
    }
    if (want)
        check_fetches(env, want, site_fail, &site);
    return out->n > nf0 ? -1 : 0;
}
