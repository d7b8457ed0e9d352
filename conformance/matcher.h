/* matcher.h: the fixture matchers of docs/fixtures.md and the differences they report. */
#ifndef AFI_CONFORMANCE_MATCHER_H
#define AFI_CONFORMANCE_MATCHER_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* One difference: at JSON path `path`, `expected` (matcher text) vs `actual`
 * (value text, "(absent)" when missing). All strings owned by the list. */
struct matcher_diff {
    char *path, *expected, *actual;
};

struct matcher_diffs {
    struct matcher_diff *v;
    size_t n, cap;
};

/* Appends a difference (copies the strings). */
void matcher_diffs_add(struct matcher_diffs *d, const char *path, const char *expected, const char *actual);
/* Frees the entries (not d itself); d may be NULL. */
void matcher_diffs_clear(struct matcher_diffs *d);

/* Checks actual (NULL: absent) against matcher m, the value being at JSON path
 * `path`. Returns 1 when it holds, 0 when not; when d is not NULL each
 * difference found is appended to d. m must have passed matcher_validate. */
int matcher_match(const cJSON *m, const cJSON *actual, const char *path, struct matcher_diffs *d);

/* 0 when m is a well-formed matcher, else -1 with "JSONPATH: expected ..." in
 * err, the path being `path` extended into m. */
int matcher_validate(const cJSON *m, const char *path, char *err, size_t errlen);

#endif
