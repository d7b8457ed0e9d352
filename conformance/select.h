/* select.h: which cases a run executes: --level, --only, --skip, --shard, expected failures. */
#ifndef AFI_CONFORMANCE_SELECT_H
#define AFI_CONFORMANCE_SELECT_H

#include <stddef.h>

/* A list of case-id globs (fnmatch syntax). Strings owned by the list. */
struct select_list {
    char **v;
    size_t n;
};

void select_list_add(struct select_list *l, const char *glob);
void select_list_free(struct select_list *l); /* frees the contents */
/* 1 when id matches a glob of the list. */
int select_list_match(const struct select_list *l, const char *id);

/* Reads an expected-failures file: one case id or glob per line, '#' starts a
 * comment, blank lines ignored. 0, or -1 with a message in err. */
int select_load_file(struct select_list *l, const char *path, char *err, size_t errlen);

/* Parses "K/N" (1 <= K <= N). 0, or -1 with a message in err. */
int select_parse_shard(const char *s, int *k, int *n, char *err, size_t errlen);

struct select_opts {
    int full;                 /* --level full */
    struct select_list only;  /* empty: every case */
    struct select_list skip;
    int shard_k, shard_n;     /* 1/1 when not sharded */
};

enum select_verdict { SELECT_RUN, SELECT_SKIP, SELECT_OTHER_SHARD };

/* The verdict for the case at `index` of the whole ordered case list. A case
 * belongs to shard K of N when index % N == K - 1, so shards are disjoint and
 * together cover everything whatever the filters; within the shard, a case
 * of the wrong level or filtered out by --only/--skip is SELECT_SKIP. */
enum select_verdict select_case(const struct select_opts *o, const char *id, int full, int index);

#endif
