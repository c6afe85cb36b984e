/* The COM side of the bridge: everything it knows of the implementation comes from the type library
 * registered for the spec's LIBID (coclasses and CLSIDs, interfaces and IIDs, members and DISPIDs,
 * event interfaces), so it drives any registered implementation with no code of its own.
 *
 * Calls go through IDispatch::Invoke with the DISPID the type library gives; an interface that does
 * not derive from IDispatch (IMsgrLock) is called through ITypeInfo::Invoke on its vtable, which is
 * how oleaut32 reaches a vtable member by its type information. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

/* -- the catalogue of the type library --------------------------------------------------------- */

struct entry {
    char name[128];
    GUID guid;
    TYPEKIND kind;       /* of `info`: the vtable half for a dual interface */
    WORD flags;          /* TYPEATTR.wTypeFlags of the library's own entry */
    ITypeInfo *info;     /* vtable half (interfaces), the dispinterface, the enum behind an alias, the coclass */
    int dispatchable;    /* members are reached through IDispatch */
};

static ITypeLib *library;
static char library_name[128];
static struct entry *entries;
static size_t entry_count;

static const GUID iid_unknown = {0x00000000, 0x0000, 0x0000, {0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
static const GUID iid_dispatch = {0x00020400, 0x0000, 0x0000, {0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
static const GUID iid_container = {0xB196B284, 0xBAB4, 0x101A, {0xB6, 0x9C, 0x00, 0xAA, 0x00, 0x34, 0x1D, 0x07}};

static void utf8_of(const OLECHAR *text, char *out, int size)
{
    if (!text) { out[0] = 0; return; }
    if (!WideCharToMultiByte(CP_UTF8, 0, text, -1, out, size, NULL, NULL)) out[0] = 0;
    out[size - 1] = 0;
}

static void name_of(ITypeInfo *info, MEMBERID id, char *out, int size)
{
    BSTR name = NULL;
    out[0] = 0;
    if (SUCCEEDED(ITypeInfo_GetDocumentation(info, id, &name, NULL, NULL, NULL))) utf8_of(name, out, size);
    SysFreeString(name);
}

static void guid_text(const GUID *guid, char out[40])
{
    OLECHAR wide[40];
    if (!StringFromGUID2(guid, wide, 40)) { out[0] = 0; return; }
    utf8_of(wide, out, 40);
}

/* A GUID written with or without braces, in any case. */
static int parse_guid(const char *text, GUID *out)
{
    char braced[40];
    OLECHAR wide[40];
    size_t n = strlen(text);
    if (n == 36) snprintf(braced, sizeof(braced), "{%s}", text);
    else if (n == 38) snprintf(braced, sizeof(braced), "%s", text);
    else return 0;
    MultiByteToWideChar(CP_ACP, 0, braced, -1, wide, 40);
    return SUCCEEDED(CLSIDFromString(wide, out));
}

/* The library's entry for a type, a dual interface given by its vtable half. */
static void catalogue_add(ITypeInfo *info)
{
    TYPEATTR *attr = NULL;
    struct entry e;
    memset(&e, 0, sizeof(e));
    if (FAILED(ITypeInfo_GetTypeAttr(info, &attr))) return;
    name_of(info, MEMBERID_NIL, e.name, sizeof(e.name));
    e.guid = attr->guid;
    e.kind = attr->typekind;
    e.flags = attr->wTypeFlags;
    e.info = info;
    ITypeInfo_AddRef(info);
    if (attr->typekind == TKIND_DISPATCH && (attr->wTypeFlags & TYPEFLAG_FDUAL)) {
        HREFTYPE vtable;
        ITypeInfo *half = NULL;
        if (SUCCEEDED(ITypeInfo_GetRefTypeOfImplType(info, -1, &vtable)) &&
            SUCCEEDED(ITypeInfo_GetRefTypeInfo(info, vtable, &half))) {
            ITypeInfo_Release(e.info);
            e.info = half;
            e.kind = TKIND_INTERFACE;
        }
        e.dispatchable = 1;
    } else if (attr->typekind == TKIND_INTERFACE) {
        e.dispatchable = (attr->wTypeFlags & TYPEFLAG_FDUAL) != 0;
    } else if (attr->typekind == TKIND_ALIAS && attr->tdescAlias.vt == VT_USERDEFINED) {
        ITypeInfo *target = NULL;
        if (SUCCEEDED(ITypeInfo_GetRefTypeInfo(info, attr->tdescAlias.hreftype, &target))) {
            ITypeInfo_Release(e.info);
            e.info = target;
            e.kind = TKIND_ENUM;
        }
    }
    ITypeInfo_ReleaseTypeAttr(info, attr);
    {
        struct entry *grown = realloc(entries, (entry_count + 1) * sizeof(*grown));
        if (!grown) { ITypeInfo_Release(e.info); return; }
        entries = grown;
        entries[entry_count++] = e;
    }
}

HRESULT com_start(void)
{
    HRESULT hr;
    UINT i, count;
    BSTR name = NULL;
    if (bridge_profile.typelib[0]) {
        OLECHAR path[MAX_PATH];
        MultiByteToWideChar(CP_UTF8, 0, bridge_profile.typelib, -1, path, MAX_PATH);
        hr = LoadTypeLibEx(path, REGKIND_NONE, &library);
        if (FAILED(hr)) { diag("cannot load the type library %s: 0x%08lx", bridge_profile.typelib, HR_BITS(hr)); return hr; }
    } else {
        GUID libid;
        if (!parse_guid(bridge_profile.libid, &libid)) { diag("libid %s is not a GUID", bridge_profile.libid); return E_INVALIDARG; }
        hr = LoadRegTypeLib(&libid, 1, 0, LOCALE_NEUTRAL, &library);
        if (FAILED(hr)) {
            diag("no type library registered for %s version 1 (0x%08lx): is the implementation registered?",
                 bridge_profile.libid, HR_BITS(hr));
            return hr;
        }
    }
    if (SUCCEEDED(ITypeLib_GetDocumentation(library, -1, &name, NULL, NULL, NULL))) utf8_of(name, library_name, sizeof(library_name));
    SysFreeString(name);
    count = ITypeLib_GetTypeInfoCount(library);
    for (i = 0; i < count; i++) {
        ITypeInfo *info = NULL;
        if (SUCCEEDED(ITypeLib_GetTypeInfo(library, i, &info))) {
            catalogue_add(info);
            ITypeInfo_Release(info);
        }
    }
    return S_OK;
}

void com_stop(void)
{
    size_t i;
    for (i = 0; i < entry_count; i++) ITypeInfo_Release(entries[i].info);
    free(entries);
    entries = NULL;
    entry_count = 0;
    if (library) ITypeLib_Release(library);
    library = NULL;
}

const char *com_library_name(void)
{
    return library_name;
}

void com_pump(void)
{
    MSG message;
    while (PeekMessageW(&message, NULL, 0, 0, PM_REMOVE)) {
        TranslateMessage(&message);
        DispatchMessageW(&message);
    }
}

/* The entry called `key` (a name, matched without regard to case, or a GUID) of one of the kinds. */
static const struct entry *find_entry(const char *key, int kinds)
{
    GUID guid;
    size_t i;
    int by_guid = parse_guid(key, &guid);
    for (i = 0; i < entry_count; i++) {
        if (!(kinds & (1 << entries[i].kind))) continue;
        if (by_guid ? IsEqualGUID(&guid, &entries[i].guid) : !_stricmp(key, entries[i].name)) return &entries[i];
    }
    return NULL;
}

static const struct entry *entry_of_guid(const GUID *guid, int kinds)
{
    size_t i;
    for (i = 0; i < entry_count; i++)
        if ((kinds & (1 << entries[i].kind)) && IsEqualGUID(guid, &entries[i].guid)) return &entries[i];
    return NULL;
}

#define K_INTERFACE (1 << TKIND_INTERFACE)
#define K_DISPATCH (1 << TKIND_DISPATCH)
#define K_COCLASS (1 << TKIND_COCLASS)
#define K_ENUM (1 << TKIND_ENUM)

/* The interface called `key`: IUnknown, IDispatch or one of the library's; 0 if unknown. */
static int interface_named(const char *key, GUID *iid, const struct entry **entry)
{
    GUID guid;
    *entry = find_entry(key, K_INTERFACE);
    if (*entry) { *iid = (*entry)->guid; return 1; }
    if (!_stricmp(key, "IUnknown") || (parse_guid(key, &guid) && IsEqualGUID(&guid, &iid_unknown))) { *iid = iid_unknown; return 1; }
    if (!_stricmp(key, "IDispatch") || (parse_guid(key, &guid) && IsEqualGUID(&guid, &iid_dispatch))) { *iid = iid_dispatch; return 1; }
    return 0;
}

static const char *interface_name(const GUID *iid)
{
    const struct entry *e = entry_of_guid(iid, K_INTERFACE);
    if (e) return e->name;
    return IsEqualGUID(iid, &iid_dispatch) ? "IDispatch" : "IUnknown";
}

/* -- values ---------------------------------------------------------------------------------------- */

BSTR bstr_from_utf8(const char *text, size_t length)
{
    /* decoded here rather than by MultiByteToWideChar, which refuses surrogates encoded on their own */
    const unsigned char *p = (const unsigned char *)text, *end = p + length;
    OLECHAR *units = malloc((length + 1) * sizeof(OLECHAR));
    size_t n = 0;
    BSTR result;
    if (!units) return NULL;
    while (p < end) {
        unsigned c = *p++;
        int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (extra) c &= 0x3Fu >> extra;
        while (extra-- > 0 && p < end) c = (c << 6) | (*p++ & 0x3Fu);
        if (c >= 0x10000) {
            c -= 0x10000;
            units[n++] = (OLECHAR)(0xD800 | (c >> 10));
            units[n++] = (OLECHAR)(0xDC00 | (c & 0x3FF));
        } else {
            units[n++] = (OLECHAR)c;
        }
    }
    result = SysAllocStringLen(units, (UINT)n);
    free(units);
    return result;
}

static int is_objref(const struct json *v)
{
    return v && v->type == JSON_OBJECT && v->count == 2 && json_string(v, "object") && json_string(v, "interface");
}

/* The first of the library's dual interfaces the object answers, with a reference (NULL if none); which
 * one in `*which`. A dual interface's vtable begins with IDispatch's. */
static IDispatch *first_dual_interface(IUnknown *object, const struct entry **which)
{
    size_t i;
    for (i = 0; i < entry_count; i++) {
        IDispatch *itf = NULL;
        if (entries[i].kind != TKIND_INTERFACE || !entries[i].dispatchable) continue;
        if (SUCCEEDED(IUnknown_QueryInterface(object, &entries[i].guid, (void **)&itf))) {
            *which = &entries[i];
            return itf;
        }
    }
    return NULL;
}

/* The name of the library's interface an object says it is (its IDispatch type information), or that of
 * the first of the library's dual interfaces it answers; `fallback` if neither. */
static const char *describe_object(IUnknown *object, const char *fallback)
{
    IDispatch *dispatch = NULL;
    const struct entry *found = NULL;
    if (SUCCEEDED(IUnknown_QueryInterface(object, &iid_dispatch, (void **)&dispatch))) {
        ITypeInfo *info = NULL;
        TYPEATTR *attr = NULL;
        if (SUCCEEDED(IDispatch_GetTypeInfo(dispatch, 0, LOCALE_USER_DEFAULT, &info)) && info) {
            if (SUCCEEDED(ITypeInfo_GetTypeAttr(info, &attr))) {
                found = entry_of_guid(&attr->guid, K_INTERFACE);
                ITypeInfo_ReleaseTypeAttr(info, attr);
            }
            ITypeInfo_Release(info);
        }
        IDispatch_Release(dispatch);
    }
    if (!found && (dispatch = first_dual_interface(object, &found))) IDispatch_Release(dispatch);
    return found ? found->name : fallback;
}

/* Whether a failure came from the transport (a local server gone or going), not from the object. */
static int transport_failed(HRESULT hr)
{
    return hr == CO_E_SERVER_STOPPING || hr == HRESULT_FROM_WIN32(RPC_S_CALL_FAILED) ||
           hr == HRESULT_FROM_WIN32(RPC_S_UNKNOWN_IF) || hr == HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) ||
           hr == RPC_E_DISCONNECTED;
}

/* IUnknown::QueryInterface, with the transport's error where Wine's proxy hides it. When the remote query
 * of a proxy fails, Wine's proxy manager answers E_NOINTERFACE (its own, local answer), where Windows'
 * passes on the RPC error; reported as it stands, a server that died would read as one that lacks the
 * interface. So an E_NOINTERFACE is checked with a call that has to reach the server (GetTypeInfoCount on
 * an IDispatch the object already gave, or on one of the library's dual interfaces it answers), and if
 * that call fails in transport, its error is the answer (said on stderr). */
static HRESULT query_interface(IUnknown *object, const GUID *iid, void **out)
{
    const struct entry *which;
    IDispatch *dispatch = NULL;
    HRESULT hr = IUnknown_QueryInterface(object, iid, out), probe;
    UINT count;
    if (hr != E_NOINTERFACE) return hr;
    if (FAILED(IUnknown_QueryInterface(object, &iid_dispatch, (void **)&dispatch)) &&
        !(dispatch = first_dual_interface(object, &which)))
        return hr;
    probe = IDispatch_GetTypeInfoCount(dispatch, &count);
    IDispatch_Release(dispatch);
    if (!transport_failed(probe)) return hr;
    diag("QueryInterface answered E_NOINTERFACE, but the object's server no longer answers "
         "(IDispatch::GetTypeInfoCount: 0x%08lx), which is the answer given", HR_BITS(probe));
    return probe;
}

static void write_objref(struct buf *out, struct world *w, IUnknown *object, const char *as)
{
    const char *id = object ? world_handle(w, object) : NULL;
    if (!id) { buf_puts(out, "null"); return; }
    buf_puts(out, "{\"object\":");
    buf_json_string(out, id);
    buf_puts(out, ",\"interface\":");
    buf_json_string(out, as ? as : describe_object(object, "IDispatch"));
    buf_puts(out, "}");
}

/* A VARIANT as a protocol value; `hresult` writes a 32-bit integer unsigned. */
static void write_variant(struct buf *out, struct world *w, const VARIANT *v, int hresult)
{
    VARTYPE vt = V_VT(v);
    if (vt == (VT_BYREF | VT_VARIANT)) { write_variant(out, w, V_VARIANTREF(v), hresult); return; }
    if (vt & VT_ARRAY) {
        SAFEARRAY *array = (vt & VT_BYREF) ? (V_ARRAYREF(v) ? *V_ARRAYREF(v) : NULL) : V_ARRAY(v);
        LONG low = 0, high = -1, i;
        if (!array) { buf_puts(out, "null"); return; }
        SafeArrayGetLBound(array, 1, &low);
        SafeArrayGetUBound(array, 1, &high);
        buf_puts(out, "[");
        for (i = low; i <= high; i++) {
            VARIANT item;
            VariantInit(&item);
            if (i > low) buf_puts(out, ",");
            if ((vt & VT_TYPEMASK) == VT_VARIANT) SafeArrayGetElement(array, &i, &item);
            else {
                V_VT(&item) = vt & VT_TYPEMASK;
                SafeArrayGetElement(array, &i, &V_I4(&item));
            }
            write_variant(out, w, &item, 0);
            VariantClear(&item);
        }
        buf_puts(out, "]");
        return;
    }
    if (vt & VT_BYREF) {
        VARIANT plain;
        VariantInit(&plain);
        if (SUCCEEDED(VariantCopyInd(&plain, (VARIANT *)v))) write_variant(out, w, &plain, hresult);
        else buf_puts(out, "null");
        VariantClear(&plain);
        return;
    }
    switch (vt) {
    case VT_BSTR:
        if (V_BSTR(v)) buf_json_units(out, V_BSTR(v), SysStringLen(V_BSTR(v)));
        else buf_puts(out, "null");
        break;
    case VT_I4: case VT_INT:
        if (hresult) buf_printf(out, "%lu", HR_BITS(V_I4(v)));
        else buf_printf(out, "%ld", (long)V_I4(v));
        break;
    case VT_ERROR: buf_printf(out, "%lu", HR_BITS(V_ERROR(v))); break;
    case VT_UI4: case VT_UINT: buf_printf(out, "%lu", (unsigned long)V_UI4(v)); break;
    case VT_I2: buf_printf(out, "%d", V_I2(v)); break;
    case VT_UI2: buf_printf(out, "%u", V_UI2(v)); break;
    case VT_I1: buf_printf(out, "%d", V_I1(v)); break;
    case VT_UI1: buf_printf(out, "%u", V_UI1(v)); break;
    case VT_BOOL: buf_puts(out, V_BOOL(v) ? "true" : "false"); break;
    case VT_R8: buf_printf(out, "%.17g", V_R8(v)); break;
    case VT_R4: buf_printf(out, "%.9g", (double)V_R4(v)); break;
    case VT_DISPATCH: write_objref(out, w, (IUnknown *)V_DISPATCH(v), NULL); break;
    case VT_UNKNOWN: write_objref(out, w, V_UNKNOWN(v), NULL); break;
    default: buf_puts(out, "null"); break;
    }
}

static HRESULT object_value(struct world *w, const struct json *v, VARIANT *out)
{
    IUnknown *identity = world_lookup(w, json_string(v, "object"));
    IDispatch *dispatch = NULL;
    if (!identity) return RPC_E_DISCONNECTED;
    if (SUCCEEDED(IUnknown_QueryInterface(identity, &iid_dispatch, (void **)&dispatch))) {
        V_VT(out) = VT_DISPATCH;
        V_DISPATCH(out) = dispatch;
    } else {
        IUnknown_AddRef(identity);
        V_VT(out) = VT_UNKNOWN;
        V_UNKNOWN(out) = identity;
    }
    return S_OK;
}

/* A protocol value as the VARIANT it naturally is; `want` (a VARTYPE, or VT_EMPTY for none) picks among
 * the forms of null and says an integer is a VT_ERROR. A value of another kind than declared is passed
 * as it is: coercing or refusing it is the implementation's part, as it is for any late-bound client. */
static HRESULT value_variant(struct world *w, const struct json *v, VARTYPE want, VARIANT *out)
{
    size_t i;
    VariantInit(out);
    switch (v->type) {
    case JSON_NULL:
        if (want == VT_BSTR) { V_VT(out) = VT_BSTR; V_BSTR(out) = NULL; }
        else if (want == VT_DISPATCH) { V_VT(out) = VT_DISPATCH; V_DISPATCH(out) = NULL; }
        else if (want == VT_UNKNOWN) { V_VT(out) = VT_UNKNOWN; V_UNKNOWN(out) = NULL; }
        return S_OK;
    case JSON_BOOL: V_VT(out) = VT_BOOL; V_BOOL(out) = v->boolean ? VARIANT_TRUE : VARIANT_FALSE; return S_OK;
    case JSON_INT:
        if (v->integer < -2147483648LL || v->integer > 4294967295LL) {
            V_VT(out) = VT_R8;
            V_R8(out) = (double)v->integer;
            return S_OK;
        }
        V_VT(out) = want == VT_ERROR || want == VT_HRESULT ? VT_ERROR : VT_I4;
        V_I4(out) = (LONG)(ULONG)(unsigned long long)v->integer;
        return S_OK;
    case JSON_NUMBER: V_VT(out) = VT_R8; V_R8(out) = v->number; return S_OK;
    case JSON_STRING:
        V_VT(out) = VT_BSTR;
        V_BSTR(out) = bstr_from_utf8(v->string, v->length);
        return V_BSTR(out) ? S_OK : E_OUTOFMEMORY;
    case JSON_ARRAY: {
        SAFEARRAY *array = SafeArrayCreateVector(VT_VARIANT, 0, (ULONG)v->count);
        if (!array) return E_OUTOFMEMORY;
        for (i = 0; i < v->count; i++) {
            VARIANT item;
            LONG at = (LONG)i;
            HRESULT hr = value_variant(w, v->items[i], VT_EMPTY, &item);
            if (SUCCEEDED(hr)) hr = SafeArrayPutElement(array, &at, &item);
            VariantClear(&item);
            if (FAILED(hr)) { SafeArrayDestroy(array); return hr; }
        }
        V_VT(out) = VT_ARRAY | VT_VARIANT;
        V_ARRAY(out) = array;
        return S_OK;
    }
    case JSON_OBJECT:
        return is_objref(v) ? object_value(w, v, out) : E_INVALIDARG;
    }
    return E_INVALIDARG;
}

/* The VARTYPE a parameter's TYPEDESC stands for, and whether it is passed by reference. */
static VARTYPE declared_vt(ITypeInfo *info, const TYPEDESC *t, int *byref)
{
    *byref = 0;
    if (t->vt == VT_PTR) { *byref = 1; t = t->lptdesc; }
    if (t->vt == VT_SAFEARRAY) return VT_ARRAY | VT_VARIANT;
    if (t->vt == VT_USERDEFINED) {
        ITypeInfo *target = NULL;
        TYPEATTR *attr = NULL;
        VARTYPE vt = VT_I4;
        if (SUCCEEDED(ITypeInfo_GetRefTypeInfo(info, t->hreftype, &target))) {
            if (SUCCEEDED(ITypeInfo_GetTypeAttr(target, &attr))) {
                if (attr->typekind == TKIND_DISPATCH || attr->typekind == TKIND_INTERFACE) vt = VT_DISPATCH;
                else if (attr->typekind == TKIND_ALIAS && attr->tdescAlias.vt != VT_USERDEFINED) vt = attr->tdescAlias.vt;
                ITypeInfo_ReleaseTypeAttr(target, attr);
            }
            ITypeInfo_Release(target);
        }
        if (vt == VT_DISPATCH) *byref = 0;  /* an interface pointer, not a reference to one */
        return vt;
    }
    if (t->vt == VT_PTR && t->lptdesc->vt == VT_USERDEFINED) return VT_DISPATCH;
    return t->vt == VT_HRESULT ? VT_ERROR : t->vt;
}

/* -- members ---------------------------------------------------------------------------------------- */

/* The member of `info` called `name` with the invoke kind `kind` (DISPATCH_PROPERTYPUT also finds a
 * putref); NULL if there is none. `named` tells whether the name exists at all. */
static FUNCDESC *find_member(ITypeInfo *info, const char *name, WORD kind, int *named)
{
    TYPEATTR *attr = NULL;
    UINT i;
    FUNCDESC *found = NULL;
    *named = 0;
    if (FAILED(ITypeInfo_GetTypeAttr(info, &attr))) return NULL;
    for (i = 0; i < attr->cFuncs && !found; i++) {
        FUNCDESC *f = NULL;
        char member[128];
        int matches;
        if (FAILED(ITypeInfo_GetFuncDesc(info, i, &f))) continue;
        name_of(info, f->memid, member, sizeof(member));
        if (_stricmp(member, name)) { ITypeInfo_ReleaseFuncDesc(info, f); continue; }
        *named = 1;
        matches = kind == DISPATCH_METHOD ? f->invkind == INVOKE_FUNC
                  : kind == DISPATCH_PROPERTYGET ? f->invkind == INVOKE_PROPERTYGET
                  : (f->invkind == INVOKE_PROPERTYPUT || f->invkind == INVOKE_PROPERTYPUTREF);
        if (matches) found = f;
        else ITypeInfo_ReleaseFuncDesc(info, f);
    }
    ITypeInfo_ReleaseTypeAttr(info, attr);
    return found;
}

/* The object a reference names, as the interface the reference says. */
struct target {
    IUnknown *identity;
    IUnknown *itf;               /* the interface pointer, referenced */
    const struct entry *entry;   /* the library's interface, or NULL (IDispatch, IUnknown, foreign) */
};

static HRESULT find_target(struct world *w, const struct json *ref, struct target *t)
{
    const char *name = json_string(ref, "interface");
    GUID iid;
    HRESULT hr;
    memset(t, 0, sizeof(*t));
    t->identity = world_lookup(w, json_string(ref, "object"));
    if (!t->identity) return RPC_E_DISCONNECTED;
    if (!interface_named(name, &iid, &t->entry)) {
        /* an interface of another library (a contact's IMessengerContact): reached late-bound */
        iid = iid_dispatch;
        t->entry = NULL;
    }
    if (FAILED(hr = query_interface(t->identity, &iid, (void **)&t->itf))) return hr;
    if (IsEqualGUID(&iid, &iid_dispatch) && t->entry == NULL) {
        const char *own = describe_object(t->identity, NULL);
        GUID own_iid;
        const struct entry *e;
        if (own && interface_named(own, &own_iid, &e)) t->entry = e;
    }
    return S_OK;
}

/* The HRESULT an Invoke answered: a failing member comes back as DISP_E_EXCEPTION with its own code. */
static HRESULT invoke_result(HRESULT hr, EXCEPINFO *excep)
{
    if (hr == DISP_E_EXCEPTION) {
        if (excep->pfnDeferredFillIn) excep->pfnDeferredFillIn(excep);
        if (excep->scode) hr = excep->scode;
        else if (excep->wCode) hr = MAKE_HRESULT(SEVERITY_ERROR, FACILITY_ITF, 0x200 + excep->wCode);
        if (excep->bstrDescription) diag("the member raised 0x%08lx: %ls", HR_BITS(hr), excep->bstrDescription);
    }
    SysFreeString(excep->bstrSource);
    SysFreeString(excep->bstrDescription);
    SysFreeString(excep->bstrHelpFile);
    return hr;
}

#define MAX_ARGS 16

void com_invoke(struct world *w, const struct json *ref, const char *name, WORD kind, const struct json *args,
                const struct json *index, struct outcome *o)
{
    struct target t;
    FUNCDESC *f = NULL;
    MEMBERID memid = DISPID_UNKNOWN;
    VARIANT store[MAX_ARGS], passed[MAX_ARGS], result;
    int is_put = kind == DISPATCH_PROPERTYPUT, named = 0, byref[MAX_ARGS];
    const struct json *given[MAX_ARGS];
    UINT count = 0, i;
    DISPID put_id = DISPID_PROPERTYPUT;
    DISPPARAMS params;
    EXCEPINFO excep;
    UINT bad = 0;
    if (FAILED(o->hr = find_target(w, ref, &t))) goto done_target;
    /* the arguments, in declaration order: a method's, or a property's index then its value */
    if (kind == DISPATCH_METHOD) {
        for (i = 0; i < args->count && count < MAX_ARGS; i++) given[count++] = args->items[i];
        if (i < args->count) { o->hr = DISP_E_BADPARAMCOUNT; goto done_target; }
    } else {
        if (index && index->type != JSON_NULL) given[count++] = index;
        if (is_put) given[count++] = args;
    }
    if (t.entry) {
        f = find_member(t.entry->info, name, kind, &named);
        if (f) memid = f->memid;
        else if (named) {
            /* declared, but not with this accessor: ask the object, which answers for itself */
            int ignored;
            FUNCDESC *other = find_member(t.entry->info, name, DISPATCH_METHOD, &ignored);
            if (!other) other = find_member(t.entry->info, name, DISPATCH_PROPERTYGET, &ignored);
            if (!other) other = find_member(t.entry->info, name, DISPATCH_PROPERTYPUT, &ignored);
            if (other) { memid = other->memid; ITypeInfo_ReleaseFuncDesc(t.entry->info, other); }
        }
        if (memid == DISPID_UNKNOWN || (!t.entry->dispatchable && !f)) { o->hr = DISP_E_MEMBERNOTFOUND; goto done_member; }
    } else {
        OLECHAR wide[128];
        LPOLESTR names[1] = {wide};
        MultiByteToWideChar(CP_UTF8, 0, name, -1, wide, 128);
        if (FAILED(IDispatch_GetIDsOfNames((IDispatch *)t.itf, &GUID_NULL, names, 1, LOCALE_USER_DEFAULT, &memid))) {
            o->hr = DISP_E_MEMBERNOTFOUND;
            goto done_member;
        }
    }
    for (i = 0; i < count; i++) {
        VARTYPE want = VT_EMPTY;
        byref[i] = 0;
        if (f && i < (UINT)f->cParams) want = declared_vt(t.entry->info, &f->lprgelemdescParam[i].tdesc, &byref[i]);
        if (FAILED(o->hr = value_variant(w, given[i], want, &store[i]))) {
            while (i-- > 0) VariantClear(&store[i]);
            goto done_member;
        }
        /* an [in, out] parameter gets a reference to storage of the declared type */
        if (byref[i] && want != VT_EMPTY && want != VT_VARIANT && V_VT(&store[i]) != want &&
            !(want == (VT_ARRAY | VT_VARIANT) && (V_VT(&store[i]) & VT_ARRAY))) {
            if (FAILED(VariantChangeType(&store[i], &store[i], 0, want))) byref[i] = 0;
        }
        /* DISPPARAMS takes the arguments last first */
        VariantInit(&passed[count - 1 - i]);
        if (!byref[i]) passed[count - 1 - i] = store[i];
        else if (want == VT_VARIANT) {
            V_VT(&passed[count - 1 - i]) = VT_BYREF | VT_VARIANT;
            V_VARIANTREF(&passed[count - 1 - i]) = &store[i];
        } else {
            V_VT(&passed[count - 1 - i]) = VT_BYREF | V_VT(&store[i]);
            V_BYREF(&passed[count - 1 - i]) = &V_I4(&store[i]);
        }
    }
    params.rgvarg = passed;
    params.cArgs = count;
    params.rgdispidNamedArgs = is_put ? &put_id : NULL;
    params.cNamedArgs = is_put ? 1 : 0;
    VariantInit(&result);
    memset(&excep, 0, sizeof(excep));
    if (t.entry && !t.entry->dispatchable)
        o->hr = ITypeInfo_Invoke(t.entry->info, t.itf, memid, kind, &params, is_put ? NULL : &result, &excep, &bad);
    else
        o->hr = IDispatch_Invoke((IDispatch *)t.itf, memid, &GUID_NULL, LOCALE_USER_DEFAULT, kind, &params,
                                 is_put ? NULL : &result, &excep, &bad);
    o->hr = invoke_result(o->hr, &excep);
    if (SUCCEEDED(o->hr) && V_VT(&result) != VT_EMPTY) write_variant(&o->value, w, &result, 0);
    if (SUCCEEDED(o->hr) && f) {
        for (i = 0; i < count && i < (UINT)f->cParams; i++) {
            USHORT flags = f->lprgelemdescParam[i].paramdesc.wParamFlags;
            if ((flags & PARAMFLAG_FIN) && (flags & PARAMFLAG_FOUT)) {
                const TYPEDESC *d = &f->lprgelemdescParam[i].tdesc;
                if (o->outs.length) buf_puts(&o->outs, ",");
                write_variant(&o->outs, w, &store[i], d->vt == VT_PTR && d->lptdesc->vt == VT_HRESULT);
            }
        }
    }
    VariantClear(&result);
    for (i = 0; i < count; i++) VariantClear(&store[i]);
done_member:
    if (f) ITypeInfo_ReleaseFuncDesc(t.entry->info, f);
done_target:
    if (t.itf) IUnknown_Release(t.itf);
}

/* -- objects ----------------------------------------------------------------------------------------- */

/* CoCreateInstance, tried again (twice at most, after 200 ms) when the activation reached a local server
 * that was exiting: a server that has released its last object may still hold its class objects for a
 * moment, and COM leaves the retry to the client (CO_E_SERVER_STOPPING). Each retry is said on stderr. */
static HRESULT create_instance(const GUID *clsid, const char *key, IUnknown **object)
{
    int attempt;
    HRESULT hr = E_FAIL;
    for (attempt = 0; attempt < 3; attempt++) {
        hr = CoCreateInstance(clsid, NULL, bridge_profile.context, &iid_unknown, (void **)object);
        if (!transport_failed(hr) || attempt == 2) break;
        diag("creating %s failed with 0x%08lx (a local server stopping?); trying again", key, HR_BITS(hr));
        Sleep(200);
    }
    return hr;
}

void com_create(struct world *w, const char *key, struct outcome *o)
{
    const struct entry *coclass = find_entry(key, K_COCLASS);
    const char *as = NULL;
    IUnknown *object = NULL;
    GUID clsid;
    if (coclass) clsid = coclass->guid;
    else if (!parse_guid(key, &clsid)) { o->hr = REGDB_E_CLASSNOTREG; return; }
    if (coclass) {
        /* the default interface: the [default] one that is not a source */
        TYPEATTR *attr = NULL;
        UINT i;
        if (SUCCEEDED(ITypeInfo_GetTypeAttr(coclass->info, &attr))) {
            for (i = 0; i < attr->cImplTypes && !as; i++) {
                INT flags = 0;
                HREFTYPE ref;
                ITypeInfo *itf = NULL;
                TYPEATTR *itf_attr = NULL;
                if (FAILED(ITypeInfo_GetImplTypeFlags(coclass->info, i, &flags)) ||
                    (flags & IMPLTYPEFLAG_FSOURCE) || !(flags & IMPLTYPEFLAG_FDEFAULT)) continue;
                if (SUCCEEDED(ITypeInfo_GetRefTypeOfImplType(coclass->info, i, &ref)) &&
                    SUCCEEDED(ITypeInfo_GetRefTypeInfo(coclass->info, ref, &itf))) {
                    if (SUCCEEDED(ITypeInfo_GetTypeAttr(itf, &itf_attr))) {
                        as = interface_name(&itf_attr->guid);
                        ITypeInfo_ReleaseTypeAttr(itf, itf_attr);
                    }
                    ITypeInfo_Release(itf);
                }
            }
            ITypeInfo_ReleaseTypeAttr(coclass->info, attr);
        }
    }
    o->hr = create_instance(&clsid, key, &object);
    if (FAILED(o->hr)) return;
    if (as) {
        GUID iid;
        const struct entry *e;
        void *itf = NULL;
        if (interface_named(as, &iid, &e) && FAILED(o->hr = query_interface(object, &iid, &itf))) {
            diag("%s was created but does not answer its default interface %s: 0x%08lx", key, as, HR_BITS(o->hr));
            IUnknown_Release(object);
            return;
        }
        if (itf) IUnknown_Release((IUnknown *)itf);
    }
    write_objref(&o->value, w, object, as ? as : describe_object(object, "IUnknown"));
    IUnknown_Release(object);
}

void com_query_interface(struct world *w, const struct json *ref, const char *key, struct outcome *o)
{
    IUnknown *identity = world_lookup(w, json_string(ref, "object"));
    const struct entry *e;
    GUID iid;
    void *itf = NULL;
    if (!identity) { o->hr = RPC_E_DISCONNECTED; return; }
    if (!interface_named(key, &iid, &e)) { o->hr = E_NOINTERFACE; return; }
    o->hr = query_interface(identity, &iid, &itf);
    if (FAILED(o->hr)) return;
    IUnknown_Release((IUnknown *)itf);
    write_objref(&o->value, w, identity, interface_name(&iid));
}

/* -- contacts ------------------------------------------------------------------------------------------ */

/* Late-bound call of `name` on an IDispatch with up to two BSTR arguments; the result in `out`. */
static HRESULT call_by_name(IDispatch *dispatch, const char *name, WORD kind, BSTR *args, UINT count, VARIANT *out)
{
    OLECHAR wide[64];
    LPOLESTR names[1] = {wide};
    DISPID id;
    VARIANT passed[2];
    DISPPARAMS params = {passed, NULL, count, 0};
    EXCEPINFO excep;
    UINT i, bad = 0;
    HRESULT hr;
    MultiByteToWideChar(CP_UTF8, 0, name, -1, wide, 64);
    if (FAILED(hr = IDispatch_GetIDsOfNames(dispatch, &GUID_NULL, names, 1, LOCALE_USER_DEFAULT, &id))) return hr;
    for (i = 0; i < count; i++) {
        V_VT(&passed[count - 1 - i]) = VT_BSTR;
        V_BSTR(&passed[count - 1 - i]) = args[i];
    }
    memset(&excep, 0, sizeof(excep));
    hr = IDispatch_Invoke(dispatch, id, &GUID_NULL, LOCALE_USER_DEFAULT, kind, &params, out, &excep, &bad);
    return invoke_result(hr, &excep);
}

/* A contact object, as a COM client gets one: from the Messenger object of the Messenger API
 * (IMessenger.GetContact with the sign-in name and the user's own service). The Messenger object is
 * the profile's `messenger` (a ProgID or a CLSID), created once per world. */
void com_contact(struct world *w, const char *signin, struct outcome *o)
{
    IDispatch *messenger = NULL;
    VARIANT service, contact;
    BSTR args[2];
    GUID clsid;
    if (!w->messenger) {
        OLECHAR progid[128];
        MultiByteToWideChar(CP_UTF8, 0, bridge_profile.messenger, -1, progid, 128);
        if (!parse_guid(bridge_profile.messenger, &clsid) && FAILED(o->hr = CLSIDFromProgID(progid, &clsid))) {
            diag("no Messenger object (%s) to give contacts: 0x%08lx", bridge_profile.messenger, HR_BITS(o->hr));
            return;
        }
        o->hr = CoCreateInstance(&clsid, NULL, bridge_profile.context, &iid_dispatch, (void **)&w->messenger);
        if (FAILED(o->hr)) {
            diag("the Messenger object (%s) could not be created: 0x%08lx", bridge_profile.messenger, HR_BITS(o->hr));
            w->messenger = NULL;
            return;
        }
    }
    messenger = w->messenger;
    VariantInit(&service);
    VariantInit(&contact);
    if (FAILED(call_by_name(messenger, "MyServiceId", DISPATCH_PROPERTYGET, NULL, 0, &service)) ||
        V_VT(&service) != VT_BSTR) {
        VariantClear(&service);
        V_VT(&service) = VT_BSTR;
        V_BSTR(&service) = SysAllocString(L"");
    }
    args[0] = bstr_from_utf8(signin, strlen(signin));
    args[1] = V_BSTR(&service);
    o->hr = call_by_name(messenger, "GetContact", DISPATCH_METHOD, args, 2, &contact);
    if (SUCCEEDED(o->hr)) write_variant(&o->value, w, &contact, 0);
    SysFreeString(args[0]);
    VariantClear(&service);
    VariantClear(&contact);
}

/* -- events ------------------------------------------------------------------------------------------ */

/* A sink for one dispinterface: what its connection point calls, queued with the arguments in order. */
struct sink {
    IDispatch iface;
    LONG refs;
    struct world *world;          /* NULL once the world has closed */
    const struct entry *events;   /* the dispinterface */
    IConnectionPoint *point;
    IUnknown *source;             /* the identity it was advised on */
    DWORD cookie;
    int advised;
};

static struct sink *sink_of(IDispatch *iface)
{
    return (struct sink *)((char *)iface - offsetof(struct sink, iface));
}

static HRESULT STDMETHODCALLTYPE sink_QueryInterface(IDispatch *iface, REFIID riid, void **out)
{
    struct sink *sink = sink_of(iface);
    if (!out) return E_POINTER;
    *out = NULL;
    if (IsEqualIID(riid, &iid_unknown) || IsEqualIID(riid, &iid_dispatch) || IsEqualIID(riid, &sink->events->guid)) {
        *out = iface;
        InterlockedIncrement(&sink->refs);
        return S_OK;
    }
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE sink_AddRef(IDispatch *iface)
{
    return (ULONG)InterlockedIncrement(&sink_of(iface)->refs);
}

static ULONG STDMETHODCALLTYPE sink_Release(IDispatch *iface)
{
    struct sink *sink = sink_of(iface);
    LONG refs = InterlockedDecrement(&sink->refs);
    if (!refs) free(sink);
    return (ULONG)refs;
}

static HRESULT STDMETHODCALLTYPE sink_GetTypeInfoCount(IDispatch *iface, UINT *count)
{
    if (!count) return E_POINTER;
    *count = 1;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_GetTypeInfo(IDispatch *iface, UINT index, LCID lcid, ITypeInfo **out)
{
    if (!out) return E_POINTER;
    if (index) { *out = NULL; return DISP_E_BADINDEX; }
    *out = sink_of(iface)->events->info;
    ITypeInfo_AddRef(*out);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_GetIDsOfNames(IDispatch *iface, REFIID riid, LPOLESTR *names, UINT count,
                                                    LCID lcid, DISPID *ids)
{
    return ITypeInfo_GetIDsOfNames(sink_of(iface)->events->info, names, count, ids);
}

static HRESULT STDMETHODCALLTYPE sink_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid, WORD flags,
                                             DISPPARAMS *params, VARIANT *result, EXCEPINFO *info, UINT *bad)
{
    struct sink *sink = sink_of(iface);
    ITypeInfo *events = sink->events->info;
    TYPEATTR *attr = NULL;
    FUNCDESC *event = NULL;
    struct event *queued;
    struct buf args = {0};
    UINT i, declared = 0;
    if (FAILED(ITypeInfo_GetTypeAttr(events, &attr))) return E_UNEXPECTED;
    for (i = 0; i < attr->cFuncs && !event; i++) {
        FUNCDESC *f = NULL;
        if (FAILED(ITypeInfo_GetFuncDesc(events, i, &f))) continue;
        if (f->memid == id) event = f;
        else ITypeInfo_ReleaseFuncDesc(events, f);
    }
    ITypeInfo_ReleaseTypeAttr(events, attr);
    if (!event) { diag("an event with the unknown DISPID %ld on %s", (long)id, sink->events->name); return DISP_E_MEMBERNOTFOUND; }
    declared = (UINT)event->cParams;
    if (!params || params->cArgs != declared) {
        diag("event %ld on %s came with %u arguments, not %u", (long)id, sink->events->name, params ? params->cArgs : 0, declared);
        ITypeInfo_ReleaseFuncDesc(events, event);
        return DISP_E_BADPARAMCOUNT;
    }
    if (!sink->world) { ITypeInfo_ReleaseFuncDesc(events, event); return S_OK; }
    buf_puts(&args, "[");
    for (i = 0; i < declared; i++) {
        const TYPEDESC *t = &event->lprgelemdescParam[i].tdesc;
        if (i) buf_puts(&args, ",");
        write_variant(&args, sink->world, &params->rgvarg[declared - 1 - i], t->vt == VT_HRESULT);
    }
    buf_puts(&args, "]");
    queued = calloc(1, sizeof(*queued));
    if (!queued) { buf_free(&args); ITypeInfo_ReleaseFuncDesc(events, event); return E_OUTOFMEMORY; }
    {
        static char names[256][128];   /* event names, interned: the queue outlives the FUNCDESC */
        static int name_count;
        char name[128];
        int n;
        name_of(events, id, name, sizeof(name));
        for (n = 0; n < name_count && strcmp(names[n], name); n++) {}
        if (n == name_count && name_count < 256) strcpy(names[name_count++], name);
        queued->name = n < 256 ? names[n] : "?";
    }
    ITypeInfo_ReleaseFuncDesc(events, event);
    queued->sink = sink;
    InterlockedIncrement(&sink->refs);
    queued->args = args.data;
    if (sink->world->events_tail) sink->world->events_tail->next = queued;
    else sink->world->events = queued;
    sink->world->events_tail = queued;
    return S_OK;
}

static const IDispatchVtbl sink_vtbl = {
    sink_QueryInterface, sink_AddRef, sink_Release,
    sink_GetTypeInfoCount, sink_GetTypeInfo, sink_GetIDsOfNames, sink_Invoke,
};

void com_connect(struct world *w, const struct json *ref, const char *key, struct outcome *o)
{
    const struct entry *events = find_entry(key, K_DISPATCH);
    IUnknown *identity = world_lookup(w, json_string(ref, "object"));
    IConnectionPointContainer *container = NULL;
    IConnectionPoint *point = NULL;
    struct sink *sink, **grown;
    struct target t;
    if (FAILED(o->hr = find_target(w, ref, &t))) { if (t.itf) IUnknown_Release(t.itf); return; }
    IUnknown_Release(t.itf);
    if (!events || (events->flags & TYPEFLAG_FDUAL)) { o->hr = CONNECT_E_NOCONNECTION; return; }
    if (FAILED(o->hr = query_interface(identity, &iid_container, (void **)&container))) {
        if (!transport_failed(o->hr)) o->hr = CONNECT_E_NOCONNECTION;
        return;
    }
    o->hr = IConnectionPointContainer_FindConnectionPoint(container, &events->guid, &point);
    IConnectionPointContainer_Release(container);
    if (FAILED(o->hr)) return;
    grown = realloc(w->sinks, (w->sink_count + 1) * sizeof(*grown));
    sink = calloc(1, sizeof(*sink));
    if (!grown || !sink) { free(sink); IConnectionPoint_Release(point); o->hr = E_OUTOFMEMORY; return; }
    w->sinks = grown;
    sink->iface.lpVtbl = (IDispatchVtbl *)&sink_vtbl;
    sink->refs = 1;
    sink->world = w;
    sink->events = events;
    sink->point = point;
    sink->source = identity;
    o->hr = IConnectionPoint_Advise(point, (IUnknown *)&sink->iface, &sink->cookie);
    if (FAILED(o->hr)) { IConnectionPoint_Release(point); sink->point = NULL; sink->world = NULL;
                         IDispatch_Release(&sink->iface); return; }
    sink->advised = 1;
    w->sinks[w->sink_count++] = sink;   /* the world's reference */
    buf_printf(&o->value, "%lu", (unsigned long)sink->cookie);
}

void com_disconnect(struct world *w, const struct json *ref, long long cookie, struct outcome *o)
{
    IUnknown *identity = world_lookup(w, json_string(ref, "object"));
    IConnectionPointContainer *container = NULL;
    HRESULT queried;
    size_t i;
    if (!identity) { o->hr = RPC_E_DISCONNECTED; return; }
    o->hr = CONNECT_E_NOCONNECTION;
    if (cookie < 0 || cookie > 0xFFFFFFFFLL) return;
    for (i = 0; i < w->sink_count; i++) {
        struct sink *s = w->sinks[i];
        if (s->advised && s->source == identity && s->cookie == (DWORD)cookie) {
            o->hr = IConnectionPoint_Unadvise(s->point, s->cookie);
            if (SUCCEEDED(o->hr)) s->advised = 0;
            return;
        }
    }
    /* not one of ours: let each of the object's connection points answer for the cookie */
    if (FAILED(queried = query_interface(identity, &iid_container, (void **)&container))) {
        if (transport_failed(queried)) o->hr = queried;
        return;
    }
    for (i = 0; i < entry_count && o->hr == CONNECT_E_NOCONNECTION; i++) {
        IConnectionPoint *point = NULL;
        if (entries[i].kind != TKIND_DISPATCH || (entries[i].flags & TYPEFLAG_FDUAL)) continue;
        if (SUCCEEDED(IConnectionPointContainer_FindConnectionPoint(container, &entries[i].guid, &point))) {
            o->hr = IConnectionPoint_Unadvise(point, (DWORD)cookie);
            IConnectionPoint_Release(point);
        }
    }
    IConnectionPointContainer_Release(container);
}

static void drop_events(struct world *w)
{
    struct event *e, *next;
    for (e = w->events; e; e = next) {
        next = e->next;
        IDispatch_Release(&e->sink->iface);
        free(e->args);
        free(e);
    }
    w->events = w->events_tail = NULL;
}

void com_poll_events(struct world *w, struct buf *out)
{
    struct event *e;
    com_pump();
    buf_puts(out, "{\"events\":[");
    for (e = w->events; e; e = e->next) {
        if (e != w->events) buf_puts(out, ",");
        buf_printf(out, "{\"cookie\":%lu,\"dispinterface\":", (unsigned long)e->sink->cookie);
        buf_json_string(out, e->sink->events->name);
        buf_puts(out, ",\"name\":");
        buf_json_string(out, e->name);
        buf_puts(out, ",\"args\":");
        buf_puts(out, e->args);
        buf_puts(out, "}");
    }
    buf_puts(out, "]}");
    drop_events(w);
}

void com_world_closing(struct world *w)
{
    size_t i;
    for (i = 0; i < w->sink_count; i++) {
        struct sink *s = w->sinks[i];
        if (s->advised) IConnectionPoint_Unadvise(s->point, s->cookie);
        IConnectionPoint_Release(s->point);
        s->world = NULL;
        IDispatch_Release(&s->iface);
    }
    free(w->sinks);
    w->sinks = NULL;
    w->sink_count = 0;
    drop_events(w);
    if (w->messenger) IDispatch_Release(w->messenger);
    w->messenger = NULL;
}

/* -- type information ---------------------------------------------------------------------------------- */

/* A parameter's type as the spec writes it: BSTR, LONG, VARIANT_BOOL, IDispatch*, SAFEARRAY(VARIANT)*, ... */
static void type_text(struct buf *b, ITypeInfo *info, const TYPEDESC *t)
{
    switch (t->vt) {
    case VT_PTR: type_text(b, info, t->lptdesc); buf_puts(b, "*"); return;
    case VT_SAFEARRAY: buf_puts(b, "SAFEARRAY("); type_text(b, info, t->lptdesc); buf_puts(b, ")"); return;
    case VT_USERDEFINED: {
        ITypeInfo *target = NULL;
        char name[128] = "?";
        if (SUCCEEDED(ITypeInfo_GetRefTypeInfo(info, t->hreftype, &target))) {
            name_of(target, MEMBERID_NIL, name, sizeof(name));
            ITypeInfo_Release(target);
        }
        buf_puts(b, name);
        return;
    }
    case VT_BSTR: buf_puts(b, "BSTR"); return;
    case VT_I4: buf_puts(b, "LONG"); return;
    case VT_UI4: buf_puts(b, "ULONG"); return;
    case VT_INT: buf_puts(b, "INT"); return;
    case VT_UINT: buf_puts(b, "UINT"); return;
    case VT_I2: buf_puts(b, "SHORT"); return;
    case VT_UI2: buf_puts(b, "USHORT"); return;
    case VT_I1: buf_puts(b, "CHAR"); return;
    case VT_UI1: buf_puts(b, "BYTE"); return;
    case VT_BOOL: buf_puts(b, "VARIANT_BOOL"); return;
    case VT_VARIANT: buf_puts(b, "VARIANT"); return;
    case VT_HRESULT: buf_puts(b, "HRESULT"); return;
    case VT_ERROR: buf_puts(b, "SCODE"); return;
    case VT_R8: buf_puts(b, "double"); return;
    case VT_R4: buf_puts(b, "float"); return;
    case VT_DISPATCH: buf_puts(b, "IDispatch*"); return;
    case VT_UNKNOWN: buf_puts(b, "IUnknown*"); return;
    case VT_VOID: buf_puts(b, "void"); return;
    case VT_LPWSTR: buf_puts(b, "LPWSTR"); return;
    case VT_LPSTR: buf_puts(b, "LPSTR"); return;
    default: buf_printf(b, "VT_%u", (unsigned)t->vt); return;
    }
}

static int by_vtable_offset(const void *a, const void *b)
{
    const FUNCDESC *x = *(FUNCDESC *const *)a, *y = *(FUNCDESC *const *)b;
    return (x->oVft > y->oVft) - (x->oVft < y->oVft);
}

static void describe_members(struct buf *b, const struct entry *e, int events)
{
    TYPEATTR *attr = NULL;
    FUNCDESC **funcs;
    UINT i, n = 0;
    int j;
    if (FAILED(ITypeInfo_GetTypeAttr(e->info, &attr))) return;
    funcs = calloc(attr->cFuncs ? attr->cFuncs : 1, sizeof(*funcs));
    for (i = 0; funcs && i < attr->cFuncs; i++)
        if (SUCCEEDED(ITypeInfo_GetFuncDesc(e->info, i, &funcs[n]))) n++;
    ITypeInfo_ReleaseTypeAttr(e->info, attr);
    if (!events) qsort(funcs, n, sizeof(*funcs), by_vtable_offset);
    buf_puts(b, ",\"members\":[");
    for (i = 0; i < n; i++) {
        FUNCDESC *f = funcs[i];
        BSTR names[MAX_ARGS + 1];
        UINT got = 0, k;
        char text[128];
        memset(names, 0, sizeof(names));
        ITypeInfo_GetNames(e->info, f->memid, names, MAX_ARGS + 1, &got);
        /* GetNames finds the member by memid; a property's accessors share one, so the names are those of
         * the accessor it meets first, and a propput alone has none for its value: reported as given. */
        name_of(e->info, f->memid, text, sizeof(text));
        buf_puts(b, i ? ",{\"record\":{\"name\":" : "{\"record\":{\"name\":");
        buf_json_string(b, text);
        buf_puts(b, ",\"kind\":");
        buf_json_string(b, events ? "event" : f->invkind == INVOKE_PROPERTYGET ? "propget"
                           : f->invkind == INVOKE_FUNC ? "method" : "propput");
        if (events || e->dispatchable) buf_printf(b, ",\"dispid\":%ld", (long)f->memid);
        else buf_puts(b, ",\"dispid\":null");   /* a vtable interface's memids are not DISPIDs */
        buf_puts(b, ",\"params\":[");
        for (j = 0; j < f->cParams; j++) {
            USHORT flags = f->lprgelemdescParam[j].paramdesc.wParamFlags;
            int in = (flags & PARAMFLAG_FIN) != 0, out = (flags & PARAMFLAG_FOUT) != 0;
            int retval = (flags & PARAMFLAG_FRETVAL) != 0;
            buf_puts(b, j ? ",{\"record\":{\"name\":" : "{\"record\":{\"name\":");
            if ((UINT)j + 1 < got && names[j + 1]) {
                utf8_of(names[j + 1], text, sizeof(text));
                buf_json_string(b, text);
            } else {
                buf_puts(b, "null");
            }
            buf_puts(b, ",\"type\":\"");
            {
                struct buf type = {0};
                type_text(&type, e->info, &f->lprgelemdescParam[j].tdesc);
                buf_puts(b, type.data);
                buf_free(&type);
            }
            buf_puts(b, "\",\"dir\":");
            buf_json_string(b, retval ? "out,retval" : in && out ? "in,out" : out ? "out" : "in");
            buf_puts(b, "}}");
        }
        buf_puts(b, "]}}");
        for (k = 0; k < got; k++) SysFreeString(names[k]);
        ITypeInfo_ReleaseFuncDesc(e->info, f);
    }
    buf_puts(b, "]");
    free(funcs);
}

static void describe_enum(struct buf *b, const struct entry *e)
{
    TYPEATTR *attr = NULL;
    UINT i;
    buf_puts(b, "{\"record\":{\"values\":{\"record\":{");
    if (SUCCEEDED(ITypeInfo_GetTypeAttr(e->info, &attr))) {
        for (i = 0; i < attr->cVars; i++) {
            VARDESC *v = NULL;
            char name[128];
            VARIANT value;
            if (FAILED(ITypeInfo_GetVarDesc(e->info, i, &v))) continue;
            name_of(e->info, v->memid, name, sizeof(name));
            VariantInit(&value);
            if (i) buf_puts(b, ",");
            buf_json_string(b, name);
            buf_puts(b, ":");
            if (v->varkind == VAR_CONST && SUCCEEDED(VariantChangeType(&value, v->lpvarValue, 0, VT_I4)))
                buf_printf(b, "%ld", (long)V_I4(&value));
            else buf_puts(b, "null");
            ITypeInfo_ReleaseVarDesc(e->info, v);
        }
        ITypeInfo_ReleaseTypeAttr(e->info, attr);
    }
    buf_puts(b, "}}}}");
}

static void describe_coclass(struct buf *b, const struct entry *e)
{
    TYPEATTR *attr = NULL;
    char guid[40], name[128];
    const char *default_interface = NULL, *events = NULL;
    static char default_name[128], events_name[128];
    UINT i;
    int first = 1;
    guid_text(&e->guid, guid);
    buf_puts(b, "{\"record\":{\"guid\":");
    buf_json_string(b, guid);
    buf_puts(b, ",\"interfaces\":[");
    if (SUCCEEDED(ITypeInfo_GetTypeAttr(e->info, &attr))) {
        for (i = 0; i < attr->cImplTypes; i++) {
            INT flags = 0;
            HREFTYPE ref;
            ITypeInfo *itf = NULL;
            if (FAILED(ITypeInfo_GetImplTypeFlags(e->info, i, &flags)) ||
                FAILED(ITypeInfo_GetRefTypeOfImplType(e->info, i, &ref)) ||
                FAILED(ITypeInfo_GetRefTypeInfo(e->info, ref, &itf))) continue;
            name_of(itf, MEMBERID_NIL, name, sizeof(name));
            ITypeInfo_Release(itf);
            if (flags & IMPLTYPEFLAG_FSOURCE) {
                if ((flags & IMPLTYPEFLAG_FDEFAULT) || !events) { strcpy(events_name, name); events = events_name; }
                continue;
            }
            if ((flags & IMPLTYPEFLAG_FDEFAULT) && !default_interface) { strcpy(default_name, name); default_interface = default_name; }
            if (!first) buf_puts(b, ",");
            first = 0;
            buf_json_string(b, name);
        }
    }
    buf_puts(b, "],\"default_interface\":");
    if (default_interface) buf_json_string(b, default_interface); else buf_puts(b, "null");
    buf_puts(b, ",\"events\":");
    if (events) buf_json_string(b, events); else buf_puts(b, "null");
    buf_printf(b, ",\"creatable\":%s}}", attr && (attr->wTypeFlags & TYPEFLAG_FCANCREATE) ? "true" : "false");
    if (attr) ITypeInfo_ReleaseTypeAttr(e->info, attr);
}

void com_type_info(const char *name, struct outcome *o)
{
    const struct entry *e = find_entry(name, K_INTERFACE | K_DISPATCH | K_ENUM | K_COCLASS);
    struct buf *b = &o->value;
    char guid[40];
    o->hr = S_OK;
    if (!e) { o->hr = TYPE_E_ELEMENTNOTFOUND; return; }
    if (e->kind == TKIND_ENUM) { describe_enum(b, e); return; }
    if (e->kind == TKIND_COCLASS) { describe_coclass(b, e); return; }
    guid_text(&e->guid, guid);
    buf_puts(b, "{\"record\":{\"guid\":");
    buf_json_string(b, guid);
    if (e->kind == TKIND_INTERFACE) {
        HREFTYPE ref;
        ITypeInfo *base = NULL;
        char base_name[128];
        if (SUCCEEDED(ITypeInfo_GetRefTypeOfImplType(e->info, 0, &ref)) &&
            SUCCEEDED(ITypeInfo_GetRefTypeInfo(e->info, ref, &base))) {
            name_of(base, MEMBERID_NIL, base_name, sizeof(base_name));
            ITypeInfo_Release(base);
            buf_puts(b, ",\"base\":");
            buf_json_string(b, base_name);
        }
    }
    describe_members(b, e, e->kind == TKIND_DISPATCH);
    buf_puts(b, "}}");
}
