/* Test helper: the one time limit of every time-limited suite in reference-tests. */
#ifndef AFI_TEST_TIMEOUT_H
#define AFI_TEST_TIMEOUT_H

/* Seconds, for Criterion's .timeout. One value for the whole binary: with --jobs 2,
 * Criterion 2.4's runner leaks 48 bytes (LeakSanitizer fails make unit-asan) when
 * tests of different time limits run side by side. */
#define TEST_TIMEOUT_S 60

#endif
