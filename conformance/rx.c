/* rx.c: a process-wide cache of compiled regular expressions (see rx.h). */
#include "rx.h"
#include "mem.h"

#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rx_entry {
    char *pattern;
    regex_t re;
    int ok;
    char msg[128];
    struct rx_entry *next;
};

static pthread_mutex_t rx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rx_entry *rx_head;

static struct rx_entry *rx_get(const char *pattern)
{
    pthread_mutex_lock(&rx_lock);
    struct rx_entry *e = rx_head;
    while (e && strcmp(e->pattern, pattern))
        e = e->next;
    if (!e) {
        e = mem_calloc(1, sizeof *e);
        e->pattern = mem_strdup(pattern);
        int rc = regcomp(&e->re, pattern, REG_EXTENDED | REG_NOSUB);
        e->ok = rc == 0;
        if (rc)
            regerror(rc, &e->re, e->msg, sizeof e->msg);
        e->next = rx_head;
        rx_head = e;
    }
    pthread_mutex_unlock(&rx_lock);
    return e;
}

int rx_search(const char *pattern, const char *s, char *err, size_t errlen)
{
    struct rx_entry *e = rx_get(pattern);
    if (!e->ok) {
        snprintf(err, errlen, "bad regular expression /%s/: %s", pattern, e->msg);
        return -1;
    }
    return regexec(&e->re, s, 0, NULL, 0) == 0;
}
