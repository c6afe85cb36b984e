/* The world (one test's Messenger client and its registry) and the COM objects that live in it. */
#ifndef CS_OBJECTS_H
#define CS_OBJECTS_H

#include "cs.h"
#include "json.h"
#include "typeinfo.h"

/* -- the application registry: one machine's list of registered applications ------------------- */
struct cs_app {
    BSTR guid, name, url, path;  /* its flags are always 0, the only value RegisterApplication takes */
    struct cs_app *next;
};

/* -- the world ------------------------------------------------------------------------------------ */
struct cs_handle { char id[24]; IUnknown *identity; };
struct cs_sink;
struct cs_event { struct cs_sink *sink; const char *name; char *args; struct cs_event *next; };
struct cs_contact;

struct cs_world {
    char id[16];
    struct cs_app *apps;
    struct cs_handle *handles;
    size_t handle_count, handle_capacity;
    unsigned next_handle;
    struct cs_event *events, *events_tail;
    struct cs_base *managers;
    struct cs_contact **contacts;
    size_t contact_count;
    DWORD next_cookie;
    const char *signin, *friendly_name, *address, *service_id, *service_name;
    const char *lock_id, *lock_key;
    int lock_enforced, lock_enabled;
};

struct cs_world *cs_world_new(const char *id);
void cs_world_close(struct cs_world *world);
const char *cs_world_handle(struct cs_world *world, IUnknown *object);  /* register; the object's id */
IUnknown *cs_world_lookup(struct cs_world *world, const char *id);       /* identity, no reference added */
struct cs_app *cs_registry_find(struct cs_world *world, const BSTR guid);
/* Live objects someone outside the world holds: all but the contacts only the world keeps. */
long cs_world_objects_in_use(struct cs_world *world);

/* -- connection points: the events of one object ------------------------------------------------- */
struct cs_sinkref { DWORD cookie; IDispatch *sink; };
struct cs_events {
    IConnectionPointContainer container_iface;
    IConnectionPoint point_iface;
    struct cs_base *owner;
    const IID *diid;
    const struct ti_interface *info;
    struct cs_sinkref *sinks;
    size_t count, capacity;
    void (*on_advise)(struct cs_base *owner);
};
void cs_events_init(struct cs_events *events, struct cs_base *owner, const IID *diid, const char *name,
                    void (*on_advise)(struct cs_base *owner));
void cs_events_clear(struct cs_events *events);
/* Fire the event `name` into every sink, arguments in declaration order (they stay the caller's; NULL if none). */
void cs_fire(struct cs_events *events, const char *name, UINT argc, VARIANT *args);
HRESULT cs_events_query(struct cs_events *events, REFIID riid, void **out);

/* -- Lock and Key ---------------------------------------------------------------------------------- */
struct cs_lock {
    IMsgrLock iface;
    struct cs_base *owner;
    struct cs_events *events;
    LockStatus status;
    LONG cookie;
    char challenge[21];
};
void cs_lock_init(struct cs_lock *lock, struct cs_base *owner, struct cs_events *events);
int cs_lock_locked(const struct cs_lock *lock);
void cs_lock_on_advise(struct cs_lock *lock);

/* -- the objects ------------------------------------------------------------------------------------ */
HRESULT cs_create_instance(struct cs_world *world, REFCLSID clsid, REFIID riid, void **out);
HRESULT cs_session_create(struct cs_world *world, IDispatch **out);
struct cs_contact *cs_contact_for(struct cs_world *world, const char *signin);  /* the world keeps it */
int cs_is_contact(IUnknown *identity);
const char *cs_contact_signin(struct cs_contact *contact);
int cs_contact_is_self(struct cs_contact *contact);
IDispatch *cs_contact_dispatch(struct cs_contact *contact);
/* IMessengerContact is not in the generated header (it belongs to the Messenger API type library):
 * the server reaches its properties through these. */
HRESULT cs_contact_property(struct cs_contact *contact, const char *name, int put, const VARIANT *index,
                            VARIANT *value);
int cs_contact_has(const char *name, int put, int *indexed);
struct cs_events *cs_manager_events(struct cs_base *manager);
void cs_world_fire_managers(struct cs_world *world, const char *name, UINT argc, VARIANT *args);

#endif
