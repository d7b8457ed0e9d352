/* Tests of the HTTP client against a target that answers before reading a large body. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <unistd.h>

#include "http.h"
#include "testutil.h"

/* Answers every connection 413 as soon as the header section is in, then
 * closes without reading the body (a reset, as many servers do). */
struct srv {
    int lfd;
    int read_headers; /* 0: answer at once, before the request is even read */
};

static void *early_413(void *arg)
{
    struct srv *sv = arg;
    int lfd = sv->lfd;
    for (int k = 0; k < 64; k++) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            break;
        char buf[8192];
        size_t n = 0;
        while (n < sizeof buf - 1 && sv->read_headers) {
            ssize_t r = recv(c, buf + n, sizeof buf - 1 - n, 0);
            if (r <= 0)
                break;
            n += (size_t)r;
            buf[n] = '\0';
            if (strstr(buf, "\r\n\r\n"))
                break;
        }
        static const char ans[] = "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
                                  "Content-Length: 73\r\nConnection: close\r\n\r\n"
                                  "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"too big\",\"details\":null}}";
        (void)!write(c, ans, sizeof ans - 1);
        struct linger lg = {1, 0};
        setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(c);
    }
    return NULL;
}

static void early_answer(int read_headers, int plain)
{
    int port, lfd = testutil_listen(&port);
    signal(SIGPIPE, SIG_IGN);
    struct srv sv = {lfd, read_headers};
    pthread_t th;
    pthread_create(&th, NULL, early_413, &sv);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/afi/call/echo", port);
    size_t n = 8u << 20;
    char *body = malloc(n);
    memset(body, ' ', n);
    const char *h[] = {"Content-Type: application/json"};
    struct http_request q = {.method = "POST", .url = url, .headers = h, .nheaders = 1, .body = body, .body_len = n};
    struct http_client *c = http_client_new(5000);
    for (int i = 0; i < 3; i++) {
        struct http_response r = {0};
        int rc = plain ? http_do_plain(&q, &r, 5000) : http_do(c, &q, &r);
        cr_assert_eq(rc, 0, "no answer: %s", r.error);
        cr_assert_eq(r.status, 413);
        char *ct = http_header(&r, "content-type");
        cr_assert_str_eq(ct, "application/json");
        free(ct);
        cr_assert(strstr(r.body, "payload_too_large"));
        http_response_clear(&r);
    }
    http_client_free(c);
    shutdown(lfd, SHUT_RDWR);
    close(lfd);
    pthread_join(th, NULL);
    free(body);
}

Test(http, an_answer_before_the_body_is_read_is_kept)
{
    early_answer(1, 0);
}

Test(http, the_plain_client_reads_an_answer_sent_before_the_request)
{
    early_answer(0, 1);
}

Test(http, no_answer_is_reported)
{
    int port, lfd = testutil_listen(&port);
    close(lfd);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/afi/health", port);
    struct http_request q = {.method = "GET", .url = url};
    struct http_client *c = http_client_new(2000);
    struct http_response r = {0};
    cr_assert_eq(http_do(c, &q, &r), -1);
    cr_assert_eq(r.status, 0);
    cr_assert_neq(r.error[0], '\0');
    http_response_clear(&r);
    http_client_free(c);
}

/* A kept-alive server that writes each answer's headers and body in two sends
 * with Nagle's algorithm on (no TCP_NODELAY), as Python's http.server does; a
 * thread per connection. */
static void *split_conn(void *arg)
{
    int c = (int)(intptr_t)arg;
    char buf[8192];
    size_t n = 0;
    for (;;) {
        char *end = strstr(buf, "\r\n\r\n");
        while (!end) {
            ssize_t r = recv(c, buf + n, sizeof buf - 1 - n, 0);
            if (r <= 0)
                goto out;
            n += (size_t)r;
            buf[n] = '\0';
            end = strstr(buf, "\r\n\r\n");
        }
        size_t used = (size_t)(end + 4 - buf);
        memmove(buf, buf + used, n - used + 1);
        n -= used;
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n";
        static const char body[] = "{\"status\":\"ok\"}";
        if (write(c, head, sizeof head - 1) < 0 || write(c, body, sizeof body - 1) < 0)
            break;
    }
out:
    close(c);
    return NULL;
}

static void *split_server(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            break;
        pthread_t th;
        pthread_create(&th, NULL, split_conn, (void *)(intptr_t)c);
        pthread_detach(th);
    }
    return NULL;
}

