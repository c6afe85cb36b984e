/* JSON for the protocol: a recursive reader with a depth limit and a writer into a growing buffer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define MAX_DEPTH 64

struct reader { const char *start, *p, *end; char *error; };

static void fail(struct reader *r, const char *message)
{
    if (!r->error[0]) snprintf(r->error, 200, "%s at byte %ld", message, (long)(r->p - r->start));
}

static void skip_space(struct reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

static struct json *make(enum json_type type)
{
    struct json *v = calloc(1, sizeof(*v));
    if (v) v->type = type;
    return v;
}

static int hex4(struct reader *r, unsigned int *out)
{
    int i;
    *out = 0;
    if (r->end - r->p < 4) return 0;
    for (i = 0; i < 4; i++) {
        char c = *r->p++;
        *out <<= 4;
        if (c >= '0' && c <= '9') *out |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') *out |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') *out |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    return 1;
}

static void put_utf8(struct buf *b, unsigned int c)
{
    char tmp[4];
    size_t n;
    if (c < 0x80) { tmp[0] = (char)c; n = 1; }
    else if (c < 0x800) { tmp[0] = (char)(0xC0 | (c >> 6)); tmp[1] = (char)(0x80 | (c & 0x3F)); n = 2; }
    else if (c < 0x10000) {
        tmp[0] = (char)(0xE0 | (c >> 12)); tmp[1] = (char)(0x80 | ((c >> 6) & 0x3F)); tmp[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        tmp[0] = (char)(0xF0 | (c >> 18)); tmp[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        tmp[2] = (char)(0x80 | ((c >> 6) & 0x3F)); tmp[3] = (char)(0x80 | (c & 0x3F)); n = 4;
    }
    buf_add(b, tmp, n);
}

static char *read_string(struct reader *r, size_t *length)
{
    struct buf b = {0};
    r->p++;  /* the opening quote */
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char)*r->p;
        if (c < 0x20) { fail(r, "a control character in a string"); buf_free(&b); return NULL; }
        if (c != '\\') { buf_add(&b, r->p++, 1); continue; }
        r->p++;
        if (r->p >= r->end) break;
        c = (unsigned char)*r->p++;
        switch (c) {
        case '"': buf_add(&b, "\"", 1); break;
        case '\\': buf_add(&b, "\\", 1); break;
        case '/': buf_add(&b, "/", 1); break;
        case 'b': buf_add(&b, "\b", 1); break;
        case 'f': buf_add(&b, "\f", 1); break;
        case 'n': buf_add(&b, "\n", 1); break;
        case 'r': buf_add(&b, "\r", 1); break;
        case 't': buf_add(&b, "\t", 1); break;
        case 'u': {
            unsigned int unit, low;
            if (!hex4(r, &unit)) { fail(r, "a bad \\u escape"); buf_free(&b); return NULL; }
            if (unit >= 0xD800 && unit < 0xDC00 && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u') {
                const char *mark = r->p;
                r->p += 2;
                if (hex4(r, &low) && low >= 0xDC00 && low < 0xE000) unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                else r->p = mark;
            }
            put_utf8(&b, unit);
            break;
        }
        default: fail(r, "a bad escape"); buf_free(&b); return NULL;
        }
    }
    if (r->p >= r->end) { fail(r, "an unterminated string"); buf_free(&b); return NULL; }
    r->p++;
    buf_add(&b, "", 0);
    if (!b.data) { b.data = calloc(1, 1); }
    *length = b.length;
    return b.data;
}

static struct json *read_value(struct reader *r, int depth);

static int append(struct json *container, struct json *item, char *key)
{
    struct json **items = realloc(container->items, (container->count + 1) * sizeof(*items));
    if (!items) return 0;
    container->items = items;
    if (container->type == JSON_OBJECT) {
        char **keys = realloc(container->keys, (container->count + 1) * sizeof(*keys));
        if (!keys) return 0;
        container->keys = keys;
        keys[container->count] = key;
    }
    items[container->count++] = item;
    return 1;
}

