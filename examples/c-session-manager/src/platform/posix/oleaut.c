/* BSTR, VARIANT and SAFEARRAY for Linux, where there is no oleaut32: the same memory layout, written for
 * this server. A BSTR is a pointer to UTF-16 code units preceded by their byte length (4 bytes) and
 * followed by a NUL. */
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
