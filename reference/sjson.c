/* Strict RFC 8259 parser into cJSON trees, and a compact printer that keeps number tokens. */
#include "sjson.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const unsigned char *start;
	const unsigned char *p;
	const unsigned char *end;
	int depth;
	char *err;
	size_t errlen;
};

static void fail(struct parser *ps, const char *why)
{
	if (ps->err && ps->errlen && !ps->err[0])
		snprintf(ps->err, ps->errlen, "%s at byte %zu", why, (size_t)(ps->p - ps->start));
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int hex4(const unsigned char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid.
 * Refuses overlong forms, surrogates and code points above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (s[2] & 0xC0) != 0x80)
			return 0;
		unsigned lo = 0x80, hi = 0xBF;
		if (c == 0xE0)
			lo = 0xA0;
		if (c == 0xED)
			hi = 0x9F;
		return s[1] >= lo && s[1] <= hi ? 3 : 0;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		unsigned lo = 0x80, hi = 0xBF;
		if (c == 0xF0)
			lo = 0x90;
		if (c == 0xF4)
			hi = 0x8F;
		return s[1] >= lo && s[1] <= hi ? 4 : 0;
	}
	return 0;
}

static size_t put_utf8(unsigned char *o, unsigned cp)
{
	if (cp == 0) {	/* held as C0 80, see sjson.h */
		o[0] = 0xC0;
		o[1] = 0x80;
		return 2;
	}
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Parses the string starting at the opening quote; returns a malloc'd copy. */
static char *parse_string(struct parser *ps)
{
	const unsigned char *q = ps->p + 1;
	while (q < ps->end && *q != '"') {
		if (*q == '\\' && ps->end - q < 2)
			break;
		q += *q == '\\' ? 2 : 1;
	}
	if (q >= ps->end || *q != '"') {
		fail(ps, "unterminated string");
		return NULL;
	}
	/* Decoding never produces more bytes than the token holds. */
	unsigned char *out = malloc((size_t)(q - ps->p));
	if (!out) {
		fail(ps, "out of memory");
		return NULL;
	}
	size_t n = 0;
	ps->p++;
	while (*ps->p != '"') {
		unsigned c = *ps->p;
		if (c < 0x20) {
			fail(ps, "raw control character in string");
			goto bad;
		}
		if (c == '\\') {
			unsigned e = ps->p[1];
			const char *simple = strchr("\"\\/bfnrt", (int)e);
			if (e && simple) {
				static const char map[] = "\"\\/\b\f\n\r\t";
				out[n++] = (unsigned char)map[simple - "\"\\/bfnrt"];
				ps->p += 2;
				continue;
			}
			unsigned cp, lo;
			if (e != 'u' || ps->end - ps->p < 6 || hex4(ps->p + 2, &cp) < 0) {
				fail(ps, "invalid escape in string");
				goto bad;
			}
			ps->p += 6;
			if (cp >= 0xDC00 && cp <= 0xDFFF) {
				fail(ps, "lone surrogate escape in string");
				goto bad;
			}
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
				    hex4(ps->p + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF) {
					fail(ps, "lone surrogate escape in string");
					goto bad;
				}
				ps->p += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			n += put_utf8(out + n, cp);
			continue;
		}
		size_t k = utf8_seq(ps->p, (size_t)(ps->end - ps->p));
		if (!k || ps->p + k > q) {
			fail(ps, "invalid UTF-8 in string");
			goto bad;
		}
		memcpy(out + n, ps->p, k);
		n += k;
		ps->p += k;
	}
	ps->p++;
	out[n] = '\0';
	return (char *)out;
bad:
	free(out);
	return NULL;
}

static cJSON *parse_number(struct parser *ps)
{
	const unsigned char *s = ps->p, *q = s;
	if (q < ps->end && *q == '-')
		q++;
	if (q >= ps->end || *q < '0' || *q > '9') {
		fail(ps, "invalid value");
		return NULL;
	}
	if (*q == '0') {
		q++;
		if (q < ps->end && *q >= '0' && *q <= '9') {
			fail(ps, "leading zero in number");
			return NULL;
		}
	} else {
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && *q == '.') {
		q++;
		if (q >= ps->end || *q < '0' || *q > '9') {
			fail(ps, "invalid fraction in number");
			return NULL;
		}
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || *q < '0' || *q > '9') {
			fail(ps, "invalid exponent in number");
			return NULL;
		}
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	size_t n = (size_t)(q - s);
	char *tok = malloc(n + 1);
	if (!tok) {
		fail(ps, "out of memory");
		return NULL;
	}
	memcpy(tok, s, n);
	tok[n] = '\0';
	double d = strtod(tok, NULL);
	if (isinf(d)) {	/* CALL-3: 1e400 is outside the double range */
		free(tok);
		fail(ps, "number outside the double range");
		return NULL;
	}
	cJSON *item = cJSON_CreateNumber(d);
	if (!item) {
		free(tok);
		fail(ps, "out of memory");
		return NULL;
	}
	item->valuestring = tok;
	ps->p = q;
	return item;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* CALL-3: duplicate keys are refused at any depth; sorting keeps big objects O(n log n). */
static int has_duplicate_keys(cJSON *obj, size_t count)
{
	if (count < 2)
		return 0;
	if (count <= 8) {
		for (cJSON *a = obj->child; a; a = a->next)
			for (cJSON *b = a->next; b; b = b->next)
				if (!strcmp(a->string, b->string))
					return 1;
		return 0;
	}
	cJSON **v = malloc(count * sizeof *v);
	if (!v)
		return -1;
	size_t i = 0;
	for (cJSON *a = obj->child; a; a = a->next)
		v[i++] = a;
	qsort(v, count, sizeof *v, key_cmp);
	int dup = 0;
	for (i = 1; i < count && !dup; i++)
		dup = !strcmp(v[i - 1]->string, v[i]->string);
	free(v);
	return dup;
}

static cJSON *parse_value(struct parser *ps);

static void append(cJSON *parent, cJSON **tail, cJSON *item)
{
	if (!*tail) {
		parent->child = item;
	} else {
		(*tail)->next = item;
		item->prev = *tail;
	}
	*tail = item;
	parent->child->prev = item;	/* cJSON keeps the last child in child->prev */
}

static cJSON *parse_container(struct parser *ps, int is_object)
{
	if (++ps->depth > SJSON_MAX_DEPTH) {
		fail(ps, "nesting deeper than 512 levels");
		return NULL;
	}
	cJSON *c = is_object ? cJSON_CreateObject() : cJSON_CreateArray();
	if (!c) {
		fail(ps, "out of memory");
		return NULL;
	}
	cJSON *tail = NULL;
	size_t count = 0;
	char close = is_object ? '}' : ']';
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return c;
	}
	for (;;) {
		char *key = NULL;
		skip_ws(ps);
		if (is_object) {
			if (ps->p >= ps->end || *ps->p != '"') {
				fail(ps, "expected a string key");
				goto bad;
			}
			key = parse_string(ps);
			if (!key)
				goto bad;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				fail(ps, "expected ':'");
				goto bad;
			}
			ps->p++;
			skip_ws(ps);
		}
		cJSON *item = parse_value(ps);
		if (!item) {
			free(key);
			goto bad;
		}
		item->string = key;
		append(c, &tail, item);
		count++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			break;
		}
		fail(ps, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
		goto bad;
	}
	if (is_object) {
		int dup = has_duplicate_keys(c, count);
		if (dup) {
			fail(ps, dup < 0 ? "out of memory" : "duplicate key in object");
			goto bad;
		}
	}
	ps->depth--;
	return c;
bad:
	cJSON_Delete(c);
	return NULL;
}

