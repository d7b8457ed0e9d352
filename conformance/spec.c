/* spec.c: reads the requirement headings of docs/protocol.md (see spec.h). */
#include "spec.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOT " \xC2\xB7 "

/* The first of several headings with one id is the one found, as before the
 * sorted index: the sort breaks ties by document order. */
static int by_id(const void *a, const void *b)
{
    const struct spec_req *x = *(const struct spec_req *const *)a, *y = *(const struct spec_req *const *)b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x > y) - (x < y);
}

struct spec *spec_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read the protocol document (use --spec PATH)", path);
        return NULL;
    }
    struct spec *s = mem_calloc(1, sizeof *s);
    size_t cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (strncmp(line, "#### ", 5))
            continue;
        char *id = line + 5, *d1 = strstr(id, DOT);
        if (!d1)
            continue;
        char *grade = d1 + strlen(DOT), *d2 = strstr(grade, DOT);
        if (!d2)
            continue;
        *d1 = *d2 = '\0';
        int should;
        if (!strcmp(grade, "MUST"))
            should = 0;
        else if (!strcmp(grade, "SHOULD"))
            should = 1;
        else
            continue;
        s->reqs = mem_grow(s->reqs, &cap, s->n, sizeof *s->reqs);
        s->reqs[s->n].id = mem_strdup(id);
        s->reqs[s->n].should = should;
        s->reqs[s->n].rule = mem_strdup(d2 + strlen(DOT));
        s->n++;
    }
    free(line);
    fclose(f);
    if (!s->n) {
        snprintf(err, errlen, "%s: no requirement heading (#### ID \xC2\xB7 GRADE \xC2\xB7 rule) found", path);
        spec_free(s);
        return NULL;
    }
    s->by_id = mem_array(NULL, s->n, sizeof *s->by_id);
    for (size_t i = 0; i < s->n; i++)
        s->by_id[i] = &s->reqs[i];
    qsort(s->by_id, s->n, sizeof *s->by_id, by_id);
    return s;
}

const struct spec_req *spec_find(const struct spec *spec, const char *id)
{
    if (!spec)
        return NULL;
    size_t lo = 0, hi = spec->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(spec->by_id[mid]->id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < spec->n && !strcmp(spec->by_id[lo]->id, id) ? spec->by_id[lo] : NULL;
}

void spec_free(struct spec *spec)
{
    if (!spec)
        return;
    for (size_t i = 0; i < spec->n; i++) {
        free(spec->reqs[i].id);
        free(spec->reqs[i].rule);
    }
    free(spec->reqs);
    free(spec->by_id);
    free(spec);
}
