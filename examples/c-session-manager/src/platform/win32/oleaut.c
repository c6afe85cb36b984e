/* BSTR, VARIANT and SAFEARRAY on Windows: oleaut32's own, so that every value the objects hand out can
 * be freed, copied and marshalled by COM and by clients. */
#include "cs.h"

BSTR cs_bstr_alloc(const WCHAR *units, UINT length)
{
    BSTR text = SysAllocStringLen(units, length);
    if (text && !units) memset(text, 0, (size_t)length * sizeof(WCHAR));
    return text;
}

void cs_bstr_free(BSTR text)
{
    SysFreeString(text);
}

UINT cs_bstr_len(const BSTR text)
{
    return SysStringLen(text);
}

SAFEARRAY *cs_safearray_variants(ULONG count)
{
    return SafeArrayCreateVector(VT_VARIANT, 0, count);
}

void cs_safearray_destroy(SAFEARRAY *array)
{
    if (array) SafeArrayDestroy(array);
}

void cs_variant_init(VARIANT *v)
{
    VariantInit(v);
}

void cs_variant_clear(VARIANT *v)
{
    VariantClear(v);
}

HRESULT cs_variant_copy(VARIANT *to, const VARIANT *from)
{
    VariantInit(to);
    return VariantCopy(to, (VARIANT *)from);
}
