/* status.c: the words of the case statuses and tallies of them (see status.h). */
#include "status.h"

#include <string.h>

static const char *const names[STATUS_N] = {
    [STATUS_PASSED] = "passed", [STATUS_FAILED] = "failed", [STATUS_WARNED] = "warned",
    [STATUS_SKIPPED] = "skipped", [STATUS_XFAIL] = "xfail", [STATUS_XPASS] = "xpass",
    [STATUS_UNKNOWN] = "unknown", [STATUS_PENDING] = "pending", [STATUS_OTHER_SHARD] = "other-shard",
};

enum status status_of(const char *word)
{
    for (int i = 0; word && i < STATUS_UNKNOWN; i++)
        if (!strcmp(word, names[i]))
            return (enum status)i;
    return STATUS_UNKNOWN;
}

const char *status_name(enum status st)
{
    return st >= 0 && st < STATUS_N ? names[st] : names[STATUS_UNKNOWN];
}

void status_tally_add(struct status_tally *t, enum status st)
{
    if (st == STATUS_OTHER_SHARD)
        return;
    t->total++;
    t->n[st >= 0 && st < STATUS_N ? st : STATUS_UNKNOWN]++;
}

int status_tally_failing(const struct status_tally *t)
{
    return t->n[STATUS_FAILED] + t->n[STATUS_XPASS] + t->n[STATUS_UNKNOWN];
}
