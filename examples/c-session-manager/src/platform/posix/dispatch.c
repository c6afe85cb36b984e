/* IDispatch on Linux: no type library to answer from. GetIDsOfNames maps member names through the
 * type information compiled from the IDL; Invoke is not implemented (the protocol server binds early,
 * through the vtables), and no ITypeInfo is offered. */
#include <strings.h>

#include "objects.h"

HRESULT cs_dispatch_type_info_count(const char *itf_name, UINT *count)
{
    (void)itf_name;
    if (!count) return E_POINTER;
    *count = 0;
    return S_OK;
}

HRESULT cs_dispatch_type_info(const char *itf_name, UINT index, ITypeInfo **out)
{
    (void)itf_name; (void)index;
    if (out) *out = NULL;
    return E_NOTIMPL;
}

HRESULT cs_dispatch_invoke(void *self, const char *itf_name, DISPID id, REFIID riid, WORD flags,
                           DISPPARAMS *params, VARIANT *result, EXCEPINFO *info, UINT *bad)
{
    (void)self; (void)itf_name; (void)id; (void)riid; (void)flags; (void)params; (void)result; (void)info;
    (void)bad;
    return E_NOTIMPL;
}

HRESULT cs_dispatch_ids(const char *itf_name, LPOLESTR *names, UINT count, DISPID *ids)
{
    const struct ti_interface *itf = ti_interface(itf_name);
    HRESULT hr = S_OK;
    UINT i;
    if (!names || !ids) return E_POINTER;
    for (i = 0; i < count; i++) ids[i] = DISPID_UNKNOWN;
    if (!itf || !count) return DISP_E_UNKNOWNNAME;
    {
        /* names[0] is the member; the rest would be parameter names, which this server does not map */
        UINT length = 0;
        BSTR text;
        char *name;
        int m;
        while (names[0] && names[0][length]) length++;
        text = cs_bstr_alloc(names[0], length);
        name = cs_bstr_to_utf8(text);
        cs_bstr_free(text);
        for (m = 0; m < itf->nmembers; m++) {
            if (name && !strcasecmp(itf->members[m].name, name) && itf->members[m].has_dispid) {
                ids[0] = itf->members[m].dispid;
                break;
            }
        }
        if (ids[0] == DISPID_UNKNOWN) hr = DISP_E_UNKNOWNNAME;
        free(name);
    }
    if (count > 1) hr = DISP_E_UNKNOWNNAME;
    return hr;
}
