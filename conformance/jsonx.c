/* jsonx.c: strict JSON parser and printer that keep number tokens exact (see jsonx.h). */
#include "jsonx.h"
#include "mem.h"
#include "strbuf.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSONX_MAX_DEPTH 4096

struct jparser {
    const unsigned char *s;
    size_t len, pos;
    char *err;
    size_t errlen;
    int failed;
};

static void jp_fail(struct jparser *p, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = 1;
    if (!p->err || !p->errlen)
        return;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "%s at byte %zu", msg, p->pos);
}

/* 1 when the next byte is ch (the input not yet ended). */
static int jp_at(const struct jparser *p, char ch)
{
    return p->pos < p->len && p->s[p->pos] == (unsigned char)ch;
}

static void jp_ws(struct jparser *p)
{
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static int hex4(const unsigned char *s, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return -1;
        *v = *v * 16 + d;
    }
    return 0;
}

/* Parses a string at p->pos (on the opening quote); returns a malloc'd UTF-8
 * copy. A lone surrogate escape decodes to U+FFFD (it is valid JSON grammar). */
static char *jp_string(struct jparser *p)
{
    size_t start = ++p->pos, end = start;
    int plain = 1; /* printable ASCII without escapes: copied as it is */
    while (end < p->len && p->s[end] != '"') {
        unsigned char c = p->s[end];
        if (c == '\\') {
            plain = 0;
            end++;
        } else if (c < 0x20 || c >= 0x80) {
            plain = 0;
        }
        end++;
    }
    if (end >= p->len) {
        jp_fail(p, "unterminated string");
        return NULL;
    }
    char *out = mem_alloc(end - start + 1);
    size_t o = 0;
    if (plain) {
        memcpy(out, p->s + start, end - start);
        out[end - start] = '\0';
        p->pos = end + 1;
        return out;
    }
    while (p->pos < end) {
        unsigned char c = p->s[p->pos];
        if (c > 0x20 && c < 0x80 && c != '\\') { /* the common byte, without utf8_seq */
            out[o++] = (char)c;
            p->pos++;
            continue;
        }
        if (c < 0x20) {
            jp_fail(p, "raw control character in a string");
            goto bad;
        }
        if (c == '\\') {
            unsigned char e = p->s[p->pos + 1];
            p->pos += 2;
            switch (e) {
            case '"': out[o++] = '"'; break;
            case '\\': out[o++] = '\\'; break;
            case '/': out[o++] = '/'; break;
            case 'b': out[o++] = '\b'; break;
            case 'f': out[o++] = '\f'; break;
            case 'n': out[o++] = '\n'; break;
            case 'r': out[o++] = '\r'; break;
            case 't': out[o++] = '\t'; break;
            case 'u': {
                unsigned cp, lo;
                if (p->pos + 4 > end || hex4(p->s + p->pos, &cp)) {
                    jp_fail(p, "bad \\u escape");
                    goto bad;
                }
                p->pos += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF && p->pos + 6 <= end && p->s[p->pos] == '\\' &&
                    p->s[p->pos + 1] == 'u' && !hex4(p->s + p->pos + 2, &lo) && lo >= 0xDC00 &&
                    lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p->pos += 6;
                } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                    cp = 0xFFFD;
                }
                if (cp == 0) {
                    out[o++] = (char)0xC0; /* NUL kept as C0 80: see jsonx.h */
                    out[o++] = (char)0x80;
                } else {
                    o += utf8_put(out + o, cp);
                }
                break;
            }
            default:
                p->pos -= 2;
                jp_fail(p, "bad escape in a string");
                goto bad;
            }
            continue;
        }
        size_t n = utf8_seq(p->s + p->pos, end - p->pos, NULL);
        if (!n) {
            jp_fail(p, "invalid UTF-8");
            goto bad;
        }
        memcpy(out + o, p->s + p->pos, n);
        o += n;
        p->pos += n;
    }
    out[o] = '\0';
    p->pos = end + 1;
    return out;
bad:
    free(out);
    return NULL;
}

