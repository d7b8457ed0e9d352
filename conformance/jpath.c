/* jpath.c: parsing, following and building the JSON paths of fixtures and failures. */
#include "jpath.h"
#include "mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Walks path; with root NULL only checks the syntax. Returns 0 and sets *out
 * (NULL when absent) or -1 on a syntax error. */
static int walk(const cJSON *root, const char *path, const cJSON **out, char *err, size_t errlen)
{
    const char *p = path;
    const cJSON *cur = root;
    if (*p != '$') {
        snprintf(err, errlen, "a JSON path starts with '$'");
        return -1;
    }
    p++;
    while (*p) {
        if (*p == '.') {
            const char *st = ++p;
            while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '$'))
                p++;
            if (p == st) {
                snprintf(err, errlen, "a name is expected after '.' at offset %zu", (size_t)(st - path));
                return -1;
            }
            if (cur) {
                char key[256];
                size_t n = (size_t)(p - st) < sizeof key - 1 ? (size_t)(p - st) : sizeof key - 1;
                memcpy(key, st, n);
                key[n] = '\0';
                cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, key) : NULL;
            }
        } else if (*p == '[' && p[1] == '"') {
            p += 2;
            char key[1024];
            size_t n = 0;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                if (n < sizeof key - 1)
                    key[n++] = *p;
                p++;
            }
            key[n] = '\0';
            if (p[0] != '"' || p[1] != ']') {
                snprintf(err, errlen, "unterminated [\"name\"] in JSON path");
                return -1;
            }
            p += 2;
            if (cur)
                cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, key) : NULL;
        } else if (*p == '[') {
            char *end;
            long idx = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end != ']' || idx < 0) {
                snprintf(err, errlen, "a non-negative [index] is expected at offset %zu", (size_t)(p - path));
                return -1;
            }
            p = end + 1;
            if (cur)
                cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, (int)idx) : NULL;
        } else {
            snprintf(err, errlen, "unexpected '%c' at offset %zu of JSON path", *p, (size_t)(p - path));
            return -1;
        }
        if (root && !cur) {
            *out = NULL;
            return 0;
        }
    }
    *out = cur;
    return 0;
}

int jpath_check(const char *path, char *err, size_t errlen)
{
    const cJSON *o;
    return walk(NULL, path, &o, err, errlen);
}

const cJSON *jpath_get(const cJSON *root, const char *path)
{
    const cJSON *o = NULL;
    char err[128];
    if (!root || walk(root, path, &o, err, sizeof err))
        return NULL;
    return o;
}

char *jpath_key(const char *base, const char *key)
{
    int plain = (isalpha((unsigned char)key[0]) || key[0] == '_' || key[0] == '$');
    for (const char *k = key + (key[0] == '$'); *k && plain; k++)
        if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-')
            plain = 0;
    /* Built by hand, not snprintf: matching builds a path for every member it
     * visits, and formatting was a tenth of the runner's CPU. */
    size_t bl = strlen(base), kl = strlen(key);
    char *s = mem_alloc(bl + 2 * kl + 8);
    memcpy(s, base, bl);
    if (plain) {
        s[bl] = '.';
        memcpy(s + bl + 1, key, kl + 1);
    } else {
        size_t o = bl;
        s[o++] = '[';
        s[o++] = '"';
        for (const char *k = key; *k; k++) {
            if (*k == '"' || *k == '\\')
                s[o++] = '\\';
            s[o++] = *k;
        }
        memcpy(s + o, "\"]", 3);
    }
    return s;
}

char *jpath_index(const char *base, int index)
{
    /* By hand like jpath_key: the loader builds one for every case and step. */
    char digits[16];
    size_t nd = 0, bl = strlen(base);
    unsigned long u = index < 0 ? 0ul - (unsigned long)index : (unsigned long)index;
    do
        digits[nd++] = (char)('0' + u % 10);
    while (u /= 10);
    char *s = mem_alloc(bl + nd + 4), *o = s + bl;
    memcpy(s, base, bl);
    *o++ = '[';
    if (index < 0)
        *o++ = '-';
    while (nd)
        *o++ = digits[--nd];
    memcpy(o, "]", 2);
    return s;
}
