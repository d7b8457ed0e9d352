/* report_text.c: the plain-text pieces of a failure (request, response, the
 * whole failure) that several formats show; callers escape the result. */
#include "report_text.h"
#include "report_doc.h"
#include "report_fmt.h"

#include <stdlib.h>
#include <string.h>

/* A member that is a string as itself, anything else but null as compact JSON. */
static void put_any(struct strbuf *b, const cJSON *v)
{
    if (!v || cJSON_IsNull(v))
        return;
    if (cJSON_IsString(v)) {
        strbuf_puts(b, v->valuestring);
        return;
    }
    report_fmt_json_compact(b, v);
}

static void put_headers(struct strbuf *b, const cJSON *headers)
{
    const cJSON *h;

    cJSON_ArrayForEach(h, report_doc_obj(headers, "headers")) {
        strbuf_puts(b, h->string);
        strbuf_puts(b, cJSON_IsNull(h) ? " (removed)" : ": ");
        put_any(b, h);
        strbuf_putn(b, "\n", 1);
    }
}

static void put_body(struct strbuf *b, const cJSON *msg)
{
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(msg, "body");

    if (!body || cJSON_IsNull(body))
        return;
    strbuf_putn(b, "\n", 1);
    put_any(b, body);
    strbuf_putn(b, "\n", 1);
}

void report_text_request(struct strbuf *b, const cJSON *req)
{
    const char *ident = report_doc_str(req, "identity", NULL);

    if (!cJSON_IsObject(req))
        return;
    if (ident)
        strbuf_printf(b, "# as identity %s\n", ident);
    strbuf_puts(b, report_doc_str(req, "method", "?"));
    strbuf_putn(b, " ", 1);
    strbuf_puts(b, report_doc_str(req, "url", report_doc_str(req, "path", "?")));
    strbuf_putn(b, "\n", 1);
    put_headers(b, req);
    put_body(b, req);
}

void report_text_response(struct strbuf *b, const cJSON *resp)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(resp, "status");

    if (!cJSON_IsObject(resp))
        return;
    strbuf_puts(b, "HTTP ");
    if (cJSON_IsNumber(status))
        strbuf_printf(b, "%d", status->valueint);
    else
        put_any(b, status);
    strbuf_putn(b, "\n", 1);
    put_headers(b, resp);
    put_body(b, resp);
}

static void report_text_diffs(struct strbuf *b, const cJSON *failure)
{
    const cJSON *d;

    cJSON_ArrayForEach(d, report_doc_arr(failure, "diffs")) {
        strbuf_printf(b, "at %s\n", report_doc_str(d, "path", "?"));
        strbuf_printf(b, "  expected: %s\n", report_doc_str(d, "expected", ""));
        strbuf_printf(b, "  actual:   %s\n", report_doc_str(d, "actual", ""));
    }
}

void report_text_step(struct strbuf *b, const cJSON *failure)
{
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(failure, "step");
    const char *name = report_doc_str(failure, "step_name", NULL);

    if (cJSON_IsNumber(step))
        strbuf_printf(b, "step %d%s%s%s", step->valueint, name ? " (" : "",
                          name ? name : "", name ? ")" : "");
    else
        strbuf_puts(b, name ? name : "failure");
    report_text_target(b, failure);
}

void report_text_target(struct strbuf *b, const cJSON *failure)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(failure, "target");

    if (cJSON_IsNumber(t))
        strbuf_printf(b, " on target #%d", t->valueint);
    else if (cJSON_IsNull(t))
        strbuf_puts(b, " spread over the targets");
}

static void report_text_heading(struct strbuf *b, const cJSON *failure)
{
    const char *req = report_doc_str(failure, "requirement", NULL);
    const char *rule = report_doc_str(failure, "rule", NULL);

    report_text_step(b, failure);
    if (req)
        strbuf_printf(b, ": %s", req);
    if (rule)
        strbuf_printf(b, " %s %s", req ? "·" : ":", rule);
}

void report_text_failure(struct strbuf *b, const cJSON *failure)
{
    const char *curl = report_doc_str(failure, "curl", NULL);
    const cJSON *req = report_doc_obj(failure, "request");
    const cJSON *resp = report_doc_obj(failure, "response");

    report_text_heading(b, failure);
    strbuf_printf(b, "\n%s\n", report_doc_str(failure, "message", "(no message)"));
    if (report_doc_arr(failure, "diffs") && report_doc_arr(failure, "diffs")->child) {
        strbuf_putn(b, "\n", 1);
        report_text_diffs(b, failure);
    }
    if (req) {
        strbuf_puts(b, "\nrequest:\n");
        report_text_request(b, req);
    }
    if (resp) {
        strbuf_puts(b, "\nresponse:\n");
        report_text_response(b, resp);
    }
    if (curl)
        strbuf_printf(b, "\nreproduce:\n%s\n", curl);
}

void report_text_first_line(struct strbuf *b, const char *s)
{
    const char *nl;

    if (!s)
        return;
    nl = strchr(s, '\n');
    strbuf_putn(b, s, nl ? (size_t)(nl - s) : strlen(s));
}
