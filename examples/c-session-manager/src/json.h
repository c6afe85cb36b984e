/* A small JSON reader and writer: what the protocol needs, nothing more. */
#ifndef CS_JSON_H
#define CS_JSON_H

#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_INT, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
    enum json_type type;
    int boolean;
    long long integer;
    double number;
    char *string;        /* UTF-8 (escaped surrogates kept as three-byte sequences), NUL-terminated */
    size_t length;       /* of string, in bytes */
    size_t count;        /* items of an array or members of an object */
    struct json **items;
    char **keys;
};

/* Parse one document; NULL and a message in error (of size 200) if it is not valid JSON. */
struct json *json_parse(const char *text, size_t length, char *error);
void json_free(struct json *value);
const struct json *json_get(const struct json *object, const char *key);  /* NULL if absent */
const char *json_string(const struct json *object, const char *key);      /* NULL if absent or not a string */

/* A growing buffer for writing. */
struct buf { char *data; size_t length, capacity; };
void buf_add(struct buf *b, const char *text, size_t length);
void buf_puts(struct buf *b, const char *text);
void buf_printf(struct buf *b, const char *format, ...) __attribute__((format(printf, 2, 3)));
void buf_json_string(struct buf *b, const char *utf8);               /* a quoted JSON string */
void buf_json_units(struct buf *b, const unsigned short *units, size_t count);  /* UTF-16 as a JSON string */
void buf_json(struct buf *b, const struct json *value);              /* re-serialize a parsed value */
void buf_free(struct buf *b);

/* Protocol v1 answer lines (docs/protocol.md), without the line feed: a result, and an error with its code. */
void protocol_result_line(struct buf *line, const struct json *id, const char *result);
void protocol_error_line(struct buf *line, const struct json *id, const char *code, const char *message);
/* Whether a hello request asks for the protocol this side speaks: msgrspec-adapter, with 1 among its versions. */
int protocol_hello_speaks_v1(const struct json *hello);

#endif
