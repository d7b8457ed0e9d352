/* status.h: a case's status, the one enum the runner, the results and every
 * report share, and the one tally of statuses. */
#ifndef AFI_CONFORMANCE_STATUS_H
#define AFI_CONFORMANCE_STATUS_H

/* The first six are the words of docs/reports.md. STATUS_UNKNOWN is a word a
 * report gives that is none of them; STATUS_PENDING a selected case not yet
 * run; STATUS_OTHER_SHARD a case another shard runs. */
enum status {
    STATUS_PASSED, STATUS_FAILED, STATUS_WARNED, STATUS_SKIPPED, STATUS_XFAIL, STATUS_XPASS,
    STATUS_UNKNOWN, STATUS_PENDING, STATUS_OTHER_SHARD, STATUS_N
};

/* The status a report's word names; STATUS_UNKNOWN for any other word or NULL. */
enum status status_of(const char *word);

/* The word of st ("passed", ..., "unknown", "pending", "other-shard"), a
 * static string; a value outside the enum gives "unknown". */
const char *status_name(enum status st);

/* Case counts by status. Zero it before the first status_tally_add. */
struct status_tally {
    int total;
    int n[STATUS_N];
};

/* Counts one case; a case of another shard is not part of the run and is not
 * counted, a value outside the enum counts as STATUS_UNKNOWN. */
void status_tally_add(struct status_tally *t, enum status st);

/* How many of the counted cases fail the run: failed, xpass and unknown. */
int status_tally_failing(const struct status_tally *t);

#endif
