/* lincheck.c: the per-key linearizability search: events in time order in a
 * linked list, operations lifted out as they are linearized, backtracking on a
 * stack, and a memo of (set of linearized operations, state) already tried. */
#include "lincheck.h"
#include "mem.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct lin_state {
    struct lincheck_value val;
    long long rev;
};

struct lin_event {
    long long t;
    size_t op;
    int is_ret;
};

/* The memo: open addressing over (bitset, state). */
struct lin_memo {
    uint64_t *bits;            /* cap * words */
    struct lin_state *states;
    unsigned char *used;
    size_t cap, count, words;
};

const char *lincheck_verdict_name(enum lincheck_verdict v)
{
    return v == LINCHECK_OK ? "ok" : v == LINCHECK_VIOLATION ? "violation" : "undecided";
}

static int value_eq(struct lincheck_value a, struct lincheck_value b)
{
    return a.type == b.type && (a.type == LINCHECK_ABSENT || a.v == b.v);
}

/* The model: 1 when op with its answer can happen in state s, the next state in *out. */
static int lin_step(const struct lincheck_op *o, struct lin_state s, struct lin_state *out)
{
    *out = s;
    switch (o->kind) {
    case LINCHECK_GET:
        return o->unknown || (value_eq(s.val, o->out) && s.rev == o->out_rev);
    case LINCHECK_DRAFT_GET:
        return o->unknown || o->out.v == (s.val.type == LINCHECK_STR ? s.val.v : 0);
    case LINCHECK_SET: {
        int clash = o->if_rev >= 0 && o->if_rev != s.rev;
        if (o->unknown) {
            if (!clash)
                *out = (struct lin_state){o->arg, s.rev + 1};
            return 1;
        }
        if (o->conflict)
            return clash;
        if (clash || (o->out_rev >= 0 && o->out_rev != s.rev + 1))
            return 0;
        *out = (struct lin_state){o->arg, s.rev + 1};
        return 1;
    }
    case LINCHECK_DELETE:
        *out = (struct lin_state){{LINCHECK_ABSENT, 0}, 0};
        return o->unknown || o->out_deleted == (s.val.type != LINCHECK_ABSENT);
    case LINCHECK_INCR: {
        if (s.val.type == LINCHECK_STR)
            return o->unknown || o->conflict;
        long long next = (s.val.type == LINCHECK_INT ? s.val.v : 0) + o->arg.v;
        if (!o->unknown && (o->conflict || o->out.type != LINCHECK_INT || o->out.v != next))
            return 0;
        *out = (struct lin_state){{LINCHECK_INT, next}, s.rev + 1};
        return 1;
    }
    }
    return 0;
}

static uint64_t memo_hash(const uint64_t *bits, size_t words, struct lin_state s)
{
    uint64_t h = 1469598103934665603ULL ^ ((uint64_t)s.val.type << 56) ^ (uint64_t)s.rev;
    h = (h ^ (uint64_t)s.val.v) * 1099511628211ULL;
    for (size_t i = 0; i < words; i++)
        h = (h ^ bits[i]) * 1099511628211ULL ^ (h >> 29);
    return h;
}

static int state_eq(struct lin_state a, struct lin_state b)
{
    return a.rev == b.rev && value_eq(a.val, b.val);
}

static void memo_insert_at(struct lin_memo *m, const uint64_t *bits, struct lin_state s, uint64_t h)
{
    size_t i = (size_t)h & (m->cap - 1);
    while (m->used[i])
        i = (i + 1) & (m->cap - 1);
    m->used[i] = 1;
    m->states[i] = s;
    memcpy(m->bits + i * m->words, bits, m->words * sizeof *bits);
    m->count++;
}

static void memo_grow(struct lin_memo *m)
{
    struct lin_memo old = *m;
    m->cap = old.cap ? old.cap * 2 : 1024;
    m->count = 0;
    m->bits = mem_array(NULL, m->cap * m->words, sizeof *m->bits);
    m->states = mem_array(NULL, m->cap, sizeof *m->states);
    m->used = mem_calloc(m->cap, 1);
    for (size_t i = 0; i < old.cap; i++)
        if (old.used[i]) {
            const uint64_t *b = old.bits + i * old.words;
            memo_insert_at(m, b, old.states[i], memo_hash(b, m->words, old.states[i]));
        }
    free(old.bits);
    free(old.states);
    free(old.used);
}

/* Adds (bits, s); 0 when it was already there. */
static int memo_add(struct lin_memo *m, const uint64_t *bits, struct lin_state s)
{
    if ((m->count + 1) * 2 > m->cap)
        memo_grow(m);
    uint64_t h = memo_hash(bits, m->words, s);
    for (size_t i = (size_t)h & (m->cap - 1); m->used[i]; i = (i + 1) & (m->cap - 1))
        if (state_eq(m->states[i], s) && !memcmp(m->bits + i * m->words, bits, m->words * sizeof *bits))
            return 0;
    memo_insert_at(m, bits, s, h);
    return 1;
}