static struct json *read_container(struct reader *r, int depth, int object)
{
    struct json *v = make(object ? JSON_OBJECT : JSON_ARRAY);
    char close = object ? '}' : ']';
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == close) { r->p++; return v; }
    for (;;) {
        char *key = NULL;
        struct json *item;
        skip_space(r);
        if (object) {
            size_t length;
            if (r->p >= r->end || *r->p != '"') { fail(r, "a member name was expected"); json_free(v); return NULL; }
            key = read_string(r, &length);
            if (!key) { json_free(v); return NULL; }
            if (json_get(v, key)) { fail(r, "a member name appears twice"); free(key); json_free(v); return NULL; }
            skip_space(r);
            if (r->p >= r->end || *r->p != ':') { fail(r, "':' was expected"); free(key); json_free(v); return NULL; }
            r->p++;
        }
        item = read_value(r, depth + 1);
        if (!item || !append(v, item, key)) { free(key); json_free(item); json_free(v); return NULL; }
        skip_space(r);
        if (r->p < r->end && *r->p == ',') { r->p++; continue; }
        if (r->p < r->end && *r->p == close) { r->p++; return v; }
        fail(r, object ? "',' or '}' was expected" : "',' or ']' was expected");
        json_free(v);
        return NULL;
    }
}

static struct json *read_number(struct reader *r)
{
    const char *start = r->p;
    int integral = 1;
    char text[64];
    struct json *v;
    if (r->p < r->end && *r->p == '-') r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9') { fail(r, "a bad number"); return NULL; }
    while (r->p < r->end && ((*r->p >= '0' && *r->p <= '9') || *r->p == '.' || *r->p == 'e' || *r->p == 'E' ||
                             *r->p == '+' || *r->p == '-')) {
        if (*r->p == '.' || *r->p == 'e' || *r->p == 'E') integral = 0;
        r->p++;
    }
    if ((size_t)(r->p - start) >= sizeof(text)) { fail(r, "a number too long"); return NULL; }
    memcpy(text, start, (size_t)(r->p - start));
    text[r->p - start] = 0;
    v = make(JSON_NUMBER);
    v->number = strtod(text, NULL);
    if (integral) {
        char *end;
        long long n = strtoll(text, &end, 10);
        if (*end == 0 && n != (long long)0x7FFFFFFFFFFFFFFFLL && n != (-0x7FFFFFFFFFFFFFFFLL - 1)) {
            v->type = JSON_INT;
            v->integer = n;
        }
    }
    return v;
}

static struct json *read_value(struct reader *r, int depth)
{
    struct json *v;
    if (depth > MAX_DEPTH) { fail(r, "nested too deeply"); return NULL; }
    skip_space(r);
    if (r->p >= r->end) { fail(r, "a value was expected"); return NULL; }
    switch (*r->p) {
    case '{': return read_container(r, depth, 1);
    case '[': return read_container(r, depth, 0);
    case '"':
        v = make(JSON_STRING);
        v->string = read_string(r, &v->length);
        if (!v->string) { free(v); return NULL; }
        return v;
    case 't':
        if (r->end - r->p >= 4 && !memcmp(r->p, "true", 4)) { r->p += 4; v = make(JSON_BOOL); v->boolean = 1; return v; }
        break;
    case 'f':
        if (r->end - r->p >= 5 && !memcmp(r->p, "false", 5)) { r->p += 5; return make(JSON_BOOL); }
        break;
    case 'n':
        if (r->end - r->p >= 4 && !memcmp(r->p, "null", 4)) { r->p += 4; return make(JSON_NULL); }
        break;
    default:
        return read_number(r);
    }
    fail(r, "an unknown literal");
    return NULL;
}

struct json *json_parse(const char *text, size_t length, char *error)
{
    struct reader r = {text, text, text + length, error};
    struct json *v;
    error[0] = 0;
    v = read_value(&r, 0);
    if (!v) return NULL;
    skip_space(&r);
    if (r.p != r.end) { fail(&r, "text after the value"); json_free(v); return NULL; }
    return v;
}

