/* http.c: libcurl easy and multi handles, reused per worker so connections stay alive;
 * plain single requests go through h1.c instead. */
#include "http.h"
#include "h1.h"
#include "mem.h"

#include <ctype.h>
#include <curl/curl.h>
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

#define HTTP_MAX_BODY (64u << 20)

/* A body that trails its headers by this much waited for a delayed ACK (Linux
 * delays an ACK by 40 ms at least); this many such answers arm quick ACKs. */
#define HTTP_STALL_MS 30
#define HTTP_STALLS_TO_ARM 2

struct http_client;

/* What decides a request's method options: set after a reset, kept by the
 * next request of the same shape and method (XFER_NONE: not set up). */
enum xfer_shape { XFER_NONE, XFER_GET, XFER_HEAD, XFER_CHUNKED, XFER_FIELDS, XFER_BODILESS };

struct xfer {
    CURL *easy;
    enum xfer_shape shape;
    char method[32];           /* the method the options were set for */
    struct curl_slist *hdrs;
    struct http_response *res;
    const struct http_request *req;
    struct http_client *client;
    size_t sent;
    long timeout_ms;
    long expect_body;          /* Content-Length of the answer, -1 unknown */
    int in_body;               /* the header section has ended */
    int body_started;
    struct timespec headers_end;
};

struct http_client {
    long timeout_ms;
    struct xfer one;
    CURLM *multi;
    struct xfer *pool;
    int npool;
    curl_socket_t *socks; /* open connections of this client */
    size_t nsocks, capsocks;
    struct h1 *h1;        /* the plain requests' connections; NULL: libcurl sends all */
    /* While `one` hands its kept-alive connection to h1 (hand_over): the
     * socket libcurl closes then, kept open. */
    int in_one;
    curl_socket_t back;
};

/* Process-wide: a run has one target, and the client of runner_prepare meets
 * the stall (on GET /schema) before the workers' clients exist. */
static _Atomic long http_stall_total;

long http_stalls(void)
{
    return http_stall_total;
}

static pthread_once_t http_once = PTHREAD_ONCE_INIT;

static void http_global(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct http_client *http_client_new(long timeout_ms)
{
    pthread_once(&http_once, http_global);
    struct http_client *c = mem_calloc(1, sizeof *c);
    c->timeout_ms = timeout_ms;
    c->back = CURL_SOCKET_BAD;
    if (!h1_proxied())
        c->h1 = h1_new();
    c->one.easy = curl_easy_init();
    c->multi = curl_multi_init();
    if (!c->one.easy || !c->multi) {
        http_client_free(c);
        return NULL;
    }
    return c;
}

void http_client_free(struct http_client *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->npool; i++) {
        curl_easy_cleanup(c->pool[i].easy);
        curl_slist_free_all(c->pool[i].hdrs);
    }
    free(c->pool);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    curl_easy_cleanup(c->one.easy);
    curl_slist_free_all(c->one.hdrs);
    free(c->socks);
    h1_free(c->h1);
    free(c);
}

void http_response_clear(struct http_response *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nh; i++) {
        free(r->hnames[i]);
        free(r->hvalues[i]);
    }
    free(r->hnames);
    free(r->hvalues);
    free(r->body);
    memset(r, 0, sizeof *r);
}

static size_t on_body(char *p, size_t sz, size_t n, struct http_response *r)
{
    size_t len = sz * n;
    if (r->body_len + len > HTTP_MAX_BODY)
        return 0;
    char *b = mem_realloc(r->body, r->body_len + len + 1);
    memcpy(b + r->body_len, p, len);
    r->body = b;
    r->body_len += len;
    r->body[r->body_len] = '\0';
    return len;
}

void http_client_curl_only(struct http_client *c)
{
    h1_free(c->h1);
    c->h1 = NULL;
}

void http_client_spin(struct http_client *c, long us)
{
    if (c->h1)
        h1_spin(c->h1, us);
}

void http_response_header(struct http_response *r, const char *p, size_t len)
{
    if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
        /* A new status line (after 100 Continue): forget earlier headers. */
        for (size_t i = 0; i < r->nh; i++) {
            free(r->hnames[i]);
            free(r->hvalues[i]);
        }
        r->nh = 0;
        return;
    }
    const char *colon = memchr(p, ':', len);
    if (!colon)
        return;
    size_t nl = (size_t)(colon - p);
    const char *v = colon + 1, *e = p + len;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
        e--;
    r->hnames = mem_realloc(r->hnames, (r->nh + 1) * sizeof *r->hnames);
    r->hvalues = mem_realloc(r->hvalues, (r->nh + 1) * sizeof *r->hvalues);
    char *name = mem_alloc(nl + 1);
    for (size_t i = 0; i < nl; i++)
        name[i] = (char)tolower((unsigned char)p[i]);
    name[nl] = '\0';
    r->hnames[r->nh] = name;
    r->hvalues[r->nh] = mem_strndup(v, (size_t)(e - v));
    r->nh++;
}

