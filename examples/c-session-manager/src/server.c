/* The protocol server: msgrspec adapter protocol version 1 over stdin/stdout (see docs/protocol.md).
 *
 * One JSON request per line in, one response per line out. Every party operation is carried out on
 * the COM objects of this server through their vtables: QueryInterface for query_interface,
 * IConnectionPointContainer/IConnectionPoint::Advise with a sink of ours for connect, and for call, get
 * and put the member's entry in the interface's vtable, with arguments converted to the types the
 * type information (compiled from the IDL) gives. */
#include <signal.h>
#include <strings.h>
#include <unistd.h>

#include "objects.h"

#define IMPLEMENTATION "msgrspec C session manager (examples/c-session-manager)"
#define SERVER "c-session-manager 1.0"

static struct cs_world **worlds;
static size_t world_count;
static unsigned next_world;
static const char *fault;  /* CSM_FAULT: a test hook, see README.md */

/* -- identifiers ------------------------------------------------------------------------------- */

static const struct { const char *name; const IID *iid; } known_iids[] = {
    {"IUnknown", &cs_IID_IUnknown}, {"IDispatch", &cs_IID_IDispatch},
    {"IMessengerPrivate", &IID_IMessengerPrivate}, {"IMsgrLock", &IID_IMsgrLock},
    {"IMsgrSession", &IID_IMsgrSession}, {"IMsgrSessionManager", &IID_IMsgrSessionManager},
    {"DMessengerPrivateEvents", &DIID_DMessengerPrivateEvents}, {"DMsgrSessionEvents", &DIID_DMsgrSessionEvents},
    {"DMsgrSessionManagerEvents", &DIID_DMsgrSessionManagerEvents},
};
static const struct { const char *name; const CLSID *clsid; } known_clsids[] = {
    {"MsgrSessionManager", &CLSID_MsgrSessionManager}, {"MsgrSession", &CLSID_MsgrSession},
    {"MessengerPriv", &CLSID_MessengerPriv},
};

/* The interface called `key` (name or IID): its canonical name and IID; 0 if unknown. */
static int interface_named(const char *key, const char **name, const IID **iid)
{
    const struct ti_interface *info = ti_interface(key);
    size_t i;
    if (!strcmp(key, "IUnknown") || ti_same_guid(key, "00000000-0000-0000-C000-000000000046")) key = "IUnknown";
    else if (!strcmp(key, "IDispatch") || ti_same_guid(key, "00020400-0000-0000-C000-000000000046")) key = "IDispatch";
    else if (info && !info->is_dispinterface) key = info->name;
    else return 0;
    for (i = 0; i < sizeof(known_iids) / sizeof(known_iids[0]); i++) {
        if (!strcmp(known_iids[i].name, key)) {
            *name = known_iids[i].name;
            *iid = known_iids[i].iid;
            return 1;
        }
    }
    return 0;
}

static const IID *dispinterface_iid(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof(known_iids) / sizeof(known_iids[0]); i++)
        if (!strcmp(known_iids[i].name, name)) return known_iids[i].iid;
    return NULL;
}

/* -- output ------------------------------------------------------------------------------------ */

static void send_line(struct buf *line)
{
    buf_puts(line, "\n");
    fwrite(line->data, 1, line->length, stdout);
    fflush(stdout);
}

static void send_result(const struct json *id, const char *result)
{
    struct buf line = {0};
    protocol_result_line(&line, id, result);
    send_line(&line);
    buf_free(&line);
}

static void send_error(const struct json *id, const char *code, const char *message)
{
    struct buf line = {0};
    protocol_error_line(&line, id, code, message);
    send_line(&line);
    buf_free(&line);
}

/* -- values ------------------------------------------------------------------------------------ */

static void write_objref(struct buf *out, struct cs_world *world, IUnknown *object)
{
    const char *id = object ? cs_world_handle(world, object) : NULL;
    IUnknown *identity = id ? cs_world_lookup(world, id) : NULL;
    if (!identity) { buf_puts(out, "null"); return; }
    buf_puts(out, "{\"object\":");
    buf_json_string(out, id);
    buf_puts(out, ",\"interface\":");
    buf_json_string(out, CS_BASE(identity)->default_interface);
    buf_puts(out, "}");
}

/* A VARIANT as a protocol value; `type` is the declared type (an HRESULT is written unsigned). */
static void write_variant(struct buf *out, struct cs_world *world, const VARIANT *v, const char *type)
{
    ULONG i;
    switch (V_VT(v)) {
    case VT_BSTR:
        if (V_BSTR(v)) buf_json_units(out, V_BSTR(v), cs_bstr_len(V_BSTR(v)));
        else buf_puts(out, "null");
        break;
    case VT_I4:
        if (type && !strcmp(type, "HRESULT")) buf_printf(out, "%lu", CS_HR(V_I4(v)));
        else buf_printf(out, "%ld", (long)V_I4(v));
        break;
    case VT_BOOL: buf_puts(out, V_BOOL(v) ? "true" : "false"); break;
    case VT_BOOL | VT_BYREF: buf_puts(out, V_BOOLREF(v) && *V_BOOLREF(v) ? "true" : "false"); break;
    case VT_R8: buf_printf(out, "%.17g", V_R8(v)); break;
    case VT_DISPATCH: write_objref(out, world, (IUnknown *)V_DISPATCH(v)); break;
    case VT_ARRAY | VT_VARIANT:
        buf_puts(out, "[");
        for (i = 0; V_ARRAY(v) && i < V_ARRAY(v)->rgsabound[0].cElements; i++) {
            if (i) buf_puts(out, ",");
            write_variant(out, world, (VARIANT *)V_ARRAY(v)->pvData + i, NULL);
        }
        buf_puts(out, "]");
        break;
    default: buf_puts(out, "null"); break;
    }
}

