/* Test helper: one registry built from the real table, shared by the suites that read it. */
#ifndef AFI_TEST_TESTREG_H
#define AFI_TEST_TESTREG_H

#include "registry.h"

/* The registry under test: filled by testreg_setup, emptied by
 * testreg_teardown. Owned here; suites only borrow it. */
extern struct registry testreg;

/* Criterion .init / .fini hooks: registry_init (failing the test with its
 * error text) and registry_free. */
void testreg_setup(void);
void testreg_teardown(void);

#endif