static size_t on_header(char *p, size_t sz, size_t n, struct http_response *r)
{
    http_response_header(r, p, sz * n);
    return sz * n;
}

/* ---------- delayed ACKs ----------
 * A target that writes its headers and its body in two sends without
 * TCP_NODELAY holds the body (Nagle's algorithm) until the headers are
 * acknowledged, and Linux delays that ACK on a kept-alive connection by 40 ms
 * or more: every answer then costs the delay. Such answers are counted
 * (http_stalls); after HTTP_STALLS_TO_ARM of them, every client acknowledges at
 * once whenever the header section ends, or a body is still partial, with
 * TCP_QUICKACK, which Linux clears again by itself, so it is set each time. */

/* The client's sockets are tracked because libcurl 7.88 names a transfer's
 * socket (CURLINFO_ACTIVESOCKET) only once the transfer is over; the few a
 * client keeps open are all acknowledged, which costs nothing on the idle ones. */
static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct http_client *c = ud;
    (void)purpose;
    if (c->nsocks == c->capsocks) {
        size_t cap = c->capsocks ? c->capsocks * 2 : 4;
        c->socks = mem_array(c->socks, cap, sizeof *c->socks);
        c->capsocks = cap;
    }
    curl_socket_t fd = socket(a->family, a->socktype, a->protocol);
    if (fd != CURL_SOCKET_BAD)
        c->socks[c->nsocks++] = fd;
    return fd;
}

static int close_socket(void *ud, curl_socket_t fd)
{
    struct http_client *c = ud;
    for (size_t i = 0; i < c->nsocks; i++)
        if (c->socks[i] == fd) {
            c->socks[i] = c->socks[--c->nsocks];
            break;
        }
    if (c->in_one && c->h1) {
        if (c->back != CURL_SOCKET_BAD)
            close(c->back);
        c->back = fd;
        return 0;
    }
    return close(fd);
}

static void quickack(const struct http_client *c)
{
    int one = 1;
    for (size_t i = 0; i < c->nsocks; i++)
        setsockopt(c->socks[i], IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

static size_t curl_header(char *p, size_t sz, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t len = sz * n;
    if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
        x->in_body = 0;
        x->expect_body = -1;
    } else if (len >= 15 && !strncasecmp(p, "content-length:", 15)) {
        x->expect_body = strtol(p + 15, NULL, 10);
    } else if ((len == 2 && p[0] == '\r') || (len == 1 && p[0] == '\n')) {
        x->in_body = 1;
        clock_gettime(CLOCK_MONOTONIC, &x->headers_end);
        if (http_stall_total >= HTTP_STALLS_TO_ARM)
            quickack(x->client);
    }
    return on_header(p, sz, n, x->res);
}

static size_t curl_body(char *p, size_t sz, size_t n, void *ud)
{
    struct xfer *x = ud;
    if (x->in_body && !x->body_started) {
        x->body_started = 1;
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long ms = (t.tv_sec - x->headers_end.tv_sec) * 1000 +
                  (t.tv_nsec - x->headers_end.tv_nsec) / 1000000;
        if (ms >= HTTP_STALL_MS)
            http_stall_total++;
    }
    size_t got = on_body(p, sz, n, x->res);
    int partial = x->expect_body < 0 || (long)x->res->body_len < x->expect_body;
    if (http_stall_total >= HTTP_STALLS_TO_ARM && got && partial)
        quickack(x->client);
    return got;
}

static size_t on_read(char *buf, size_t sz, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t left = x->req->body_len - x->sent, want = sz * n;
    if (want > left)
        want = left;
    memcpy(buf, x->req->body + x->sent, want);
    x->sent += want;
    return want;
}

static int has_header(const struct http_request *q, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < q->nheaders; i++)
        if (!strncasecmp(q->headers[i], name, n) && q->headers[i][n] == ':')
            return 1;
    return 0;
}

static enum xfer_shape shape_of(const struct http_request *q)
{
    if (!strcmp(q->method, "HEAD"))
        return XFER_HEAD;
    if (q->chunked && q->body)
        return XFER_CHUNKED;
    if (q->body || !strcmp(q->method, "POST"))
        return XFER_FIELDS;
    return strcmp(q->method, "GET") ? XFER_BODILESS : XFER_GET;
}

