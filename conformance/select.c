/* select.c: case selection by level, globs and shard, and expected-failure lists (see select.h). */
#include "select.h"
#include "mem.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void select_list_add(struct select_list *l, const char *glob)
{
    l->v = mem_realloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = mem_strdup(glob);
}

void select_list_free(struct select_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int select_list_match(const struct select_list *l, const char *id)
{
    for (size_t i = 0; i < l->n; i++)
        if (fnmatch(l->v[i], id, 0) == 0)
            return 1;
    return 0;
}

int select_load_file(struct select_list *l, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read the expected-failures file", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        char *h = strchr(line, '#');
        if (h)
            *h = '\0';
        char *s = line, *e;
        while (*s == ' ' || *s == '\t')
            s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        if (*s)
            select_list_add(l, s);
    }
    free(line);
    fclose(f);
    return 0;
}

int select_parse_shard(const char *s, int *k, int *n, char *err, size_t errlen)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '/') {
        snprintf(err, errlen, "--shard: expected K/N (e.g. 2/4), got \"%s\"", s);
        return -1;
    }
    const char *b0 = end + 1;
    long b = strtol(b0, &end, 10);
    if (end == b0 || *end || b < 1 || a < 1 || a > b || b > 100000) {
        snprintf(err, errlen, "--shard: expected K/N with 1 <= K <= N, got \"%s\"", s);
        return -1;
    }
    *k = (int)a;
    *n = (int)b;
    return 0;
}

enum select_verdict select_case(const struct select_opts *o, const char *id, int full, int index)
{
    if (o->shard_n > 1 && index % o->shard_n != o->shard_k - 1)
        return SELECT_OTHER_SHARD;
    if (full && !o->full)
        return SELECT_SKIP;
    if (o->only.n && !select_list_match(&o->only, id))
        return SELECT_SKIP;
    if (select_list_match(&o->skip, id))
        return SELECT_SKIP;
    return SELECT_RUN;
}
