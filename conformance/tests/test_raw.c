/* Tests of the raw step's client: answers parsed in order (pipelined, chunked,
 * close-delimited, cut short) from a socketpair, chunks with pauses, the
 * deadline, and the printf | nc line that replays the bytes. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "raw.h"
#include "reproduce.h"

static int parse(const char *s, struct http_response *r, size_t *used)
{
    char err[256];
    return raw_parse(s, strlen(s), 0, r, used, err, sizeof err);
}

Test(raw, parses_content_length_and_leaves_the_next_answer)
{
    const char *s = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 404 N";
    struct http_response r = {0};
    size_t used = 0;
    cr_assert_eq(parse(s, &r, &used), 1);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.hnames[0], "content-type", "names are lower-cased like http.c's");
    cr_assert_str_eq(r.hvalues[0], "application/json");
    cr_assert_eq(r.body_len, 2);
    cr_assert_str_eq(r.body, "{}");
    cr_assert_str_eq(s + used, "HTTP/1.1 404 N");
    http_response_clear(&r);
    cr_assert_eq(parse(s + used, &r, &used), 0, "an incomplete head needs more bytes");
}

Test(raw, decodes_chunked_bodies_with_extensions_and_trailers)
{
    const char *s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\nrest";
    struct http_response r = {0};
    size_t used = 0;
    cr_assert_eq(parse(s, &r, &used), 1);
    cr_assert_str_eq(r.body, "abcde");
    cr_assert_str_eq(s + used, "rest");
    http_response_clear(&r);
    char err[256];
    const char *cut = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab";
    cr_assert_eq(raw_parse(cut, strlen(cut), 0, &r, &used, err, sizeof err), 0);
    const char *bad = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    cr_assert_eq(raw_parse(bad, strlen(bad), 0, &r, &used, err, sizeof err), -1);
    cr_assert(strstr(err, "chunk size"), "%s", err);
}

Test(raw, a_body_without_framing_ends_with_the_connection)
{
    const char *s = "HTTP/1.0 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html>bad</html>";
    struct http_response r = {0};
    size_t used = 0;
    char err[256];
    cr_assert_eq(raw_parse(s, strlen(s), 0, &r, &used, err, sizeof err), 0, "open: more may come");
    cr_assert_eq(raw_parse(s, strlen(s), 1, &r, &used, err, sizeof err), 1);
    cr_assert_str_eq(r.body, "<html>bad</html>");
    cr_assert_eq(used, strlen(s));
    http_response_clear(&r);
}

Test(raw, refuses_what_is_not_an_http_answer)
{
    struct http_response r = {0};
    size_t used = 0;
    char err[256];
    const char *s = "<html>no status line</html>\r\n";
    cr_assert_eq(raw_parse(s, strlen(s), 0, &r, &used, err, sizeof err), -1);
    cr_assert(strstr(err, "status line"), "%s", err);
    const char *cl = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab";
    cr_assert_eq(raw_parse(cl, strlen(cl), 0, &r, &used, err, sizeof err), -1);
    cr_assert(strstr(err, "Content-Length"), "%s", err);
}

/* The far end of a socketpair: reads what arrives for a while, then writes
 * `answer` in pieces and closes (or keeps the socket when keep is set). */
struct peer {
    int fd;
    const char *answer;
    int keep;
    long delay_ms;
    char got[4096];
    size_t ngot;
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *serve(void *arg)
{
    struct peer *p = arg;
    sleep_ms(p->delay_ms);
    ssize_t n;
    while ((n = recv(p->fd, p->got + p->ngot, sizeof p->got - 1 - p->ngot, MSG_DONTWAIT)) > 0)
        p->ngot += (size_t)n;
    size_t len = strlen(p->answer);
    for (size_t i = 0; i < len; i += 7) { /* in pieces, so every parse sees cut answers */
        size_t k = len - i < 7 ? len - i : 7;
        cr_assert_eq(send(p->fd, p->answer + i, k, MSG_NOSIGNAL), (ssize_t)k);
        sleep_ms(1);
    }
    if (!p->keep)
        close(p->fd);
    return NULL;
}

static void exchange(struct peer *p, const struct raw_chunk *c, size_t nc, size_t want, long within, int wait_close,
                     long linger, struct raw_exchange *x)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    p->fd = sv[1];
    pthread_t th;
    pthread_create(&th, NULL, serve, p);
    raw_run(sv[0], c, nc, want, within, wait_close, linger, x);
    pthread_join(th, NULL);
    close(sv[0]);
    if (p->keep)
        close(sv[1]);
}