/* Resets the handle and sets every option but the request's own: the URL,
 * the error buffer, the body and the headers. */
static void setup_shape(struct http_client *c, struct xfer *x, const struct http_request *q, enum xfer_shape shape)
{
    CURL *e = x->easy;
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curl_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, curl_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, c);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, c);
    if (shape == XFER_HEAD) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (shape == XFER_CHUNKED) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, x);
    }
    if ((shape == XFER_CHUNKED || shape == XFER_FIELDS || shape == XFER_BODILESS) && strcmp(q->method, "POST"))
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
    /* A method too long to remember sets the handle up again next time. */
    size_t ml = strlen(q->method);
    x->shape = ml < sizeof x->method ? shape : XFER_NONE;
    if (x->shape != XFER_NONE)
        memcpy(x->method, q->method, ml + 1);
    else
        x->method[0] = '\0';
}

/* Options are set per request only where requests differ: a reset and the
 * full set cost more than the request's own options, run after run of the
 * same kind of request (the shape and the method decide the rest). */
static void setup(struct http_client *c, struct xfer *x, const struct http_request *q, struct http_response *r)
{
    CURL *e = x->easy;
    enum xfer_shape shape = shape_of(q);
    if (shape != x->shape || strcmp(q->method, x->method))
        setup_shape(c, x, q, shape);
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    x->res = r;
    x->req = q;
    x->client = c;
    x->sent = 0;
    x->expect_body = -1;
    x->in_body = 0;
    x->body_started = 0;
    x->timeout_ms = c->timeout_ms;
    r->error[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, q->url);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error);
    if (shape == XFER_CHUNKED && !has_header(q, "Transfer-Encoding"))
        x->hdrs = curl_slist_append(x->hdrs, "Transfer-Encoding: chunked");
    if (shape == XFER_FIELDS) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(q->body ? q->body_len : 0));
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body ? q->body : "");
    }
    /* libcurl adds a form Content-Type to bodies and Expect: 100-continue to
     * large ones; the fixture alone decides what is sent. */
    if (!has_header(q, "Content-Type") && shape != XFER_HEAD)
        x->hdrs = curl_slist_append(x->hdrs, "Content-Type:");
    if (!has_header(q, "Expect"))
        x->hdrs = curl_slist_append(x->hdrs, "Expect:");
    for (size_t i = 0; i < q->nheaders; i++)
        x->hdrs = curl_slist_append(x->hdrs, q->headers[i]);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
}

/* ---------- early answers ----------
 * A target may answer (413, 401) before reading a large body and close the
 * connection (CALL-3: it need not read the rest). libcurl 7.88 then reports a
 * send error and drops the answer that already arrived. The same request is
 * then replayed over a plain socket that keeps reading after the peer stops
 * reading, so the answer the target gave is the one checked. */

