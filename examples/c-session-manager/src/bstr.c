/* BSTR, VARIANT and SAFEARRAY handling, written for this server (no oleaut32 on Linux).
 * A BSTR is a pointer to UTF-16 code units preceded by their byte length (4 bytes) and followed by a NUL. */
#include "cs.h"

BSTR cs_bstr_alloc(const WCHAR *units, UINT length)
{
    unsigned char *block = malloc(sizeof(DWORD) + (size_t)length * sizeof(WCHAR) + sizeof(WCHAR));
    DWORD bytes = length * sizeof(WCHAR);
    BSTR text;
    if (!block) return NULL;
    memcpy(block, &bytes, sizeof(bytes));
    text = (BSTR)(block + sizeof(DWORD));
    if (units) memcpy(text, units, bytes);
    else memset(text, 0, bytes);
    text[length] = 0;
    return text;
}

void cs_bstr_free(BSTR text)
{
    if (text) free((unsigned char *)text - sizeof(DWORD));
}

UINT cs_bstr_len(const BSTR text)
{
    DWORD bytes;
    if (!text) return 0;
    memcpy(&bytes, (const unsigned char *)text - sizeof(DWORD), sizeof(bytes));
    return bytes / sizeof(WCHAR);
}

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

SAFEARRAY *cs_safearray_variants(ULONG count)
{
    SAFEARRAY *array = calloc(1, sizeof(SAFEARRAY));
    if (!array) return NULL;
    array->cDims = 1;
    array->fFeatures = FADF_VARIANT | FADF_HAVEVARTYPE;
    array->cbElements = sizeof(VARIANT);
    array->rgsabound[0].cElements = count;
    array->rgsabound[0].lLbound = 0;
    array->pvData = calloc(count ? count : 1, sizeof(VARIANT));
    if (!array->pvData) { free(array); return NULL; }
    return array;
}

void cs_safearray_destroy(SAFEARRAY *array)
{
    ULONG i;
    if (!array) return;
    for (i = 0; i < array->rgsabound[0].cElements; i++) cs_variant_clear((VARIANT *)array->pvData + i);
    free(array->pvData);
    free(array);
}

void cs_variant_init(VARIANT *v)
{
    memset(v, 0, sizeof(*v));
    V_VT(v) = VT_EMPTY;
}

void cs_variant_clear(VARIANT *v)
{
    switch (V_VT(v)) {
    case VT_BSTR: cs_bstr_free(V_BSTR(v)); break;
    case VT_DISPATCH: if (V_DISPATCH(v)) IDispatch_Release(V_DISPATCH(v)); break;
    case VT_ARRAY | VT_VARIANT: cs_safearray_destroy(V_ARRAY(v)); break;
    default: break;
    }
    cs_variant_init(v);
}

HRESULT cs_variant_copy(VARIANT *to, const VARIANT *from)
{
    ULONG i, count;
    *to = *from;
    switch (V_VT(from)) {
    case VT_BSTR:
        V_BSTR(to) = cs_bstr_copy(V_BSTR(from));
        break;
    case VT_DISPATCH:
        if (V_DISPATCH(to)) IDispatch_AddRef(V_DISPATCH(to));
        break;
    case VT_ARRAY | VT_VARIANT:
        count = V_ARRAY(from)->rgsabound[0].cElements;
        V_ARRAY(to) = cs_safearray_variants(count);
        if (!V_ARRAY(to)) return E_OUTOFMEMORY;
        for (i = 0; i < count; i++)
            cs_variant_copy((VARIANT *)V_ARRAY(to)->pvData + i, (VARIANT *)V_ARRAY(from)->pvData + i);
        break;
    default:
        break;
    }
    return S_OK;
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

void cs_random_bytes(unsigned char *out, size_t count)
{
    FILE *source = fopen("/dev/urandom", "rb");
    size_t got = source ? fread(out, 1, count, source) : 0;
    if (source) fclose(source);
    while (got < count) out[got++] = (unsigned char)rand();
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