void json_free(struct json *v)
{
    size_t i;
    if (!v) return;
    for (i = 0; i < v->count; i++) {
        json_free(v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    free(v);
}

const struct json *json_get(const struct json *object, const char *key)
{
    size_t i;
    if (!object || object->type != JSON_OBJECT) return NULL;
    for (i = 0; i < object->count; i++)
        if (!strcmp(object->keys[i], key)) return object->items[i];
    return NULL;
}

const char *json_string(const struct json *object, const char *key)
{
    const struct json *v = json_get(object, key);
    return v && v->type == JSON_STRING ? v->string : NULL;
}

/* -- writing ---------------------------------------------------------------------------------- */

void buf_add(struct buf *b, const char *text, size_t length)
{
    if (b->length + length + 1 > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 256;
        char *data;
        while (capacity < b->length + length + 1) capacity *= 2;
        data = realloc(b->data, capacity);
        if (!data) { fputs("c-session-manager: out of memory\n", stderr); abort(); }
        b->data = data;
        b->capacity = capacity;
    }
    memcpy(b->data + b->length, text, length);
    b->length += length;
    b->data[b->length] = 0;
}

void buf_puts(struct buf *b, const char *text)
{
    buf_add(b, text, strlen(text));
}

void buf_printf(struct buf *b, const char *format, ...)
{
    char small[256];
    va_list args;
    int n;
    va_start(args, format);
    n = vsnprintf(small, sizeof(small), format, args);
    va_end(args);
    if (n < (int)sizeof(small)) { buf_add(b, small, (size_t)n); return; }
    {
        char *big = malloc((size_t)n + 1);
        if (!big) { fputs("c-session-manager: out of memory\n", stderr); abort(); }
        va_start(args, format);
        vsnprintf(big, (size_t)n + 1, format, args);
        va_end(args);
        buf_add(b, big, (size_t)n);
        free(big);
    }
}

static void put_unit(struct buf *b, unsigned int c)
{
    char tmp[8];
    switch (c) {
    case '"': buf_add(b, "\\\"", 2); return;
    case '\\': buf_add(b, "\\\\", 2); return;
    case '\n': buf_add(b, "\\n", 2); return;
    case '\r': buf_add(b, "\\r", 2); return;
    case '\t': buf_add(b, "\\t", 2); return;
    default: break;
    }
    if (c >= 0x20 && c < 0x7F) { tmp[0] = (char)c; buf_add(b, tmp, 1); return; }
    snprintf(tmp, sizeof(tmp), "\\u%04x", c & 0xFFFF);
    buf_add(b, tmp, 6);
}

void buf_json_units(struct buf *b, const unsigned short *units, size_t count)
{
    size_t i;
    buf_add(b, "\"", 1);
    for (i = 0; i < count; i++) put_unit(b, units[i]);
    buf_add(b, "\"", 1);
}

void buf_json_string(struct buf *b, const char *utf8)
{
    const unsigned char *p = (const unsigned char *)utf8;
    buf_add(b, "\"", 1);
    while (*p) {
        unsigned int c = *p++;
        int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (extra) c &= 0x3F >> extra;
        while (extra-- > 0 && *p) c = (c << 6) | (*p++ & 0x3F);
        if (c >= 0x10000) {
            c -= 0x10000;
            put_unit(b, 0xD800 | (c >> 10));
            put_unit(b, 0xDC00 | (c & 0x3FF));
        } else {
            put_unit(b, c);
        }
    }
    buf_add(b, "\"", 1);
}

void buf_json(struct buf *b, const struct json *v)
{
    size_t i;
    switch (v->type) {
    case JSON_NULL: buf_puts(b, "null"); break;
    case JSON_BOOL: buf_puts(b, v->boolean ? "true" : "false"); break;
    case JSON_INT: buf_printf(b, "%lld", v->integer); break;
    case JSON_NUMBER: buf_printf(b, "%.17g", v->number); break;
    case JSON_STRING: buf_json_string(b, v->string); break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        buf_puts(b, v->type == JSON_ARRAY ? "[" : "{");
        for (i = 0; i < v->count; i++) {
            if (i) buf_puts(b, ",");
            if (v->type == JSON_OBJECT) { buf_json_string(b, v->keys[i]); buf_puts(b, ":"); }
            buf_json(b, v->items[i]);
        }
        buf_puts(b, v->type == JSON_ARRAY ? "]" : "}");
        break;
    }
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->length = b->capacity = 0;
}

void protocol_result_line(struct buf *line, const struct json *id, const char *result)
{
    buf_puts(line, "{\"id\":");
    buf_json(line, id);
    buf_puts(line, ",\"result\":");
    buf_puts(line, result);
    buf_puts(line, "}");
}

void protocol_error_line(struct buf *line, const struct json *id, const char *code, const char *message)
{
    buf_puts(line, "{\"id\":");
    if (id) buf_json(line, id);
    else buf_puts(line, "null");
    buf_puts(line, ",\"error\":{\"code\":");
    buf_json_string(line, code);
    buf_puts(line, ",\"message\":");
    buf_json_string(line, message);
    if (!strcmp(code, "version-mismatch")) buf_puts(line, ",\"versions\":[1]");
    buf_puts(line, "}}");
}

int protocol_hello_speaks_v1(const struct json *hello)
{
    const struct json *versions = json_get(hello, "versions");
    const char *protocol = json_string(hello, "protocol");
    size_t i;
    if (!protocol || strcmp(protocol, "msgrspec-adapter") || !versions || versions->type != JSON_ARRAY) return 0;
    for (i = 0; i < versions->count; i++)
        if (versions->items[i]->type == JSON_INT && versions->items[i]->integer == 1) return 1;
    return 0;
}
