/* Contact objects: what the client hands out for a user (IMessengerContact, an IDispatch interface of
 * the Messenger API). The generated header does not describe IMessengerContact, so the object offers
 * IDispatch (with stubs) and the server reads its properties through cs_contact_property. */
#include <strings.h>

#include "dispatch.h"

struct cs_contact {
    IDispatch iface;
    struct cs_base base;
    char *signin;
    int blocked;
};

static struct cs_contact *from_iface(IDispatch *iface)
{
    return CS_CONTAINER(iface, struct cs_contact, iface);
}

static HRESULT STDMETHODCALLTYPE contact_QueryInterface(IDispatch *iface, REFIID riid, void **out)
{
    return cs_query(&from_iface(iface)->base, riid, out);
}

static ULONG STDMETHODCALLTYPE contact_AddRef(IDispatch *iface)
{
    return cs_addref(&from_iface(iface)->base);
}

static ULONG STDMETHODCALLTYPE contact_Release(IDispatch *iface)
{
    return cs_release(&from_iface(iface)->base);
}

CS_DISPATCH_METHODS(contact, IDispatch, "IMessengerContact")

static const IDispatchVtbl contact_vtbl = {
    contact_QueryInterface, contact_AddRef, contact_Release,
    cs_contact_GetTypeInfoCount, cs_contact_GetTypeInfo, cs_contact_GetIDsOfNames, cs_contact_Invoke,
};

static HRESULT contact_query(struct cs_base *base, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &cs_IID_IUnknown) || IsEqualIID(riid, &cs_IID_IDispatch)) {
        *out = CS_IDENTITY(base);
        cs_addref(base);
        return S_OK;
    }
    return E_NOINTERFACE;
}

static void contact_destroy(struct cs_base *base)
{
    struct cs_contact *contact = CS_CONTAINER(base, struct cs_contact, base);
    free(contact->signin);
    free(contact);
}

int cs_is_contact(IUnknown *identity)
{
    return identity && ((IDispatch *)identity)->lpVtbl == &contact_vtbl;
}

const char *cs_contact_signin(struct cs_contact *contact)
{
    return contact->signin;
}

int cs_contact_is_self(struct cs_contact *contact)
{
    return !strcasecmp(contact->signin, contact->base.world->signin);
}

IDispatch *cs_contact_dispatch(struct cs_contact *contact)
{
    return &contact->iface;
}

struct cs_contact *cs_contact_for(struct cs_world *world, const char *signin)
{
    struct cs_contact *contact, **grown;
    size_t i;
    for (i = 0; i < world->contact_count; i++)
        if (!strcasecmp(world->contacts[i]->signin, signin)) return world->contacts[i];
    grown = realloc(world->contacts, (world->contact_count + 1) * sizeof(*grown));
    if (!grown) return NULL;
    world->contacts = grown;
    contact = calloc(1, sizeof(*contact));
    if (!contact) return NULL;
    contact->iface.lpVtbl = &contact_vtbl;
    contact->base.refs = 1;  /* the world's reference */
    contact->base.default_interface = "IMessengerContact";
    contact->base.world = world;
    contact->base.query = contact_query;
    contact->base.destroy = contact_destroy;
    contact->signin = strdup(signin);
    cs_live_objects++;
    world->contacts[world->contact_count++] = contact;
    return contact;
}

/* name, readable, writable, indexed */
static const struct { const char *name; int get, put, indexed; } members[] = {
    {"FriendlyName", 1, 0, 0}, {"Status", 1, 0, 0}, {"SigninName", 1, 0, 0}, {"ServiceName", 1, 0, 0},
    {"Blocked", 1, 1, 0}, {"CanPage", 1, 0, 0}, {"PhoneNumber", 1, 0, 1}, {"IsSelf", 1, 0, 0},
    {"Property", 1, 1, 1}, {"ServiceId", 1, 0, 0},
};

int cs_contact_has(const char *name, int put, int *indexed)
{
    size_t i;
    for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        if (!strcasecmp(members[i].name, name)) {
            *indexed = members[i].indexed;
            return put ? members[i].put : members[i].get;
        }
    }
    return 0;
}

static void set_bstr(VARIANT *v, const char *text)
{
    V_VT(v) = VT_BSTR;
    V_BSTR(v) = cs_bstr_ascii(text);
}

static void set_bool(VARIANT *v, int flag)
{
    V_VT(v) = VT_BOOL;
    V_BOOL(v) = flag ? VARIANT_TRUE : VARIANT_FALSE;
}

HRESULT cs_contact_property(struct cs_contact *contact, const char *name, int put, const VARIANT *index,
                            VARIANT *value)
{
    struct cs_world *world = contact->base.world;
    int self = cs_contact_is_self(contact);
    if (put) {
        if (!strcasecmp(name, "Blocked")) {
            int wanted;
            if (V_VT(value) != VT_BOOL) return E_INVALIDARG;
            wanted = V_BOOL(value) != VARIANT_FALSE;
            if (wanted == contact->blocked) return S_FALSE;
            contact->blocked = wanted;
            return S_OK;
        }
        return E_INVALIDARG;  /* Property: none of the generic properties can be written */
    }
    cs_variant_init(value);
    if (!strcasecmp(name, "FriendlyName")) set_bstr(value, self ? world->friendly_name : contact->signin);
    else if (!strcasecmp(name, "Status")) { V_VT(value) = VT_I4; V_I4(value) = self ? CS_MISTATUS_ONLINE : CS_MISTATUS_OFFLINE; }
    else if (!strcasecmp(name, "SigninName")) set_bstr(value, contact->signin);
    else if (!strcasecmp(name, "ServiceName")) set_bstr(value, world->service_name);
    else if (!strcasecmp(name, "ServiceId")) set_bstr(value, world->service_id);
    else if (!strcasecmp(name, "Blocked")) set_bool(value, contact->blocked);
    else if (!strcasecmp(name, "CanPage")) set_bool(value, 0);
    else if (!strcasecmp(name, "IsSelf")) set_bool(value, self);
    else if (!strcasecmp(name, "PhoneNumber")) return E_FAIL;  /* nobody has a phone number here */
    else if (!strcasecmp(name, "Property")) {
        if (!index || V_VT(index) != VT_I4) return E_INVALIDARG;
        if (V_I4(index) == CS_MCONTACTPROP_EMAIL) set_bstr(value, contact->signin);
        else if (V_I4(index) == CS_MCONTACTPROP_GROUPS) {
            V_VT(value) = VT_ARRAY | VT_VARIANT;
            V_ARRAY(value) = cs_safearray_variants(0);
        } else return E_INVALIDARG;
    } else return DISP_E_MEMBERNOTFOUND;
    return S_OK;
}
