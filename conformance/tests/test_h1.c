/* Tests of h1.c, the runner's own HTTP/1.1 client: the bytes it sends against
 * libcurl's, every framing of an answer, connections that die or close. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "h1.h"
#include "http.h"
#include "testutil.h"

#define SEEN_MAX 64

/* A server that serves one connection at a time, as the simplest targets
 * do: it records each request whole and answers it with the next of its
 * scripted answers; an answer starting with '!' closes the connection after
 * it is written (the '!' is not sent). */
struct script {
    int lfd, port;
    const char *const *answers;
    int nanswers, next;
    char *seen[SEEN_MAX];
    size_t seenlen[SEEN_MAX];
    int nseen, conns;
    int delay_ms;         /* waited before each answer */
    pthread_mutex_t lock;
    pthread_t th;
};

static void *script_run(void *arg)
{
    struct script *s = arg;
    for (;;) {
        int c = accept(s->lfd, NULL, NULL);
        if (c < 0)
            break;
        pthread_mutex_lock(&s->lock);
        s->conns++;
        pthread_mutex_unlock(&s->lock);
        char buf[65536];
        size_t n = 0, len;
        while ((len = testutil_read_request(c, buf, sizeof buf, &n))) {
            pthread_mutex_lock(&s->lock);
            if (s->nseen < SEEN_MAX) {
                s->seen[s->nseen] = malloc(len + 1);
                memcpy(s->seen[s->nseen], buf, len);
                s->seen[s->nseen][len] = '\0';
                s->seenlen[s->nseen++] = len;
            }
            const char *a = s->answers[s->next++ % s->nanswers];
            pthread_mutex_unlock(&s->lock);
            int close_after = a[0] == '!';
            a += close_after;
            if (s->delay_ms)
                usleep((useconds_t)s->delay_ms * 1000);
            if (write(c, a, strlen(a)) < 0 || close_after)
                break;
            testutil_request_done(buf, &n, len);
        }
        close(c);
    }
    return NULL;
}

/* Starts a server of run's kind (script_run: the scripted answers). */
static void serve(struct script *s, const char *const *answers, int n, void *(*run)(void *))
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    s->answers = answers;
    s->nanswers = n;
    s->lfd = testutil_listen(&s->port);
    signal(SIGPIPE, SIG_IGN);
    pthread_create(&s->th, NULL, run, s);
}

static void script_start(struct script *s, const char *const *answers, int n)
{
    serve(s, answers, n, script_run);
}

static void script_stop(struct script *s)
{
    shutdown(s->lfd, SHUT_RDWR);
    close(s->lfd);
    pthread_join(s->th, NULL);
    for (int i = 0; i < s->nseen; i++)
        free(s->seen[i]);
}

static const char *seen(struct script *s, int i, size_t *len)
{
    pthread_mutex_lock(&s->lock);
    cr_assert_lt(i, s->nseen, "only %d requests seen", s->nseen);
    const char *r = s->seen[i];
    *len = s->seenlen[i];
    pthread_mutex_unlock(&s->lock);
    return r;
}

static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

