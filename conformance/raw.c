/* raw.c: sends exact bytes on one socket and parses the answers in order (see raw.h). */
#include "raw.h"
#include "mem.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEAD (256 * 1024) /* an answer head longer than this is not HTTP we can judge */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The end of the line starting at p (the LF), or NULL when it has not arrived. */
static const char *line_end(const char *p, const char *end)
{
    return memchr(p, '\n', (size_t)(end - p));
}

/* p..lf without the CR before lf. */
static size_t line_len(const char *p, const char *lf)
{
    return (size_t)(lf - p) - (lf > p && lf[-1] == '\r');
}

static void add_header(struct http_response *r, const char *name, size_t nl, const char *val, size_t vl)
{
    while (vl && (*val == ' ' || *val == '\t'))
        val++, vl--;
    while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
        vl--;
    r->hnames = mem_array(r->hnames, r->nh + 1, sizeof *r->hnames);
    r->hvalues = mem_array(r->hvalues, r->nh + 1, sizeof *r->hvalues);
    char *n = mem_strndup(name, nl);
    for (char *c = n; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    r->hnames[r->nh] = n;
    r->hvalues[r->nh++] = mem_strndup(val, vl);
}

/* Decodes a chunked body at p..end into *body. 1 with *stop after the last
 * chunk's trailers, 0 when incomplete, -1 when malformed (err filled). */
static int dechunk(const char *p, const char *end, char **body, size_t *blen, const char **stop, char *err,
                   size_t errlen)
{
    size_t cap = 0, n = 0;
    char *b = NULL;
    int rc = 0;
    for (;;) {
        const char *lf = line_end(p, end);
        if (!lf)
            goto out;
        size_t size = 0, digits = 0;
        const char *q = p;
        for (; q < lf && isxdigit((unsigned char)*q) && digits < 16; q++, digits++)
            size = size * 16 + (size_t)(isdigit((unsigned char)*q) ? *q - '0' : (tolower((unsigned char)*q) - 'a' + 10));
        if (!digits || (q < p + line_len(p, lf) && *q != ';' && *q != ' ' && *q != '\t')) {
            snprintf(err, errlen, "an unparsable chunk size line in a chunked answer");
            rc = -1;
            goto out;
        }
        p = lf + 1;
        if (size == 0) {
            for (;;) { /* trailers up to the empty line */
                const char *tl = line_end(p, end);
                if (!tl)
                    goto out;
                size_t l = line_len(p, tl);
                p = tl + 1;
                if (!l)
                    break;
            }
            *stop = p;
            rc = 1;
            goto out;
        }
        if ((size_t)(end - p) < size + 1)
            goto out;
        if (n + size + 1 > cap) {
            cap = (n + size + 1) * 2;
            b = mem_realloc(b, cap);
        }
        memcpy(b + n, p, size);
        n += size;
        p += size;
        if (*p == '\r') {
            if (end - p < 2)
                goto out;
            p++;
        }
        if (*p != '\n') {
            snprintf(err, errlen, "a chunk of a chunked answer is not followed by CRLF");
            rc = -1;
            goto out;
        }
        p++;
    }
out:
    if (rc == 1) {
        b = mem_realloc(b, n + 1);
        b[n] = '\0';
        *body = b;
        *blen = n;
    } else {
        free(b);
    }
    return rc;
}

int raw_parse(const char *buf, size_t len, int eof, struct http_response *res, size_t *used, char *err,
              size_t errlen)
{
    const char *end = buf + len, *p = buf, *lf = line_end(p, end);
    struct http_response r = {0};
    int rc = 0;
    if (!lf) {
        if (len > MAX_HEAD || (len >= 12 && strncmp(buf, "HTTP/1.", 7))) {
            snprintf(err, errlen, "the answer does not start with an HTTP/1.x status line");
            return -1;
        }
        return 0;
    }
    size_t sl = line_len(p, lf);
    if (sl < 12 || strncmp(p, "HTTP/1.", 7) || !isdigit((unsigned char)p[7]) || p[8] != ' ' ||
        !isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) || !isdigit((unsigned char)p[11]) ||
        (sl > 12 && p[12] != ' ')) {
        snprintf(err, errlen, "the answer does not start with an HTTP/1.x status line: \"%.*s\"",
                 (int)(sl > 60 ? 60 : sl), p);
        return -1;
    }
    r.status = strtol(p + 9, NULL, 10);
    long clen = -1;
    int chunked = 0;
    for (p = lf + 1;; p = lf + 1) {
        if (!(lf = line_end(p, end))) {
            if (len > MAX_HEAD) {
                snprintf(err, errlen, "the answer's header section is longer than %d bytes", MAX_HEAD);
                rc = -1;
            }
            goto out;
        }
        size_t l = line_len(p, lf);
        if (!l)
            break;
        const char *colon = memchr(p, ':', l);
        if (!colon || colon == p) {
            snprintf(err, errlen, "an answer header line without a name and a colon: \"%.*s\"",
                     (int)(l > 60 ? 60 : l), p);
            rc = -1;
            goto out;
        }
        add_header(&r, p, (size_t)(colon - p), colon + 1, l - (size_t)(colon + 1 - p));
        const char *v = r.hvalues[r.nh - 1];
        if (!strcmp(r.hnames[r.nh - 1], "transfer-encoding"))
            for (const char *c = v; *c && !chunked; c++)
                chunked = !strncasecmp(c, "chunked", 7);
        if (!strcmp(r.hnames[r.nh - 1], "content-length")) {
            char *e;
            long c = strtol(v, &e, 10);
            if (!*v || *e || c < 0 || (clen >= 0 && c != clen)) {
                snprintf(err, errlen, "the answer's Content-Length is not one number: \"%.60s\"", v);
                rc = -1;
                goto out;
            }
            clen = c;
        }
    }
    p = lf + 1;
    const char *stop = p;
    if ((r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304) {
        rc = 1;
    } else if (chunked) {
        rc = dechunk(p, end, &r.body, &r.body_len, &stop, err, errlen);
    } else if (clen >= 0) {
        if ((size_t)(end - p) >= (size_t)clen) {
            r.body = mem_strndup(p, (size_t)clen);
            r.body_len = (size_t)clen;
            stop = p + clen;
            rc = 1;
        }
    } else if (eof) {
        r.body = mem_strndup(p, (size_t)(end - p));
        r.body_len = (size_t)(end - p);
        stop = end;
        rc = 1;
    }
    if (rc == 1) {
        if (!r.body)
            r.body = mem_strdup("");
        *used = (size_t)(stop - buf);
        *res = r;
        return 1;
    }
out:
    http_response_clear(&r);
    return rc;
}

int raw_connect(const char *host, const char *port, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, port, &hints, &ai), fd = -1;
    if (g) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(g));
        return -1;
    }
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen)) {
            snprintf(err, errlen, "cannot connect to %s:%s: %s", host, port, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    return fd;
}

/* The bytes received and not yet parsed into an answer. */
struct inbuf {
    char *data;
    size_t len, cap, start;
};

/* Parses every complete answer of in into x; -1 when an answer is malformed. */
static int parse_all(struct inbuf *in, int eof, struct raw_exchange *x)
{
    for (;;) {
        struct http_response r;
        size_t used = 0;
        int rc = raw_parse(in->data + in->start, in->len - in->start, eof, &r, &used, x->error, sizeof x->error);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (eof && in->len > in->start)
                snprintf(x->error, sizeof x->error, "the connection closed in the middle of answer %zu "
                         "(%zu bytes of it received)", x->n + 1, in->len - in->start);
            return 0;
        }
        in->start += used;
        if (r.status >= 100 && r.status < 200 && r.status != 101) {
            http_response_clear(&r); /* an interim answer: the final one follows */
            continue;
        }
        x->res = mem_array(x->res, x->n + 1, sizeof *x->res);
        x->res[x->n++] = r;
    }
}