static void raw_append(char **b, size_t *n, size_t *cap, const char *s, size_t len)
{
    if (*n + len + 1 > *cap) {
        while (*n + len + 1 > *cap)
            *cap = *cap ? *cap * 2 : 4096;
        *b = mem_realloc(*b, *cap);
    }
    memcpy(*b + *n, s, len);
    *n += len;
    (*b)[*n] = '\0';
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Parses a complete answer in buf; returns 1 when complete, 0 when more is needed. */
static int raw_parse(const char *buf, size_t n, int eof, struct http_response *r)
{
    const char *end = NULL;
    for (size_t i = 0; i + 3 < n; i++)
        if (!memcmp(buf + i, "\r\n\r\n", 4)) {
            end = buf + i;
            break;
        }
    if (!end)
        return 0;
    const char *body = end + 4;
    size_t have = n - (size_t)(body - buf);
    long clen = -1;
    int chunked = 0;
    const char *line = buf;
    http_response_clear(r);
    while (line < end) {
        const char *nl = strstr(line, "\r\n");
        if (!nl || nl > end)
            nl = end;
        if (line == buf) {
            r->status = strtol(line + 9, NULL, 10);
        } else {
            on_header((char *)line, 1, (size_t)(nl - line), r);
            const char *c = memchr(line, ':', (size_t)(nl - line));
            if (c && !strncasecmp(line, "content-length", 14))
                clen = strtol(c + 1, NULL, 10);
            if (c && !strncasecmp(line, "transfer-encoding", 17) && strstr(c, "chunked"))
                chunked = 1;
        }
        line = nl + 2;
    }
    if (chunked) {
        size_t pos = 0;
        for (;;) {
            char *e;
            unsigned long sz = strtoul(body + pos, &e, 16);
            const char *crlf = strstr(body + pos, "\r\n");
            if (!crlf || (size_t)(crlf - body) >= have)
                return eof;
            pos = (size_t)(crlf - body) + 2;
            if (sz == 0)
                return 1;
            if (pos + sz + 2 > have)
                return eof;
            on_body((char *)body + pos, 1, sz, r);
            pos += sz + 2;
        }
    }
    if (clen >= 0 && have < (size_t)clen && !eof)
        return 0;
    on_body((char *)body, 1, clen >= 0 && (size_t)clen < have ? (size_t)clen : have, r);
    return clen >= 0 || eof;
}

int http_do_plain(const struct http_request *q, struct http_response *r, long timeout_ms)
{
    char host[256], port[16] = "80";
    const char *u = q->url;
    if (strncmp(u, "http://", 7))
        return -1;
    u += 7;
    size_t hl = strcspn(u, ":/");
    if (hl >= sizeof host)
        return -1;
    memcpy(host, u, hl);
    host[hl] = '\0';
    const char *path = strchr(u, '/');
    if (u[hl] == ':')
        snprintf(port, sizeof port, "%.*s", (int)strcspn(u + hl + 1, "/"), u + hl + 1);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) || !ai)
        return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int rc = -1;
    char *out = NULL, *in = NULL;
    size_t on = 0, ocap = 0, in_n = 0, in_cap = 0, sent = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (fd < 0 || (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS))
        goto out;
    char head[1024];
    int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: %.*s\r\nAccept: */*\r\n", q->method,
                     path ? path : "/", (int)strcspn(u, "/"), u);
    raw_append(&out, &on, &ocap, head, (size_t)n);
    for (size_t i = 0; i < q->nheaders; i++) {
        const char *c = strchr(q->headers[i], ':');
        if (!c || !c[1])
            continue;
        raw_append(&out, &on, &ocap, q->headers[i], strlen(q->headers[i]));
        raw_append(&out, &on, &ocap, "\r\n", 2);
    }
    n = snprintf(head, sizeof head, "Content-Length: %zu\r\n\r\n", q->body_len);
    if (q->chunked)
        n = snprintf(head, sizeof head, "\r\n%zx\r\n", q->body_len);
    raw_append(&out, &on, &ocap, head, (size_t)n);
    raw_append(&out, &on, &ocap, q->body ? q->body : "", q->body ? q->body_len : 0);
    if (q->chunked)
        raw_append(&out, &on, &ocap, "\r\n0\r\n\r\n", 7);
    int sending = 1, eof = 0;
    while (!eof) {
        long left = timeout_ms - ms_since(&t0);
        if (left <= 0)
            break;
        struct pollfd p = {fd, (short)(POLLIN | (sending ? POLLOUT : 0)), 0};
        if (poll(&p, 1, (int)left) <= 0)
            break;
        if (p.revents & POLLIN || p.revents & (POLLHUP | POLLERR)) {
            char buf[65536];
            ssize_t got = recv(fd, buf, sizeof buf, 0);
            if (got > 0)
                raw_append(&in, &in_n, &in_cap, buf, (size_t)got);
            else if (got == 0 || (errno != EAGAIN && errno != EINTR))
                eof = 1;
            if (in_n && raw_parse(in, in_n, eof, r)) {
                rc = 0;
                break;
            }
        }
        if (sending && (p.revents & POLLOUT)) {
            ssize_t w = send(fd, out + sent, on - sent, MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
            else if (errno != EAGAIN && errno != EINTR)
                sending = 0;
            if (sent == on)
                sending = 0;
        }
    }
    if (rc && in_n && raw_parse(in, in_n, 1, r) && r->status > 0)
        rc = 0;
out:
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    free(out);
    free(in);
    if (rc)
        http_response_clear(r);
    return rc;
}

static int finish(struct xfer *x, CURLcode rc)
{
    struct http_response *r = x->res;
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    r->status = status;
    if (status == 0 && rc == CURLE_SEND_ERROR && x->req->body) {
        char keep[sizeof r->error];
        memcpy(keep, r->error, sizeof keep);
        if (!http_do_plain(x->req, r, x->timeout_ms))
            return 0;
        memcpy(r->error, keep, sizeof keep);
    }
    if (rc != CURLE_OK && !r->error[0])
        snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(rc));
    if (status > 0)
        return 0;
    if (!r->error[0])
        snprintf(r->error, sizeof r->error, "no HTTP answer");
    return -1;
}

/* After libcurl's transfer on `one`: when libcurl keeps its connection alive
 * (its own judgement of the answer's framing, Connection, an upload an early
 * answer cut short...), h1 takes it over for the next request, so that a
 * target still sees one connection per client. libcurl gives up a cached
 * connection only when its handle goes: the handle is replaced, and
 * close_socket keeps the socket open for h1. */
