/* IDispatch for the dual interfaces: GetIDsOfNames answers from the type information; Invoke is not
 * implemented (the server binds early, through the vtables), so it answers E_NOTIMPL. */
#ifndef CS_DISPATCH_H
#define CS_DISPATCH_H

#include "objects.h"

#define CS_DISPATCH_METHODS(prefix, Iface, name)                                                                     \
    static HRESULT STDMETHODCALLTYPE cs_##prefix##_GetTypeInfoCount(Iface *This, UINT *count)                      \
    {                                                                                                        \
        (void)This;                                                                                          \
        if (!count) return E_POINTER;                                                                        \
        *count = 0;                                                                                          \
        return S_OK;                                                                                         \
    }                                                                                                        \
    static HRESULT STDMETHODCALLTYPE cs_##prefix##_GetTypeInfo(Iface *This, UINT index, LCID lcid, ITypeInfo **out) \
    {                                                                                                        \
        (void)This; (void)index; (void)lcid;                                                                 \
        if (out) *out = NULL;                                                                                \
        return E_NOTIMPL;                                                                                    \
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
        (void)This; (void)id; (void)riid; (void)lcid; (void)flags; (void)params; (void)result;               \
        (void)info; (void)bad;                                                                               \
        return E_NOTIMPL;                                                                                    \
    }

#endif