static int is_objref(const struct json *v)
{
    return v->type == JSON_OBJECT && v->count == 2 && json_string(v, "object") && json_string(v, "interface");
}

static HRESULT object_argument(struct cs_world *world, const struct json *v, VARIANT *out)
{
    IUnknown *identity = cs_world_lookup(world, json_string(v, "object"));
    IDispatch *dispatch = NULL;
    if (!identity || FAILED(IUnknown_QueryInterface(identity, &cs_IID_IDispatch, (void **)&dispatch)))
        return E_INVALIDARG;
    V_VT(out) = VT_DISPATCH;
    V_DISPATCH(out) = dispatch;
    return S_OK;
}

/* Any protocol value as a VARIANT (for VARIANT parameters and property indexes). */
static HRESULT to_variant(struct cs_world *world, const struct json *v, VARIANT *out)
{
    size_t i;
    cs_variant_init(out);
    switch (v->type) {
    case JSON_NULL: return S_OK;
    case JSON_BOOL: V_VT(out) = VT_BOOL; V_BOOL(out) = v->boolean ? VARIANT_TRUE : VARIANT_FALSE; return S_OK;
    case JSON_INT:
        if (v->integer < -2147483648LL || v->integer > 4294967295LL) return E_INVALIDARG;
        V_VT(out) = VT_I4;
        V_I4(out) = (LONG)(ULONG)v->integer;
        return S_OK;
    case JSON_NUMBER: V_VT(out) = VT_R8; V_R8(out) = v->number; return S_OK;
    case JSON_STRING: V_VT(out) = VT_BSTR; V_BSTR(out) = cs_bstr_utf8(v->string, v->length); return S_OK;
    case JSON_ARRAY:
        V_VT(out) = VT_ARRAY | VT_VARIANT;
        V_ARRAY(out) = cs_safearray_variants((ULONG)v->count);
        if (!V_ARRAY(out)) return E_OUTOFMEMORY;
        for (i = 0; i < v->count; i++) {
            HRESULT hr = to_variant(world, v->items[i], (VARIANT *)V_ARRAY(out)->pvData + i);
            if (FAILED(hr)) return hr;
        }
        return S_OK;
    case JSON_OBJECT:
        return is_objref(v) ? object_argument(world, v, out) : E_INVALIDARG;
    }
    return E_INVALIDARG;
}

/* A protocol value as an argument of the declared type; E_INVALIDARG if it cannot be one. */
static HRESULT to_argument(struct cs_world *world, const char *type, const struct json *v, VARIANT *out)
{
    cs_variant_init(out);
    if (!strcmp(type, "BSTR")) {
        if (v->type != JSON_STRING && v->type != JSON_NULL) return E_INVALIDARG;
        V_VT(out) = VT_BSTR;
        V_BSTR(out) = v->type == JSON_STRING ? cs_bstr_utf8(v->string, v->length) : NULL;
        return S_OK;
    }
    if (!strcmp(type, "VARIANT_BOOL")) {
        if (v->type != JSON_BOOL) return E_INVALIDARG;
        return to_variant(world, v, out);
    }
    if (!strcmp(type, "IDispatch*")) {
        if (v->type == JSON_NULL) { V_VT(out) = VT_DISPATCH; V_DISPATCH(out) = NULL; return S_OK; }
        return is_objref(v) ? object_argument(world, v, out) : E_INVALIDARG;
    }
    if (!strcmp(type, "VARIANT")) return to_variant(world, v, out);
    if (!strcmp(type, "SAFEARRAY(VARIANT)*")) {
        if (v->type != JSON_ARRAY) return E_INVALIDARG;
        return to_variant(world, v, out);
    }
    /* LONG, HRESULT and the enumerations: a 32-bit integer */
    if (v->type != JSON_INT) return E_INVALIDARG;
    return to_variant(world, v, out);
}

/* -- the vtable calls ---------------------------------------------------------------------------- */

typedef HRESULT (*thunk)(void *itf, VARIANT *a, VARIANT *r);