static cJSON *literal(struct parser *ps, const char *word, cJSON *item)
{
	size_t n = strlen(word);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n)) {
		cJSON_Delete(item);
		fail(ps, "invalid value");
		return NULL;
	}
	if (!item)
		fail(ps, "out of memory");
	ps->p += n;
	return item;
}

static cJSON *parse_value(struct parser *ps)
{
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end of input");
		return NULL;
	}
	switch (*ps->p) {
	case '{':
		return parse_container(ps, 1);
	case '[':
		return parse_container(ps, 0);
	case '"': {
		char *s = parse_string(ps);
		if (!s)
			return NULL;
		cJSON *item = cJSON_CreateString("");
		if (!item) {
			free(s);
			fail(ps, "out of memory");
			return NULL;
		}
		free(item->valuestring);
		item->valuestring = s;
		return item;
	}
	case 't':
		if ((size_t)(ps->end - ps->p) >= 4 && !memcmp(ps->p, "true", 4))
			return literal(ps, "true", cJSON_CreateTrue());
		break;
	case 'f':
		if ((size_t)(ps->end - ps->p) >= 5 && !memcmp(ps->p, "false", 5))
			return literal(ps, "false", cJSON_CreateFalse());
		break;
	case 'n':
		if ((size_t)(ps->end - ps->p) >= 4 && !memcmp(ps->p, "null", 4))
			return literal(ps, "null", cJSON_CreateNull());
		break;
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return parse_number(ps);
	}
	fail(ps, "invalid value");
	return NULL;
}

