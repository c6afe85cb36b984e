/* MsgrSessionManager: IMsgrSessionManager, IMsgrLock and the DMsgrSessionManagerEvents connection point. */
#include "dispatch.h"

struct cs_manager {
    IMsgrSessionManager iface;  /* primary interface: the object's identity */
    struct cs_base base;
    struct cs_lock lock;
    struct cs_events events;
};

static struct cs_manager *from_base(struct cs_base *base)
{
    return CS_CONTAINER(base, struct cs_manager, base);
}

static struct cs_manager *from_iface(IMsgrSessionManager *iface)
{
    return CS_CONTAINER(iface, struct cs_manager, iface);
}

struct cs_events *cs_manager_events(struct cs_base *manager)
{
    return &from_base(manager)->events;
}

static HRESULT STDMETHODCALLTYPE manager_QueryInterface(IMsgrSessionManager *iface, REFIID riid, void **out)
{
    return cs_query(&from_iface(iface)->base, riid, out);
}

static ULONG STDMETHODCALLTYPE manager_AddRef(IMsgrSessionManager *iface)
{
    return cs_addref(&from_iface(iface)->base);
}

static ULONG STDMETHODCALLTYPE manager_Release(IMsgrSessionManager *iface)
{
    return cs_release(&from_iface(iface)->base);
}

CS_DISPATCH_METHODS(manager, IMsgrSessionManager, "IMsgrSessionManager")

static HRESULT gate(struct cs_manager *manager)
{
    return cs_lock_locked(&manager->lock) ? MSGR_E_API_LOCKED : S_OK;
}

static HRESULT STDMETHODCALLTYPE manager_CreateSession(IMsgrSessionManager *iface, IDispatch **session)
{
    HRESULT hr = gate(from_iface(iface));
    if (FAILED(hr)) return hr;
    if (!session) return E_INVALIDARG;  /* the code the spec gives for an unusable out pointer */
    return cs_session_create(from_iface(iface)->base.world, session);
}

static HRESULT STDMETHODCALLTYPE manager_GetLaunchingSession(IMsgrSessionManager *iface, LONG process_id,
                                                             IDispatch **session)
{
    HRESULT hr = gate(from_iface(iface));
    if (FAILED(hr)) return hr;
    if (!session) return E_INVALIDARG;  /* the spec lists no E_POINTER: an unusable argument */
    *session = NULL;
    if (process_id <= 0) return E_INVALIDARG;
    return E_FAIL;  /* this client never launches applications, so no process has a launching session */
}

/* An absolute Windows path: a drive letter and its root, or a UNC share (\\server\share); none of the
 * characters Windows refuses in a path. */
static int refused(WCHAR c)
{
    return c < 0x20 || c == '"' || c == '<' || c == '>' || c == '|' || c == '*' || c == '?';
}

static int share_char(WCHAR c)
{
    return !(c == '\\' || c == '/' || c == ':' || refused(c));
}

/* A drive letter and its root (C:\), or a UNC share (\\server\share). */
static int absolute_prefix(const BSTR path, UINT length)
{
    UINT i, n;
    if (length >= 3 && (path[0] | 32) >= 'a' && (path[0] | 32) <= 'z' && path[1] == ':' && path[2] == '\\') return 1;
    if (length < 2 || path[0] != '\\' || path[1] != '\\') return 0;
    for (i = 2, n = 0; i < length && share_char(path[i]); i++) n++;
    if (!n || i >= length || path[i] != '\\') return 0;
    for (i++, n = 0; i < length && share_char(path[i]); i++) n++;
    return n > 0;
}

static int path_resolves(const BSTR path)
{
    UINT length = cs_bstr_len(path), i;
    if (!absolute_prefix(path, length)) return 0;
    for (i = 0; i < length; i++)
        if (refused(path[i])) return 0;
    return 1;
}

