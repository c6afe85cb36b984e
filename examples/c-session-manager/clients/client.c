/* msgrsc-client: a real COM client of the C session manager, early bound through the generated header.
 *
 *   msgrsc-client inproc    CoCreateInstance with CLSCTX_INPROC_SERVER (msgrsc.dll)
 *   msgrsc-client local     CoCreateInstance with CLSCTX_LOCAL_SERVER (msgrsc-server.exe, every call
 *                           marshalled by the typelib marshaller)
 *
 * It creates every coclass the registered type library describes, creates an object again right after
 * releasing the last one (a local server on its way out), passes the Lock and Key exchange with
 * an event sink of its own, fails it on purpose on a second object, adds a contact through a third, then
 * walks the session flow of the overview. In-process it also checks what only a C caller can do: NULL out
 * pointers, the connection point's own members, reference counts and DllCanUnloadNow. Every HRESULT is
 * checked against the code the spec gives (through the header's names) or, where the spec gives none, the
 * one COM documents for the member; any difference is printed and makes the exit status 1. The last line is
 * "msgrsc-client: PASS ..." or "msgrsc-client: FAIL ...". */
#define COBJMACROS
#define CONST_VTABLE
#include <windows.h>
#include <wincrypt.h>
#include <stdio.h>
#include <wchar.h>

#include "msgrpriv.h"
#include <ocidl.h>
#include <olectl.h>

/* the test ID/key pair the C session manager accepts (its README) */
#define LOCK_ID L"msgrspec-c-app"
#define LOCK_KEY "C-SESSION-MANAGER-KEY-0001"
#define APP_GUID L"{6D7367C1-0001-4C69-656E-747300000001}"
#define OTHER_GUID L"{6D7367C1-0002-4C69-656E-747300000002}"
#define APP_NAME L"msgrspec C client"
#define APP_URL L"http://msgrspec.example/c-client"
#define APP_PATH L"C:\\Program Files\\msgrspec\\c-client.exe"

static int checks, failures;
static int in_process;  /* the server is the DLL, loaded here: calls the typelib marshaller would refuse are made */

static void expect_hr(const char *what, HRESULT got, HRESULT expected)
{
    checks++;
    if (got != expected) {
        failures++;
        printf("FAIL %s: 0x%08lx, expected 0x%08lx\n", what, (unsigned long)got, (unsigned long)expected);
    }
}

static void expect(const char *what, int ok)
{
    checks++;
    if (!ok) {
        failures++;
        printf("FAIL %s\n", what);
    }
}

static void expect_long(const char *what, long got, long expected)
{
    checks++;
    if (got != expected) {
        failures++;
        printf("FAIL %s: %ld, expected %ld\n", what, got, expected);
    }
}

static void expect_text(const char *what, BSTR got, const WCHAR *expected)
{
    checks++;
    if (!got || wcscmp(got, expected)) {
        failures++;
        printf("FAIL %s: \"%ls\", expected \"%ls\"\n", what, got ? got : L"(null)", expected);
    }
}

/* -- the event sink: an IDispatch of our own, advised on a connection point -------------------------- */
struct sink {
    IDispatch iface;
    LONG refs;
    const IID *diid;
    DISPID lock_enable, lock_challenge, lock_result, app_registered, app_unregistered, contact_list_add;
    int enables, challenges, results, registered, unregistered, added, strange;
    VARIANT_BOOL enabled, succeeded;
    LONG challenge_cookie, result_cookie, added_hr;
    WCHAR challenge[64], app[64];
    IDispatch *contact;  /* the last OnContactListAdd's, with a reference of the sink's */
};

static struct sink *sink_of(IDispatch *iface)
{
    return (struct sink *)iface;
}

