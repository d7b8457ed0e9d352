/* model_plan.h: the operations of one `conformance model` run: who sends what,
 * where and in which order, and what came back (the history).
 *
 * A plan is generated from a seed: viewers (their subs stress key encoding:
 * dots, colons, subs that are prefixes of one another, the longest allowed),
 * key names (prefixes of one another, dotted, the longest allowed) and, per
 * client, a sequence of operations over the profile's stateful surface. What
 * depends on earlier answers (the if_rev sent, the If-None-Match tag, which
 * token is current after a logout) is decided when the operation is sent,
 * and recorded beside its answer, so a plan replays against any target and a
 * shrunk plan stays meaningful. Subs, shared key names and jtis carry a nonce
 * that every execution renews (model_plan_refresh): no run sees another's data.
 */
#ifndef AFI_CONFORMANCE_MODEL_PLAN_H
#define AFI_CONFORMANCE_MODEL_PLAN_H

#include <stddef.h>

enum model_kind {
    MODEL_GET,        /* kv_get */
    MODEL_SET,        /* kv_set without if_rev */
    MODEL_SET_IF,     /* kv_set with if_rev: the last rev this client saw (+1 when bump_rev) */
    MODEL_DELETE,     /* kv_delete */
    MODEL_LIST,       /* kv_list of the op's scope */
    MODEL_INCR,       /* counter_incr by `by` */
    MODEL_SAVE_DRAFT, /* save_draft */
    MODEL_GET_DRAFT,  /* get_draft */
    MODEL_BUNDLE,     /* GET /context/user */
    MODEL_BUNDLE_INM, /* GET /context/user with If-None-Match: the last tag this client saw */
    MODEL_LOGOUT,     /* logout: the client's token of that viewer is revoked, a new one follows */
    MODEL_REUSE,      /* kv_get with the token the last logout revoked (AUTH-6) */
    MODEL_NKINDS
};

enum { MODEL_TAG_MAX = 96 };

struct model_op {
    /* planned */
    enum model_kind kind;
    int client, viewer, target;
    int key;                /* index of plan->keys; -1 when the kind has none */
    int shared;             /* the key's (or the list's) scope is shared: */
    int by;                 /* MODEL_INCR */
    int str_value;          /* MODEL_SET*: writes the string "s<id>" instead of an integer */
    int bump_rev;           /* MODEL_SET_IF: sends a rev it knows to be stale or ahead */
    /* decided when sent */
    long long if_rev;       /* -1: none */
    int token_gen;          /* which of the client's tokens of the viewer was presented */
    char inm[MODEL_TAG_MAX];/* If-None-Match sent, "" when none */
    char *request;          /* the JSON body sent (NULL for a bundle); owned */
    char *token;            /* the token presented; owned */
    /* recorded */
    long long t_call, t_ret;/* ns since the execution began */
    long status;            /* 0: no answer (timed out): may have happened */
    char *answer;           /* the answer's body; owned */
    char etag[MODEL_TAG_MAX];
};

struct model_viewer {
    char sub[520];          /* up to 128 code points */
    const char *role;       /* static: "WRITER" or "READER" */
};

struct model_plan {
    unsigned long long seed;
    char nonce[24];         /* renewed by model_plan_refresh */
    struct model_viewer *viewers;
    int nviewers;
    char **names;           /* key names without scope; the last is "draft"; owned */
    int nnames;
    int nclients, ntargets;
    struct model_op *ops;   /* each client's operations in order, clients interleaved */
    size_t nops;
};

/* The generator's knobs, as the command line gives them. */
struct model_plan_opts {
    unsigned long long seed;
    int viewers, ops, clients, keys, targets;
};

/* Generates the plan of opts into *p (zeroed or cleared). */
void model_plan_generate(struct model_plan *p, const struct model_plan_opts *opts);

/* Renews the nonce and with it every sub (answers and decided fields are
 * cleared: the plan is ready to be executed again). */
void model_plan_refresh(struct model_plan *p);

/* The full key of op ("personal:x.k", "shared:<nonce>.k") into buf. */
void model_plan_key(const struct model_plan *p, const struct model_op *op, char *buf, size_t len);

/* A copy of p, its history included, keeping the operations whose keep[i] is
 * nonzero (keep NULL: all); model_plan_refresh it before executing it. */
void model_plan_copy(struct model_plan *dst, const struct model_plan *p, const unsigned char *keep);

/* The kind's short name ("kv_set", "kv_set_if", "bundle_inm", ...). */
const char *model_plan_kind_name(enum model_kind k);

/* 1 when the kind writes its key (set, delete, incr, save_draft). */
int model_plan_writes(enum model_kind k);

/* Frees what p owns (not p itself); p may be NULL. */
void model_plan_clear(struct model_plan *p);

#endif
