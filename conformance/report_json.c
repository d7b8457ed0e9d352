/* report_json.c: the JSON report itself, pretty-printed with two-space
 * indentation, keys in the runner's order, so equal runs give equal files. */
#include "report.h"

#include <stdlib.h>

static void indent(struct report_buf *b, int depth)
{
    report_buf_putn(b, "\n", 1);
    for (int i = 0; i < depth; i++)
        report_buf_putn(b, "  ", 2);
}

static void json_value(struct report_buf *b, const cJSON *v, int depth)
{
    const cJSON *c;

    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        int obj = cJSON_IsObject(v);

        if (!v->child) {
            report_buf_puts(b, obj ? "{}" : "[]");
            return;
        }
        report_buf_putn(b, obj ? "{" : "[", 1);
        cJSON_ArrayForEach(c, v) {
            indent(b, depth + 1);
            if (obj) {
                report_buf_json_str(b, c->string);
                report_buf_putn(b, ": ", 2);
            }
            json_value(b, c, depth + 1);
            if (c->next)
                report_buf_putn(b, ",", 1);
        }
        indent(b, depth);
        report_buf_putn(b, obj ? "}" : "]", 1);
    } else if (cJSON_IsString(v)) {
        report_buf_json_str(b, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        /* cJSON's own shortest round-tripping form; non-finite prints null. */
        report_buf_json_compact(b, v);
    } else if (cJSON_IsTrue(v)) {
        report_buf_puts(b, "true");
    } else if (cJSON_IsFalse(v)) {
        report_buf_puts(b, "false");
    } else if (cJSON_IsRaw(v)) {
        report_buf_puts(b, v->valuestring);
    } else {
        report_buf_puts(b, "null");
    }
}

void report_json_render(const cJSON *doc, struct report_buf *out)
{
    json_value(out, doc, 0);
    report_buf_putn(out, "\n", 1);
}
