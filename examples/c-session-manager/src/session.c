/* MsgrSession: the inviter's side of a session, as far as one signed-in party can take it.
 *
 * A new session is SS_READY with SF_INVITER; it names its application, keeps its addresses and
 * answers every state check. This client has nobody else signed in to invite (no second party), so
 * Invite ends at the check that the invited user is online (MSGR_E_NOT_LOGGED_ON), and nothing here
 * ever becomes an invitee's session. */
#include "dispatch.h"

#define APP_DATA_MAX_BYTES 512
#define CONTEXT_DATA_MAX_CHARS 300
#define APP_GUID_MAX_CHARS 39
#define ADDRESS_MAX_CHARS 30

struct cs_session {
    IMsgrSession iface;
    struct cs_base base;
    struct cs_events events;
    SESSION_STATE state;
    LONG flags;
    BSTR session_id, app_guid, app_name, app_url, local_address, context_data;
};

static struct cs_session *from_base(struct cs_base *base)
{
    return CS_CONTAINER(base, struct cs_session, base);
}

static struct cs_session *from_iface(IMsgrSession *iface)
{
    return CS_CONTAINER(iface, struct cs_session, iface);
}

/* An unusable out pointer is E_INVALIDARG, the code every IMsgrSession property page gives for it. */
static HRESULT copy_out(const BSTR value, BSTR *out)
{
    if (!out) return E_INVALIDARG;
    *out = cs_bstr_copy(value);
    return value && !*out ? E_OUTOFMEMORY : S_OK;
}

static HRESULT STDMETHODCALLTYPE session_QueryInterface(IMsgrSession *iface, REFIID riid, void **out)
{
    return cs_query(&from_iface(iface)->base, riid, out);
}

static ULONG STDMETHODCALLTYPE session_AddRef(IMsgrSession *iface)
{
    return cs_addref(&from_iface(iface)->base);
}

static ULONG STDMETHODCALLTYPE session_Release(IMsgrSession *iface)
{
    return cs_release(&from_iface(iface)->base);
}

CS_DISPATCH_METHODS(session, IMsgrSession, "IMsgrSession")

static HRESULT STDMETHODCALLTYPE session_get_Application(IMsgrSession *iface, BSTR *guid)
{
    struct cs_session *session = from_iface(iface);
    if (!session->app_guid) return SR_APP_NOT_SPECIFIED;
    return copy_out(session->app_guid, guid);
}

