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

static int listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(fd, 8), 0);
    getsockname(fd, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return fd;
}

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
    int port, lfd = listener(&port);
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
    int port, lfd = listener(&port);
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
    int port, lfd = listener(&port);
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
