/* h1.c: plain HTTP/1.1 requests over a kept-alive socket, without libcurl (see h1.h). */
#include "h1.h"
#include "mem.h"
#include "strbuf.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define H1_MAX_BODY_SENT (64u << 10)
#define H1_MAX_BODY (64u << 20)  /* as http.c's libcurl path */
#define H1_MAX_HEAD (1u << 20)

/* Kept-alive connections per client: one per target of a cluster run, as
 * libcurl's connection cache keeps them. */
#define H1_CONNS 8
#define H1_AUTHORITY 264

struct h1_idle {
    int fd;               /* -1: a free slot */
    char authority[H1_AUTHORITY]; /* host[:port] of the URLs it serves */
    unsigned long used;   /* when it last carried a request, for eviction */
};

struct h1 {
    int fd;               /* the connection of the request under way, -1: none */
    struct h1_idle idle[H1_CONNS];
    unsigned long clock;
    char *in;             /* bytes received and not yet consumed */
    size_t nin, capin;
    long spin_ns;         /* h1_spin's budget; 0: always sleep */
    int spin_skip;        /* waits left that sleep at once after spins found nothing */
    int spin_backoff;     /* how many the next miss skips */
    long spins;           /* waits that spun */
};

/* Misses double the waits that skip the spin, up to this many. */
#define H1_SPIN_BACKOFF_MAX 64

void h1_spin(struct h1 *c, long us)
{
    c->spin_ns = us > 0 ? us * 1000 : 0;
    c->spin_skip = c->spin_backoff = 0;
}

long h1_spins(const struct h1 *c)
{
    return c->spins;
}

struct h1 *h1_new(void)
{
    struct h1 *c = mem_calloc(1, sizeof *c);
    c->fd = -1;
    for (int i = 0; i < H1_CONNS; i++)
        c->idle[i].fd = -1;
    return c;
}

static void drop(struct h1 *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->nin = 0;
}

void h1_free(struct h1 *c)
{
    if (!c)
        return;
    drop(c);
    for (int i = 0; i < H1_CONNS; i++)
        if (c->idle[i].fd >= 0)
            close(c->idle[i].fd);
    free(c->in);
    free(c);
}

/* Keeps fd, a connection to authority, for the next request there; the
 * least recently used one makes room when every slot is taken. */
static void park(struct h1 *c, int fd, const char *authority, size_t len)
{
    int slot = 0;
    for (int i = 0; i < H1_CONNS; i++) {
        if (c->idle[i].fd < 0) {
            slot = i;
            break;
        }
        if (c->idle[i].used < c->idle[slot].used)
            slot = i;
    }
    if (c->idle[slot].fd >= 0)
        close(c->idle[slot].fd);
    c->idle[slot].fd = fd;
    memcpy(c->idle[slot].authority, authority, len);
    c->idle[slot].authority[len] = '\0';
    c->idle[slot].used = ++c->clock;
}

/* The idle connection to authority, taken out of its slot, or -1. */
static int unpark(struct h1 *c, const char *authority, size_t len)
{
    for (int i = 0; i < H1_CONNS; i++)
        if (c->idle[i].fd >= 0 && strlen(c->idle[i].authority) == len && !memcmp(c->idle[i].authority, authority, len)) {
            int fd = c->idle[i].fd;
            c->idle[i].fd = -1;
            return fd;
        }
    return -1;
}

/* ---------- which requests ---------- */

/* The URL split as the request needs it. */
struct h1_url {
    const char *authority; /* host[:port], authlen bytes */
    size_t authlen;
    size_t hostlen;        /* of its host part, brackets included */
    char host[256];        /* without brackets */
    char port[6];
    int default_port;      /* no port or port 80: libcurl's Host omits it */
    const char *path;      /* from the first '/' to the end */
};

/* Byte classes, for the checks made on every request's method, path and headers. */
enum { TCHAR = 1, PCHAR = 2, HEX = 4 };

static unsigned char classes[256];
static pthread_once_t classes_once = PTHREAD_ONCE_INIT;

static void classes_init(void)
{
    for (int ch = '0'; ch <= '9'; ch++)
        classes[ch] = TCHAR | PCHAR | HEX;
    for (int ch = 'a'; ch <= 'z'; ch++)
        classes[ch] = TCHAR | PCHAR | (ch <= 'f' ? HEX : 0);
    for (int ch = 'A'; ch <= 'Z'; ch++)
        classes[ch] = TCHAR | PCHAR | (ch <= 'F' ? HEX : 0);
    for (const char *p = "!#$%&'*+-.^_`|~"; *p; p++)
        classes[(unsigned char)*p] |= TCHAR;
    for (const char *p = "-._~!$&'()*+,;=:@/?"; *p; p++)
        classes[(unsigned char)*p] |= PCHAR;
}