#define RET(vt, field) (V_VT(r) = (vt), &field(r))
static HRESULT m_CreateSession(void *p, VARIANT *a, VARIANT *r)
{ (void)a; return IMsgrSessionManager_CreateSession((IMsgrSessionManager *)p, RET(VT_DISPATCH, V_DISPATCH)); }
static HRESULT m_GetLaunchingSession(void *p, VARIANT *a, VARIANT *r)
{ return IMsgrSessionManager_GetLaunchingSession((IMsgrSessionManager *)p, V_I4(&a[0]), RET(VT_DISPATCH, V_DISPATCH)); }
static HRESULT m_RegisterApplication(void *p, VARIANT *a, VARIANT *r)
{ (void)r; return IMsgrSessionManager_RegisterApplication((IMsgrSessionManager *)p, V_BSTR(&a[0]), V_BSTR(&a[1]), V_BSTR(&a[2]), V_BSTR(&a[3]), V_I4(&a[4])); }
static HRESULT m_UnRegisterApplication(void *p, VARIANT *a, VARIANT *r)
{ (void)r; return IMsgrSessionManager_UnRegisterApplication((IMsgrSessionManager *)p, V_BSTR(&a[0])); }
static HRESULT m_get_Applications(void *p, VARIANT *a, VARIANT *r)
{ (void)a; return IMsgrSessionManager_get_Applications((IMsgrSessionManager *)p, RET(VT_DISPATCH, V_DISPATCH)); }
static HRESULT l_get_Status(void *p, VARIANT *a, VARIANT *r)
{ LockStatus s = 0; HRESULT hr = IMsgrLock_get_Status((IMsgrLock *)p, &s); (void)a; V_VT(r) = VT_I4; V_I4(r) = s; return hr; }
static HRESULT l_RequestChallenge(void *p, VARIANT *a, VARIANT *r)
{ (void)r; return IMsgrLock_RequestChallenge((IMsgrLock *)p, V_I4(&a[0])); }
static HRESULT l_SendResponse(void *p, VARIANT *a, VARIANT *r)
{ (void)r; return IMsgrLock_SendResponse((IMsgrLock *)p, V_BSTR(&a[0]), V_BSTR(&a[1]), V_I4(&a[2])); }
static HRESULT s_get_Application(void *p, VARIANT *a, VARIANT *r)
{ (void)a; return IMsgrSession_get_Application((IMsgrSession *)p, RET(VT_BSTR, V_BSTR)); }
static HRESULT s_put_Application(void *p, VARIANT *a, VARIANT *r)
{ (void)r; return IMsgrSession_put_Application((IMsgrSession *)p, V_BSTR(&a[0])); }
static HRESULT s_get_State(void *p, VARIANT *a, VARIANT *r)
{ SESSION_STATE s = 0; HRESULT hr = IMsgrSession_get_State((IMsgrSession *)p, &s); (void)a; V_VT(r) = VT_I4; V_I4(r) = s; return hr; }
static HRESULT s_Invite(void *p, VARIANT *a, VARIANT *r)
{ (void)r; return IMsgrSession_Invite((IMsgrSession *)p, V_DISPATCH(&a[0]), V_BSTR(&a[1])); }
static HRESULT s_Decline(void *p, VARIANT *a, VARIANT *r)
{ (void)r; return IMsgrSession_Decline((IMsgrSession *)p, V_BSTR(&a[0])); }
static HRESULT s_Cancel(void *p, VARIANT *a, VARIANT *r)
{ (void)r; return IMsgrSession_Cancel((IMsgrSession *)p, V_I4(&a[0]), V_BSTR(&a[1])); }
static HRESULT s_Accept(void *p, VARIANT *a, VARIANT *r)
{ (void)r; return IMsgrSession_Accept((IMsgrSession *)p, V_BSTR(&a[0])); }
static HRESULT s_get_RemoteAddress(void *p, VARIANT *a, VARIANT *r)
{ (void)a; return IMsgrSession_get_RemoteAddress((IMsgrSession *)p, RET(VT_BSTR, V_BSTR)); }
static HRESULT s_get_SessionID(void *p, VARIANT *a, VARIANT *r)
{ (void)a; return IMsgrSession_get_SessionID((IMsgrSession *)p, RET(VT_BSTR, V_BSTR)); }
static HRESULT s_get_ContextData(void *p, VARIANT *a, VARIANT *r)
{ (void)a; return IMsgrSession_get_ContextData((IMsgrSession *)p, RET(VT_BSTR, V_BSTR)); }
static HRESULT s_get_ApplicationName(void *p, VARIANT *a, VARIANT *r)
{ (void)a; return IMsgrSession_get_ApplicationName((IMsgrSession *)p, RET(VT_BSTR, V_BSTR)); }
static HRESULT s_get_ApplicationURL(void *p, VARIANT *a, VARIANT *r)
{ (void)a; return IMsgrSession_get_ApplicationURL((IMsgrSession *)p, RET(VT_BSTR, V_BSTR)); }
static HRESULT s_get_Flags(void *p, VARIANT *a, VARIANT *r)
{ (void)a; return IMsgrSession_get_Flags((IMsgrSession *)p, RET(VT_I4, V_I4)); }
static HRESULT s_get_User(void *p, VARIANT *a, VARIANT *r)
{ (void)a; return IMsgrSession_get_User((IMsgrSession *)p, RET(VT_DISPATCH, V_DISPATCH)); }
static HRESULT s_put_LocalAddress(void *p, VARIANT *a, VARIANT *r)
{ (void)r; return IMsgrSession_put_LocalAddress((IMsgrSession *)p, V_BSTR(&a[0])); }
static HRESULT s_get_LocalAddress(void *p, VARIANT *a, VARIANT *r)
{ (void)a; return IMsgrSession_get_LocalAddress((IMsgrSession *)p, RET(VT_BSTR, V_BSTR)); }
static HRESULT s_SendContextData(void *p, VARIANT *a, VARIANT *r)
{ (void)r; return IMsgrSession_SendContextData((IMsgrSession *)p, V_BSTR(&a[0])); }
static HRESULT p_EnableAlertEvents(void *p, VARIANT *a, VARIANT *r)
{ (void)r; return IMessengerPrivate_EnableAlertEvents((IMessengerPrivate *)p, &V_ARRAY(&a[0])); }
static HRESULT p_AddContact(void *p, VARIANT *a, VARIANT *r)
{ (void)r; return IMessengerPrivate_AddContact((IMessengerPrivate *)p, V_BSTR(&a[0]), a[1]); }