static HRESULT STDMETHODCALLTYPE session_put_Application(IMsgrSession *iface, BSTR guid)
{
    struct cs_session *session = from_iface(iface);
    struct cs_app *app;
    if (!guid) return E_INVALIDARG;
    if (cs_bstr_len(guid) > APP_GUID_MAX_CHARS) return E_OUTOFMEMORY;
    if (session->state != SS_READY) return SR_SESSION_NOT_READY;
    if (!cs_guid_registry_form(guid)) return E_INVALIDARG;
    app = cs_registry_find(session->base.world, guid);
    if (!app) return SR_APP_NOT_REGISTERED;
    cs_bstr_free(session->app_guid); cs_bstr_free(session->app_name); cs_bstr_free(session->app_url);
    session->app_guid = cs_bstr_copy(guid);
    session->app_name = cs_bstr_copy(app->name);
    session->app_url = cs_bstr_copy(app->url);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE session_get_State(IMsgrSession *iface, SESSION_STATE *state)
{
    if (!state) return E_INVALIDARG;
    *state = from_iface(iface)->state;
    return S_OK;
}

static HRESULT check_app_data(const BSTR data)
{
    return cs_bstr_len(data) * sizeof(WCHAR) > APP_DATA_MAX_BYTES ? E_INVALIDARG : S_OK;
}

static HRESULT STDMETHODCALLTYPE session_Invite(IMsgrSession *iface, IDispatch *user, BSTR data)
{
    struct cs_session *session = from_iface(iface);
    IUnknown *identity = NULL;
    struct cs_contact *contact;
    HRESULT hr;
    if (!user || FAILED(IDispatch_QueryInterface(user, &cs_IID_IUnknown, (void **)&identity))) return E_INVALIDARG;
    contact = cs_is_contact(identity) ? (struct cs_contact *)identity : NULL;
    IUnknown_Release(identity);
    if (!contact) return E_INVALIDARG;
    if (FAILED(hr = check_app_data(data))) return hr;
    if (session->state != SS_READY) return SR_SESSION_NOT_READY;
    if (!session->app_guid) return SR_APP_NOT_SPECIFIED;
    if (cs_contact_is_self(contact)) return SR_INVITED_SELF;
    return CS_MSGR_E_NOT_LOGGED_ON;  /* nobody but the local user is signed in to this client's service */
}

static HRESULT STDMETHODCALLTYPE session_Decline(IMsgrSession *iface, BSTR data)
{
    HRESULT hr = check_app_data(data);
    if (FAILED(hr)) return hr;
    return from_iface(iface)->flags & SF_INVITEE ? SR_SESSION_STATE_INVALID : SR_NOT_INVITEE;
}

static HRESULT STDMETHODCALLTYPE session_Cancel(IMsgrSession *iface, LONG reason, BSTR data)
{
    struct cs_session *session = from_iface(iface);
    HRESULT hr = check_app_data(data);
    (void)reason;
    if (FAILED(hr)) return hr;
    if (!(session->flags & SF_INVITER)) return SR_NOT_INVITER;
    return E_FAIL;  /* there is never an invitation under way to withdraw */
}

static HRESULT STDMETHODCALLTYPE session_Accept(IMsgrSession *iface, BSTR data)
{
    HRESULT hr = check_app_data(data);
    (void)iface;
    if (FAILED(hr)) return hr;
    return SR_SESSION_STATE_INVALID;  /* only an invitee's session in SS_INVITATION can accept */
}

static HRESULT STDMETHODCALLTYPE session_get_RemoteAddress(IMsgrSession *iface, BSTR *address)
{
    (void)iface;
    if (!address) return E_INVALIDARG;
    *address = cs_bstr_ascii("");
    return S_FALSE;  /* not connected: no remote address */
}

static HRESULT STDMETHODCALLTYPE session_get_SessionID(IMsgrSession *iface, BSTR *id)
{
    return copy_out(from_iface(iface)->session_id, id);
}

static HRESULT STDMETHODCALLTYPE session_get_ContextData(IMsgrSession *iface, BSTR *data)
{
    return copy_out(from_iface(iface)->context_data, data);
}

static HRESULT STDMETHODCALLTYPE session_get_ApplicationName(IMsgrSession *iface, BSTR *name)
{
    struct cs_session *session = from_iface(iface);
    struct cs_app *app = session->app_guid ? cs_registry_find(session->base.world, session->app_guid) : NULL;
    if (!session->app_guid) return SR_APP_NOT_SPECIFIED;
    return copy_out(app ? app->name : session->app_name, name);
}

static HRESULT STDMETHODCALLTYPE session_get_ApplicationURL(IMsgrSession *iface, BSTR *url)
{
    struct cs_session *session = from_iface(iface);
    struct cs_app *app = session->app_guid ? cs_registry_find(session->base.world, session->app_guid) : NULL;
    if (!session->app_guid) return SR_APP_NOT_SPECIFIED;
    return copy_out(app ? app->url : session->app_url, url);
}

static HRESULT STDMETHODCALLTYPE session_get_Flags(IMsgrSession *iface, LONG *flags)
{
    if (!flags) return E_INVALIDARG;
    *flags = from_iface(iface)->flags;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE session_get_User(IMsgrSession *iface, IDispatch **user)
{
    (void)iface;
    if (!user) return E_INVALIDARG;
    *user = NULL;
    return SR_NO_USER_INVITED;
}

static HRESULT STDMETHODCALLTYPE session_put_LocalAddress(IMsgrSession *iface, BSTR address)
{
    struct cs_session *session = from_iface(iface);
    if (!address) return E_INVALIDARG;
    if (cs_bstr_len(address) > ADDRESS_MAX_CHARS) return E_OUTOFMEMORY;
    cs_bstr_free(session->local_address);
    session->local_address = cs_bstr_copy(address);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE session_get_LocalAddress(IMsgrSession *iface, BSTR *address)
{
    return copy_out(from_iface(iface)->local_address, address);
}

static HRESULT STDMETHODCALLTYPE session_SendContextData(IMsgrSession *iface, BSTR data)
{
    (void)iface;
    if (cs_bstr_len(data) > CONTEXT_DATA_MAX_CHARS) return SR_CONTEXT_DATA_OVER_LIMIT;
    return SR_SESSION_STATE_INVALID;  /* never connected to another party */
}

static const IMsgrSessionVtbl session_vtbl = {
    session_QueryInterface, session_AddRef, session_Release,
    cs_session_GetTypeInfoCount, cs_session_GetTypeInfo, cs_session_GetIDsOfNames, cs_session_Invoke,
    session_get_Application, session_put_Application, session_get_State, session_Invite, session_Decline,
    session_Cancel, session_Accept, session_get_RemoteAddress, session_get_SessionID, session_get_ContextData,
    session_get_ApplicationName, session_get_ApplicationURL, session_get_Flags, session_get_User,
    session_put_LocalAddress, session_get_LocalAddress, session_SendContextData,
};

static HRESULT session_query(struct cs_base *base, REFIID riid, void **out)
{
    struct cs_session *session = from_base(base);
    if (IsEqualIID(riid, &cs_IID_IUnknown) || IsEqualIID(riid, &cs_IID_IDispatch) ||
        IsEqualIID(riid, &IID_IMsgrSession)) {
        *out = &session->iface;
        cs_addref(base);
        return S_OK;
    }
    return cs_events_query(&session->events, riid, out);
}

static void session_destroy(struct cs_base *base)
{
    struct cs_session *session = from_base(base);
    cs_events_clear(&session->events);
    cs_bstr_free(session->session_id); cs_bstr_free(session->app_guid); cs_bstr_free(session->app_name);
    cs_bstr_free(session->app_url); cs_bstr_free(session->local_address); cs_bstr_free(session->context_data);
    free(session);
}

HRESULT cs_session_create(struct cs_world *world, IDispatch **out)
{
    struct cs_session *session = calloc(1, sizeof(*session));
    if (!session) return E_OUTOFMEMORY;
    session->iface.lpVtbl = &session_vtbl;
    session->base.refs = 1;
    session->base.default_interface = "IMsgrSession";
    session->base.world = world;
    session->base.query = session_query;
    session->base.destroy = session_destroy;
    cs_events_init(&session->events, &session->base, &DIID_DMsgrSessionEvents, "DMsgrSessionEvents", NULL);
    session->state = SS_READY;
    session->flags = SF_INVITER;
    session->session_id = cs_new_guid();
    session->local_address = cs_bstr_ascii(world->address);
    session->context_data = cs_bstr_ascii("");
    cs_live_objects++;
    *out = (IDispatch *)&session->iface;
    return S_OK;
}