static int tchar(unsigned char ch)
{
    return classes[ch] & TCHAR;
}

/* The bytes libcurl sends in a path as they are: RFC 3986's pchar, '/' and
 * '?'. Anything else ('#', spaces, control or non-ASCII bytes, a bare '%')
 * libcurl's URL parser may cut, encode or refuse. */
static int plain_path(const char *p)
{
    for (; *p; p++) {
        if (*p == '%') {
            if (!(classes[(unsigned char)p[1]] & HEX) || !(classes[(unsigned char)p[2]] & HEX))
                return 0;
            p += 2;
        } else if (!(classes[(unsigned char)*p] & PCHAR)) {
            return 0;
        }
    }
    return 1;
}

/* Parses an http:// URL of a lower-case name or address, an optional
 * canonical port and a plain path; -1 for any other, which libcurl sends. */
static int parse_url(const char *url, struct h1_url *u)
{
    pthread_once(&classes_once, classes_init);
    if (strncmp(url, "http://", 7))
        return -1;
    const char *a = url + 7, *p = a, *hs, *he;
    if (*p == '[') {
        hs = ++p;
        while (*p && (strchr("0123456789abcdef:.", *p)))
            p++;
        if (*p != ']' || p == hs)
            return -1;
        he = p++;
    } else {
        hs = p;
        while (*p && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
            p++;
        he = p;
        if (he == hs)
            return -1;
    }
    u->hostlen = (size_t)(p - a);
    if ((size_t)(he - hs) >= sizeof u->host)
        return -1;
    memcpy(u->host, hs, (size_t)(he - hs));
    u->host[he - hs] = '\0';
    strcpy(u->port, "80");
    u->default_port = 1;
    if (*p == ':') {
        const char *ps = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        long port = strtol(ps, NULL, 10);
        if (p == ps || p - ps > 5 || *ps == '0' || port > 65535)
            return -1;
        memcpy(u->port, ps, (size_t)(p - ps));
        u->port[p - ps] = '\0';
        u->default_port = port == 80;
    }
    if (*p != '/' || !plain_path(p))
        return -1;
    u->authority = a;
    u->authlen = (size_t)(p - a);
    if (u->authlen >= H1_AUTHORITY)
        return -1;
    u->path = p;
    return 0;
}

/* Headers whose presence changes what libcurl itself sends or does. */
static const char *const special[] = {"host", "accept", "content-length", "expect", "transfer-encoding",
                                      "connection", NULL};

/* 1 when line is a "Name: value" or "Name:" libcurl passes on as it is. */
static int plain_header(const char *line)
{
    const char *colon = strchr(line, ':');
    if (!colon || colon == line)
        return 0;
    for (const char *p = line; p < colon; p++)
        if (!tchar((unsigned char)*p))
            return 0;
    for (const char *p = colon; *p; p++)
        if ((unsigned char)*p < 0x20 ? *p != '\t' : (unsigned char)*p > 0x7e)
            return 0;
    size_t n = (size_t)(colon - line);
    for (int i = 0; special[i]; i++)
        if (strlen(special[i]) == n && !strncasecmp(line, special[i], n))
            return 0;
    return 1;
}

int h1_proxied(void)
{
    static const char *const vars[] = {"http_proxy", "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return 1;
    }
    return 0;
}

int h1_plain(const struct http_request *q)
{
    struct h1_url u;
    size_t ml = strlen(q->method);
    if (q->chunked || !ml || ml > 64 || !strcmp(q->method, "HEAD") || q->body_len > H1_MAX_BODY_SENT ||
        parse_url(q->url, &u))
        return 0;
    for (size_t i = 0; i < ml; i++)
        if (!tchar((unsigned char)q->method[i]))
            return 0;
    for (size_t i = 0; i < q->nheaders; i++)
        if (!plain_header(q->headers[i]))
            return 0;
    return 1;
}

/* The request as libcurl writes it (http.c sets the options that make it so:
 * no form Content-Type, no Expect, no User-Agent). A "Name:" line with no
 * value only removes a header libcurl would add, and none of these is one. */
static void format(struct strbuf *b, const struct http_request *q, const struct h1_url *u)
{
    size_t ml = strlen(q->method), pl = strlen(u->path), hl = u->default_port ? u->hostlen : u->authlen;
    int length = q->body || !strcmp(q->method, "POST");
    char cl[32] = "";
    size_t cll = length ? (size_t)snprintf(cl, sizeof cl, "%zu", q->body ? q->body_len : 0) : 0;
    size_t n = ml + 1 + pl + sizeof " HTTP/1.1\r\nHost: " - 1 + hl + sizeof "\r\nAccept: */*\r\n" - 1 +
               (length ? sizeof "Content-Length: \r\n" - 1 + cll : 0) + 2 + (q->body ? q->body_len : 0);
    size_t *hlen = mem_array(NULL, q->nheaders + 1, sizeof *hlen);
    for (size_t i = 0; i < q->nheaders; i++) {
        const char *v = strchr(q->headers[i], ':') + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        hlen[i] = *v ? strlen(q->headers[i]) : 0; /* no value: nothing sent */
        n += hlen[i] ? hlen[i] + 2 : 0;
    }
    char *o = strbuf_room(b, n), *start = o;
#define PUT(s, len) (memcpy(o, (s), (len)), o += (len))
#define PUTS(lit) PUT(lit, sizeof lit - 1)
    PUT(q->method, ml);
    *o++ = ' ';
    PUT(u->path, pl);
    PUTS(" HTTP/1.1\r\nHost: ");
    PUT(u->authority, hl);
    PUTS("\r\nAccept: */*\r\n");
    for (size_t i = 0; i < q->nheaders; i++)
        if (hlen[i]) {
            PUT(q->headers[i], hlen[i]);
            PUTS("\r\n");
        }
    if (length) {
        PUTS("Content-Length: ");
        PUT(cl, cll);
        PUTS("\r\n");
    }
    PUTS("\r\n");
    if (q->body)
        PUT(q->body, q->body_len);
#undef PUTS
#undef PUT
    strbuf_grew(b, (size_t)(o - start));
    free(hlen);
}

/* ---------- the connection ---------- */

static long ms_left(const struct timespec *deadline)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (deadline->tv_sec - t.tv_sec) * 1000 + (deadline->tv_nsec - t.tv_nsec) / 1000000;
}