static HRESULT STDMETHODCALLTYPE sink_QueryInterface(IDispatch *iface, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, sink_of(iface)->diid)) {
        *out = iface;
        IDispatch_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE sink_AddRef(IDispatch *iface)
{
    return (ULONG)InterlockedIncrement(&sink_of(iface)->refs);
}

static ULONG STDMETHODCALLTYPE sink_Release(IDispatch *iface)
{
    return (ULONG)InterlockedDecrement(&sink_of(iface)->refs);  /* lives on main's stack */
}

static HRESULT STDMETHODCALLTYPE sink_GetTypeInfoCount(IDispatch *iface, UINT *count)
{
    *count = 0;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_GetTypeInfo(IDispatch *iface, UINT index, LCID lcid, ITypeInfo **out)
{
    *out = NULL;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE sink_GetIDsOfNames(IDispatch *iface, REFIID riid, LPOLESTR *names, UINT count,
                                                    LCID lcid, DISPID *ids)
{
    return E_NOTIMPL;
}

/* Events come with positional arguments only: no named ones (DISPPARAMS: cNamedArgs counts the entries of
 * rgdispidNamedArgs). */
static int arg_is(DISPPARAMS *params, UINT count, UINT from_last, VARTYPE type)
{
    return params->cArgs == count && !params->cNamedArgs && V_VT(&params->rgvarg[from_last]) == type;
}

/* Arguments arrive last first: rgvarg[0] is the event's last parameter. */
static HRESULT STDMETHODCALLTYPE sink_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid, WORD flags,
                                             DISPPARAMS *params, VARIANT *result, EXCEPINFO *info, UINT *bad)
{
    struct sink *sink = sink_of(iface);
    if (id == sink->lock_enable && arg_is(params, 1, 0, VT_BOOL)) {
        sink->enables++;
        sink->enabled = V_BOOL(&params->rgvarg[0]);
    } else if (id == sink->lock_challenge && arg_is(params, 2, 0, VT_BSTR) && arg_is(params, 2, 1, VT_I4)) {
        sink->challenges++;
        sink->challenge_cookie = V_I4(&params->rgvarg[1]);
        lstrcpynW(sink->challenge, V_BSTR(&params->rgvarg[0]), 64);
    } else if (id == sink->lock_result && arg_is(params, 2, 0, VT_BOOL) && arg_is(params, 2, 1, VT_I4)) {
        sink->results++;
        sink->result_cookie = V_I4(&params->rgvarg[1]);
        sink->succeeded = V_BOOL(&params->rgvarg[0]);
    } else if ((id == sink->app_registered || id == sink->app_unregistered) && arg_is(params, 1, 0, VT_BSTR)) {
        if (id == sink->app_registered) sink->registered++;
        else sink->unregistered++;
        lstrcpynW(sink->app, V_BSTR(&params->rgvarg[0]), 64);
    } else if (id == sink->contact_list_add && arg_is(params, 2, 0, VT_DISPATCH) && arg_is(params, 2, 1, VT_I4)) {
        sink->added++;
        sink->added_hr = V_I4(&params->rgvarg[1]);
        if (sink->contact) IDispatch_Release(sink->contact);
        sink->contact = V_DISPATCH(&params->rgvarg[0]);
        if (sink->contact) IDispatch_AddRef(sink->contact);
    } else if (id == sink->lock_enable || id == sink->lock_challenge || id == sink->lock_result ||
               id == sink->app_registered || id == sink->app_unregistered || id == sink->contact_list_add) {
        sink->strange++;  /* a known event with arguments of the wrong number or type */
    }
    return S_OK;
}

static const IDispatchVtbl sink_vtbl = {
    sink_QueryInterface, sink_AddRef, sink_Release, sink_GetTypeInfoCount, sink_GetTypeInfo, sink_GetIDsOfNames,
    sink_Invoke,
};

/* The DISPID of event `name` of dispinterface `diid`, read from the registered type library. */
static DISPID event_id(ITypeLib *lib, const IID *diid, const WCHAR *name)
{
    ITypeInfo *info = NULL;
    DISPID id = DISPID_UNKNOWN;
    LPOLESTR names[1] = {(LPOLESTR)name};
    if (SUCCEEDED(ITypeLib_GetTypeInfoOfGuid(lib, diid, &info))) {
        ITypeInfo_GetIDsOfNames(info, names, 1, &id);
        ITypeInfo_Release(info);
    }
    if (id == DISPID_UNKNOWN) printf("FAIL the registered type library has no event %ls\n", name), failures++;
    return id;
}

static void sink_init(struct sink *sink, ITypeLib *lib, const IID *diid, int manager)
{
    memset(sink, 0, sizeof(*sink));
    sink->iface.lpVtbl = &sink_vtbl;
    sink->refs = 1;
    sink->diid = diid;
    sink->lock_enable = event_id(lib, diid, L"OnLockEnable");
    sink->lock_challenge = event_id(lib, diid, L"OnLockChallenge");
    sink->lock_result = event_id(lib, diid, L"OnLockResult");
    sink->app_registered = manager ? event_id(lib, diid, L"OnAppRegistered") : DISPID_UNKNOWN;
    sink->app_unregistered = manager ? event_id(lib, diid, L"OnAppUnRegistered") : DISPID_UNKNOWN;
    sink->contact_list_add = manager ? DISPID_UNKNOWN : event_id(lib, diid, L"OnContactListAdd");
}

static HRESULT advise(IUnknown *object, struct sink *sink, IConnectionPoint **point, DWORD *cookie)
{
    IConnectionPointContainer *container = NULL;
    HRESULT hr = IUnknown_QueryInterface(object, &IID_IConnectionPointContainer, (void **)&container);
    *point = NULL;
    expect_hr("QueryInterface(IConnectionPointContainer)", hr, S_OK);
    if (FAILED(hr)) return hr;
    hr = IConnectionPointContainer_FindConnectionPoint(container, sink->diid, point);
    expect_hr("FindConnectionPoint", hr, S_OK);
    IConnectionPointContainer_Release(container);
    if (FAILED(hr)) return hr;
    hr = IConnectionPoint_Advise(*point, (IUnknown *)&sink->iface, cookie);
    expect_hr("Advise", hr, S_OK);
    return hr;
}

/* Whether two interface pointers belong to one object: the same IUnknown (COM's rule of object identity). */
static int same_object(IUnknown *a, IUnknown *b)
{
    IUnknown *identity_a = NULL, *identity_b = NULL;
    int same;
    IUnknown_QueryInterface(a, &IID_IUnknown, (void **)&identity_a);
    IUnknown_QueryInterface(b, &IID_IUnknown, (void **)&identity_b);
    same = identity_a && identity_a == identity_b;
    if (identity_a) IUnknown_Release(identity_a);
    if (identity_b) IUnknown_Release(identity_b);
    return same;
}

/* The connection point's own members, as COM documents them (IConnectionPoint, IConnectionPointContainer,
 * IUnknown): it names its outgoing interface and its container (the object), answers QueryInterface for itself
 * with a reference added and refuses other interfaces, and refuses NULL out pointers with E_POINTER
 * (in-process only: the marshaller would refuse them first). */
static void connection_point_contract(IUnknown *object, IConnectionPoint *point, const IID *diid)
{
    IConnectionPointContainer *container = NULL;
    IConnectionPoint *again = NULL;
    IUnknown *unknown = NULL;
    IID iid;
    ULONG before, after;
    memset(&iid, 0, sizeof(iid));
    expect_hr("GetConnectionInterface", IConnectionPoint_GetConnectionInterface(point, &iid), S_OK);
    expect("GetConnectionInterface names the event interface", IsEqualIID(&iid, diid));
    /* an interface pointer handed out carries a reference of the caller's (COM's rule), which AddRef's answer
     * shows in-process: the server keeps one count per object (its README), and a proxy keeps counts of its own */
    before = IUnknown_AddRef(object);
    IUnknown_Release(object);
    expect_hr("GetConnectionPointContainer", IConnectionPoint_GetConnectionPointContainer(point, &container), S_OK);
    if (in_process) {
        after = IUnknown_AddRef(object);
        IUnknown_Release(object);
        expect_long("references after GetConnectionPointContainer", (long)after, (long)before + 1);
    }
    expect("GetConnectionPointContainer gives the object itself", container && same_object((IUnknown *)container,
                                                                                           object));
    if (container) IConnectionPointContainer_Release(container), container = NULL;
    expect_hr("QueryInterface(IUnknown) on the connection point",
              IConnectionPoint_QueryInterface(point, &IID_IUnknown, (void **)&unknown), S_OK);
    if (unknown) IUnknown_Release(unknown), unknown = NULL;
    expect_hr("QueryInterface(IMsgrSession) on the connection point",
              IConnectionPoint_QueryInterface(point, &IID_IMsgrSession, (void **)&unknown), E_NOINTERFACE);
    if (unknown) IUnknown_Release(unknown), unknown = NULL;
    before = IConnectionPoint_AddRef(point);
    IConnectionPoint_Release(point);
    expect_hr("QueryInterface(IConnectionPoint) on the connection point",
              IConnectionPoint_QueryInterface(point, &IID_IConnectionPoint, (void **)&again), S_OK);
    if (in_process) {
        after = IConnectionPoint_AddRef(point);
        IConnectionPoint_Release(point);
        expect_long("references after QueryInterface on the connection point", (long)after, (long)before + 1);
    }
    if (again) IConnectionPoint_Release(again);
    if (!in_process) return;
    expect_hr("GetConnectionInterface(NULL)", IConnectionPoint_GetConnectionInterface(point, NULL), E_POINTER);
    expect_hr("GetConnectionPointContainer(NULL)", IConnectionPoint_GetConnectionPointContainer(point, NULL),
              E_POINTER);
    expect_hr("QueryInterface on the connection point with a NULL out pointer",
              IConnectionPoint_QueryInterface(point, &IID_IConnectionPoint, NULL), E_POINTER);
    if (SUCCEEDED(IUnknown_QueryInterface(object, &IID_IConnectionPointContainer, (void **)&container))) {
        expect_hr("FindConnectionPoint(NULL)", IConnectionPointContainer_FindConnectionPoint(container, diid, NULL),
                  E_POINTER);
        IConnectionPointContainer_Release(container);
    }
}

/* DllCanUnloadNow of the in-process server, as CoFreeUnusedLibraries calls it: S_OK only while no object of the
 * DLL is in use (COM's contract for it). E_UNEXPECTED if the DLL is not loaded here. */
static HRESULT can_unload_now(void)
{
    HMODULE dll = GetModuleHandleW(L"msgrsc.dll");
    FARPROC can_unload = dll ? GetProcAddress(dll, "DllCanUnloadNow") : NULL;
    return can_unload ? ((HRESULT (WINAPI *)(void))(void *)can_unload)() : E_UNEXPECTED;
}

/* -- the lock's response: MD5 of the challenge followed by the key, in hexadecimal (CryptoAPI) ------ */
static BSTR response_to(const WCHAR *challenge, const char *key)
{
    char joined[128], hex[33];
    BYTE digest[16];
    DWORD size = sizeof(digest);
    HCRYPTPROV provider = 0;
    HCRYPTHASH hash = 0;
    WCHAR wide[33];
    int i;
    snprintf(joined, sizeof(joined), "%ls%s", challenge, key);
    hex[0] = 0;
    if (CryptAcquireContextW(&provider, NULL, NULL, PROV_RSA_FULL, CRYPT_VERIFYCONTEXT)) {
        if (CryptCreateHash(provider, CALG_MD5, 0, 0, &hash)) {
            if (CryptHashData(hash, (const BYTE *)joined, (DWORD)strlen(joined), 0) &&
                CryptGetHashParam(hash, HP_HASHVAL, digest, &size, 0))
                for (i = 0; i < 16; i++) sprintf(hex + 2 * i, "%02x", digest[i]);
            CryptDestroyHash(hash);
        }
        CryptReleaseContext(provider, 0);
    }
    expect("CryptoAPI computes the MD5 response", strlen(hex) == 32);
    for (i = 0; i <= 32; i++) wide[i] = (WCHAR)hex[i];
    return SysAllocString(wide);
}

static int twenty_digits(const WCHAR *text)
{
    int i;
    for (i = 0; i < 20; i++)
        if (text[i] < '0' || text[i] > '9') return 0;
    return text[20] == 0;
}

/* -- every coclass of the registered library: the creatable ones come up, the others are refused -- */
static void create_every_coclass(ITypeLib *lib, DWORD context)
{
    UINT i, count = ITypeLib_GetTypeInfoCount(lib);
    int creatable = 0, refused = 0;
    for (i = 0; i < count; i++) {
        ITypeInfo *info = NULL;
        TYPEATTR *attr = NULL;
        IUnknown *object = NULL, *default_itf = NULL;
        BSTR name = NULL;
        char what[160];
        TYPEKIND kind;
        if (FAILED(ITypeLib_GetTypeInfoType(lib, i, &kind)) || kind != TKIND_COCLASS) continue;
        ITypeLib_GetTypeInfo(lib, i, &info);
        ITypeInfo_GetTypeAttr(info, &attr);
        ITypeLib_GetDocumentation(lib, (INT)i, &name, NULL, NULL, NULL);
        if (attr->wTypeFlags & TYPEFLAG_FCANCREATE) {
            HREFTYPE ref;
            ITypeInfo *itf = NULL;
            TYPEATTR *itf_attr = NULL;
            INT flags = 0;
            UINT k;
            creatable++;
            snprintf(what, sizeof(what), "CoCreateInstance(%ls)", name);
            expect_hr(what, CoCreateInstance(&attr->guid, NULL, context, &IID_IUnknown, (void **)&object), S_OK);
            for (k = 0; object && k < attr->cImplTypes; k++) {
                ITypeInfo_GetImplTypeFlags(info, k, &flags);
                if ((flags & IMPLTYPEFLAG_FDEFAULT) && !(flags & IMPLTYPEFLAG_FSOURCE)) break;
            }
            if (object && k < attr->cImplTypes && SUCCEEDED(ITypeInfo_GetRefTypeOfImplType(info, k, &ref)) &&
                SUCCEEDED(ITypeInfo_GetRefTypeInfo(info, ref, &itf)) &&
                SUCCEEDED(ITypeInfo_GetTypeAttr(itf, &itf_attr))) {
                snprintf(what, sizeof(what), "%ls answers QueryInterface for its default interface", name);
                expect_hr(what, IUnknown_QueryInterface(object, &itf_attr->guid, (void **)&default_itf), S_OK);
                if (default_itf) IUnknown_Release(default_itf);
                ITypeInfo_ReleaseTypeAttr(itf, itf_attr);
            } else if (object) {
                expect("the creatable coclass names a default interface", 0);
            }
            if (itf) ITypeInfo_Release(itf);
            if (object) IUnknown_Release(object);
        } else {
            refused++;
            snprintf(what, sizeof(what), "CoCreateInstance(%ls) of a class that is not creatable", name);
            expect_hr(what, CoCreateInstance(&attr->guid, NULL, context, &IID_IUnknown, (void **)&object),
                      REGDB_E_CLASSNOTREG);
            if (object) IUnknown_Release(object);
        }
        SysFreeString(name);
        ITypeInfo_ReleaseTypeAttr(info, attr);
        ITypeInfo_Release(info);
    }
    expect_long("creatable coclasses in the type library", creatable, 2);
    expect_long("coclasses that are not creatable", refused, 1);
}

/* The last object released, a new one asked for at once, a few times over: a local server that is leaving
 * must not hand out an object that dies with it, nor fail the activation (it starts a new server). */
static void create_right_after_the_last_release(DWORD context)
{
    int round;
    for (round = 1; round <= 8; round++) {
        IMsgrSessionManager *manager = NULL;
        IMsgrLock *lock = NULL;
        LockStatus status;
        char what[160];
        snprintf(what, sizeof(what), "CoCreateInstance(MsgrSessionManager) right after the last release (%d)", round);
        expect_hr(what, CoCreateInstance(&CLSID_MsgrSessionManager, NULL, context, &IID_IMsgrSessionManager,
                                         (void **)&manager), S_OK);
        if (!manager) continue;
        snprintf(what, sizeof(what), "the new object answers get_Status (%d)", round);
        if (SUCCEEDED(IMsgrSessionManager_QueryInterface(manager, &IID_IMsgrLock, (void **)&lock))) {
            expect_hr(what, IMsgrLock_get_Status(lock, &status), S_OK);
            IMsgrLock_Release(lock);
        } else {
            expect(what, 0);
        }
        IMsgrSessionManager_Release(manager);
    }
}

/* In-process: DllCanUnloadNow answers S_FALSE while an object of the DLL is alive and S_OK once it is released. */
static void unloads_only_when_idle(void)
{
    IMsgrSessionManager *manager = NULL;
    expect_hr("CoCreateInstance(MsgrSessionManager)", CoCreateInstance(&CLSID_MsgrSessionManager, NULL,
              CLSCTX_INPROC_SERVER, &IID_IMsgrSessionManager, (void **)&manager), S_OK);
    if (!manager) return;
    expect_hr("DllCanUnloadNow while a session manager is alive", can_unload_now(), S_FALSE);
    IMsgrSessionManager_Release(manager);
    expect_hr("DllCanUnloadNow once it is released", can_unload_now(), S_OK);
}

/* -- late binding from C: IDispatch answered from the type library ---------------------------------- */
static HRESULT call_by_name(IDispatch *object, const WCHAR *name, WORD flags, UINT argc, VARIANT *args,
                            VARIANT *result, EXCEPINFO *info)
{
    LPOLESTR names[1] = {(LPOLESTR)name};
    DISPID id;
    DISPPARAMS params = {args, NULL, argc, 0};
    HRESULT hr = IDispatch_GetIDsOfNames(object, &IID_NULL, names, 1, LOCALE_USER_DEFAULT, &id);
    if (FAILED(hr)) return hr;
    memset(info, 0, sizeof(*info));
    return IDispatch_Invoke(object, id, &IID_NULL, LOCALE_USER_DEFAULT, flags, &params, result, info, NULL);
}

static void late_bound(IMsgrSessionManager *manager, IMsgrSession *session)
{
    VARIANT result, arg;
    EXCEPINFO info;
    HRESULT hr;
    VariantInit(&result);
    hr = call_by_name((IDispatch *)session, L"State", DISPATCH_PROPERTYGET, 0, NULL, &result, &info);
    expect_hr("IDispatch: get State", hr, S_OK);
    expect("IDispatch: State is a VT_I4 SS_READY", V_VT(&result) == VT_I4 && V_I4(&result) == SS_READY);
    VariantClear(&result);
    hr = call_by_name((IDispatch *)session, L"Application", DISPATCH_PROPERTYGET, 0, NULL, &result, &info);
    expect_hr("IDispatch: get Application", hr, S_OK);
    expect_text("IDispatch: Application", V_VT(&result) == VT_BSTR ? V_BSTR(&result) : NULL, APP_GUID);
    VariantClear(&result);
    V_VT(&arg) = VT_BSTR;
    V_BSTR(&arg) = SysAllocString(OTHER_GUID);
    hr = call_by_name((IDispatch *)manager, L"UnRegisterApplication", DISPATCH_METHOD, 1, &arg, &result, &info);
    expect_hr("IDispatch: UnRegisterApplication of an unknown GUID", hr, DISP_E_EXCEPTION);
    expect_hr("IDispatch: its EXCEPINFO.scode", info.scode, SR_APP_NOT_REGISTERED);
    SysFreeString(info.bstrSource); SysFreeString(info.bstrDescription); SysFreeString(info.bstrHelpFile);
    VariantClear(&arg);
    VariantClear(&result);
}

/* -- Lock and Key ------------------------------------------------------------------------------------ */
static void unlock(IMsgrLock *lock, struct sink *sink, LONG cookie, const char *key, int should_succeed)
{
    LockStatus status = -1;
    BSTR id = SysAllocString(LOCK_ID), response;
    expect_hr("RequestChallenge", IMsgrLock_RequestChallenge(lock, cookie), S_OK);
    expect_long("OnLockChallenge events", sink->challenges, 1);
    expect_long("OnLockChallenge cookie", sink->challenge_cookie, cookie);
    expect("the challenge is twenty digits", twenty_digits(sink->challenge));
    expect_hr("get_Status", IMsgrLock_get_Status(lock, &status), S_OK);
    expect_long("Status after the challenge", status, LOCK_PENDINGRESULT);
    expect_hr("RequestChallenge while a result is pending", IMsgrLock_RequestChallenge(lock, cookie + 1),
              MSGR_E_API_PENDING_UNLOCK);
    response = response_to(sink->challenge, key);
    expect_hr("SendResponse with another cookie", IMsgrLock_SendResponse(lock, id, response, cookie + 1),
              E_INVALIDARG);
    expect_hr("SendResponse", IMsgrLock_SendResponse(lock, id, response, cookie), S_OK);
    expect_long("OnLockResult events", sink->results, 1);
    expect_long("OnLockResult cookie", sink->result_cookie, cookie);
    expect("OnLockResult success", (sink->succeeded != VARIANT_FALSE) == should_succeed);
    expect_hr("get_Status", IMsgrLock_get_Status(lock, &status), S_OK);
    expect_long("Status after the result", status, should_succeed ? LOCK_UNLOCKED : LOCK_UNLOCKFAILED);
    expect_hr("RequestChallenge after the result", IMsgrLock_RequestChallenge(lock, cookie + 2),
              should_succeed ? MSGR_E_API_ALREADY_UNLOCKED : MSGR_E_API_UNLOCK_FAILED);
    SysFreeString(response);
    SysFreeString(id);
}

static void lock_comes_up(IMsgrLock *lock, IUnknown *object, struct sink *sink, IConnectionPoint **point,
                          DWORD *cookie)
{
    LockStatus status = -1;
    expect_hr("get_Status before any sink", IMsgrLock_get_Status(lock, &status), S_OK);
    expect_long("Status before any sink", status, LOCK_NOTINITIALIZED);
    if (in_process)  /* E_POINTER is the one failure the spec gives Status */
        expect_hr("get_Status(NULL)", IMsgrLock_get_Status(lock, NULL), E_POINTER);
    expect_hr("RequestChallenge before any sink", IMsgrLock_RequestChallenge(lock, 1), MSGR_E_API_NOTINITIALIZED);
    advise(object, sink, point, cookie);
    expect_long("OnLockEnable events", sink->enables, 1);
    expect("OnLockEnable(TRUE)", sink->enabled == VARIANT_TRUE);
    expect_hr("get_Status", IMsgrLock_get_Status(lock, &status), S_OK);
    expect_long("Status once a sink is connected", status, LOCK_INITIALIZED);
}

/* EnableAlertEvents takes a SAFEARRAY of VARIANTs in and out (oleaut32's, marshalled to the local server):
 * site IDs must be VT_I4; a locked object then does nothing, successfully (S_FALSE). */
static void alert_sites(IMessengerPrivate *private)
{
    SAFEARRAY *sites = SafeArrayCreateVector(VT_VARIANT, 0, 2);
    VARIANT *items = NULL;
    expect("SafeArrayCreateVector", sites && SUCCEEDED(SafeArrayAccessData(sites, (void **)&items)));
    if (!items) return;
    V_VT(&items[0]) = VT_I4;
    V_I4(&items[0]) = 1;
    V_VT(&items[1]) = VT_I4;
    V_I4(&items[1]) = 2;
    SafeArrayUnaccessData(sites);
    expect_hr("EnableAlertEvents while locked", IMessengerPrivate_EnableAlertEvents(private, &sites), S_FALSE);
    if (sites && SUCCEEDED(SafeArrayAccessData(sites, (void **)&items))) {
        VariantClear(&items[1]);
        V_VT(&items[1]) = VT_BSTR;
        V_BSTR(&items[1]) = SysAllocString(L"two");
        SafeArrayUnaccessData(sites);
        expect_hr("EnableAlertEvents with a site that is not a VT_I4",
                  IMessengerPrivate_EnableAlertEvents(private, &sites), E_INVALIDARG);
    }
    if (sites) SafeArrayDestroy(sites);
}

/* -- a contact ------------------------------------------------------------------------------------------ */
/* MessengerPriv, unlocked with the right key, adds a contact; OnContactListAdd hands over the contact object,
 * which offers IDispatch and refuses an interface it lacks with E_NOINTERFACE (COM's QueryInterface contract). */
static void add_a_contact(ITypeLib *lib, DWORD context)
{
    IMessengerPrivate *private = NULL;
    IMsgrLock *lock = NULL;
    IConnectionPoint *point = NULL;
    IDispatch *dispatch = NULL;
    IUnknown *other = NULL;
    struct sink sink;
    DWORD cookie = 0;
    BSTR name = SysAllocString(L"carol@msgrspec.example");
    VARIANT service;
    VariantInit(&service);
    expect_hr("CoCreateInstance(MessengerPriv) for a contact", CoCreateInstance(&CLSID_MessengerPriv, NULL, context,
              &IID_IMessengerPrivate, (void **)&private), S_OK);
    if (private && SUCCEEDED(IMessengerPrivate_QueryInterface(private, &IID_IMsgrLock, (void **)&lock))) {
        sink_init(&sink, lib, &DIID_DMessengerPrivateEvents, 0);
        lock_comes_up(lock, (IUnknown *)private, &sink, &point, &cookie);
        unlock(lock, &sink, 9, LOCK_KEY, 1);
        expect_hr("AddContact", IMessengerPrivate_AddContact(private, name, service), S_OK);
        expect_long("OnContactListAdd events", sink.added, 1);
        expect("OnContactListAdd reports a success", SUCCEEDED(sink.added_hr));
        expect("OnContactListAdd carries the contact", sink.contact != NULL);
        if (sink.contact) {
            expect_hr("QueryInterface(IDispatch) on the contact",
                      IDispatch_QueryInterface(sink.contact, &IID_IDispatch, (void **)&dispatch), S_OK);
            if (dispatch) IDispatch_Release(dispatch);
            expect_hr("QueryInterface(IMsgrSession) on the contact",
                      IDispatch_QueryInterface(sink.contact, &IID_IMsgrSession, (void **)&other), E_NOINTERFACE);
            if (other) IUnknown_Release(other);
            IDispatch_Release(sink.contact);
        }
        expect_long("events with unexpected arguments", sink.strange, 0);
        if (point) {
            expect_hr("Unadvise", IConnectionPoint_Unadvise(point, cookie), S_OK);
            IConnectionPoint_Release(point);
        }
        IMsgrLock_Release(lock);
    } else {
        expect("MessengerPriv answers QueryInterface(IMsgrLock)", 0);
    }
    if (private) IMessengerPrivate_Release(private);
    SysFreeString(name);
}

/* -- the session flow of the overview ---------------------------------------------------------------- */
/* In-process only (the marshaller refuses a NULL [out] pointer before the call): an unusable out pointer is
 * E_INVALIDARG, the spec's code for CreateSession (session-manager.create.null-pointer) and every IMsgrSession
 * property, and for GetLaunchingSession the code its list gives an unacceptable parameter. */
static void null_out_pointers(IMsgrSessionManager *manager, IMsgrSession *session)
{
    expect_hr("CreateSession(NULL)", IMsgrSessionManager_CreateSession(manager, NULL), E_INVALIDARG);
    expect_hr("GetLaunchingSession(NULL)", IMsgrSessionManager_GetLaunchingSession(
              manager, (LONG)GetCurrentProcessId(), NULL), E_INVALIDARG);
    expect_hr("get_Application(NULL)", IMsgrSession_get_Application(session, NULL), E_INVALIDARG);
    expect_hr("get_State(NULL)", IMsgrSession_get_State(session, NULL), E_INVALIDARG);
    expect_hr("get_RemoteAddress(NULL)", IMsgrSession_get_RemoteAddress(session, NULL), E_INVALIDARG);
    expect_hr("get_SessionID(NULL)", IMsgrSession_get_SessionID(session, NULL), E_INVALIDARG);
    expect_hr("get_ContextData(NULL)", IMsgrSession_get_ContextData(session, NULL), E_INVALIDARG);
    expect_hr("get_ApplicationName(NULL)", IMsgrSession_get_ApplicationName(session, NULL), E_INVALIDARG);
    expect_hr("get_ApplicationURL(NULL)", IMsgrSession_get_ApplicationURL(session, NULL), E_INVALIDARG);
    expect_hr("get_Flags(NULL)", IMsgrSession_get_Flags(session, NULL), E_INVALIDARG);
    expect_hr("get_User(NULL)", IMsgrSession_get_User(session, NULL), E_INVALIDARG);
    expect_hr("get_LocalAddress(NULL)", IMsgrSession_get_LocalAddress(session, NULL), E_INVALIDARG);
}

static void session_flow(IMsgrSessionManager *manager, struct sink *sink)
{
    BSTR guid = SysAllocString(APP_GUID), other = SysAllocString(OTHER_GUID), name = SysAllocString(APP_NAME);
    BSTR url = SysAllocString(APP_URL), path = SysAllocString(APP_PATH), relative = SysAllocString(L"c-client.exe");
    BSTR text = NULL, empty = SysAllocString(L"");
    IDispatch *dispatch = NULL, *user = NULL;
    IMsgrSession *session = NULL;
    SESSION_STATE state = -1;
    LONG flags = -1;
    expect_hr("RegisterApplication", IMsgrSessionManager_RegisterApplication(manager, guid, name, url, path, 0), S_OK);
    expect_long("OnAppRegistered events", sink->registered, 1);
    expect_text("OnAppRegistered GUID", sink->app, APP_GUID);
    expect_hr("RegisterApplication again", IMsgrSessionManager_RegisterApplication(manager, guid, name, url, path, 0),
              SR_APP_ALREADY_REGISTERED);
    expect_hr("RegisterApplication with flags", IMsgrSessionManager_RegisterApplication(manager, other, name, url,
                                                                                         path, 1), E_INVALIDARG);
    expect_hr("RegisterApplication with a relative path",
              IMsgrSessionManager_RegisterApplication(manager, other, name, url, relative, 0), E_FAIL);
    expect_hr("CreateSession", IMsgrSessionManager_CreateSession(manager, &dispatch), S_OK);
    if (!dispatch) goto done;
    expect_hr("QueryInterface(IMsgrSession)", IDispatch_QueryInterface(dispatch, &IID_IMsgrSession,
                                                                       (void **)&session), S_OK);
    if (!session) goto done;
    expect_hr("get_State", IMsgrSession_get_State(session, &state), S_OK);
    expect_long("State of a new session", state, SS_READY);
    expect_hr("get_Flags", IMsgrSession_get_Flags(session, &flags), S_OK);
    expect_long("Flags of a new session", flags, SF_INVITER);
    expect_hr("get_Application before put", IMsgrSession_get_Application(session, &text), SR_APP_NOT_SPECIFIED);
    SysFreeString(text), text = NULL;
    expect_hr("put_Application of an unregistered GUID", IMsgrSession_put_Application(session, other),
              SR_APP_NOT_REGISTERED);
    expect_hr("put_Application", IMsgrSession_put_Application(session, guid), S_OK);
    expect_hr("get_Application", IMsgrSession_get_Application(session, &text), S_OK);
    expect_text("Application", text, APP_GUID);
    SysFreeString(text), text = NULL;
    expect_hr("get_ApplicationName", IMsgrSession_get_ApplicationName(session, &text), S_OK);
    expect_text("ApplicationName", text, APP_NAME);
    SysFreeString(text), text = NULL;
    expect_hr("get_ApplicationURL", IMsgrSession_get_ApplicationURL(session, &text), S_OK);
    expect_text("ApplicationURL", text, APP_URL);
    SysFreeString(text), text = NULL;
    if (in_process) null_out_pointers(manager, session);
    expect_hr("get_SessionID", IMsgrSession_get_SessionID(session, &text), S_OK);
    expect("SessionID is a braced GUID", text && SysStringLen(text) == 38 && text[0] == '{' && text[37] == '}');
    SysFreeString(text), text = NULL;
    expect_hr("get_User before an invitation", IMsgrSession_get_User(session, &user), SR_NO_USER_INVITED);
    if (user) IDispatch_Release(user);
    expect_hr("get_RemoteAddress unconnected", IMsgrSession_get_RemoteAddress(session, &text), S_FALSE);
    SysFreeString(text), text = NULL;
    expect_hr("Accept on the inviter's session", IMsgrSession_Accept(session, empty), SR_SESSION_STATE_INVALID);
    expect_hr("Decline on the inviter's session", IMsgrSession_Decline(session, empty), SR_NOT_INVITEE);
    expect_hr("GetLaunchingSession", IMsgrSessionManager_GetLaunchingSession(manager, (LONG)GetCurrentProcessId(),
                                                                             &user), E_FAIL);
    expect_hr("get_Applications", IMsgrSessionManager_get_Applications(manager, &user), E_NOTIMPL);
    late_bound(manager, session);
    expect_hr("UnRegisterApplication", IMsgrSessionManager_UnRegisterApplication(manager, guid), S_OK);
    expect_long("OnAppUnRegistered events", sink->unregistered, 1);
    expect_text("OnAppUnRegistered GUID", sink->app, APP_GUID);
    expect_hr("UnRegisterApplication again", IMsgrSessionManager_UnRegisterApplication(manager, guid),
              SR_APP_NOT_REGISTERED);
done:
    if (session) IMsgrSession_Release(session);
    if (dispatch) IDispatch_Release(dispatch);
    SysFreeString(guid); SysFreeString(other); SysFreeString(name); SysFreeString(url); SysFreeString(path);
    SysFreeString(relative); SysFreeString(empty);
}

int wmain(int argc, WCHAR **argv)
{
    DWORD context, manager_cookie = 0, private_cookie = 0;
    IMsgrSessionManager *manager = NULL, *older = NULL;
    IMessengerPrivate *private = NULL;
    IMsgrLock *manager_lock = NULL, *private_lock = NULL;
    IConnectionPoint *manager_point = NULL, *private_point = NULL;
    IDispatch *session = NULL;
    IUnknown *refused = NULL;
    struct sink manager_sink, private_sink;
    ITypeLib *lib = NULL;
    BSTR someone = NULL;
    VARIANT none;
    HRESULT hr;
    if (argc != 2 || (wcscmp(argv[1], L"inproc") && wcscmp(argv[1], L"local"))) {
        fprintf(stderr, "usage: msgrsc-client inproc|local\n");
        return 2;
    }
    context = wcscmp(argv[1], L"inproc") ? CLSCTX_LOCAL_SERVER : CLSCTX_INPROC_SERVER;
    in_process = context == CLSCTX_INPROC_SERVER;
    memset(&manager_sink, 0, sizeof(manager_sink));
    memset(&private_sink, 0, sizeof(private_sink));
    setvbuf(stdout, NULL, _IONBF, 0);
    hr = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
    expect_hr("CoInitializeEx", hr, S_OK);
    hr = LoadRegTypeLib(&LIBID_MessengerPrivate, 1, 0, LOCALE_NEUTRAL, &lib);
    expect_hr("LoadRegTypeLib (the registered type library)", hr, S_OK);
    if (FAILED(hr)) goto done;

    create_every_coclass(lib, context);
    create_right_after_the_last_release(context);
    if (in_process) unloads_only_when_idle();

    /* a session manager made before this one and released while this one lives: this one must still hear of
     * registrations (session_flow counts its OnAppRegistered) */
    expect_hr("CoCreateInstance(MsgrSessionManager) to release early", CoCreateInstance(&CLSID_MsgrSessionManager,
              NULL, context, &IID_IMsgrSessionManager, (void **)&older), S_OK);
    hr = CoCreateInstance(&CLSID_MsgrSessionManager, NULL, context, &IID_IMsgrSessionManager, (void **)&manager);
    expect_hr("CoCreateInstance(MsgrSessionManager)", hr, S_OK);
    if (older) IMsgrSessionManager_Release(older);
    if (FAILED(hr)) goto done;
    expect_hr("QueryInterface(IMsgrLock)", IMsgrSessionManager_QueryInterface(manager, &IID_IMsgrLock,
                                                                              (void **)&manager_lock), S_OK);
    if (!manager_lock) goto done;
    expect_hr("CreateSession while locked", IMsgrSessionManager_CreateSession(manager, &session), MSGR_E_API_LOCKED);
    sink_init(&manager_sink, lib, &DIID_DMsgrSessionManagerEvents, 1);
    lock_comes_up(manager_lock, (IUnknown *)manager, &manager_sink, &manager_point, &manager_cookie);
    if (manager_point) connection_point_contract((IUnknown *)manager, manager_point, &DIID_DMsgrSessionManagerEvents);
    unlock(manager_lock, &manager_sink, 77, LOCK_KEY, 1);
    /* an interface the object lacks: E_NOINTERFACE (COM's QueryInterface contract; the spec's qi-refused cases) */
    expect_hr("QueryInterface(IMsgrSession) on the session manager",
              IMsgrSessionManager_QueryInterface(manager, &IID_IMsgrSession, (void **)&refused), E_NOINTERFACE);
    if (refused) IUnknown_Release(refused);

    /* a second object, unlocked with the wrong key: it stays locked */
    hr = CoCreateInstance(&CLSID_MessengerPriv, NULL, context, &IID_IMessengerPrivate, (void **)&private);
    expect_hr("CoCreateInstance(MessengerPriv)", hr, S_OK);
    if (private && SUCCEEDED(IMessengerPrivate_QueryInterface(private, &IID_IMsgrLock, (void **)&private_lock))) {
        sink_init(&private_sink, lib, &DIID_DMessengerPrivateEvents, 0);
        lock_comes_up(private_lock, (IUnknown *)private, &private_sink, &private_point, &private_cookie);
        unlock(private_lock, &private_sink, 5, "NOT-THE-KEY", 0);
        someone = SysAllocString(L"bob@msgrspec.example");
        VariantInit(&none);
        expect_hr("AddContact after a failed unlock", IMessengerPrivate_AddContact(private, someone, none),
                  MSGR_E_API_LOCKED);
        alert_sites(private);
    } else {
        expect("MessengerPriv answers QueryInterface(IMsgrLock)", 0);
    }

    add_a_contact(lib, context);
    session_flow(manager, &manager_sink);
    expect_long("events with unexpected arguments", manager_sink.strange + private_sink.strange, 0);

    if (manager_point) {
        expect_hr("Unadvise", IConnectionPoint_Unadvise(manager_point, manager_cookie), S_OK);
        expect_hr("Unadvise again", IConnectionPoint_Unadvise(manager_point, manager_cookie), CONNECT_E_NOCONNECTION);
    }
    if (private_point) expect_hr("Unadvise", IConnectionPoint_Unadvise(private_point, private_cookie), S_OK);
done:
    if (manager_point) IConnectionPoint_Release(manager_point);
    if (private_point) IConnectionPoint_Release(private_point);
    if (private_lock) IMsgrLock_Release(private_lock);
    if (manager_lock) IMsgrLock_Release(manager_lock);
    if (private) IMessengerPrivate_Release(private);
    if (manager) IMsgrSessionManager_Release(manager);
    if (lib) ITypeLib_Release(lib);
    SysFreeString(someone);
    if (in_process)  /* the contact stays with the server's world, which needs no object of the client's */
        expect_hr("DllCanUnloadNow once every object is released", can_unload_now(), S_OK);
    CoUninitialize();
    printf("msgrsc-client: %s (%ls): %d checks, %d failed\n", failures ? "FAIL" : "PASS", argv[1], checks, failures);
    return failures ? 1 : 0;
}