Test(http, a_target_stalling_on_delayed_acks_is_counted_and_worked_around)
{
    /* Each stall costs the kernel's delayed-ACK timer (40 ms or more); without
     * the quick ACKs all but the first few of the 40 answers would stall. The
     * bound leaves room for a busy machine delaying a send by 30 ms now and then. */
    int port, lfd = testutil_listen(&port);
    pthread_t th;
    pthread_create(&th, NULL, split_server, (void *)(intptr_t)lfd);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/afi/health", port);
    struct http_request q = {.method = "GET", .url = url};
    struct http_client *c = http_client_new(5000);
    long before = http_stalls();
    for (int i = 0; i < 20; i++) {
        struct http_response r = {0};
        cr_assert_eq(http_do(c, &q, &r), 0, "no answer: %s", r.error);
        cr_assert_eq(r.status, 200);
        cr_assert_str_eq(r.body, "{\"status\":\"ok\"}");
        http_response_clear(&r);
    }
    struct http_response many[20] = {{0}};
    cr_assert_eq(http_do_many(c, &q, 20, 2, many), 0);
    for (int i = 0; i < 20; i++) {
        cr_assert_str_eq(many[i].body, "{\"status\":\"ok\"}");
        http_response_clear(&many[i]);
    }
    long stalls = http_stalls() - before;
    cr_assert_geq(stalls, 2, "the stall went unnoticed");
    cr_assert_leq(stalls, 14, "%ld of 40 answers stalled: the client kept delaying its ACKs", stalls);
    http_client_free(c);
    shutdown(lfd, SHUT_RDWR);
    close(lfd);
    pthread_join(th, NULL);
}

Test(http, a_pool_that_grows_keeps_every_handle_pointing_at_its_own_transfer)
{
    /* Growing the pool moves its transfers; a handle kept set up for the same
     * kind of request must not write into where its transfer was (it did: a
     * crash in a later step, once concurrency 5 followed concurrency 2). */
    int port, lfd = testutil_listen(&port);
    pthread_t th;
    pthread_create(&th, NULL, split_server, (void *)(intptr_t)lfd);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/afi/health", port);
    struct http_request q = {.method = "GET", .url = url};
    struct http_client *c = http_client_new(5000);
    static const int conc[] = {2, 5, 2, 9, 3};
    for (size_t k = 0; k < sizeof conc / sizeof *conc; k++) {
        struct http_response many[12] = {{0}};
        cr_assert_eq(http_do_many(c, &q, 12, conc[k], many), 0);
        for (int i = 0; i < 12; i++) {
            cr_assert_eq(many[i].status, 200, "concurrency %d, answer %d", conc[k], i);
            cr_assert_str_eq(many[i].body, "{\"status\":\"ok\"}");
            cr_assert_eq(many[i].nh, 2, "concurrency %d, answer %d: %zu headers", conc[k], i, many[i].nh);
            http_response_clear(&many[i]);
        }
    }
    http_client_free(c);
    shutdown(lfd, SHUT_RDWR);
    close(lfd);
    pthread_join(th, NULL);
}

/* ---------- requests of different kinds on one reused handle ----------
 * The client keeps a handle's options from one request to the next of the
 * same kind; a kept-alive server records every request it receives whole, so
 * a test sees that nothing of an earlier request (its method, body, headers)
 * reaches a later one. */
#define RECORD_MAX 32

struct recorder {
    int lfd;
    pthread_mutex_t lock;
    char *seen[RECORD_MAX];
    int n;
};