/* 1 when the kept-alive connection can carry the next request: open, and
 * with nothing unread (a closed or chattering connection is replaced, as
 * libcurl replaces one that looks dead). */
static int alive(int fd)
{
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static int open_conn(struct h1 *c, const struct h1_url *u, const struct timespec *deadline, char *err,
                     size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP}, *ai = NULL;
    int g = getaddrinfo(u->host, u->port, &hints, &ai);
    if (g) {
        snprintf(err, errlen, "Could not resolve host: %.200s (%s)", u->host, gai_strerror(g));
        return -1;
    }
    int fd = -1, why = ETIMEDOUT;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            why = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) && errno != EINPROGRESS) {
            why = errno;
            close(fd);
            fd = -1;
            continue;
        }
        struct pollfd p = {fd, POLLOUT, 0};
        long left = ms_left(deadline);
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            soerr = ETIMEDOUT;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
            soerr = errno;
        if (soerr) {
            why = soerr;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        snprintf(err, errlen, "Failed to connect to %.200s port %s: %s", u->host, u->port, strerror(why));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* libcurl's default too */
    c->fd = fd;
    c->nin = 0;
    return 0;
}

/* ---------- the answer ---------- */

enum framing { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE };

/* One answer being read: where its header section ends and its body stands. */
struct reading {
    size_t head;          /* bytes of the final header section, 0 until it is in */
    enum framing framing;
    long long length;     /* BODY_LENGTH */
    size_t pos;           /* BODY_CHUNKED: the next chunk's size line */
    int close_after;      /* the connection cannot carry another request */
    int done;
    const char *bad;      /* why the answer is broken (its status stands) */
};

