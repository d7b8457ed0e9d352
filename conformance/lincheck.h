/* lincheck.h: a bounded linearizability search (the Wing-Gong-Lowe algorithm
 * with Porcupine's memo of visited states) over the history of ONE key: a
 * register with revs, compare-and-set (if_rev), delete, counter increment and
 * the draft reads of get_draft and the user bundle (SCOPE-5, SCOPE-6, ROB-2).
 *
 * The caller partitions a history by key (linearizability is compositional)
 * and hands each key's operations here. An operation whose answer never came
 * (a timeout) is "unknown": it may have taken effect at any point after its
 * invocation, or never, and its answer is not checked. The search stops after
 * max_steps model steps and then says LINCHECK_UNDECIDED, never a verdict it
 * did not reach.
 */
#ifndef AFI_CONFORMANCE_LINCHECK_H
#define AFI_CONFORMANCE_LINCHECK_H

#include <stddef.h>

enum lincheck_kind {
    LINCHECK_GET,       /* kv_get: out, out_rev */
    LINCHECK_SET,       /* kv_set (if_rev >= 0: conditional) or save_draft (has_rev 0) */
    LINCHECK_DELETE,    /* kv_delete: out_deleted */
    LINCHECK_INCR,      /* counter_incr by arg.v: out (the new value) or conflict */
    LINCHECK_DRAFT_GET, /* get_draft or a bundle's draft: out is a string, id 0 is "" */
};

/* A stored value: absent, an integer, or a string named by a number (the
 * caller maps the strings it writes to distinct ids; id 0 is ""). */
enum lincheck_type { LINCHECK_ABSENT, LINCHECK_INT, LINCHECK_STR };

struct lincheck_value {
    enum lincheck_type type;
    long long v;
};

struct lincheck_op {
    enum lincheck_kind kind;
    long long call, ret;            /* invocation and completion times; ret ignored when unknown */
    int unknown;                    /* no answer: may have happened, answer not checked */
    struct lincheck_value arg;      /* SET: the value written; INCR: v is `by` */
    long long if_rev;               /* SET: the if_rev sent, -1 when none */
    int conflict;                   /* SET/INCR answered 409 conflict */
    struct lincheck_value out;      /* GET, INCR (new value), DRAFT_GET */
    long long out_rev;              /* GET: rev read; SET: new rev; -1: not answered (save_draft) */
    int out_deleted;                /* DELETE */
};

enum lincheck_verdict { LINCHECK_OK, LINCHECK_VIOLATION, LINCHECK_UNDECIDED };

struct lincheck_result {
    enum lincheck_verdict verdict;
    long steps;       /* model steps taken */
    size_t deepest;   /* the most operations linearized at once (how far the search got) */
};

/* Searches ops[0..n) (borrowed; any order) for a linearization from the
 * absent key, within max_steps steps. Fills *res; returns res->verdict. */
enum lincheck_verdict lincheck_run(const struct lincheck_op *ops, size_t n, long max_steps,
                                   struct lincheck_result *res);

/* The verdict's name: "ok", "violation", "undecided". */
const char *lincheck_verdict_name(enum lincheck_verdict v);

#endif