static void hand_over(struct http_client *c, const char *url)
{
    curl_socket_t s = CURL_SOCKET_BAD;
    if (curl_easy_getinfo(c->one.easy, CURLINFO_ACTIVESOCKET, &s) != CURLE_OK || s == CURL_SOCKET_BAD)
        return;
    c->in_one = 1;
    curl_easy_cleanup(c->one.easy);
    c->in_one = 0;
    c->one.easy = curl_easy_init();
    if (!c->one.easy)
        mem_fail(sizeof(CURL *));
    c->one.shape = XFER_NONE;
    if (c->back == s)
        h1_give(c->h1, url, c->back);
    else if (c->back != CURL_SOCKET_BAD)
        close(c->back);
    c->back = CURL_SOCKET_BAD;
}

int http_do(struct http_client *c, const struct http_request *req, struct http_response *res)
{
    if (c->h1 && h1_plain(req)) {
        long gap;
        int rc = h1_do(c->h1, req, res, c->timeout_ms, http_stall_total >= HTTP_STALLS_TO_ARM, &gap);
        if (gap >= HTTP_STALL_MS)
            http_stall_total++;
        return rc;
    }
    setup(c, &c->one, req, res);
    if (c->h1) {
        /* One connection per target at a time, as before h1 (a target may
         * serve one connection at a time): libcurl 7.88 cannot be lent h1's
         * (it connects even a socket said to be connected), so h1's goes and
         * libcurl's comes to h1 after the answer. */
        int fd = h1_take(c->h1, req->url);
        if (fd >= 0)
            close(fd);
    }
    CURLcode rc = curl_easy_perform(c->one.easy);
    int out = finish(&c->one, rc);
    if (c->h1)
        hand_over(c, req->url);
    return out;
}

int http_do_many(struct http_client *c, const struct http_request *req, int repeat, int concurrency,
                 struct http_response *res)
{
    if (concurrency < 1)
        concurrency = 1;
    if (concurrency > repeat)
        concurrency = repeat;
    if (c->npool < concurrency) {
        c->pool = mem_realloc(c->pool, (size_t)concurrency * sizeof *c->pool);
        /* The handles' callback data point into the pool, which may have moved:
         * set every kept handle up again (its shape kept it from it otherwise). */
        for (int i = 0; i < c->npool; i++)
            c->pool[i].shape = XFER_NONE;
        for (int i = c->npool; i < concurrency; i++) {
            memset(&c->pool[i], 0, sizeof c->pool[i]);
            c->pool[i].easy = curl_easy_init();
        }
        c->npool = concurrency;
    }
    int next = 0, running = 0, failed = 0, done = 0;
    for (int i = 0; i < concurrency; i++) {
        setup(c, &c->pool[i], req, &res[next++]);
        curl_easy_setopt(c->pool[i].easy, CURLOPT_PRIVATE, &c->pool[i]);
        curl_multi_add_handle(c->multi, c->pool[i].easy);
    }
    while (done < repeat) {
        curl_multi_perform(c->multi, &running);
        CURLMsg *m;
        int q;
        while ((m = curl_multi_info_read(c->multi, &q))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            struct xfer *x;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            CURLcode rc = m->data.result;
            curl_multi_remove_handle(c->multi, x->easy);
            if (finish(x, rc))
                failed++;
            done++;
            if (next < repeat) {
                setup(c, x, req, &res[next++]);
                curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
                curl_multi_add_handle(c->multi, x->easy);
            }
        }
        if (done < repeat)
            curl_multi_poll(c->multi, NULL, 0, 100, NULL);
    }
    return failed;
}

char *http_header(const struct http_response *res, const char *lname)
{
    char *out = NULL;
    size_t n = 0;
    for (size_t i = 0; i < res->nh; i++) {
        if (strcmp(res->hnames[i], lname))
            continue;
        size_t l = strlen(res->hvalues[i]);
        out = mem_realloc(out, n + l + 3);
        if (n) {
            memcpy(out + n, ", ", 2);
            n += 2;
        }
        memcpy(out + n, res->hvalues[i], l + 1);
        n += l;
    }
    return out;
}
