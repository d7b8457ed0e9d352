/* report_json.c: the JSON report itself, pretty-printed with two-space
 * indentation, keys in the runner's order, so equal runs give equal files. */
#include "report_json.h"
#include "report_fmt.h"

#include <stdlib.h>

static void indent(struct strbuf *b, int depth)
{
    strbuf_putn(b, "\n", 1);
    for (int i = 0; i < depth; i++)
        strbuf_putn(b, "  ", 2);
}

static void json_value(struct strbuf *b, const cJSON *v, int depth)
{
    const cJSON *c;

    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        int obj = cJSON_IsObject(v);

        if (!v->child) {
            strbuf_puts(b, obj ? "{}" : "[]");
            return;
        }
        strbuf_putn(b, obj ? "{" : "[", 1);
        cJSON_ArrayForEach(c, v) {
            indent(b, depth + 1);
            if (obj) {
                report_fmt_json_str(b, c->string);
                strbuf_putn(b, ": ", 2);
            }
            json_value(b, c, depth + 1);
            if (c->next)
                strbuf_putn(b, ",", 1);
        }
        indent(b, depth);
        strbuf_putn(b, obj ? "}" : "]", 1);
    } else if (cJSON_IsString(v)) {
        report_fmt_json_str(b, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        /* cJSON's own shortest round-tripping form; non-finite prints null. */
        report_fmt_json_compact(b, v);
    } else if (cJSON_IsTrue(v)) {
        strbuf_puts(b, "true");
    } else if (cJSON_IsFalse(v)) {
        strbuf_puts(b, "false");
    } else if (cJSON_IsRaw(v)) {
        strbuf_puts(b, v->valuestring);
    } else {
        strbuf_puts(b, "null");
    }
}

void report_json_render(const cJSON *doc, struct strbuf *out)
{
    json_value(out, doc, 0);
    strbuf_putn(out, "\n", 1);
}