static int event_cmp(const void *a, const void *b)
{
    const struct lin_event *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    /* At equal times the calls come first: such operations count as concurrent. */
    if (x->is_ret != y->is_ret)
        return x->is_ret - y->is_ret;
    return x->op < y->op ? -1 : x->op > y->op;
}

enum lincheck_verdict lincheck_run(const struct lincheck_op *ops, size_t n, long max_steps,
                                   struct lincheck_result *res)
{
    *res = (struct lincheck_result){LINCHECK_OK, 0, 0};
    if (!n)
        return LINCHECK_OK;
    size_t ne = 2 * n, head = ne;
    struct lin_event *ev = mem_array(NULL, ne, sizeof *ev);
    for (size_t i = 0; i < n; i++) {
        ev[2 * i] = (struct lin_event){ops[i].call, i, 0};
        ev[2 * i + 1] = (struct lin_event){ops[i].unknown ? LLONG_MAX : ops[i].ret, i, 1};
    }
    qsort(ev, ne, sizeof *ev, event_cmp);
    /* Index ne is the list's head sentinel; match[e] is the other event of e's operation. */
    size_t *next = mem_array(NULL, ne + 1, sizeof *next), *prev = mem_array(NULL, ne + 1, sizeof *prev);
    size_t *match = mem_array(NULL, ne, sizeof *match), *call_of = mem_array(NULL, n, sizeof *call_of);
    for (size_t e = 0; e < ne; e++)
        if (!ev[e].is_ret)
            call_of[ev[e].op] = e;
    for (size_t e = 0; e < ne; e++)
        if (ev[e].is_ret) {
            match[e] = call_of[ev[e].op];
            match[call_of[ev[e].op]] = e;
        }
    for (size_t e = 0; e < ne; e++) {
        next[e] = e + 1 < ne ? e + 1 : SIZE_MAX;
        prev[e] = e == 0 ? head : e - 1;
    }
    next[head] = 0;
    prev[head] = SIZE_MAX;

    struct lin_memo memo = {.words = (n + 63) / 64};
    uint64_t *bits = mem_calloc(memo.words, sizeof *bits);
    struct { size_t e; struct lin_state s; } *stack = mem_array(NULL, n, sizeof *stack);
    size_t depth = 0;
    struct lin_state s = {{LINCHECK_ABSENT, 0}, 0};
    size_t e = next[head];
    enum lincheck_verdict v = LINCHECK_OK;

    while (next[head] != SIZE_MAX) {
        if (res->steps >= max_steps) {
            v = LINCHECK_UNDECIDED;
            break;
        }
        if (!ev[e].is_ret) {
            struct lin_state ns;
            size_t op = ev[e].op;
            res->steps++;
            int ok = lin_step(&ops[op], s, &ns);
            if (ok) {
                bits[op / 64] |= 1ULL << (op % 64);
                if (memo_add(&memo, bits, ns)) {
                    stack[depth].e = e;
                    stack[depth++].s = s;
                    if (depth > res->deepest)
                        res->deepest = depth;
                    s = ns;
                    /* Lift the call and its return out of the list. */
                    size_t r = match[e];
                    next[prev[e]] = next[e];
                    if (next[e] != SIZE_MAX)
                        prev[next[e]] = prev[e];
                    next[prev[r]] = next[r];
                    if (next[r] != SIZE_MAX)
                        prev[next[r]] = prev[r];
                    e = next[head];
                    continue;
                }
                bits[op / 64] &= ~(1ULL << (op % 64));
            }
            e = next[e];
        } else {
            if (ops[ev[e].op].unknown)
                break; /* only unknown operations remain: they need not have happened */
            if (!depth) {
                v = LINCHECK_VIOLATION;
                break;
            }
            depth--;
            e = stack[depth].e;
            s = stack[depth].s;
            size_t op = ev[e].op, r = match[e];
            bits[op / 64] &= ~(1ULL << (op % 64));
            /* Unlift: the return first, then the call, each back between its old neighbours. */
            next[prev[r]] = r;
            if (next[r] != SIZE_MAX)
                prev[next[r]] = r;
            next[prev[e]] = e;
            if (next[e] != SIZE_MAX)
                prev[next[e]] = e;
            e = next[e];
        }
    }
    res->verdict = v;
    free(ev);
    free(next);
    free(prev);
    free(match);
    free(call_of);
    free(bits);
    free(stack);
    free(memo.bits);
    free(memo.states);
    free(memo.used);
    return v;
}
