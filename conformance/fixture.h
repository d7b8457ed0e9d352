/* fixture.h: loading and validating fixture suites (docs/fixtures.md). */
#ifndef AFI_CONFORMANCE_FIXTURE_H
#define AFI_CONFORMANCE_FIXTURE_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "spec.h"

/* All pointers below borrow from the suite's parsed document (fixture_suite.root). */
struct fixture_step {
    const char *name;       /* "step N" when the fixture gives none */
    const cJSON *request;   /* validated request object, shorthands expanded (shorthand.h) */
    const cJSON *expect;    /* validated expectations, shorthands expanded */
    const cJSON *capture;   /* NULL or the capture object */
    const cJSON *raw;       /* NULL, or the validated raw step object (then request and
                               expect are NULL); its expectations expanded */
    const cJSON *jwks;      /* NULL, or the validated jwks step object (then request,
                               expect and raw are NULL) */
    cJSON *schema_equals;   /* NULL, or the canonical form (SCH-4) of the document
                               named by expect.schema_equals; owned by the suite */
    int repeat, concurrency;
};

struct fixture_suite;

struct fixture_case {
    const char *id, *title;
    const cJSON *requirements; /* array of id strings, at least one */
    const cJSON *tags;         /* NULL or array of strings */
    const char *first_req;
    int full;                  /* level "full" */
    int should;                /* grade should (explicit or from the spec) */
    int robustness;            /* tagged "robustness" */
    int jwks;                  /* tagged "jwks": needs --key-source jwks, runs alone */
    struct fixture_step *steps;
    int nsteps;
    struct fixture_suite *suite;
};

struct fixture_suite {
    char *file;
    const char *name, *area, *title;
    cJSON *root;
    const cJSON *identities; /* object, possibly empty */
    struct fixture_case *cases;
    int ncases;
};

/* Every problem found: "FILE: JSONPATH: expected ...". */
struct fixture_errors {
    char **v;
    size_t n;
};

struct fixture_idset;

struct fixture_set {
    struct fixture_suite **suites;
    int nsuites;
    struct fixture_case **cases; /* all cases, suites in load order, file order within */
    int ncases;
    struct fixture_idset *ids;   /* private: the ids of cases, for the uniqueness check */
};

/* Loads and validates one suite file into set (case ids and suite names must
 * stay unique across the set; requirement ids are checked against spec unless
 * spec is NULL). Returns 0, or -1 with the problems appended to errs (the
 * suite is then not added). */
int fixture_load_file(struct fixture_set *set, const char *path, const struct spec *spec,
                      struct fixture_errors *errs);

/* Loads every suite of a directory (*.json except profile-schema.json and
 * *.schema.json), sorted by file name. Returns 0 or -1 (problems in errs). */
int fixture_load_dir(struct fixture_set *set, const char *dir, const struct spec *spec,
                     struct fixture_errors *errs);

/* Resolves same_sub_as: the identity name whose sub `name` uses (itself when none). */
const char *fixture_sub_owner(const struct fixture_suite *suite, const char *name);

/* Resolves same_jti_as: the identity name whose jti `name` uses (itself when none). */
const char *fixture_jti_owner(const struct fixture_suite *suite, const char *name);

void fixture_set_free(struct fixture_set *set); /* frees the contents, not set */
void fixture_errors_free(struct fixture_errors *errs);

#endif
