/* report_status.c: the statuses of a case (docs/reports.md) and tallies of them. */
#include "report.h"

#include <string.h>

static const char *const status_names[REPORT_NSTATUS] = {
    [REPORT_PASSED] = "passed", [REPORT_FAILED] = "failed",
    [REPORT_WARNED] = "warned", [REPORT_SKIPPED] = "skipped",
    [REPORT_XFAIL] = "xfail",   [REPORT_XPASS] = "xpass",
    [REPORT_UNKNOWN] = "unknown",
};

enum report_status report_status_of(const char *s)
{
    for (int i = 0; s && i < REPORT_UNKNOWN; i++)
        if (strcmp(s, status_names[i]) == 0)
            return (enum report_status)i;
    return REPORT_UNKNOWN;
}

const char *report_status_name(enum report_status st)
{
    return st >= 0 && st < REPORT_NSTATUS ? status_names[st] : "unknown";
}


void report_status_tally_add(struct report_status_tally *c, enum report_status st)
{
    c->total++;
    c->n[st >= 0 && st < REPORT_NSTATUS ? st : REPORT_UNKNOWN]++;
}

int report_status_tally_failing(const struct report_status_tally *c)
{
    return c->n[REPORT_FAILED] + c->n[REPORT_XPASS] + c->n[REPORT_UNKNOWN];
}
