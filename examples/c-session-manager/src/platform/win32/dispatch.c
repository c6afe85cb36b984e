/* IDispatch on Windows, answered from the type library embedded in this module (resource 1 TYPELIB):
 * oleaut32's DispGetIDsOfNames and DispInvoke read the interface's description and call the vtable.
 * They get the vtable half of the dual interface (GetRefTypeOfImplType(-1)); the dispatch half would
 * make ITypeInfo::Invoke call IDispatch::Invoke again. A member that fails comes back to the caller as
 * DISP_E_EXCEPTION with its HRESULT in EXCEPINFO.scode.
 *
 * An interface the library does not describe (the contacts' IMessengerContact belongs to another type
 * library) gets no type information, no names and E_NOTIMPL from Invoke. */
#include "cs.h"
#include "platform/win32/win32.h"

struct described { const char *name; ITypeInfo *dispatch_half, *vtable_half; };

static ITypeLib *library(void)
{
    static ITypeLib *loaded;
    static int tried;
    WCHAR path[MAX_PATH];
    HRESULT hr;
    if (tried) return loaded;
    tried = 1;
    if (!cs_module_path(path)) return NULL;
    hr = LoadTypeLibEx(path, REGKIND_NONE, &loaded);
    if (FAILED(hr)) {
        fprintf(stderr, "c-session-manager: no type library in its module (0x%08lx)\n", CS_HR(hr));
        loaded = NULL;
    }
    return loaded;
}

/* The two halves of the dual interface `name`; NULL if the library does not describe it. */
static const struct described *describe(const char *name)
{
    static struct described known[16];
    static int count;
    struct described *entry;
    ITypeLib *lib = library();
    UINT i, n;
    int k;
    for (k = 0; k < count; k++)
        if (!strcmp(known[k].name, name)) return known[k].vtable_half ? &known[k] : NULL;
    if (count == (int)(sizeof(known) / sizeof(known[0]))) return NULL;
    entry = &known[count++];
    entry->name = name;
    n = lib ? ITypeLib_GetTypeInfoCount(lib) : 0;
    for (i = 0; i < n; i++) {
        BSTR found = NULL;
        ITypeInfo *info = NULL;
        HREFTYPE vtable_ref;
        int same;
        if (FAILED(ITypeLib_GetDocumentation(lib, (INT)i, &found, NULL, NULL, NULL))) continue;
        same = cs_bstr_equal_ascii_nocase(found, name);
        SysFreeString(found);
        if (!same || FAILED(ITypeLib_GetTypeInfo(lib, i, &info))) continue;
        if (SUCCEEDED(ITypeInfo_GetRefTypeOfImplType(info, (UINT)-1, &vtable_ref)) &&
            SUCCEEDED(ITypeInfo_GetRefTypeInfo(info, vtable_ref, &entry->vtable_half))) {
            entry->dispatch_half = info;
        } else {
            ITypeInfo_Release(info);  /* not dual: nothing IDispatch could call */
        }
        break;
    }
    return entry->vtable_half ? entry : NULL;
}

HRESULT cs_dispatch_type_info_count(const char *itf_name, UINT *count)
{
    if (!count) return E_POINTER;
    *count = describe(itf_name) ? 1 : 0;
    return S_OK;
}

HRESULT cs_dispatch_type_info(const char *itf_name, UINT index, ITypeInfo **out)
{
    const struct described *itf = describe(itf_name);
    if (!out) return E_POINTER;
    *out = NULL;
    if (!itf) return E_NOTIMPL;
    if (index != 0) return DISP_E_BADINDEX;
    ITypeInfo_AddRef(itf->dispatch_half);
    *out = itf->dispatch_half;
    return S_OK;
}

HRESULT cs_dispatch_ids(const char *itf_name, LPOLESTR *names, UINT count, DISPID *ids)
{
    const struct described *itf = describe(itf_name);
    UINT i;
    if (!names || !ids) return E_POINTER;
    if (!itf) {
        for (i = 0; i < count; i++) ids[i] = DISPID_UNKNOWN;
        return DISP_E_UNKNOWNNAME;
    }
    return DispGetIDsOfNames(itf->vtable_half, names, count, ids);
}

HRESULT cs_dispatch_invoke(void *self, const char *itf_name, DISPID id, REFIID riid, WORD flags,
                           DISPPARAMS *params, VARIANT *result, EXCEPINFO *info, UINT *bad)
{
    const struct described *itf = describe(itf_name);
    if (!itf) return E_NOTIMPL;
    if (!IsEqualIID(riid, &cs_GUID_NULL)) return DISP_E_UNKNOWNINTERFACE;
    return DispInvoke(self, itf->vtable_half, id, flags, params, result, info, bad);
}