static cJSON *jp_number(struct jparser *p)
{
    size_t st = p->pos;
    const unsigned char *s = p->s;
    if (p->pos < p->len && s[p->pos] == '-')
        p->pos++;
    if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9') {
        jp_fail(p, "invalid number");
        return NULL;
    }
    if (s[p->pos] == '0') {
        p->pos++;
        if (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9') {
            jp_fail(p, "leading zero in a number");
            return NULL;
        }
    } else {
        while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
            p->pos++;
    }
    if (p->pos < p->len && s[p->pos] == '.') {
        p->pos++;
        size_t d = p->pos;
        while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
            p->pos++;
        if (d == p->pos) {
            jp_fail(p, "digit expected after the decimal point");
            return NULL;
        }
    }
    if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
            p->pos++;
        size_t d = p->pos;
        while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
            p->pos++;
        if (d == p->pos) {
            jp_fail(p, "digit expected in the exponent");
            return NULL;
        }
    }
    size_t n = p->pos - st;
    char *text = mem_alloc(n + 1);
    memcpy(text, s + st, n);
    text[n] = '\0';
    errno = 0;
    double v = strtod(text, NULL);
    if (errno == ERANGE && isinf(v)) {
        free(text);
        jp_fail(p, "number outside the double range");
        return NULL;
    }
    cJSON *item = cJSON_CreateNumber(v);
    if (!item) {
        free(text);
        jp_fail(p, "out of memory");
        return NULL;
    }
    item->valuestring = text;
    return item;
}