static const struct { const char *itf_name, *member, *kind; thunk call; } thunks[] = {
    {"IMsgrSessionManager", "CreateSession", "method", m_CreateSession},
    {"IMsgrSessionManager", "GetLaunchingSession", "method", m_GetLaunchingSession},
    {"IMsgrSessionManager", "RegisterApplication", "method", m_RegisterApplication},
    {"IMsgrSessionManager", "UnRegisterApplication", "method", m_UnRegisterApplication},
    {"IMsgrSessionManager", "Applications", "propget", m_get_Applications},
    {"IMsgrLock", "Status", "propget", l_get_Status},
    {"IMsgrLock", "RequestChallenge", "method", l_RequestChallenge},
    {"IMsgrLock", "SendResponse", "method", l_SendResponse},
    {"IMsgrSession", "Application", "propget", s_get_Application},
    {"IMsgrSession", "Application", "propput", s_put_Application},
    {"IMsgrSession", "State", "propget", s_get_State},
    {"IMsgrSession", "Invite", "method", s_Invite},
    {"IMsgrSession", "Decline", "method", s_Decline},
    {"IMsgrSession", "Cancel", "method", s_Cancel},
    {"IMsgrSession", "Accept", "method", s_Accept},
    {"IMsgrSession", "RemoteAddress", "propget", s_get_RemoteAddress},
    {"IMsgrSession", "SessionID", "propget", s_get_SessionID},
    {"IMsgrSession", "ContextData", "propget", s_get_ContextData},
    {"IMsgrSession", "ApplicationName", "propget", s_get_ApplicationName},
    {"IMsgrSession", "ApplicationURL", "propget", s_get_ApplicationURL},
    {"IMsgrSession", "Flags", "propget", s_get_Flags},
    {"IMsgrSession", "User", "propget", s_get_User},
    {"IMsgrSession", "LocalAddress", "propput", s_put_LocalAddress},
    {"IMsgrSession", "LocalAddress", "propget", s_get_LocalAddress},
    {"IMsgrSession", "SendContextData", "method", s_SendContextData},
    {"IMessengerPrivate", "EnableAlertEvents", "method", p_EnableAlertEvents},
    {"IMessengerPrivate", "AddContact", "method", p_AddContact},
};

static thunk find_thunk(const char *itf_name, const struct ti_member *member)
{
    size_t i;
    for (i = 0; i < sizeof(thunks) / sizeof(thunks[0]); i++)
        if (!strcmp(thunks[i].itf_name, itf_name) && !strcmp(thunks[i].member, member->name) &&
            !strcmp(thunks[i].kind, member->kind))
            return thunks[i].call;
    return NULL;
}

/* -- operations ---------------------------------------------------------------------------------- */

struct outcome { HRESULT hr; struct buf value; struct buf outs; };

static void outcome_json(struct outcome *o, struct buf *out)
{
    buf_printf(out, "{\"hr\":%lu", CS_HR(o->hr));
    if (o->value.length) { buf_puts(out, ",\"value\":"); buf_add(out, o->value.data, o->value.length); }
    if (o->outs.length) { buf_puts(out, ",\"outs\":["); buf_add(out, o->outs.data, o->outs.length); buf_puts(out, "]"); }
    buf_puts(out, "}");
}

/* The object an ObjRef names, if it still exists and answers the interface the ObjRef was obtained as. */
static HRESULT target(struct cs_world *world, const struct json *ref, IUnknown **identity, const char **itf_name)
{
    const char *name;
    const IID *iid;
    void *itf = NULL;
    *identity = cs_world_lookup(world, json_string(ref, "object"));
    *itf_name = json_string(ref, "interface");
    if (!*identity) return RPC_E_DISCONNECTED;
    if (cs_is_contact(*identity) && !strcmp(*itf_name, "IMessengerContact")) return S_OK;
    if (!interface_named(*itf_name, &name, &iid)) return E_NOINTERFACE;
    if (FAILED(IUnknown_QueryInterface(*identity, iid, &itf))) return E_NOINTERFACE;
    IUnknown_Release((IUnknown *)itf);
    if (!strcmp(name, "IDispatch")) name = CS_BASE(*identity)->default_interface;
    *itf_name = name;
    return S_OK;
}

static int in_params(const struct ti_member *member)
{
    int i, n = 0;
    for (i = 0; i < member->nparams; i++)
        if (!strncmp(member->params[i].dir, "in", 2)) n++;
    return n;
}

static void contact_member(struct cs_world *world, IUnknown *identity, const char *name, const char *kind,
                           const struct json *args, const struct json *index, struct outcome *o)
{
    int indexed = 0, put = !strcmp(kind, "propput");
    VARIANT value, key;
    cs_variant_init(&value);
    cs_variant_init(&key);
    if (!strcmp(kind, "method") || !cs_contact_has(name, put, &indexed)) { o->hr = DISP_E_MEMBERNOTFOUND; return; }
    if (indexed && (!index || index->type == JSON_NULL)) { o->hr = DISP_E_PARAMNOTOPTIONAL; return; }
    if (!indexed && index && index->type != JSON_NULL) { o->hr = DISP_E_BADPARAMCOUNT; return; }
    if (index && index->type != JSON_NULL && FAILED(o->hr = to_variant(world, index, &key))) return;
    if (put && FAILED(o->hr = to_variant(world, args, &value))) { cs_variant_clear(&key); return; }
    o->hr = cs_contact_property((struct cs_contact *)identity, name, put, indexed ? &key : NULL, &value);
    if (!put && SUCCEEDED(o->hr)) write_variant(&o->value, world, &value, NULL);
    cs_variant_clear(&value);
    cs_variant_clear(&key);
}