static void *recorder_run(void *arg)
{
    struct recorder *rc = arg;
    for (;;) {
        int c = accept(rc->lfd, NULL, NULL);
        if (c < 0)
            break;
        char buf[16384];
        size_t n = 0, len;
        while ((len = testutil_read_request(c, buf, sizeof buf, &n))) {
            pthread_mutex_lock(&rc->lock);
            if (rc->n < RECORD_MAX)
                rc->seen[rc->n++] = strndup(buf, len);
            pthread_mutex_unlock(&rc->lock);
            static const char ans[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
            int head = !strncmp(buf, "HEAD ", 5);
            if (write(c, ans, sizeof ans - 1 - (head ? 2 : 0)) < 0)
                break;
            testutil_request_done(buf, &n, len);
        }
        close(c);
    }
    return NULL;
}

/* The header section of the request the recorder saw last, and its body. */
static void last_seen(struct recorder *rc, char **head, const char **body)
{
    pthread_mutex_lock(&rc->lock);
    cr_assert_gt(rc->n, 0);
    char *s = rc->seen[rc->n - 1];
    pthread_mutex_unlock(&rc->lock);
    char *end = strstr(s, "\r\n\r\n");
    end[2] = '\0';
    *head = s;
    *body = end + 4;
}

Test(http, options_of_one_request_never_reach_the_next_on_a_reused_handle)
{
    struct recorder rc = {.lock = PTHREAD_MUTEX_INITIALIZER};
    int port;
    rc.lfd = testutil_listen(&port);
    pthread_t th;
    pthread_create(&th, NULL, recorder_run, &rc);
    char base[64], url[96];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    const char *json_h[] = {"Content-Type: application/json", "X-One: 1"};
    const char *none_h[] = {"X-Two: 2"};
    static const struct {
        const char *method, *path, *body;
        int chunked, with_headers;
        const char *line, *must, *must_not, *want_body;
    } steps[] = {
        {"POST", "/a", "{\"x\":1}", 0, 1, "POST /a HTTP/1.1", "Content-Length: 7", "Transfer-Encoding", "{\"x\":1}"},
        {"POST", "/b", "zz", 0, 0, "POST /b HTTP/1.1", "Content-Length: 2", "X-One", "zz"},
        {"GET", "/c", NULL, 0, 0, "GET /c HTTP/1.1", "X-Two: 2", "Content-Length", ""},
        {"PUT", "/d", "put", 0, 1, "PUT /d HTTP/1.1", "Content-Length: 3", "X-Two", "put"},
        {"DELETE", "/e", NULL, 0, 0, "DELETE /e HTTP/1.1", "X-Two: 2", "Content-Length", ""},
        {"HEAD", "/f", NULL, 0, 0, "HEAD /f HTTP/1.1", "X-Two: 2", "Content-Length", ""},
        {"POST", "/g", "abc", 1, 0, "POST /g HTTP/1.1", "Transfer-Encoding: chunked", "Content-Length", "3\r\nabc\r\n0\r\n\r\n"},
        {"POST", "/h", "q", 0, 1, "POST /h HTTP/1.1", "Content-Length: 1", "Transfer-Encoding", "q"},
        {"PUT", "/i", NULL, 0, 0, "PUT /i HTTP/1.1", "X-Two: 2", "Content-Length", ""},
        {"GET", "/j", NULL, 0, 1, "GET /j HTTP/1.1", "X-One: 1", "Content-Length", ""},
        {"POST", "/k", NULL, 0, 0, "POST /k HTTP/1.1", "Content-Length: 0", "X-One", ""},
        {"LONGMETHODNAMEOFMORETHANTHIRTYTWOBYTES", "/m", "m", 0, 0,
         "LONGMETHODNAMEOFMORETHANTHIRTYTWOBYTES /m HTTP/1.1", "Content-Length: 1", "X-One", "m"},
        {"LONGMETHODNAMEOFMORETHANTHIRTYTWOBYTES", "/n", NULL, 0, 0,
         "LONGMETHODNAMEOFMORETHANTHIRTYTWOBYTES /n HTTP/1.1", "X-Two: 2", "Content-Length", ""},
        {"GET", "/l", NULL, 0, 0, "GET /l HTTP/1.1", "X-Two: 2", "Content-Type", ""},
    };
    struct http_client *c = http_client_new(5000);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        snprintf(url, sizeof url, "%s%s", base, steps[i].path);
        struct http_request q = {.method = steps[i].method, .url = url,
                                 .headers = steps[i].with_headers ? json_h : none_h,
                                 .nheaders = steps[i].with_headers ? 2 : 1, .body = steps[i].body,
                                 .body_len = steps[i].body ? strlen(steps[i].body) : 0,
                                 .chunked = steps[i].chunked};
        struct http_response r = {0};
        cr_assert_eq(http_do(c, &q, &r), 0, "%s %s: %s", steps[i].method, steps[i].path, r.error);
        cr_assert_eq(r.status, 200);
        char *head;
        const char *body;
        last_seen(&rc, &head, &body);
        cr_assert_eq(strncmp(head, steps[i].line, strlen(steps[i].line)), 0, "step %zu sent %s", i, head);
        cr_assert(strstr(head, steps[i].must), "step %zu: no %s in %s", i, steps[i].must, head);
        cr_assert_null(strstr(head, steps[i].must_not), "step %zu: %s in %s", i, steps[i].must_not, head);
        cr_assert_null(strstr(head, "Expect:"), "step %zu: %s", i, head);
        cr_assert_str_eq(body, steps[i].want_body, "step %zu", i);
        http_response_clear(&r);
    }
    pthread_mutex_lock(&rc.lock);
    cr_assert_eq(rc.n, (int)(sizeof steps / sizeof steps[0]), "one request each, no retries");
    pthread_mutex_unlock(&rc.lock);
    http_client_free(c);
    shutdown(rc.lfd, SHUT_RDWR);
    close(rc.lfd);
    pthread_join(th, NULL);
    for (int i = 0; i < rc.n; i++)
        free(rc.seen[i]);
}
