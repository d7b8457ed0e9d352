/* Tests of the reproduction command line printed with every failure. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "reproduce.h"

Test(curl, get_with_a_token)
{
    const char *h[] = {"Authorization: Bearer abc.def.ghi"};
    struct http_request q = {.method = "GET", .url = "http://h/afi/context/user", .headers = h, .nheaders = 1};
    char *c = reproduce_curl(&q);
    cr_assert_str_eq(c, "curl -sS -i --path-as-is -H 'Authorization: Bearer abc.def.ghi' 'http://h/afi/context/user'");
    free(c);
}

Test(curl, binary_body_round_trips_through_the_shell)
{
    static const char body[] = "{\"a\":\"it's 100%\"}\x00\xff\\n";
    struct http_request q = {.method = "POST", .url = "http://h/afi/call/echo", .body = body, .body_len = sizeof body - 1};
    char *c = reproduce_curl(&q);
    cr_assert(strstr(c, "--data-binary @-"));
    cr_assert(strstr(c, "-H 'Content-Type:'"), "curl must not add its form Content-Type");
    /* Run the printf part through sh and compare the bytes. */
    char *pipe = strstr(c, " | curl");
    cr_assert_not_null(pipe);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%.*s > /tmp/afi-curl-test.bin", (int)(pipe - c), c);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    FILE *f = fopen("/tmp/afi-curl-test.bin", "rb");
    char got[64];
    size_t n = fread(got, 1, sizeof got, f);
    fclose(f);
    remove("/tmp/afi-curl-test.bin");
    cr_assert_eq(n, sizeof body - 1);
    cr_assert_eq(memcmp(got, body, n), 0);
    free(c);
}

Test(curl, huge_repeated_body_stays_short)
{
    size_t n = 1048577;
    char *body = malloc(n);
    memset(body, 'a', n - 1);
    body[n - 1] = '"';
    struct http_request q = {.method = "POST", .url = "http://h/x", .body = body, .body_len = n};
    char *c = reproduce_curl(&q);
    cr_assert_lt(strlen(c), 300, "%s", c);
    char *pipe = strstr(c, " | curl");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%.*s | wc -c > /tmp/afi-curl-len.txt", (int)(pipe - c), c);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    FILE *f = fopen("/tmp/afi-curl-len.txt", "r");
    size_t got = 0;
    cr_assert_eq(fscanf(f, "%zu", &got), 1);
    fclose(f);
    remove("/tmp/afi-curl-len.txt");
    cr_assert_eq(got, n);
    free(c);
    free(body);
}

Test(curl, head_and_single_quotes)
{
    const char *h[] = {"X-Odd: it's"};
    struct http_request q = {.method = "HEAD", .url = "http://h/afi/health", .headers = h, .nheaders = 1};
    char *c = reproduce_curl(&q);
    cr_assert_str_eq(c, "curl -sS -i --path-as-is -I -H 'X-Odd: it'\\''s' 'http://h/afi/health'");
    free(c);
}