Test(h1, plain_requests_go_byte_for_byte_as_libcurl_sends_them)
{
    const char *const answers[] = {ok};
    struct script s;
    script_start(&s, answers, 1);
    char url[96], url80[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/afi/call/echo?x=1&y=%%2F", s.port);
    const char *h[] = {"Authorization: Bearer a.b.c", "Content-Type: application/json", "X-Empty:", "X-Spaced:  ",
                       "X-Tab: a\tb"};
    const struct http_request reqs[] = {
        {.method = "POST", .url = url, .headers = h, .nheaders = 5, .body = "{\"text\":\"hi\"}", .body_len = 13},
        {.method = "POST", .url = url},
        {.method = "GET", .url = url, .headers = h, .nheaders = 1},
        {.method = "DELETE", .url = url},
        {.method = "PUT", .url = url, .body = "", .body_len = 0},
        {.method = "BREW", .url = url, .headers = h + 1, .nheaders = 1, .body = "x\0y", .body_len = 3},
        {.method = "get", .url = url},
    };
    int n = (int)(sizeof reqs / sizeof reqs[0]);
    for (int i = 0; i < n; i++) {
        cr_assert(h1_plain(&reqs[i]), "request %d", i);
        for (int k = 0; k < 2; k++) {
            /* a client each: the server serves one connection at a time */
            struct http_client *c = http_client_new(5000);
            if (k)
                http_client_curl_only(c);
            struct http_response r = {0};
            cr_assert_eq(http_do(c, &reqs[i], &r), 0, "request %d: %s", i, r.error);
            cr_assert_eq(r.status, 200);
            cr_assert_str_eq(r.body, "{}");
            http_response_clear(&r);
            http_client_free(c);
        }
        size_t la, lb;
        const char *a = seen(&s, 2 * i, &la), *b = seen(&s, 2 * i + 1, &lb);
        cr_assert(la == lb && !memcmp(a, b, la), "request %d:\nh1:\n%s\nlibcurl:\n%s", i, a, b);
    }
    /* port 80 is left out of Host, as libcurl does */
    snprintf(url80, sizeof url80, "http://127.0.0.1:80/x");
    struct http_request q80 = {.method = "GET", .url = url80};
    cr_assert(h1_plain(&q80));
    script_stop(&s);
}

Test(h1, requests_libcurl_treats_specially_stay_with_it)
{
    const char *cl[] = {"Content-Length: 5"}, *ex[] = {"Expect: 100-continue"}, *host[] = {"host: x"},
               *te[] = {"Transfer-Encoding: gzip"}, *crlf[] = {"X-A: 1\r\nX-B: 2"}, *utf[] = {"X-A: \xc3\xa9"};
    const struct http_request no[] = {
        {.method = "HEAD", .url = "http://127.0.0.1:1/a"},
        {.method = "POST", .url = "https://127.0.0.1:1/a"},
        {.method = "POST", .url = "http://127.0.0.1:1/a", .body = "x", .body_len = 1, .chunked = 1},
        {.method = "POST", .url = "http://127.0.0.1:1/a", .body = "x", .body_len = 1 << 17},
        {.method = "POST", .url = "http://127.0.0.1:1/a b"},
        {.method = "POST", .url = "http://127.0.0.1:1/a#frag"},
        {.method = "POST", .url = "http://127.0.0.1:1/%zz"},
        {.method = "POST", .url = "http://127.0.0.1:1/../\xc3\xa9"},
        {.method = "POST", .url = "http://u:p@127.0.0.1:1/a"},
        {.method = "POST", .url = "http://LOCALHOST:1/a"},
        {.method = "POST", .url = "http://127.0.0.1:01/a"},
        {.method = "POST", .url = "http://127.0.0.1:1"},
        {.method = "GE T", .url = "http://127.0.0.1:1/a"},
        {.method = "POST", .url = "http://127.0.0.1:1/a", .headers = cl, .nheaders = 1},
        {.method = "POST", .url = "http://127.0.0.1:1/a", .headers = ex, .nheaders = 1},
        {.method = "POST", .url = "http://127.0.0.1:1/a", .headers = host, .nheaders = 1},
        {.method = "POST", .url = "http://127.0.0.1:1/a", .headers = te, .nheaders = 1},
        {.method = "POST", .url = "http://127.0.0.1:1/a", .headers = crlf, .nheaders = 1},
        {.method = "POST", .url = "http://127.0.0.1:1/a", .headers = utf, .nheaders = 1},
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        cr_assert_not(h1_plain(&no[i]), "request %zu (%s %s)", i, no[i].method, no[i].url);
    struct http_request yes = {.method = "POST", .url = "http://[::1]:8080/afi/call/echo"};
    cr_assert(h1_plain(&yes));
}

/* Sends GET n times on one client waiting spin_us spinning (h1_spin); the
 * answers must be status[i] (200 when status is NULL) with body want[i]. */
static void expect_bodies_spinning(struct script *s, const char *const *want, const long *status, int n,
                                   long spin_us)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/afi/health", s->port);
    struct http_request q = {.method = "GET", .url = url};
    struct http_client *c = http_client_new(5000);
    http_client_spin(c, spin_us);
    for (int i = 0; i < n; i++) {
        struct http_response r = {0};
        cr_assert_eq(http_do(c, &q, &r), 0, "answer %d: %s", i, r.error);
        cr_assert_eq(r.status, status ? status[i] : 200, "answer %d: %ld", i, r.status);
        cr_assert_eq(r.body_len, strlen(want[i]), "answer %d: %zu bytes", i, r.body_len);
        cr_assert_str_eq(r.body ? r.body : "", want[i], "answer %d", i);
        cr_assert_str_eq(r.error, "", "answer %d", i);
        http_response_clear(&r);
    }
    http_client_free(c);
}

static void expect_bodies(struct script *s, const char *const *want, const long *status, int n)
{
    expect_bodies_spinning(s, want, status, n, 0);
}

Test(h1, every_framing_of_an_answer_is_read)
{
    const char *const answers[] = {
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 4\n\nbare",
        "!HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 6\r\n\r\nclosed",
        "!HTTP/1.0 200 OK\r\n\r\nuntil the end",
        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n10",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nend",
    };
    const char *const want[] = {"final", "abcde", "bare", "closed", "until the end", "10", "end"};
    struct script s;
    script_start(&s, answers, 7);
    expect_bodies(&s, want, NULL, 7);
    /* closes: after "Connection: close" and after HTTP/1.0's close-delimited body */
    cr_assert_eq(s.conns, 3, "%d connections", s.conns);
    script_stop(&s);
}

Test(h1, every_framing_of_an_answer_is_read_while_spinning)
{
    /* Answers split over several reads (the 100 and 103 before the final
     * answer come in one write with it, a delayed one in another) are read
     * the same whether the client sleeps or spins between them. */
    const char *const answers[] = {
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "!HTTP/1.0 200 OK\r\n\r\nuntil the end",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nend",
    };
    const char *const want[] = {"final", "abc", "until the end", "end"};
    struct script s;
    script_start(&s, answers, 4);
    expect_bodies_spinning(&s, want, NULL, 4, 100000);
    cr_assert_eq(s.conns, 2, "%d connections", s.conns);
    s.delay_ms = 20; /* answers later than a 1 ms spin: it gives up, they still arrive */
    expect_bodies_spinning(&s, want, NULL, 4, 1000);
    script_stop(&s);
}

/* The spins of n GETs on one h1 client with budget spin_us to s. */
static long spins_of(struct script *s, int n, long spin_us)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/afi/health", s->port);
    struct http_request q = {.method = "GET", .url = url};
    struct h1 *c = h1_new();
    h1_spin(c, spin_us);
    for (int i = 0; i < n; i++) {
        struct http_response r = {0};
        long gap;
        cr_assert_eq(h1_do(c, &q, &r, 5000, 0, &gap), 0, "request %d: %s", i, r.error);
        cr_assert_eq(r.status, 200, "request %d", i);
        http_response_clear(&r);
    }
    long spins = h1_spins(c);
    h1_free(c);
    return spins;
}