/* call, get and put: kind is method, propget or propput; args the arguments (put: the value). */
static void invoke(struct cs_world *world, const struct json *ref, const char *name, const char *kind,
                   const struct json *args, const struct json *index, struct outcome *o)
{
    IUnknown *identity;
    const char *itf_name, *canonical;
    const struct ti_interface *info;
    const struct ti_member *member;
    const IID *iid;
    void *itf = NULL;
    VARIANT a[8], r;
    int n, i, given;
    thunk call;
    if (FAILED(o->hr = target(world, ref, &identity, &itf_name))) return;
    if (!strcmp(itf_name, "IMessengerContact")) {
        contact_member(world, identity, name, kind, args, index, o);
        return;
    }
    info = ti_interface(itf_name);
    member = info ? ti_member(info, name, kind) : NULL;
    if (!member) { o->hr = DISP_E_MEMBERNOTFOUND; return; }
    if (index && index->type != JSON_NULL) { o->hr = DISP_E_BADPARAMCOUNT; return; }  /* no indexed properties here */
    n = in_params(member);
    given = !strcmp(kind, "method") ? (int)args->count : !strcmp(kind, "propput") ? 1 : 0;
    if (n != given || n > 8) { o->hr = DISP_E_BADPARAMCOUNT; return; }
    if (fault && !strncmp(fault, "crash:", 6) && !strcmp(fault + 6, member->name)) {
        fprintf(stderr, "c-session-manager: CSM_FAULT asks for a crash in %s\n", member->name);
        fflush(stderr);
        raise(SIGSEGV);
    }
    if (fault && !strncmp(fault, "hang:", 5) && !strcmp(fault + 5, member->name)) for (;;) pause();
    for (i = 0; i < n; i++) cs_variant_init(&a[i]);
    for (i = 0; i < n; i++) {
        const struct json *value = !strcmp(kind, "method") ? args->items[i] : args;
        if (FAILED(o->hr = to_argument(world, member->params[i].type, value, &a[i]))) goto done;
    }
    call = find_thunk(info->name, member);
    if (!call || !interface_named(info->name, &canonical, &iid)) { o->hr = E_NOTIMPL; goto done; }
    if (FAILED(IUnknown_QueryInterface(identity, iid, &itf))) { o->hr = E_NOINTERFACE; goto done; }
    cs_variant_init(&r);
    o->hr = call(itf, a, &r);
    IUnknown_Release((IUnknown *)itf);
    if (SUCCEEDED(o->hr) && V_VT(&r) != VT_EMPTY) write_variant(&o->value, world, &r, NULL);
    cs_variant_clear(&r);
    if (SUCCEEDED(o->hr)) {
        for (i = 0; i < n; i++) {
            if (!strcmp(member->params[i].dir, "in,out")) {
                if (o->outs.length) buf_puts(&o->outs, ",");
                write_variant(&o->outs, world, &a[i], member->params[i].type);
            }
        }
    }
done:
    for (i = 0; i < n; i++) cs_variant_clear(&a[i]);
}

/* -- event sinks ----------------------------------------------------------------------------------- */

struct cs_sink {
    IDispatch iface;
    LONG refs;
    struct cs_world *world;
    const struct ti_interface *info;
    const IID *diid;
    DWORD cookie;
};

static struct cs_sink *sink_from(IDispatch *iface)
{
    return CS_CONTAINER(iface, struct cs_sink, iface);
}

