/* MessengerPriv: IMessengerPrivate, IMsgrLock and the DMessengerPrivateEvents connection point. */
#include <ctype.h>

#include "dispatch.h"

struct cs_private {
    IMessengerPrivate iface;
    struct cs_base base;
    struct cs_lock lock;
    struct cs_events events;
    SAFEARRAY *alert_sites;
};

static struct cs_private *from_base(struct cs_base *base)
{
    return CS_CONTAINER(base, struct cs_private, base);
}

static struct cs_private *from_iface(IMessengerPrivate *iface)
{
    return CS_CONTAINER(iface, struct cs_private, iface);
}

static HRESULT STDMETHODCALLTYPE private_QueryInterface(IMessengerPrivate *iface, REFIID riid, void **out)
{
    return cs_query(&from_iface(iface)->base, riid, out);
}

static ULONG STDMETHODCALLTYPE private_AddRef(IMessengerPrivate *iface)
{
    return cs_addref(&from_iface(iface)->base);
}

static ULONG STDMETHODCALLTYPE private_Release(IMessengerPrivate *iface)
{
    return cs_release(&from_iface(iface)->base);
}

CS_DISPATCH_METHODS(private, IMessengerPrivate, "IMessengerPrivate")

static HRESULT STDMETHODCALLTYPE private_EnableAlertEvents(IMessengerPrivate *iface, SAFEARRAY **sites)
{
    struct cs_private *private = from_iface(iface);
    VARIANT copy;
    ULONG i;
    if (!sites || !*sites) return E_INVALIDARG;
    for (i = 0; i < (*sites)->rgsabound[0].cElements; i++)
        if (V_VT((VARIANT *)(*sites)->pvData + i) != VT_I4) return E_INVALIDARG;
    if (cs_lock_locked(&private->lock)) return S_FALSE;  /* a locked service does nothing, successfully */
    cs_variant_init(&copy);
    V_VT(&copy) = VT_ARRAY | VT_VARIANT;
    V_ARRAY(&copy) = *sites;
    {
        VARIANT kept;
        if (FAILED(cs_variant_copy(&kept, &copy))) return E_OUTOFMEMORY;
        cs_safearray_destroy(private->alert_sites);
        private->alert_sites = V_ARRAY(&kept);
    }
    return S_OK;
}

/* What this client's service takes as a sign-in name: something@host.domain, no spaces. */
static int signin_form(const char *name)
{
    const char *at = strchr(name, '@'), *p, *dot;
    if (!at || at == name || strchr(at + 1, '@')) return 0;
    for (p = name; *p; p++)
        if (isspace((unsigned char)*p)) return 0;
    dot = strrchr(at + 1, '.');
    return dot && dot > at + 1 && dot[1];
}

static HRESULT STDMETHODCALLTYPE private_AddContact(IMessengerPrivate *iface, BSTR signin, VARIANT service)
{
    struct cs_private *private = from_iface(iface);
    struct cs_world *world = private->base.world;
    struct cs_contact *contact;
    VARIANT args[2];
    char *name;
    if (cs_lock_locked(&private->lock)) return MSGR_E_API_LOCKED;
    if (!signin) return E_POINTER;
    switch (V_VT(&service)) {
    case VT_EMPTY:
    case VT_NULL:
        break;
    case VT_BSTR:
        if (cs_bstr_len(V_BSTR(&service)) && !cs_bstr_equal_ascii_nocase(V_BSTR(&service), world->service_id))
            return E_INVALIDARG;
        break;
    default:
        return E_INVALIDARG;  /* a MessengerService object: this client has none to accept */
    }
    name = cs_bstr_to_utf8(signin);
    if (!name) return E_OUTOFMEMORY;
    contact = cs_contact_for(world, name);
    cs_variant_init(&args[0]);
    cs_variant_init(&args[1]);
    V_VT(&args[0]) = VT_I4;
    V_I4(&args[0]) = signin_form(name) ? S_OK : E_FAIL;  /* the service turns a malformed name down */
    V_VT(&args[1]) = VT_DISPATCH;
    V_DISPATCH(&args[1]) = contact ? cs_contact_dispatch(contact) : NULL;
    free(name);
    cs_fire(&private->events, "OnContactListAdd", 2, args);
    return S_OK;
}

static const IMessengerPrivateVtbl private_vtbl = {
    private_QueryInterface, private_AddRef, private_Release,
    cs_private_GetTypeInfoCount, cs_private_GetTypeInfo, cs_private_GetIDsOfNames,
    cs_private_Invoke, private_EnableAlertEvents, private_AddContact,
};

static HRESULT private_query(struct cs_base *base, REFIID riid, void **out)
{
    struct cs_private *private = from_base(base);
    if (IsEqualIID(riid, &cs_IID_IUnknown) || IsEqualIID(riid, &cs_IID_IDispatch) ||
        IsEqualIID(riid, &IID_IMessengerPrivate)) {
        *out = &private->iface;
    } else if (IsEqualIID(riid, &IID_IMsgrLock)) {
        *out = &private->lock.iface;
    } else {
        return cs_events_query(&private->events, riid, out);
    }
    cs_addref(base);
    return S_OK;
}

static void private_destroy(struct cs_base *base)
{
    struct cs_private *private = from_base(base);
    cs_events_clear(&private->events);
    cs_safearray_destroy(private->alert_sites);
    free(private);
}

static void private_on_advise(struct cs_base *base)
{
    cs_lock_on_advise(&from_base(base)->lock);
}

HRESULT cs_private_new(struct cs_world *world, REFIID riid, void **out)
{
    struct cs_private *private = calloc(1, sizeof(*private));
    HRESULT hr;
    if (!private) return E_OUTOFMEMORY;
    private->iface.lpVtbl = &private_vtbl;
    private->base.refs = 1;
    private->base.default_interface = "IMessengerPrivate";
    private->base.world = world;
    private->base.query = private_query;
    private->base.destroy = private_destroy;
    cs_events_init(&private->events, &private->base, &DIID_DMessengerPrivateEvents, "DMessengerPrivateEvents",
                   private_on_advise);
    cs_lock_init(&private->lock, &private->base, &private->events);
    cs_live_objects++;
    hr = cs_query(&private->base, riid, out);
    cs_release(&private->base);
    return hr;
}