static int lit(struct jparser *p, const char *w)
{
    size_t n = strlen(w);
    if (p->len - p->pos >= n && !memcmp(p->s + p->pos, w, n)) {
        p->pos += n;
        return 1;
    }
    return 0;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first key that appears twice in obj, or NULL. Sorting keeps big objects
 * linearithmic instead of quadratic. */
static const char *duplicate_key(const cJSON *obj)
{
    size_t n = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        n++;
    if (n <= 8) {
        for (const cJSON *a = obj->child; a; a = a->next)
            for (const cJSON *b = a->next; b; b = b->next)
                if (!strcmp(a->string, b->string))
                    return a->string;
        return NULL;
    }
    const char **keys = mem_array(NULL, n, sizeof *keys);
    const char *dup = NULL;
    size_t i = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        keys[i++] = c->string;
    qsort(keys, n, sizeof *keys, cmp_keys);
    for (i = 1; i < n && !dup; i++)
        if (!strcmp(keys[i - 1], keys[i]))
            dup = keys[i];
    free(keys);
    return dup;
}

/* Links v after *last as the newest child of container, keeping cJSON's
 * invariant that the first child's prev points at the last one. */
static void jp_append(cJSON *container, cJSON **last, cJSON *v)
{
    if (*last) {
        (*last)->next = v;
        v->prev = *last;
        container->child->prev = v;
    } else {
        container->child = v;
        v->prev = v;
    }
    *last = v;
}

static cJSON *jp_value(struct jparser *p, int depth)
{
    if (depth > JSONX_MAX_DEPTH) {
        jp_fail(p, "nesting deeper than %d", JSONX_MAX_DEPTH);
        return NULL;
    }
    jp_ws(p);
    if (p->pos >= p->len) {
        jp_fail(p, "value expected");
        return NULL;
    }
    unsigned char c = p->s[p->pos];
    if (c == '{') {
        cJSON *obj = cJSON_CreateObject();
        cJSON *last = NULL;
        p->pos++;
        jp_ws(p);
        if (jp_at(p, '}')) {
            p->pos++;
            return obj;
        }
        for (;;) {
            jp_ws(p);
            if (!jp_at(p, '"')) {
                jp_fail(p, "object key expected");
                break;
            }
            char *key = jp_string(p);
            if (!key)
                break;
            jp_ws(p);
            if (!jp_at(p, ':')) {
                free(key);
                jp_fail(p, "':' expected");
                break;
            }
            p->pos++;
            cJSON *v = jp_value(p, depth + 1);
            if (!v) {
                free(key);
                break;
            }
            v->string = key;
            jp_append(obj, &last, v);
            jp_ws(p);
            if (jp_at(p, ',')) {
                p->pos++;
                continue;
            }
            if (jp_at(p, '}')) {
                const char *dup = duplicate_key(obj);
                if (dup) {
                    jp_fail(p, "duplicate key \"%.60s\" in the object ending", dup);
                    break;
                }
                p->pos++;
                return obj;
            }
            jp_fail(p, "',' or '}' expected");
            break;
        }
        cJSON_Delete(obj);
        return NULL;
    }
    if (c == '[') {
        cJSON *arr = cJSON_CreateArray();
        cJSON *last = NULL;
        p->pos++;
        jp_ws(p);
        if (jp_at(p, ']')) {
            p->pos++;
            return arr;
        }
        for (;;) {
            cJSON *v = jp_value(p, depth + 1);
            if (!v)
                break;
            jp_append(arr, &last, v);
            jp_ws(p);
            if (jp_at(p, ',')) {
                p->pos++;
                continue;
            }
            if (jp_at(p, ']')) {
                p->pos++;
                return arr;
            }
            jp_fail(p, "',' or ']' expected");
            break;
        }
        cJSON_Delete(arr);
        return NULL;
    }
    if (c == '"') {
        char *s = jp_string(p);
        if (!s)
            return NULL;
        /* The node takes s as it is: no copy of an empty string to free again. */
        cJSON *item = cJSON_CreateNull();
        item->type = cJSON_String;
        item->valuestring = s;
        return item;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return jp_number(p);
    if (lit(p, "true"))
        return cJSON_CreateTrue();
    if (lit(p, "false"))
        return cJSON_CreateFalse();
    if (lit(p, "null"))
        return cJSON_CreateNull();
    jp_fail(p, "unexpected character");
    return NULL;
}

cJSON *jsonx_parse(const char *buf, size_t len, char *err, size_t errlen)
{
    struct jparser p = {(const unsigned char *)buf, len, 0, err, errlen, 0};
    if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) {
        jp_fail(&p, "byte-order mark");
        return NULL;
    }
    cJSON *v = jp_value(&p, 0);
    if (!v)
        return NULL;
    jp_ws(&p);
    if (p.pos != len) {
        jp_fail(&p, "trailing bytes after the value");
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

cJSON *jsonx_number(const char *token)
{
    cJSON *n = cJSON_CreateNumber(strtod(token, NULL));
    if (n)
        n->valuestring = mem_strdup(token);
    return n;
}

int jsonx_is_integer(const cJSON *item)
{
    if (!cJSON_IsNumber(item))
        return 0;
    if (item->valuestring)
        return strpbrk(item->valuestring, ".eE") == NULL;
    return isfinite(item->valuedouble) && item->valuedouble == floor(item->valuedouble);
}

const char *jsonx_number_text(const cJSON *item, char *buf)
{
    if (item->valuestring)
        return item->valuestring;
    double d = item->valuedouble;
    if (d == floor(d) && fabs(d) < 1e17)
        snprintf(buf, 32, "%.0f", d);
    else
        snprintf(buf, 32, "%.17g", d);
    return buf;
}

static void json_str(struct strbuf *b, const char *s)
{
    strbuf_putn(b, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        char esc[8];
        /* A run of bytes that need no escape goes in one copy, not one call a byte. */
        const unsigned char *run = c;
        while (*run >= 0x20 && *run < 0x80 && *run != '"' && *run != '\\')
            run++;
        if (run > c) {
            strbuf_putn(b, (const char *)c, (size_t)(run - c));
            c = run - 1;
            continue;
        }
        if (c[0] == 0xC0 && c[1] == 0x80) {
            strbuf_putn(b, "\\u0000", 6);
            c++;
        } else if (*c == '"' || *c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*c;
            strbuf_putn(b, esc, 2);
        } else if (*c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *c);
            strbuf_putn(b, esc, 6);
        } else if (*c < 0x80) {
            strbuf_putn(b, (const char *)c, 1);
        } else {
            /* Strings built from raw answer bytes may hold invalid UTF-8. */
            size_t n = utf8_seq(c, SIZE_MAX, NULL);
            if (n) {
                strbuf_putn(b, (const char *)c, n);
                c += n - 1;
            } else {
                strbuf_putn(b, UTF8_REPLACEMENT, 3);
            }
        }
    }
    strbuf_putn(b, "\"", 1);
}

static void json_value(struct strbuf *b, const cJSON *it)
{
    char nb[32];
    if (cJSON_IsNull(it)) strbuf_putn(b, "null", 4);
    else if (cJSON_IsTrue(it)) strbuf_putn(b, "true", 4);
    else if (cJSON_IsFalse(it)) strbuf_putn(b, "false", 5);
    else if (cJSON_IsNumber(it)) {
        const char *t = jsonx_number_text(it, nb);
        strbuf_putn(b, t, strlen(t));
    } else if (cJSON_IsString(it)) json_str(b, it->valuestring);
    else if (cJSON_IsArray(it)) {
        strbuf_putn(b, "[", 1);
        for (const cJSON *c = it->child; c; c = c->next) {
            json_value(b, c);
            if (c->next)
                strbuf_putn(b, ",", 1);
        }
        strbuf_putn(b, "]", 1);
    } else if (cJSON_IsObject(it)) {
        strbuf_putn(b, "{", 1);
        for (const cJSON *c = it->child; c; c = c->next) {
            json_str(b, c->string ? c->string : "");
            strbuf_putn(b, ":", 1);
            json_value(b, c);
            if (c->next)
                strbuf_putn(b, ",", 1);
        }
        strbuf_putn(b, "}", 1);
    } else if (cJSON_IsRaw(it) && it->valuestring) {
        strbuf_putn(b, it->valuestring, strlen(it->valuestring));
    } else {
        strbuf_putn(b, "null", 4);
    }
}

char *jsonx_print(const cJSON *item)
{
    if (!item)
        return mem_strdup("(absent)");
    struct strbuf b = {0};
    json_value(&b, item);
    return strbuf_take(&b);
}

char *jsonx_print_short(const cJSON *item, size_t max)
{
    char *s = jsonx_print(item);
    size_t n = strlen(s);
    if (n <= max)
        return s;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    char *r = mem_alloc(max + 4);
    memcpy(r, s, max);
    memcpy(r + max, "\xE2\x80\xA6", 4);
    free(s);
    return r;
}

static const char *int_digits(const cJSON *n, char *buf)
{
    const char *t = jsonx_number_text(n, buf);
    if (!strcmp(t, "-0"))
        return "0";
    return t;
}

int jsonx_equal(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
        int ia = jsonx_is_integer(a), ib = jsonx_is_integer(b);
        if (ia != ib)
            return 0;
        if (ia) {
            char b1[32], b2[32];
            return !strcmp(int_digits(a, b1), int_digits(b, b2));
        }
        return a->valuedouble == b->valuedouble;
    }
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return 0;
    if (cJSON_IsString(a))
        return !strcmp(a->valuestring, b->valuestring);
    if (cJSON_IsArray(a)) {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!jsonx_equal(x, y))
                return 0;
        return !x && !y;
    }
    if (cJSON_IsObject(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return 0;
        for (const cJSON *x = a->child; x; x = x->next)
            if (!jsonx_equal(x, cJSON_GetObjectItemCaseSensitive(b, x->string)))
                return 0;
        return 1;
    }
    return 1;
}

char *jsonx_bytes(const char *s, size_t *len)
{
    size_t n = strlen(s), o = 0;
    char *out = mem_alloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] == 0xC0 && (unsigned char)s[i + 1] == 0x80) {
            out[o++] = '\0';
            i++;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    *len = o;
    return out;
}

cJSON *jsonx_string_from_bytes(const char *buf, size_t len)
{
    size_t nul = 0;
    for (size_t i = 0; i < len; i++)
        nul += buf[i] == '\0';
    char *s = mem_alloc(len + nul + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\0') {
            s[o++] = (char)0xC0;
            s[o++] = (char)0x80;
        } else {
            s[o++] = buf[i];
        }
    }
    s[o] = '\0';
    cJSON *j = cJSON_CreateString("");
    free(j->valuestring);
    j->valuestring = s;
    return j;
}