static HRESULT STDMETHODCALLTYPE sink_QueryInterface(IDispatch *iface, REFIID riid, void **out)
{
    struct cs_sink *sink = sink_from(iface);
    if (!out) return E_POINTER;
    *out = NULL;
    if (IsEqualIID(riid, &cs_IID_IUnknown) || IsEqualIID(riid, &cs_IID_IDispatch) || IsEqualIID(riid, sink->diid)) {
        *out = iface;
        sink->refs++;
        return S_OK;
    }
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE sink_AddRef(IDispatch *iface)
{
    return (ULONG)++sink_from(iface)->refs;
}

static ULONG STDMETHODCALLTYPE sink_Release(IDispatch *iface)
{
    struct cs_sink *sink = sink_from(iface);
    LONG refs = --sink->refs;
    if (!refs) { free(sink); cs_live_objects--; }
    return (ULONG)refs;
}

static HRESULT STDMETHODCALLTYPE sink_GetTypeInfoCount(IDispatch *iface, UINT *count)
{
    (void)iface;
    if (count) *count = 0;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_GetTypeInfo(IDispatch *iface, UINT index, LCID lcid, ITypeInfo **out)
{
    (void)iface; (void)index; (void)lcid;
    if (out) *out = NULL;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE sink_GetIDsOfNames(IDispatch *iface, REFIID riid, LPOLESTR *names, UINT count,
                                                    LCID lcid, DISPID *ids)
{
    (void)riid; (void)lcid;
    return cs_dispatch_ids(sink_from(iface)->info->name, names, count, ids);
}

/* An event: queue it for the next poll, arguments as protocol values in declaration order. */
static HRESULT STDMETHODCALLTYPE sink_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid, WORD flags,
                                             DISPPARAMS *params, VARIANT *result, EXCEPINFO *info, UINT *bad)
{
    struct cs_sink *sink = sink_from(iface);
    struct cs_world *world = sink->world;
    const struct ti_member *event = NULL;
    struct cs_event *queued;
    struct buf args = {0};
    UINT i;
    int m;
    (void)riid; (void)lcid; (void)flags; (void)result; (void)info; (void)bad;
    for (m = 0; m < sink->info->nmembers; m++)
        if (sink->info->members[m].dispid == id) { event = &sink->info->members[m]; break; }
    if (!event) return DISP_E_MEMBERNOTFOUND;
    if (!params || params->cArgs != (UINT)event->nparams) return DISP_E_BADPARAMCOUNT;
    buf_puts(&args, "[");
    for (i = 0; i < params->cArgs; i++) {
        if (i) buf_puts(&args, ",");
        write_variant(&args, world, &params->rgvarg[params->cArgs - 1 - i], event->params[i].type);
    }
    buf_puts(&args, "]");
    queued = calloc(1, sizeof(*queued));
    if (!queued) { buf_free(&args); return E_OUTOFMEMORY; }
    queued->sink = sink;
    sink->refs++;
    queued->name = event->name;
    queued->args = args.data;
    if (world->events_tail) world->events_tail->next = queued;
    else world->events = queued;
    world->events_tail = queued;
    return S_OK;
}

static const IDispatchVtbl sink_vtbl = {
    sink_QueryInterface, sink_AddRef, sink_Release,
    sink_GetTypeInfoCount, sink_GetTypeInfo, sink_GetIDsOfNames, sink_Invoke,
};

static void connect_sink(struct cs_world *world, const struct json *ref, const char *key, struct outcome *o)
{
    IUnknown *identity;
    const char *itf_name;
    const struct ti_interface *info = ti_interface(key);
    IConnectionPointContainer *container = NULL;
    IConnectionPoint *point = NULL;
    struct cs_sink *sink;
    DWORD cookie = 0;
    if (FAILED(o->hr = target(world, ref, &identity, &itf_name))) return;
    if (!info || !info->is_dispinterface ||
        FAILED(IUnknown_QueryInterface(identity, &cs_IID_IConnectionPointContainer, (void **)&container))) {
        o->hr = CONNECT_E_NOCONNECTION;
        return;
    }
    o->hr = IConnectionPointContainer_FindConnectionPoint(container, dispinterface_iid(info->name), &point);
    IConnectionPointContainer_Release(container);
    if (FAILED(o->hr)) return;
    sink = calloc(1, sizeof(*sink));
    if (!sink) { IConnectionPoint_Release(point); o->hr = E_OUTOFMEMORY; return; }
    sink->iface.lpVtbl = &sink_vtbl;
    sink->refs = 1;
    sink->world = world;
    sink->info = info;
    sink->diid = dispinterface_iid(info->name);
    cs_live_objects++;
    o->hr = IConnectionPoint_Advise(point, (IUnknown *)&sink->iface, &cookie);
    sink->cookie = cookie;  /* events fired during Advise are rendered with it at the next poll */
    IConnectionPoint_Release(point);
    IDispatch_Release(&sink->iface);
    if (SUCCEEDED(o->hr)) buf_printf(&o->value, "%lu", (unsigned long)cookie);
}

static void disconnect_sink(struct cs_world *world, const struct json *ref, const struct json *cookie, struct outcome *o)
{
    IUnknown *identity;
    const char *itf_name;
    IConnectionPointContainer *container = NULL;
    size_t i;
    if (FAILED(o->hr = target(world, ref, &identity, &itf_name))) return;
    o->hr = CONNECT_E_NOCONNECTION;
    if (cookie->integer < 0 || cookie->integer > 0xFFFFFFFFLL) return;
    if (FAILED(IUnknown_QueryInterface(identity, &cs_IID_IConnectionPointContainer, (void **)&container))) return;
    for (i = 0; i < sizeof(known_iids) / sizeof(known_iids[0]) && o->hr == CONNECT_E_NOCONNECTION; i++) {
        IConnectionPoint *point = NULL;
        if (known_iids[i].name[0] != 'D') continue;
        if (SUCCEEDED(IConnectionPointContainer_FindConnectionPoint(container, known_iids[i].iid, &point))) {
            o->hr = IConnectionPoint_Unadvise(point, (DWORD)cookie->integer);
            IConnectionPoint_Release(point);
        }
    }
    IConnectionPointContainer_Release(container);
}

static void poll_events(struct cs_world *world, struct buf *out)
{
    struct cs_event *event = world->events, *next;
    int first = 1;
    buf_puts(out, "{\"events\":[");
    for (; event; event = next) {
        next = event->next;
        if (!first) buf_puts(out, ",");
        first = 0;
        buf_printf(out, "{\"cookie\":%lu,\"dispinterface\":", (unsigned long)event->sink->cookie);
        buf_json_string(out, event->sink->info->name);
        buf_puts(out, ",\"name\":");
        buf_json_string(out, event->name);
        buf_puts(out, ",\"args\":");
        buf_puts(out, event->args);
        buf_puts(out, "}");
        IDispatch_Release(&event->sink->iface);
        free(event->args);
        free(event);
    }
    world->events = world->events_tail = NULL;
    buf_puts(out, "]}");
}

/* -- type information ------------------------------------------------------------------------------ */

static void type_info(const char *key, struct outcome *o)
{
    const struct ti_interface *itf = ti_interface(key);
    const struct ti_enum *enumeration = ti_enum(key);
    const struct ti_coclass *coclass = ti_coclass(key);
    struct buf *b = &o->value;
    int i, j;
    o->hr = S_OK;
    if (itf) {
        buf_puts(b, "{\"record\":{\"guid\":");
        buf_json_string(b, itf->guid);
        if (itf->base) { buf_puts(b, ",\"base\":"); buf_json_string(b, itf->base); }
        buf_puts(b, ",\"members\":[");
        for (i = 0; i < itf->nmembers; i++) {
            const struct ti_member *m = &itf->members[i];
            buf_puts(b, i ? ",{\"record\":{\"name\":" : "{\"record\":{\"name\":");
            buf_json_string(b, m->name);
            buf_puts(b, ",\"kind\":");
            buf_json_string(b, m->kind);
            if (m->has_dispid) buf_printf(b, ",\"dispid\":%d", m->dispid);
            else buf_puts(b, ",\"dispid\":null");
            buf_puts(b, ",\"params\":[");
            for (j = 0; j < m->nparams; j++) {
                buf_puts(b, j ? ",{\"record\":{\"name\":" : "{\"record\":{\"name\":");
                buf_json_string(b, m->params[j].name);
                buf_puts(b, ",\"type\":");
                buf_json_string(b, m->params[j].type);
                buf_puts(b, ",\"dir\":");
                buf_json_string(b, m->params[j].dir);
                buf_puts(b, "}}");
            }
            buf_puts(b, "]}}");
        }
        buf_puts(b, "]}}");
    } else if (enumeration) {
        buf_puts(b, "{\"record\":{\"values\":{\"record\":{");
        for (i = 0; i < enumeration->nvalues; i++) {
            if (i) buf_puts(b, ",");
            buf_json_string(b, enumeration->values[i].name);
            buf_printf(b, ":%lld", enumeration->values[i].value);
        }
        buf_puts(b, "}}}}");
    } else if (coclass) {
        buf_puts(b, "{\"record\":{\"guid\":");
        buf_json_string(b, coclass->guid);
        buf_puts(b, ",\"interfaces\":[");
        for (i = 0; i < coclass->ninterfaces; i++) {
            if (i) buf_puts(b, ",");
            buf_json_string(b, coclass->interfaces[i]);
        }
        buf_puts(b, "],\"default_interface\":");
        buf_json_string(b, coclass->default_interface);
        buf_puts(b, ",\"events\":");
        buf_json_string(b, coclass->events);
        buf_printf(b, ",\"creatable\":%s}}", coclass->creatable ? "true" : "false");
    } else {
        o->hr = TYPE_E_ELEMENTNOTFOUND;
    }
}

/* -- requests ---------------------------------------------------------------------------------------- */

static struct cs_world *find_world(const char *id, size_t *at)
{
    size_t i;
    for (i = 0; id && i < world_count; i++) {
        if (!strcmp(worlds[i]->id, id)) {
            if (at) *at = i;
            return worlds[i];
        }
    }
    return NULL;
}

/* NULL if m[key] is there with the wanted type (an object reference for JSON_OBJECT); else key. */
static const char *wanted(const struct json *m, const char *key, enum json_type type)
{
    const struct json *v = json_get(m, key);
    if (!v) return key;
    if (type == JSON_OBJECT) return is_objref(v) ? NULL : key;
    return v->type == type ? NULL : key;
}

/* One request; 0 when the server should stop after answering it. */
static int handle(const struct json *m, int *greeted)
{
    const struct json *id = json_get(m, "id");
    const char *op = json_string(m, "op"), *missing = NULL, *world_id, *party;
    struct cs_world *world;
    struct outcome o = {S_OK, {0}, {0}};
    struct buf result = {0};
    char message[300];
    size_t at;
    if (!id || id->type != JSON_INT || id->integer < 0) { send_error(NULL, "bad-message", "no request id"); return 1; }
    if (!op) { send_error(id, "bad-message", "no 'op' string"); return 1; }
    if (!*greeted && strcmp(op, "hello")) {
        snprintf(message, sizeof(message), "%s before hello: the first message must be a hello", op);
        send_error(id, "no-handshake", message);
        return 1;
    }
    if (!strcmp(op, "hello")) {
        if (!protocol_hello_speaks_v1(m)) {
            send_error(id, "version-mismatch", "this server speaks msgrspec-adapter version 1 only");
            return 0;
        }
        *greeted = 1;
        send_result(id, "{\"protocol\":\"msgrspec-adapter\",\"version\":1,\"implementation\":\"" IMPLEMENTATION
                        "\",\"server\":\"" SERVER "\"}");
        return 1;
    }
    if (!strcmp(op, "profile")) {
        struct cs_world *sample = cs_world_new("profile");
        buf_puts(&result, "{\"implementation\":\"" IMPLEMENTATION "\",\"product\":\"Messenger 4.5\","
                          "\"features\":[\"lock-enforced\",\"registry\"],\"lock_id\":");
        buf_json_string(&result, sample->lock_id);
        buf_puts(&result, ",\"lock_key\":");
        buf_json_string(&result, sample->lock_key);
        buf_puts(&result, "}");
        cs_world_close(sample);
        send_result(id, result.data);
        buf_free(&result);
        return 1;
    }
    if (!strcmp(op, "open_world")) {
        struct cs_world **grown = realloc(worlds, (world_count + 1) * sizeof(*grown));
        char name[16];
        snprintf(name, sizeof(name), "w%u", ++next_world);
        if (!grown || !(world = cs_world_new(name))) { send_error(id, "adapter-fault", "out of memory"); return 1; }
        worlds = grown;
        worlds[world_count++] = world;
        buf_printf(&result, "{\"world\":\"%s\",\"parties\":{\"local\":{\"signin\":", name);
        buf_json_string(&result, world->signin);
        buf_puts(&result, "},\"peer\":null}}");
        send_result(id, result.data);
        buf_free(&result);
        return 1;
    }
    if (!strcmp(op, "shutdown")) {
        send_result(id, "{}");
        return 0;
    }
    world_id = json_string(m, "world");
    if (!world_id) { send_error(id, "bad-message", "no 'world' string"); return 1; }
    world = find_world(world_id, &at);
    if (!world) {
        snprintf(message, sizeof(message), "no open world %.200s", world_id);
        send_error(id, "unknown-world", message);
        return 1;
    }
    if (!strcmp(op, "close_world")) {
        worlds[at] = worlds[--world_count];
        cs_world_close(world);
        send_result(id, "{}");
        return 1;
    }
    party = json_string(m, "party");
    if (!party || (strcmp(party, "local") && strcmp(party, "peer"))) {
        send_error(id, "bad-message", "'party' must be \"local\" or \"peer\"");
        return 1;
    }
    if (!strcmp(party, "peer")) {
        send_error(id, "no-peer", "this implementation has no second party (the profile lacks 'peer')");
        return 1;
    }
    if (!strcmp(op, "events")) {
        poll_events(world, &result);
        send_result(id, result.data);
        buf_free(&result);
        return 1;
    }
    if (!strcmp(op, "output")) {
        send_result(id, "{\"text\":\"\"}");  /* the objects log nothing; faults go to standard error */
        return 1;
    }
    if (!strcmp(op, "create")) {
        const char *key = json_string(m, "coclass");
        const struct ti_coclass *coclass = key ? ti_coclass(key) : NULL;
        IUnknown *object = NULL;
        size_t i;
        if (!key) missing = "coclass";
        else {
            o.hr = REGDB_E_CLASSNOTREG;
            for (i = 0; coclass && i < sizeof(known_clsids) / sizeof(known_clsids[0]); i++)
                if (!strcmp(known_clsids[i].name, coclass->name))
                    o.hr = cs_create_instance(world, known_clsids[i].clsid, &cs_IID_IUnknown, (void **)&object);
            if (SUCCEEDED(o.hr)) {
                write_objref(&o.value, world, object);
                IUnknown_Release(object);
            }
        }
    } else if (!strcmp(op, "query_interface")) {
        const char *key = json_string(m, "interface"), *itf_name, *name;
        IUnknown *identity;
        const IID *iid;
        void *itf = NULL;
        if ((missing = wanted(m, "object", JSON_OBJECT)) || (missing = key ? NULL : "interface")) {}
        else if (SUCCEEDED(o.hr = target(world, json_get(m, "object"), &identity, &itf_name))) {
            if (cs_is_contact(identity) && !strcmp(key, "IMessengerContact")) {
                write_objref(&o.value, world, identity);  /* the contact's own interface, outside the header */
            } else if (!interface_named(key, &name, &iid)) o.hr = E_NOINTERFACE;
            else if (SUCCEEDED(o.hr = IUnknown_QueryInterface(identity, iid, &itf))) {
                IUnknown_Release((IUnknown *)itf);
                buf_puts(&o.value, "{\"object\":");
                buf_json_string(&o.value, json_string(json_get(m, "object"), "object"));
                buf_puts(&o.value, ",\"interface\":");
                buf_json_string(&o.value, name);
                buf_puts(&o.value, "}");
            }  /* else o.hr is what the object's QueryInterface answered */
        }
    } else if (!strcmp(op, "call")) {
        const struct json *args = json_get(m, "args");
        if ((missing = wanted(m, "object", JSON_OBJECT)) || (missing = json_string(m, "method") ? NULL : "method") ||
            (missing = args && args->type == JSON_ARRAY ? NULL : "args")) {}
        else invoke(world, json_get(m, "object"), json_string(m, "method"), "method", args, NULL, &o);
    } else if (!strcmp(op, "get") || !strcmp(op, "put")) {
        int put = !strcmp(op, "put");
        const struct json *value = json_get(m, "value");
        if ((missing = wanted(m, "object", JSON_OBJECT)) ||
            (missing = json_string(m, "property") ? NULL : "property") || (missing = !put || value ? NULL : "value")) {}
        else invoke(world, json_get(m, "object"), json_string(m, "property"), put ? "propput" : "propget", value,
                    json_get(m, "index"), &o);
    } else if (!strcmp(op, "connect")) {
        const char *key = json_string(m, "dispinterface");
        if ((missing = wanted(m, "object", JSON_OBJECT)) || (missing = key ? NULL : "dispinterface")) {}
        else connect_sink(world, json_get(m, "object"), key, &o);
    } else if (!strcmp(op, "disconnect")) {
        if ((missing = wanted(m, "object", JSON_OBJECT)) || (missing = wanted(m, "cookie", JSON_INT))) {}
        else disconnect_sink(world, json_get(m, "object"), json_get(m, "cookie"), &o);
    } else if (!strcmp(op, "contact")) {
        const char *signin = json_string(m, "signin");
        struct cs_contact *contact;
        if (!signin) missing = "signin";
        else if (!signin[strspn(signin, " \t\r\n")]) o.hr = E_INVALIDARG;
        else if (!(contact = cs_contact_for(world, signin))) o.hr = E_OUTOFMEMORY;
        else write_objref(&o.value, world, (IUnknown *)cs_contact_dispatch(contact));
    } else if (!strcmp(op, "type_info")) {
        const char *name = json_string(m, "name");
        if (!name) missing = "name";
        else type_info(name, &o);
    } else if (!strcmp(op, "launch")) {
        if (!(missing = wanted(m, "invitation", JSON_OBJECT))) o.hr = E_NOTIMPL;
    } else {
        snprintf(message, sizeof(message), "unknown operation %.200s", op);
        send_error(id, "bad-message", message);
        return 1;
    }
    if (missing) {
        snprintf(message, sizeof(message), "%s: '%s' is missing or has the wrong type", op, missing);
        send_error(id, "bad-message", message);
    } else {
        if (fault && !strncmp(fault, "garbage:", 8) && !strcmp(fault + 8, op)) {
            fputs("this is not a protocol message\n", stdout);
            fflush(stdout);
        }
        if (fault && !strncmp(fault, "exit:", 5) && !strcmp(fault + 5, op)) {
            fprintf(stderr, "c-session-manager: CSM_FAULT asks for an early exit at %s\n", op);
            exit(3);
        }
        outcome_json(&o, &result);
        send_result(id, result.data);
    }
    buf_free(&o.value);
    buf_free(&o.outs);
    buf_free(&result);
    return 1;
}

int main(int argc, char **argv)
{
    char *line = NULL, error[200];
    size_t capacity = 0;
    ssize_t length;
    int greeted = 0, running = 1;
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: %s\nSpeaks the msgrspec adapter protocol (version 1) on stdin/stdout.\n", argv[0]);
        return 0;
    }
    fault = getenv("CSM_FAULT");
    signal(SIGPIPE, SIG_IGN);
    while (running && (length = getline(&line, &capacity, stdin)) > 0) {
        struct json *message;
        while (length && (line[length - 1] == '\n' || line[length - 1] == '\r')) line[--length] = 0;
        if (!length) continue;
        message = json_parse(line, (size_t)length, error);
        if (!message) {
            send_error(NULL, "bad-json", error);
            continue;
        }
        if (message->type != JSON_OBJECT) send_error(NULL, "bad-message", "a message must be a JSON object");
        else running = handle(message, &greeted);
        json_free(message);
    }
    free(line);
    while (world_count) cs_world_close(worlds[--world_count]);
    free(worlds);
    if (cs_live_objects) fprintf(stderr, "c-session-manager: %ld objects still alive at exit\n", cs_live_objects);
    return cs_live_objects ? 4 : 0;
}