void raw_run(int fd, const struct raw_chunk *chunks, size_t nchunks, size_t want, long within_ms,
             int wait_close, long linger_ms, struct raw_exchange *x)
{
    double t0 = now_ms(), deadline = t0 + (double)within_ms, send_at = t0 + (double)(nchunks ? chunks[0].pause_ms : 0);
    double linger_until = 0;
    size_t ci = 0, off = 0;
    int sending = nchunks > 0;
    struct inbuf in = {0};
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    for (;;) {
        double now = now_ms();
        int answered = x->n >= want && !sending;
        if (x->closed || x->error[0])
            break;
        if (answered && !wait_close && linger_ms <= 0)
            break;
        if (answered && !wait_close && !linger_until)
            linger_until = now + (double)linger_ms;
        if (linger_until && now >= linger_until)
            break;
        if (now >= deadline) {
            x->timed_out = !(answered && !wait_close);
            break;
        }
        struct pollfd pf = {fd, POLLIN, 0};
        double until = linger_until && linger_until < deadline ? linger_until : deadline;
        if (sending && now >= send_at)
            pf.events |= POLLOUT;
        else if (sending && send_at < until)
            until = send_at;
        int wait = (int)(until - now) + 1;
        if (poll(&pf, 1, wait) < 0 && errno != EINTR) {
            snprintf(x->error, sizeof x->error, "poll: %s", strerror(errno));
            break;
        }
        if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
            if (in.cap - in.len < 65536) {
                in.cap = in.cap ? in.cap * 2 : 65536;
                in.data = mem_realloc(in.data, in.cap + 1);
            }
            ssize_t r = recv(fd, in.data + in.len, in.cap - in.len, 0);
            if (r > 0) {
                in.len += (size_t)r;
                parse_all(&in, 0, x);
            } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                x->closed = 1;
                parse_all(&in, 1, x);
            }
        }
        if (sending && (pf.revents & POLLOUT)) {
            const struct raw_chunk *c = &chunks[ci];
            ssize_t w = c->len > off ? send(fd, c->data + off, c->len - off, MSG_NOSIGNAL) : 0;
            if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                sending = 0; /* the target stopped reading; what it answered is still read */
            else if (w > 0)
                off += (size_t)w;
            if (sending && off >= c->len) {
                off = 0;
                if (++ci == nchunks)
                    sending = 0;
                else
                    send_at = now_ms() + (double)chunks[ci].pause_ms;
            }
        }
    }
    x->extra = in.len - in.start;
    free(in.data);
}

void raw_exchange_clear(struct raw_exchange *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n; i++)
        http_response_clear(&x->res[i]);
    free(x->res);
    memset(x, 0, sizeof *x);
}