Test(raw, reads_pipelined_answers_in_order_then_sees_the_close)
{
    struct peer p = {.answer = "HTTP/1.1 100 Continue\r\n\r\n"
                               "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
                               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n"
                               "HTTP/1.1 204 No Content\r\n\r\n"
                               "HTTP/1.1 400 Bad\r\nContent-Type: text/html\r\n\r\n<html>",
                     .delay_ms = 50};
    struct raw_chunk c[] = {{"GET /a HTTP/1.1\r\n", 17, 0}, {"\r\n", 2, 20}};
    struct raw_exchange x = {0};
    exchange(&p, c, 2, 4, 3000, 1, 0, &x);
    cr_assert_str_eq(x.error, "");
    cr_assert_eq(x.n, 4, "the interim 100 is not an answer; got %zu", x.n);
    cr_assert_eq(x.res[0].status, 200);
    cr_assert_str_eq(x.res[0].body, "one");
    cr_assert_str_eq(x.res[1].body, "two");
    cr_assert_eq(x.res[2].status, 204);
    cr_assert_eq(x.res[3].status, 400);
    cr_assert_str_eq(x.res[3].body, "<html>", "close-delimited");
    cr_assert(x.closed);
    cr_assert_not(x.timed_out);
    cr_assert_eq(p.ngot, 19, "both chunks arrived before the peer looked (after 50 ms)");
    cr_assert_eq(memcmp(p.got, "GET /a HTTP/1.1\r\n\r\n", 19), 0);
    raw_exchange_clear(&x);
}

Test(raw, an_answer_cut_by_the_close_is_an_error_not_an_answer)
{
    struct peer p = {.answer = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"};
    struct raw_chunk c[] = {{"x", 1, 0}};
    struct raw_exchange x = {0};
    exchange(&p, c, 1, 1, 3000, 0, 0, &x);
    cr_assert_eq(x.n, 0);
    cr_assert(x.closed);
    cr_assert(strstr(x.error, "closed in the middle of answer 1"), "%s", x.error);
    raw_exchange_clear(&x);
}

Test(raw, silence_ends_at_the_deadline)
{
    struct peer p = {.answer = "", .keep = 1};
    struct raw_chunk c[] = {{"GET / HTTP/1.1\r\n\r\n", 18, 0}};
    struct raw_exchange x = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    exchange(&p, c, 1, 1, 200, 0, 0, &x);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    cr_assert_eq(x.n, 0);
    cr_assert(x.timed_out);
    cr_assert_not(x.closed);
    cr_assert(ms >= 190, "stopped after %ld ms, before the deadline", ms);
    raw_exchange_clear(&x);
}

Test(raw, lingering_sees_an_answer_too_many)
{
    struct peer p = {.answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                     .keep = 1};
    struct raw_chunk c[] = {{"x", 1, 0}};
    struct raw_exchange x = {0};
    exchange(&p, c, 1, 1, 3000, 0, 300, &x);
    cr_assert_eq(x.n, 2, "the linger reads what else arrives");
    cr_assert_not(x.closed);
    cr_assert_not(x.timed_out, "a step that got its answers has not timed out");
    raw_exchange_clear(&x);
}

Test(raw, the_nc_line_replays_bytes_and_pauses)
{
    struct raw_chunk c[] = {{"GET / HTTP/1.1\r\n", 16, 0}, {"it's\0%", 6, 1500}};
    char *line = reproduce_nc(c, 2, "127.0.0.1", "8080", 3000);
    cr_assert_str_eq(line, "{ printf 'GET / HTTP/1.1\\015\\012'; sleep 1.500; printf 'it\\047s\\000%%'; "
                           "sleep 4; } | nc '127.0.0.1' '8080'");
    free(line);
}