Test(h1, a_spin_that_finds_nothing_makes_the_next_waits_sleep)
{
    const char *const answers[] = {ok};
    struct script s;
    script_start(&s, answers, 1);
    /* a target that answers within the budget (2 s, so that a loaded
     * machine's delays do not count as misses): every wait spins */
    cr_assert_eq(spins_of(&s, 8, 2000000), 8);
    /* one that answers after 50 ms, a 1 ms budget: requests 1, 3, 6 and 11
     * spin, the misses skip 1, 2, 4, then 8 waits */
    s.delay_ms = 50;
    cr_assert_eq(spins_of(&s, 12, 1000), 4);
    /* no budget, no spin */
    s.delay_ms = 0;
    cr_assert_eq(spins_of(&s, 3, 0), 0);
    script_stop(&s);
}

Test(h1, headers_of_an_interim_answer_are_forgotten)
{
    const char *const answers[] = {"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
                                   "HTTP/1.1 201 Created\r\nX-A: 1\r\nX-A:  2 \r\nContent-Length: 0\r\n\r\n"};
    struct script s;
    script_start(&s, answers, 1);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/afi/call/x", s.port);
    struct http_request q = {.method = "POST", .url = url, .body = "{}", .body_len = 2};
    struct http_client *c = http_client_new(5000);
    struct http_response r = {0};
    cr_assert_eq(http_do(c, &q, &r), 0, "%s", r.error);
    cr_assert_eq(r.status, 201);
    cr_assert_null(http_header(&r, "link"));
    char *xa = http_header(&r, "x-a");
    cr_assert_str_eq(xa, "1, 2");
    free(xa);
    cr_assert_eq(r.body_len, 0);
    http_response_clear(&r);
    http_client_free(c);
    script_stop(&s);
}