static HRESULT STDMETHODCALLTYPE manager_RegisterApplication(IMsgrSessionManager *iface, BSTR guid, BSTR name,
                                                             BSTR url, BSTR path, LONG flags)
{
    struct cs_manager *manager = from_iface(iface);
    struct cs_world *world = manager->base.world;
    struct cs_app *app;
    VARIANT arg;
    HRESULT hr = gate(manager);
    if (FAILED(hr)) return hr;
    if (cs_bstr_len(guid) > 39 || cs_bstr_len(name) > 256 || cs_bstr_len(url) > 256 || cs_bstr_len(path) > 260)
        return E_INVALIDARG;
    if (flags != 0 || !cs_guid_registry_form(guid)) return E_INVALIDARG;
    if (!path_resolves(path)) return E_FAIL;
    if (cs_registry_find(world, guid)) return SR_APP_ALREADY_REGISTERED;
    app = calloc(1, sizeof(*app));
    if (!app) return E_OUTOFMEMORY;
    app->guid = cs_bstr_copy(guid);
    app->name = name ? cs_bstr_copy(name) : cs_bstr_ascii("");
    app->url = url ? cs_bstr_copy(url) : cs_bstr_ascii("");
    app->path = cs_bstr_copy(path);
    app->next = world->apps;
    world->apps = app;
    cs_variant_init(&arg);
    V_VT(&arg) = VT_BSTR;
    V_BSTR(&arg) = guid;
    cs_world_fire_managers(world, "OnAppRegistered", 1, &arg);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE manager_UnRegisterApplication(IMsgrSessionManager *iface, BSTR guid)
{
    struct cs_manager *manager = from_iface(iface);
    struct cs_world *world = manager->base.world;
    struct cs_app **link, *app;
    VARIANT arg;
    HRESULT hr = gate(manager);
    if (FAILED(hr)) return hr;
    if (!guid || cs_bstr_len(guid) > 39) return E_INVALIDARG;
    for (link = &world->apps; *link && !cs_bstr_equal((*link)->guid, guid); link = &(*link)->next) {}
    if (!*link) return SR_APP_NOT_REGISTERED;
    app = *link;
    *link = app->next;
    cs_variant_init(&arg);
    V_VT(&arg) = VT_BSTR;
    V_BSTR(&arg) = guid;
    cs_world_fire_managers(world, "OnAppUnRegistered", 1, &arg);
    cs_bstr_free(app->guid); cs_bstr_free(app->name); cs_bstr_free(app->url); cs_bstr_free(app->path);
    free(app);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE manager_get_Applications(IMsgrSessionManager *iface, IDispatch **out)
{
    HRESULT hr = gate(from_iface(iface));
    if (FAILED(hr)) return hr;
    if (out) *out = NULL;
    return E_NOTIMPL;  /* the product never implemented the collection */
}

static const IMsgrSessionManagerVtbl manager_vtbl = {
    manager_QueryInterface, manager_AddRef, manager_Release,
    cs_manager_GetTypeInfoCount, cs_manager_GetTypeInfo, cs_manager_GetIDsOfNames,
    cs_manager_Invoke,
    manager_CreateSession, manager_GetLaunchingSession, manager_RegisterApplication, manager_UnRegisterApplication,
    manager_get_Applications,
};

static HRESULT manager_query(struct cs_base *base, REFIID riid, void **out)
{
    struct cs_manager *manager = from_base(base);
    if (IsEqualIID(riid, &cs_IID_IUnknown) || IsEqualIID(riid, &cs_IID_IDispatch) ||
        IsEqualIID(riid, &IID_IMsgrSessionManager)) {
        *out = &manager->iface;
    } else if (IsEqualIID(riid, &IID_IMsgrLock)) {
        *out = &manager->lock.iface;
    } else {
        return cs_events_query(&manager->events, riid, out);
    }
    cs_addref(base);
    return S_OK;
}

static void manager_destroy(struct cs_base *base)
{
    struct cs_manager *manager = from_base(base);
    struct cs_base **link;
    for (link = &base->world->managers; *link && *link != base; link = &(*link)->next_manager) {}
    if (*link) *link = base->next_manager;
    cs_events_clear(&manager->events);
    free(manager);
}

static void manager_on_advise(struct cs_base *base)
{
    cs_lock_on_advise(&from_base(base)->lock);
}

HRESULT cs_manager_new(struct cs_world *world, REFIID riid, void **out)
{
    struct cs_manager *manager = calloc(1, sizeof(*manager));
    HRESULT hr;
    if (!manager) return E_OUTOFMEMORY;
    manager->iface.lpVtbl = &manager_vtbl;
    manager->base.refs = 1;
    manager->base.default_interface = "IMsgrSessionManager";
    manager->base.world = world;
    manager->base.query = manager_query;
    manager->base.destroy = manager_destroy;
    cs_events_init(&manager->events, &manager->base, &DIID_DMsgrSessionManagerEvents, "DMsgrSessionManagerEvents",
                   manager_on_advise);
    cs_lock_init(&manager->lock, &manager->base, &manager->events);
    manager->base.next_manager = world->managers;
    world->managers = &manager->base;
    cs_live_objects++;
    hr = cs_query(&manager->base, riid, out);
    cs_release(&manager->base);
    return hr;
}
