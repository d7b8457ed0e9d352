/* report_text.c: the plain-text pieces of a failure (request, response, the
 * whole failure) that several formats show; callers escape the result. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

/* A member that is a string as itself, anything else but null as compact JSON. */
static void put_any(struct report_buf *b, const cJSON *v)
{
    if (!v || cJSON_IsNull(v))
        return;
    if (cJSON_IsString(v)) {
        report_buf_puts(b, v->valuestring);
        return;
    }
    report_buf_json_compact(b, v);
}

static void put_headers(struct report_buf *b, const cJSON *headers)
{
    const cJSON *h;

    cJSON_ArrayForEach(h, report_doc_obj(headers, "headers")) {
        report_buf_puts(b, h->string);
        report_buf_puts(b, cJSON_IsNull(h) ? " (removed)" : ": ");
        put_any(b, h);
        report_buf_putn(b, "\n", 1);
    }
}

static void put_body(struct report_buf *b, const cJSON *msg)
{
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(msg, "body");

    if (!body || cJSON_IsNull(body))
        return;
    report_buf_putn(b, "\n", 1);
    put_any(b, body);
    report_buf_putn(b, "\n", 1);
}

void report_text_request(struct report_buf *b, const cJSON *req)
{
    const char *ident = report_doc_str(req, "identity", NULL);

    if (!cJSON_IsObject(req))
        return;
    if (ident)
        report_buf_printf(b, "# as identity %s\n", ident);
    report_buf_puts(b, report_doc_str(req, "method", "?"));
    report_buf_putn(b, " ", 1);
    report_buf_puts(b, report_doc_str(req, "url", report_doc_str(req, "path", "?")));
    report_buf_putn(b, "\n", 1);
    put_headers(b, req);
    put_body(b, req);
}

void report_text_response(struct report_buf *b, const cJSON *resp)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(resp, "status");

    if (!cJSON_IsObject(resp))
        return;
    report_buf_puts(b, "HTTP ");
    if (cJSON_IsNumber(status))
        report_buf_printf(b, "%d", status->valueint);
    else
        put_any(b, status);
    report_buf_putn(b, "\n", 1);
    put_headers(b, resp);
    put_body(b, resp);
}

static void report_text_diffs(struct report_buf *b, const cJSON *failure)
{
    const cJSON *d;

    cJSON_ArrayForEach(d, report_doc_arr(failure, "diffs")) {
        report_buf_printf(b, "at %s\n", report_doc_str(d, "path", "?"));
        report_buf_printf(b, "  expected: %s\n", report_doc_str(d, "expected", ""));
        report_buf_printf(b, "  actual:   %s\n", report_doc_str(d, "actual", ""));
    }
}

void report_text_step(struct report_buf *b, const cJSON *failure)
{
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(failure, "step");
    const char *name = report_doc_str(failure, "step_name", NULL);

    if (cJSON_IsNumber(step))
        report_buf_printf(b, "step %d%s%s%s", step->valueint, name ? " (" : "",
                          name ? name : "", name ? ")" : "");
    else
        report_buf_puts(b, name ? name : "failure");
}

static void report_text_heading(struct report_buf *b, const cJSON *failure)
{
    const char *req = report_doc_str(failure, "requirement", NULL);
    const char *rule = report_doc_str(failure, "rule", NULL);

    report_text_step(b, failure);
    if (req)
        report_buf_printf(b, ": %s", req);
    if (rule)
        report_buf_printf(b, " %s %s", req ? "·" : ":", rule);
}

void report_text_failure(struct report_buf *b, const cJSON *failure)
{
    const char *curl = report_doc_str(failure, "curl", NULL);
    const cJSON *req = report_doc_obj(failure, "request");
    const cJSON *resp = report_doc_obj(failure, "response");

    report_text_heading(b, failure);
    report_buf_printf(b, "\n%s\n", report_doc_str(failure, "message", "(no message)"));
    if (report_doc_arr(failure, "diffs") && report_doc_arr(failure, "diffs")->child) {
        report_buf_putn(b, "\n", 1);
        report_text_diffs(b, failure);
    }
    if (req) {
        report_buf_puts(b, "\nrequest:\n");
        report_text_request(b, req);
    }
    if (resp) {
        report_buf_puts(b, "\nresponse:\n");
        report_text_response(b, resp);
    }
    if (curl)
        report_buf_printf(b, "\nreproduce:\n%s\n", curl);
}

void report_text_first_line(struct report_buf *b, const char *s)
{
    const char *nl;

    if (!s)
        return;
    nl = strchr(s, '\n');
    report_buf_putn(b, s, nl ? (size_t)(nl - s) : strlen(s));
}