/* Where the header section starting at s ends (after its empty line), or 0. */
static size_t head_end(const char *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '\n')
            continue;
        if (s[i + 1] == '\n')
            return i + 2;
        if (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* Next line of s[*at..end), CR LF or LF ended; its length without the ending. */
static const char *next_line(const char *s, size_t end, size_t *at, size_t *len)
{
    const char *line = s + *at;
    const char *nl = memchr(line, '\n', end - *at);
    size_t l = nl ? (size_t)(nl - line) : end - *at;
    *at += l + (nl != NULL);
    if (l && line[l - 1] == '\r')
        l--;
    *len = l;
    return line;
}

/* The value of a header line whose name is name (lower case), or NULL. */
static const char *header_value(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    if (len <= n || line[n] != ':' || strncasecmp(line, name, n))
        return NULL;
    const char *v = line + n + 1;
    while (v < line + len && (*v == ' ' || *v == '\t'))
        v++;
    return v;
}

/* 1 when the comma-separated list value[0..len) holds token (any case). */
static int list_has(const char *v, size_t len, const char *token)
{
    size_t tl = strlen(token);
    for (size_t i = 0; i + tl <= len; i++)
        if (!strncasecmp(v + i, token, tl) && (i == 0 || strchr(" \t,", v[i - 1])) &&
            (i + tl == len || strchr(" \t,;\r", v[i + tl])))
            return 1;
    return 0;
}

/* Reads the header section in[0..end): status, headers into res, framing.
 * Returns 1 for a final answer, 0 for an interim (1xx) one, -1 when the
 * status line is not HTTP/1.x's. */
static int parse_head(const char *in, size_t end, struct http_response *res, struct reading *rd)
{
    size_t at = 0, len;
    const char *line = next_line(in, end, &at, &len);
    if (len < 12 || strncmp(line, "HTTP/1.", 7) || (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
        line[9] < '1' || line[9] > '5' || line[10] < '0' || line[10] > '9' || line[11] < '0' || line[11] > '9' ||
        (len > 12 && line[12] != ' '))
        return -1;
    long status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    http_response_header(res, line, len); /* a status line: forgets an interim answer's headers */
    int http10 = line[7] == '0', keep_alive = 0, close_hdr = 0, chunked = 0;
    long long length = -1;
    while (at < end) {
        line = next_line(in, end, &at, &len);
        if (!len)
            break;
        http_response_header(res, line, len);
        const char *v;
        size_t vl;
        if ((v = header_value(line, len, "content-length"))) {
            char *e;
            errno = 0;
            long long n = strtoll(v, &e, 10);
            if (e == v || n < 0)
                rd->bad = "Invalid Content-Length: value";
            else if (errno != ERANGE)
                length = n;
        } else if ((v = header_value(line, len, "transfer-encoding"))) {
            vl = len - (size_t)(v - line);
            chunked |= list_has(v, vl, "chunked");
        } else if ((v = header_value(line, len, "connection"))) {
            vl = len - (size_t)(v - line);
            close_hdr |= list_has(v, vl, "close");
            keep_alive |= list_has(v, vl, "keep-alive");
        }
    }
    if (status < 200 && status != 101)
        return 0;
    res->status = status;
    rd->close_after = close_hdr || (http10 && !keep_alive) || status == 101;
    if (status == 204 || status == 304 || status == 101)
        rd->framing = BODY_NONE;
    else if (chunked)
        rd->framing = BODY_CHUNKED;
    else if (length >= 0)
        rd->framing = BODY_LENGTH;
    else
        rd->framing = BODY_CLOSE;
    rd->length = length;
    return 1;
}

static void body_add(struct http_response *r, const char *p, size_t n)
{
    r->body = mem_realloc(r->body, r->body_len + n + 1);
    memcpy(r->body + r->body_len, p, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
}

/* Decodes the chunks complete in in[rd->pos..n) into res; sets done or bad. */
static void chunks(const char *in, size_t n, struct http_response *res, struct reading *rd)
{
    for (;;) {
        size_t at = rd->pos, len;
        const char *nl = memchr(in + at, '\n', n - at);
        if (!nl)
            return;
        const char *line = next_line(in, n, &at, &len);
        char *e;
        unsigned long long sz = strtoull(line, &e, 16);
        if (e == line || !strchr("\r\n; \t", *e)) {
            rd->bad = "chunk hex-length char not a hex digit";
            return;
        }
        if (sz == 0) {
            /* trailers, up to an empty line */
            for (;;) {
                if (!memchr(in + at, '\n', n - at))
                    return;
                next_line(in, n, &at, &len);
                if (!len) {
                    rd->pos = at;
                    rd->done = 1;
                    return;
                }
            }
        }
        if (res->body_len + sz > H1_MAX_BODY) {
            rd->bad = "the answer's body exceeds 64 MiB";
            return;
        }
        if (n - at < sz + 1)
            return;
        size_t data = at;
        at += sz;
        if (in[at] == '\r') {
            if (n - at < 2)
                return;
            at++;
        }
        if (in[at] != '\n') {
            rd->bad = "chunk data not followed by CRLF";
            return;
        }
        body_add(res, in + data, sz);
        rd->pos = at + 1;
    }
}

/* Advances rd over the bytes in c->in: done once the answer is complete, bad when it is broken. */
static void progress(struct h1 *c, struct http_response *res, struct reading *rd, int eof)
{
    while (!rd->head) {
        size_t end = head_end(c->in, c->nin);
        if (!end) {
            if (c->nin > H1_MAX_HEAD)
                rd->bad = "the header section exceeds 1 MiB";
            return;
        }
        int k = parse_head(c->in, end, res, rd);
        if (k < 0) {
            rd->bad = "the answer is not HTTP/1.0 or HTTP/1.1";
            return;
        }
        if (k == 0) { /* an interim answer: the final one follows */
            memmove(c->in, c->in + end, c->nin - end);
            c->nin -= end;
            continue;
        }
        rd->head = end;
        rd->pos = end;
        if (rd->bad)
            return;
    }
    size_t have = c->nin - rd->head;
    switch (rd->framing) {
    case BODY_NONE:
        rd->done = 1;
        break;
    case BODY_LENGTH:
        if ((long long)have >= rd->length) {
            if (rd->length > (long long)H1_MAX_BODY) {
                rd->bad = "the answer's body exceeds 64 MiB";
                break;
            }
            body_add(res, c->in + rd->head, (size_t)rd->length);
            rd->pos = rd->head + (size_t)rd->length;
            rd->done = 1;
        }
        break;
    case BODY_CHUNKED:
        chunks(c->in, c->nin, res, rd);
        break;
    case BODY_CLOSE:
        if (have > H1_MAX_BODY)
            rd->bad = "the answer's body exceeds 64 MiB";
        else if (eof) {
            body_add(res, c->in + rd->head, have);
            rd->pos = c->nin;
            rd->done = 1;
        }
        break;
    }
    if (eof && !rd->done && !rd->bad) {
        /* what came of the body stays, as libcurl keeps it */
        if (rd->framing == BODY_LENGTH)
            body_add(res, c->in + rd->head, have);
        rd->bad = "the connection closed before the answer was complete";
    }
}

static void quick(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

/* Polls c's socket without sleeping until it is readable or c's budget is
 * spent, never past the left_ms the request has; 1 when readable. A spin
 * that finds nothing makes the next waits sleep at once, so a target slower
 * than the budget costs a few microseconds a request, not the budget. */
static int spin(struct h1 *c, long left_ms)
{
    if (!c->spin_ns)
        return 0;
    if (c->spin_skip > 0) {
        c->spin_skip--;
        return 0;
    }
    long budget = left_ms * 1000000L < c->spin_ns ? left_ms * 1000000L : c->spin_ns;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    c->spins++;
    for (;;) {
        struct pollfd p = {c->fd, POLLIN, 0};
        if (poll(&p, 1, 0) > 0) {
            c->spin_backoff = 0;
            return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) >= budget)
            break;
    }
    c->spin_backoff = c->spin_backoff ? c->spin_backoff * 2 : 1;
    if (c->spin_backoff > H1_SPIN_BACKOFF_MAX)
        c->spin_backoff = H1_SPIN_BACKOFF_MAX;
    c->spin_skip = c->spin_backoff;
    return 0;
}

/* Outcomes of one attempt. */
enum attempt { ANSWERED, FAILED, RETRY };

static enum attempt exchange(struct h1 *c, const struct strbuf *out, int reused, struct http_response *res,
                             const struct timespec *deadline, long timeout_ms,
                             int quickack, long *gap_ms)
{
    struct reading rd = {0};
    size_t sent = 0;
    int sending = 1, eof = 0, reset = 0;
    size_t got = 0;
    struct timespec head_at = {0, 0};
    for (;;) {
        if (sending) {
            ssize_t w = send(c->fd, out->data + sent, out->len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0)
                sent += (size_t)w;
            else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                sending = 0; /* the peer stopped reading: its answer may be on the way */
            if (sent == out->len)
                sending = 0;
        }
        long left = ms_left(deadline);
        if (left <= 0) {
            snprintf(res->error, sizeof res->error, "Operation timed out after %ld milliseconds with %zu bytes received",
                     timeout_ms, got);
            drop(c);
            return res->status ? ANSWERED : FAILED;
        }
        struct pollfd p = {c->fd, (short)(POLLIN | (sending ? POLLOUT : 0)), 0};
        int pr;
        if (!sending && spin(c, left)) {
            pr = 1;
            p.revents = POLLIN;
        } else {
            left = ms_left(deadline); /* a spin may have taken some */
            pr = poll(&p, 1, left > 0 ? (int)left : 0);
        }
        if (pr < 0 && errno != EINTR) {
            snprintf(res->error, sizeof res->error, "poll: %s", strerror(errno));
            drop(c);
            return FAILED;
        }
        if (pr <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        if (c->capin - c->nin < 16384) {
            c->capin = c->capin ? c->capin * 2 : 65536;
            c->in = mem_realloc(c->in, c->capin);
        }
        ssize_t r = recv(c->fd, c->in + c->nin, c->capin - c->nin, MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
        if (r <= 0) {
            eof = 1;
            reset = r < 0 ? errno : 0;
        } else {
            c->nin += (size_t)r;
            got += (size_t)r;
        }
        if (!got && eof) {
            drop(c);
            if (reused)
                return RETRY; /* the kept-alive connection had died: libcurl retries too */
            snprintf(res->error, sizeof res->error, "%s", reset ? strerror(reset) : "Empty reply from server");
            return FAILED;
        }
        int had_head = rd.head != 0;
        progress(c, res, &rd, eof);
        if (rd.head && !had_head) {
            clock_gettime(CLOCK_MONOTONIC, &head_at);
            if (quickack)
                quick(c->fd);
            if (c->nin == rd.head && rd.framing != BODY_NONE && !rd.done)
                *gap_ms = -2; /* the body comes in a later read */
        } else if (had_head && *gap_ms == -2 && c->nin > rd.head) {
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            *gap_ms = (t.tv_sec - head_at.tv_sec) * 1000 + (t.tv_nsec - head_at.tv_nsec) / 1000000;
        }
        if (rd.bad || rd.done || eof)
            break;
        if (quickack && rd.head)
            quick(c->fd); /* a partial body */
    }
    if (*gap_ms == -2)
        *gap_ms = -1;
    if (rd.bad) {
        snprintf(res->error, sizeof res->error, "%s", rd.bad);
        drop(c);
        return res->status ? ANSWERED : FAILED;
    }
    if (!rd.done) {
        snprintf(res->error, sizeof res->error, "the connection closed before the answer was complete");
        drop(c);
        return res->status ? ANSWERED : FAILED;
    }
    /* Bytes beyond the answer, an answer before the request was sent whole,
     * or a connection the target closes: the next request opens another. */
    if (rd.close_after || eof || sending || sent < out->len || rd.pos != c->nin)
        drop(c);
    else
        c->nin = 0;
    return ANSWERED;
}

int h1_do(struct h1 *c, const struct http_request *q, struct http_response *res, long timeout_ms, int quickack,
          long *gap_ms)
{
    struct h1_url u;
    *gap_ms = -1;
    res->error[0] = '\0';
    if (parse_url(q->url, &u)) {
        snprintf(res->error, sizeof res->error, "not a plain http:// URL: %s", q->url);
        return -1;
    }
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    struct strbuf out = {0};
    format(&out, q, &u);
    int rc = -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        c->fd = unpark(c, u.authority, u.authlen);
        if (c->fd >= 0 && !alive(c->fd))
            drop(c);
        int reused = c->fd >= 0;
        if (!reused && open_conn(c, &u, &deadline, res->error, sizeof res->error))
            break;
        enum attempt a = exchange(c, &out, reused, res, &deadline, timeout_ms, quickack, gap_ms);
        if (a == RETRY) {
            http_response_clear(res);
            continue;
        }
        rc = a == ANSWERED ? 0 : -1;
        break;
    }
    if (c->fd >= 0)
        park(c, c->fd, u.authority, u.authlen);
    c->fd = -1;
    strbuf_free(&out);
    return rc;
}

int h1_take(struct h1 *c, const char *url)
{
    struct h1_url u;
    if (parse_url(url, &u))
        return -1;
    int fd = unpark(c, u.authority, u.authlen);
    if (fd >= 0 && !alive(fd)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

void h1_give(struct h1 *c, const char *url, int fd)
{
    struct h1_url u;
    if (parse_url(url, &u))
        close(fd);
    else
        park(c, fd, u.authority, u.authlen);
}
