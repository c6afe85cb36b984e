/* IDispatch for the dual interfaces: the four methods hand over to the platform layer, which answers
 * from the type library on Windows (cs_dispatch_* in platform/win32/dispatch.c) and maps names only on
 * Linux, where the server binds early through the vtables (platform/posix/dispatch.c). */
#ifndef CS_DISPATCH_H
#define CS_DISPATCH_H

#include "objects.h"

#define CS_DISPATCH_METHODS(prefix, Iface, name)                                                                     \
    static HRESULT STDMETHODCALLTYPE cs_##prefix##_GetTypeInfoCount(Iface *This, UINT *count)                      \
    {                                                                                                        \
        (void)This;                                                                                          \
        return cs_dispatch_type_info_count(name, count);                                                     \
    }                                                                                                        \
    static HRESULT STDMETHODCALLTYPE cs_##prefix##_GetTypeInfo(Iface *This, UINT index, LCID lcid, ITypeInfo **out) \
    {                                                                                                        \
        (void)This; (void)lcid;                                                                              \
        return cs_dispatch_type_info(name, index, out);                                                      \
    }                                                                                                        \
    static HRESULT STDMETHODCALLTYPE cs_##prefix##_GetIDsOfNames(Iface *This, REFIID riid, LPOLESTR *names,         \
                                                           UINT count, LCID lcid, DISPID *ids)               \
    {                                                                                                        \
        (void)This; (void)riid; (void)lcid;                                                                  \
        return cs_dispatch_ids(name, names, count, ids);                                                     \
    }                                                                                                        \
    static HRESULT STDMETHODCALLTYPE cs_##prefix##_Invoke(Iface *This, DISPID id, REFIID riid, LCID lcid,           \
                                                    WORD flags, DISPPARAMS *params, VARIANT *result,         \
                                                    EXCEPINFO *info, UINT *bad)                              \
    {                                                                                                        \
        (void)lcid;                                                                                          \
        return cs_dispatch_invoke(This, name, id, riid, flags, params, result, info, bad);                   \
    }

#endif
