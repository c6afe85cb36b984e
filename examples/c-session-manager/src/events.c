/* Connection points: IConnectionPointContainer and IConnectionPoint for an object's event dispinterface.
 * Events reach a sink the way COM delivers them: IDispatch::Invoke with the event's DISPID and its
 * arguments in a DISPPARAMS, last argument first. */
#include "objects.h"

static struct cs_events *from_container(IConnectionPointContainer *iface)
{
    return CS_CONTAINER(iface, struct cs_events, container_iface);
}

static struct cs_events *from_point(IConnectionPoint *iface)
{
    return CS_CONTAINER(iface, struct cs_events, point_iface);
}

static HRESULT STDMETHODCALLTYPE container_QueryInterface(IConnectionPointContainer *iface, REFIID riid, void **out)
{
    return cs_query(from_container(iface)->owner, riid, out);
}

static ULONG STDMETHODCALLTYPE container_AddRef(IConnectionPointContainer *iface)
{
    return cs_addref(from_container(iface)->owner);
}

static ULONG STDMETHODCALLTYPE container_Release(IConnectionPointContainer *iface)
{
    return cs_release(from_container(iface)->owner);
}

static HRESULT STDMETHODCALLTYPE container_EnumConnectionPoints(IConnectionPointContainer *iface,
                                                                IEnumConnectionPoints **out)
{
    (void)iface;
    if (out) *out = NULL;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE container_FindConnectionPoint(IConnectionPointContainer *iface, REFIID riid,
                                                               IConnectionPoint **out)
{
    struct cs_events *events = from_container(iface);
    if (!out) return E_POINTER;
    *out = NULL;
    if (!IsEqualIID(riid, events->diid)) return CONNECT_E_NOCONNECTION;
    *out = &events->point_iface;
    cs_addref(events->owner);
    return S_OK;
}

static const IConnectionPointContainerVtbl container_vtbl = {
    container_QueryInterface, container_AddRef, container_Release,
    container_EnumConnectionPoints, container_FindConnectionPoint,
};

static HRESULT STDMETHODCALLTYPE point_QueryInterface(IConnectionPoint *iface, REFIID riid, void **out)
{
    struct cs_events *events = from_point(iface);
    if (!out) return E_POINTER;
    *out = NULL;
    if (IsEqualIID(riid, &cs_IID_IUnknown) || IsEqualIID(riid, &cs_IID_IConnectionPoint)) {
        *out = iface;
        cs_addref(events->owner);
        return S_OK;
    }
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE point_AddRef(IConnectionPoint *iface)
{
    return cs_addref(from_point(iface)->owner);
}

static ULONG STDMETHODCALLTYPE point_Release(IConnectionPoint *iface)
{
    return cs_release(from_point(iface)->owner);
}

static HRESULT STDMETHODCALLTYPE point_GetConnectionInterface(IConnectionPoint *iface, IID *iid)
{
    if (!iid) return E_POINTER;
    *iid = *from_point(iface)->diid;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE point_GetConnectionPointContainer(IConnectionPoint *iface,
                                                                   IConnectionPointContainer **out)
{
    struct cs_events *events = from_point(iface);
    if (!out) return E_POINTER;
    *out = &events->container_iface;
    cs_addref(events->owner);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE point_Advise(IConnectionPoint *iface, IUnknown *sink, DWORD *cookie)
{
    struct cs_events *events = from_point(iface);
    IDispatch *dispatch = NULL;
    if (!sink || !cookie) return E_POINTER;
    *cookie = 0;
    if (FAILED(IUnknown_QueryInterface(sink, events->diid, (void **)&dispatch))) return CONNECT_E_CANNOTCONNECT;
    if (events->count == events->capacity) {
        size_t capacity = events->capacity ? events->capacity * 2 : 4;
        struct cs_sinkref *grown = realloc(events->sinks, capacity * sizeof(*grown));
        if (!grown) { IDispatch_Release(dispatch); return E_OUTOFMEMORY; }
        events->sinks = grown;
        events->capacity = capacity;
    }
    *cookie = ++events->owner->world->next_cookie;
    events->sinks[events->count].cookie = *cookie;
    events->sinks[events->count++].sink = dispatch;
    if (events->on_advise) events->on_advise(events->owner);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE point_Unadvise(IConnectionPoint *iface, DWORD cookie)
{
    struct cs_events *events = from_point(iface);
    size_t i;
    for (i = 0; i < events->count; i++) {
        if (events->sinks[i].cookie == cookie) {
            IDispatch *sink = events->sinks[i].sink;
            memmove(events->sinks + i, events->sinks + i + 1, (events->count - i - 1) * sizeof(*events->sinks));
            events->count--;
            IDispatch_Release(sink);
            return S_OK;
        }
    }
    return CONNECT_E_NOCONNECTION;
}

static HRESULT STDMETHODCALLTYPE point_EnumConnections(IConnectionPoint *iface, IEnumConnections **out)
{
    (void)iface;
    if (out) *out = NULL;
    return E_NOTIMPL;
}

static const IConnectionPointVtbl point_vtbl = {
    point_QueryInterface, point_AddRef, point_Release, point_GetConnectionInterface,
    point_GetConnectionPointContainer, point_Advise, point_Unadvise, point_EnumConnections,
};

void cs_events_init(struct cs_events *events, struct cs_base *owner, const IID *diid, const char *name,
                    void (*on_advise)(struct cs_base *owner))
{
    memset(events, 0, sizeof(*events));
    events->container_iface.lpVtbl = &container_vtbl;
    events->point_iface.lpVtbl = &point_vtbl;
    events->owner = owner;
    events->diid = diid;
    events->info = ti_interface(name);
    events->on_advise = on_advise;
}

void cs_events_clear(struct cs_events *events)
{
    size_t i;
    for (i = 0; i < events->count; i++) IDispatch_Release(events->sinks[i].sink);
    free(events->sinks);
}

HRESULT cs_events_query(struct cs_events *events, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &cs_IID_IConnectionPointContainer)) {
        *out = &events->container_iface;
        cs_addref(events->owner);
        return S_OK;
    }
    return E_NOINTERFACE;
}

void cs_fire(struct cs_events *events, const char *name, UINT argc, VARIANT *args)
{
    const struct ti_member *event = events->info ? ti_member(events->info, name, "event") : NULL;
    VARIANT reversed[8];
    DISPPARAMS params = {reversed, NULL, argc, 0};
    size_t i, count;
    UINT a;
    if (!event || argc > 8) {
        fprintf(stderr, "c-session-manager: no event %s to fire\n", name);
        return;
    }
    for (a = 0; a < argc; a++) reversed[argc - 1 - a] = args[a];
    /* a sink may disconnect while it handles the event: walk a copy of the list */
    count = events->count;
    if (!count) return;
    {
        struct cs_sinkref *copy = malloc(count * sizeof(*copy));
        if (!copy) return;
        memcpy(copy, events->sinks, count * sizeof(*copy));
        for (i = 0; i < count; i++) IDispatch_AddRef(copy[i].sink);
        for (i = 0; i < count; i++) {
            IDispatch_Invoke(copy[i].sink, event->dispid, &cs_GUID_NULL, 0, DISPATCH_METHOD, &params, NULL, NULL, NULL);
            IDispatch_Release(copy[i].sink);
        }
        free(copy);
    }
}
