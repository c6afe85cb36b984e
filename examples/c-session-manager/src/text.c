/* Text helpers over the platform's BSTRs (platform/<os>/oleaut.c allocates them): UTF-8 conversion,
 * comparison, GUIDs in registry form. */
#include "cs.h"

BSTR cs_bstr_copy(const BSTR text)
{
    return text ? cs_bstr_alloc(text, cs_bstr_len(text)) : NULL;
}

/* Decode UTF-8, letting encoded surrogates through (the JSON reader writes a lone \uD800 that way). */
BSTR cs_bstr_utf8(const char *text, size_t length)
{
    WCHAR *units = malloc((length + 1) * sizeof(WCHAR));
    const unsigned char *p = (const unsigned char *)text, *end = p + length;
    UINT n = 0;
    BSTR result;
    if (!units) return NULL;
    while (p < end) {
        unsigned int c = *p++;
        int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (extra) c &= 0x3F >> extra;
        while (extra-- > 0 && p < end) c = (c << 6) | (*p++ & 0x3F);
        if (c >= 0x10000) {
            c -= 0x10000;
            units[n++] = (WCHAR)(0xD800 | (c >> 10));
            units[n++] = (WCHAR)(0xDC00 | (c & 0x3FF));
        } else {
            units[n++] = (WCHAR)c;
        }
    }
    result = cs_bstr_alloc(units, n);
    free(units);
    return result;
}

BSTR cs_bstr_ascii(const char *text)
{
    return cs_bstr_utf8(text, strlen(text));
}

char *cs_bstr_to_utf8(const BSTR text)
{
    UINT length = cs_bstr_len(text), i;
    char *out = malloc((size_t)length * 3 + 1), *q = out;
    if (!out) return NULL;
    for (i = 0; i < length; i++) {
        unsigned int c = text[i];
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < length && text[i + 1] >= 0xDC00 && text[i + 1] < 0xE000) {
            c = 0x10000 + ((c - 0xD800) << 10) + (text[++i] - 0xDC00);
            *q++ = (char)(0xF0 | (c >> 18));
            *q++ = (char)(0x80 | ((c >> 12) & 0x3F));
            *q++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *q++ = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x80) {
            *q++ = (char)c;
        } else if (c < 0x800) {
            *q++ = (char)(0xC0 | (c >> 6));
            *q++ = (char)(0x80 | (c & 0x3F));
        } else {
            *q++ = (char)(0xE0 | (c >> 12));
            *q++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *q++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *q = 0;
    return out;
}

int cs_bstr_equal(const BSTR a, const BSTR b)
{
    UINT length = cs_bstr_len(a);
    return length == cs_bstr_len(b) && (!length || !memcmp(a, b, length * sizeof(WCHAR)));
}

static WCHAR lower(WCHAR c)
{
    return c >= 'A' && c <= 'Z' ? (WCHAR)(c + 32) : c;
}

int cs_bstr_equal_ascii_nocase(const BSTR a, const char *b)
{
    UINT length = cs_bstr_len(a), i;
    if (length != strlen(b)) return 0;
    for (i = 0; i < length; i++)
        if (lower(a[i]) != lower((WCHAR)(unsigned char)b[i])) return 0;
    return 1;
}

/* -- GUIDs as text ----------------------------------------------------------------------------- */

int cs_guid_registry_form(const BSTR text)
{
    static const char shape[] = "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}";
    UINT i;
    if (cs_bstr_len(text) != sizeof(shape) - 1) return 0;
    for (i = 0; i < sizeof(shape) - 1; i++) {
        WCHAR c = text[i];
        if (shape[i] == 'X') {
            if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return 0;
        } else if (c != (WCHAR)shape[i]) {
            return 0;
        }
    }
    return 1;
}

BSTR cs_new_guid(void)
{
    unsigned char b[16];
    char text[40];
    cs_random_bytes(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);  /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);  /* RFC 4122 variant */
    snprintf(text, sizeof(text), "{%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return cs_bstr_ascii(text);
}
