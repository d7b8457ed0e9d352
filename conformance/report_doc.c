/* report_doc.c: defensive reading of a JSON report tree (docs/reports.md),
 * shared by every renderer and the matrix. */
#include "report_doc.h"
#include "file.h"
#include "mem.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *report_doc_str(const cJSON *obj, const char *key, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsString(v) && v->valuestring ? v->valuestring : dflt;
}

char *report_doc_targets(const cJSON *doc, const char *sep)
{
    const cJSON *t, *arr = report_doc_arr(doc, "targets");
    struct strbuf b = {0};
    int n = 0;

    cJSON_ArrayForEach(t, arr) {
        if (!cJSON_IsString(t))
            continue;
        strbuf_printf(&b, "%s%s", n++ ? sep : "", t->valuestring);
    }
    if (n < 2) {
        strbuf_free(&b);
        return NULL;
    }
    return strbuf_take(&b);
}

double report_doc_num(const cJSON *obj, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

const cJSON *report_doc_arr(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsArray(v) ? v : NULL;
}

const cJSON *report_doc_obj(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsObject(v) ? v : NULL;
}

void report_doc_count(const cJSON *doc, struct status_tally *c)
{
    const cJSON *suite, *cs;

    memset(c, 0, sizeof *c);
    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites"))
        cJSON_ArrayForEach(cs, report_doc_arr(suite, "cases"))
            status_tally_add(c, status_of(report_doc_str(cs, "status", NULL)));
}

int report_doc_failed(const cJSON *doc)
{
    struct status_tally c;

    report_doc_count(doc, &c);
    return status_tally_failing(&c) > 0;
}

struct report_doc_area *report_doc_areas(const cJSON *doc, size_t *n)
{
    const cJSON *suites = report_doc_arr(doc, "suites"), *suite, *cs;
    int nsuites = cJSON_GetArraySize(suites);
    struct report_doc_area *areas;
    size_t count = 0;

    *n = 0;
    if (nsuites <= 0)
        return NULL;
    areas = mem_calloc((size_t)nsuites, sizeof *areas);
    cJSON_ArrayForEach(suite, suites) {
        const char *name = report_doc_str(suite, "area", report_doc_str(suite, "suite", "?"));
        size_t i;

        for (i = 0; i < count && strcmp(areas[i].name, name) != 0; i++)
            ;
        if (i == count)
            areas[count++].name = name;
        cJSON_ArrayForEach(cs, report_doc_arr(suite, "cases"))
            status_tally_add(&areas[i].counts,
                              status_of(report_doc_str(cs, "status", NULL)));
    }
    *n = count;
    return areas;
}

void report_doc_req_area(const char *req_id, char *out, size_t outlen)
{
    size_t i = 0;

    if (!outlen)
        return;
    for (; req_id && req_id[i] && req_id[i] != '-' && i + 1 < outlen; i++)
        out[i] = req_id[i];
    out[i] = '\0';
}

const cJSON *report_doc_find_case(const cJSON *doc, const char *id)
{
    const cJSON *suite, *c;

    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites"))
        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases"))
            if (strcmp(report_doc_str(c, "id", ""), id) == 0)
                return c;
    return NULL;
}

int report_doc_case_fails_req(const cJSON *c, const char *req_id)
{
    enum status st = status_of(report_doc_str(c, "status", NULL));
    const cJSON *f, *r;

    /* An unexpected pass breaks no requirement: it only makes the list stale. */
    if (st == STATUS_PASSED || st == STATUS_SKIPPED || st == STATUS_XPASS || !req_id)
        return 0;
    cJSON_ArrayForEach(r, report_doc_arr(c, "requirements"))
        if (cJSON_IsString(r) && strcmp(r->valuestring, req_id) == 0)
            return 1;
    cJSON_ArrayForEach(f, report_doc_arr(c, "failures"))
        if (strcmp(report_doc_str(f, "requirement", ""), req_id) == 0)
            return 1;
    return 0;
}

static int report_doc_check(const cJSON *doc, char *err, size_t errlen)
{
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(doc, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(doc, "version");

    if (!cJSON_IsObject(doc)) {
        snprintf(err, errlen, "not an AFI conformance report: the document is not a JSON object");
        return -1;
    }
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "afi-conformance-report") != 0) {
        if (cJSON_IsString(fmt))
            snprintf(err, errlen, "not an AFI conformance report: \"format\" is \"%.60s\", "
                     "expected \"afi-conformance-report\"", fmt->valuestring);
        else
            snprintf(err, errlen, "not an AFI conformance report: \"format\" is %s, "
                     "expected \"afi-conformance-report\"", fmt ? "not a string" : "missing");
        return -1;
    }
    if (!cJSON_IsNumber(ver) || ver->valuedouble != 1) {
        if (cJSON_IsNumber(ver))
            snprintf(err, errlen, "report format version %g is not supported (this "
                     "tool reads version 1)", ver->valuedouble);
        else
            snprintf(err, errlen, "\"version\" is missing or not a number (expected 1)");
        return -1;
    }
    if (!report_doc_arr(doc, "suites") || !report_doc_arr(doc, "requirements")) {
        snprintf(err, errlen, "\"%s\" is missing or not an array",
                 report_doc_arr(doc, "suites") ? "requirements" : "suites");
        return -1;
    }
    return 0;
}

cJSON *report_doc_load(const char *path, char *err, size_t errlen)
{
    char why[256];
    size_t len;
    char *text = file_read(path, &len, why, sizeof why);
    cJSON *doc = NULL;

    if (!text) {
        snprintf(err, errlen, "%s: %s", path, why);
        return NULL;
    }
    doc = cJSON_ParseWithLength(text, len);
    if (!doc) {
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= text && at <= text + len ? (long)(at - text) : -1;

        if (len == 0)
            snprintf(err, errlen, "%s: not JSON: the file is empty", path);
        else
            snprintf(err, errlen, "%s: not JSON: syntax error near byte %ld", path, off);
    } else if (report_doc_check(doc, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        cJSON_Delete(doc);
        doc = NULL;
    }
    free(text);
    return doc;
}