Test(h1, no_body_follows_204_and_304)
{
    const char *const answers[] = {"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n",
                                   "HTTP/1.1 304 Not Modified\r\n\r\n", ok};
    const char *const want[] = {"", "", "{}"};
    const long status[] = {204, 304, 200};
    struct script s;
    script_start(&s, answers, 3);
    expect_bodies(&s, want, status, 3);
    cr_assert_eq(s.conns, 1);
    script_stop(&s);
}

Test(h1, a_kept_alive_connection_the_target_closed_is_reopened_once)
{
    /* The first answer closes without saying so: the next request finds the
     * connection dead and goes again on a new one, sent exactly once. */
    const char *const answers[] = {"!HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na",
                                   "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"};
    const char *const want[] = {"a", "b"};
    struct script s;
    script_start(&s, answers, 2);
    expect_bodies(&s, want, NULL, 2);
    cr_assert_eq(s.nseen, 2);
    cr_assert_eq(s.conns, 2);
    script_stop(&s);
}

Test(h1, broken_answers_keep_their_status_and_say_why)
{
    static const struct {
        const char *answer;
        long status;
        const char *body, *error;
    } cases[] = {
        {"!HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 200, "short", "closed before"},
        {"!HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 200, "", "hex"},
        {"!HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 200, "", "Content-Length"},
        {"!ICY 200 OK\r\n\r\n", 0, NULL, "not HTTP/1"},
        {"!", 0, NULL, "Empty reply"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *const answers[] = {cases[i].answer};
        struct script s;
        script_start(&s, answers, 1);
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/afi/health", s.port);
        struct http_request q = {.method = "GET", .url = url};
        struct http_client *c = http_client_new(5000);
        struct http_response r = {0};
        int rc = http_do(c, &q, &r);
        cr_assert_eq(rc, cases[i].status ? 0 : -1, "case %zu", i);
        cr_assert_eq(r.status, cases[i].status, "case %zu", i);
        if (cases[i].body)
            cr_assert_str_eq(r.body ? r.body : "", cases[i].body, "case %zu", i);
        cr_assert(strstr(r.error, cases[i].error), "case %zu: %s", i, r.error);
        http_response_clear(&r);
        http_client_free(c);
        script_stop(&s);
    }
}

/* The time limit catches a spin that outlives the request's deadline: its
 * budget below is a minute. */
Test(h1, a_silent_target_times_out, .timeout = 20)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(lfd, 8), 0);
    getsockname(lfd, (struct sockaddr *)&a, &l);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/afi/health", ntohs(a.sin_port));
    struct http_request q = {.method = "GET", .url = url};
    struct http_client *c = http_client_new(300);
    /* a spin longer than the timeout still ends with it */
    for (long spin_us = 0; spin_us <= 60000000; spin_us += 60000000) {
        http_client_spin(c, spin_us);
        struct http_response r = {0};
        cr_assert_eq(http_do(c, &q, &r), -1);
        cr_assert_eq(r.status, 0);
        cr_assert(strstr(r.error, "timed out after 300 milliseconds"), "spin %ld: %s", spin_us, r.error);
        http_response_clear(&r);
    }
    http_client_free(c);
    close(lfd);
}

Test(h1, libcurl_and_h1_share_one_connection_to_a_one_connection_target)
{
    /* HEAD and chunked requests go through libcurl, the rest through h1; a
     * target serving one connection at a time answers them all, and the
     * request after libcurl's goes on the connection libcurl used. */
    const char *const answers[] = {ok, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", ok, ok, ok};
    struct script s;
    script_start(&s, answers, 5);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/afi/call/echo", s.port);
    const char *const methods[] = {"POST", "HEAD", "POST", "POST", "GET"};
    const int chunked[] = {0, 0, 1, 0, 0};
    struct http_client *c = http_client_new(3000);
    for (int i = 0; i < 5; i++) {
        struct http_request q = {.method = methods[i], .url = url, .body = strcmp(methods[i], "POST") ? NULL : "{}",
                                 .body_len = 2, .chunked = chunked[i]};
        struct http_response r = {0};
        cr_assert_eq(http_do(c, &q, &r), 0, "request %d: %s", i, r.error);
        cr_assert_eq(r.status, 200);
        http_response_clear(&r);
    }
    http_client_free(c);
    /* a new connection for each of libcurl's requests (h1's is closed first),
     * none for the requests after them */
    cr_assert_eq(s.conns, 3, "%d connections", s.conns);
    script_stop(&s);
}

/* A target that answers 413 to a large body as soon as the header section is
 * in and then ignores the rest of that connection, one connection at a time. */
static void *early_then_deaf(void *arg)
{
    struct script *s = arg;
    for (;;) {
        int c = accept(s->lfd, NULL, NULL);
        if (c < 0)
            break;
        pthread_mutex_lock(&s->lock);
        s->conns++;
        pthread_mutex_unlock(&s->lock);
        char buf[65536];
        size_t n = 0;
        int deaf = 0;
        for (;;) {
            ssize_t r = recv(c, buf + n, sizeof buf - 1 - n, 0);
            if (r <= 0)
                break;
            if (deaf)
                continue;
            n += (size_t)r;
            buf[n] = '\0';
            size_t len = testutil_request_len(buf, n);
            const char *end = strstr(buf, "\r\n\r\n"), *cl = strstr(buf, "Content-Length: ");
            if (end && cl && cl < end && strtoul(cl + 16, NULL, 10) > 65536) {
                static const char big[] = "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n";
                deaf = write(c, big, sizeof big - 1) > 0;
            } else if (len) {
                deaf = write(c, ok, sizeof ok - 1) < 0;
                memmove(buf, buf + len, n - len);
                n -= len;
            }
        }
        close(c);
    }
    return NULL;
}

Test(h1, a_connection_libcurl_gives_up_after_an_early_answer_is_not_reused)
{
    /* libcurl stops sending a body the target answered early and drops the
     * connection: the next request, through h1, must not go on it. */
    const char *const answers[] = {ok};
    struct script s;
    serve(&s, answers, 1, early_then_deaf);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/afi/call/echo", s.port);
    size_t n = 4u << 20;
    char *body = malloc(n);
    memset(body, ' ', n);
    struct http_request big = {.method = "POST", .url = url, .body = body, .body_len = n},
                        small = {.method = "POST", .url = url, .body = "{}", .body_len = 2};
    struct http_client *c = http_client_new(5000);
    for (int i = 0; i < 2; i++) {
        struct http_response r = {0};
        cr_assert_eq(http_do(c, &big, &r), 0, "big %d: %s", i, r.error);
        cr_assert_eq(r.status, 413);
        http_response_clear(&r);
        cr_assert_eq(http_do(c, &small, &r), 0, "small %d: %s", i, r.error);
        cr_assert_eq(r.status, 200);
        cr_assert_str_eq(r.body, "{}");
        http_response_clear(&r);
    }
    http_client_free(c);
    free(body);
    script_stop(&s);
}