cJSON *sjson_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct parser ps = {
		.start = (const unsigned char *)text,
		.p = (const unsigned char *)text,
		.end = (const unsigned char *)text + len,
		.err = err,
		.errlen = errlen,
	};
	if (err && errlen)
		err[0] = '\0';
	skip_ws(&ps);
	cJSON *v = parse_value(&ps);
	if (!v)
		return NULL;
	skip_ws(&ps);
	if (ps.p != ps.end) {
		fail(&ps, "trailing bytes after the JSON value");
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

int sjson_is_integer(const cJSON *item)
{
	if (!cJSON_IsNumber(item))
		return 0;
	if (item->valuestring)
		return !strpbrk(item->valuestring, ".eE");
	return isfinite(item->valuedouble) && item->valuedouble == trunc(item->valuedouble);
}

cJSON *sjson_integer(long long v)
{
	cJSON *item = cJSON_CreateNumber((double)v);
	if (!item)
		return NULL;
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%lld", v);
	item->valuestring = malloc((size_t)n + 1);
	if (!item->valuestring) {
		cJSON_Delete(item);
		return NULL;
	}
	memcpy(item->valuestring, tmp, (size_t)n + 1);
	return item;
}

static void write_string(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	buf_putc(b, '"');
	for (; *p; p++) {
		const char *esc = NULL;
		char tmp[8];
		if (*p == '"')
			esc = "\\\"";
		else if (*p == '\\')
			esc = "\\\\";
		else if (*p == 0xC0 && p[1] == 0x80)
			esc = "\\u0000";
		else if (*p < 0x20) {
			switch (*p) {
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			case '\b': esc = "\\b"; break;
			case '\f': esc = "\\f"; break;
			default:
				snprintf(tmp, sizeof tmp, "\\u%04x", *p);
				esc = tmp;
			}
		}
		if (!esc)
			continue;
		buf_put(b, run, (size_t)(p - run));
		buf_puts(b, esc);
		if (*p == 0xC0)
			p++;
		run = p + 1;
	}
	buf_put(b, run, (size_t)(p - run));
	buf_putc(b, '"');
}

static void write_number(struct buf *b, const cJSON *item)
{
	double d = item->valuedouble;
	if (item->valuestring)
		buf_puts(b, item->valuestring);
	else if (!isfinite(d))
		buf_puts(b, "null");
	else if (d == trunc(d) && fabs(d) < 1e17)
		buf_printf(b, "%.0f", d);
	else
		buf_printf(b, "%.17g", d);
}

void sjson_write(struct buf *b, const cJSON *item)
{
	switch (item->type & 0xFF) {
	case cJSON_False:
		buf_put(b, "false", 5);
		return;
	case cJSON_True:
		buf_put(b, "true", 4);
		return;
	case cJSON_NULL:
		buf_put(b, "null", 4);
		return;
	case cJSON_Number:
		write_number(b, item);
		return;
	case cJSON_String:
		write_string(b, item->valuestring ? item->valuestring : "");
		return;
	case cJSON_Raw:
		buf_puts(b, item->valuestring ? item->valuestring : "null");
		return;
	case cJSON_Array:
	case cJSON_Object: {
		int obj = (item->type & 0xFF) == cJSON_Object;
		buf_putc(b, obj ? '{' : '[');
		for (const cJSON *c = item->child; c; c = c->next) {
			if (c != item->child)
				buf_putc(b, ',');
			if (obj) {
				write_string(b, c->string ? c->string : "");
				buf_putc(b, ':');
			}
			sjson_write(b, c);
		}
		buf_putc(b, obj ? '}' : ']');
		return;
	}
	default:
		buf_put(b, "null", 4);
	}
}

char *sjson_print(const cJSON *item, size_t *len)
{
	struct buf b = {0};
	sjson_write(&b, item);
	return buf_take(&b, len);
}

size_t sjson_codepoints(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xC0) != 0x80;	/* C0 80 counts once, as U+0000 */
	return n;
}
