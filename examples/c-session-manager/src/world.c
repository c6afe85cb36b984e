/* The world: handle table (object ids the protocol uses), event queue, registry, contacts. */
#include "objects.h"

long cs_live_objects;
void (*cs_on_release)(void);

ULONG cs_addref(struct cs_base *self)
{
    return (ULONG)++self->refs;
}

ULONG cs_release(struct cs_base *self)
{
    LONG refs = --self->refs;
    if (!refs) {
        self->destroy(self);
        cs_live_objects--;
    }
    if (cs_on_release) cs_on_release();
    return (ULONG)refs;
}

HRESULT cs_query(struct cs_base *self, REFIID riid, void **out)
{
    if (!out) return E_POINTER;
    *out = NULL;
    return self->query(self, riid, out);
}

struct cs_world *cs_world_new(const char *id)
{
    struct cs_world *world = calloc(1, sizeof(*world));
    if (!world) return NULL;
    snprintf(world->id, sizeof(world->id), "%s", id);
    world->signin = "alice@msgrspec.example";
    world->friendly_name = "Alice";
    world->address = "192.0.2.10";
    world->service_id = "{8C8C8C8C-5EC5-4D2B-9A3C-6D7370656331}";
    world->service_name = "msgrspec C service";
    world->lock_id = "msgrspec-c-app";
    world->lock_key = "C-SESSION-MANAGER-KEY-0001";
    world->lock_enforced = 1;
    world->lock_enabled = 1;
    return world;
}

static void drop_events(struct cs_world *world)
{
    struct cs_event *event = world->events, *next;
    for (; event; event = next) {
        next = event->next;
        IDispatch_Release((IDispatch *)event->sink);
        free(event->args);
        free(event);
    }
    world->events = world->events_tail = NULL;
}

void cs_world_close(struct cs_world *world)
{
    struct cs_app *app, *next;
    size_t i;
    cs_world_fire_managers(world, "OnAppShutdown", 0, NULL);  /* no arguments */
    for (i = 0; i < world->handle_count; i++) IUnknown_Release(world->handles[i].identity);
    free(world->handles);
    for (i = 0; i < world->contact_count; i++) IDispatch_Release(cs_contact_dispatch(world->contacts[i]));
    free(world->contacts);
    drop_events(world);  /* nobody polls any more: OnAppShutdown and what released objects fired on their way out */
    for (app = world->apps; app; app = next) {
        next = app->next;
        cs_bstr_free(app->guid); cs_bstr_free(app->name); cs_bstr_free(app->url); cs_bstr_free(app->path);
        free(app);
    }
    free(world);
}

const char *cs_world_handle(struct cs_world *world, IUnknown *object)
{
    IUnknown *identity = NULL;
    size_t i;
    if (FAILED(IUnknown_QueryInterface(object, &cs_IID_IUnknown, (void **)&identity))) return NULL;
    for (i = 0; i < world->handle_count; i++) {
        if (world->handles[i].identity == identity) {
            IUnknown_Release(identity);
            return world->handles[i].id;
        }
    }
    if (world->handle_count == world->handle_capacity) {
        size_t capacity = world->handle_capacity ? world->handle_capacity * 2 : 16;
        struct cs_handle *grown = realloc(world->handles, capacity * sizeof(*grown));
        if (!grown) { IUnknown_Release(identity); return NULL; }
        world->handles = grown;
        world->handle_capacity = capacity;
    }
    snprintf(world->handles[world->handle_count].id, sizeof(world->handles[0].id), "%s.o%u", world->id,
             ++world->next_handle);
    world->handles[world->handle_count].identity = identity;  /* the reference QueryInterface added is the table's */
    return world->handles[world->handle_count++].id;
}

IUnknown *cs_world_lookup(struct cs_world *world, const char *id)
{
    size_t i;
    for (i = 0; i < world->handle_count; i++)
        if (!strcmp(world->handles[i].id, id)) return world->handles[i].identity;
    return NULL;
}

struct cs_app *cs_registry_find(struct cs_world *world, const BSTR guid)
{
    struct cs_app *app;
    for (app = world->apps; app; app = app->next)
        if (cs_bstr_equal(app->guid, guid)) return app;
    return NULL;
}

long cs_world_objects_in_use(struct cs_world *world)
{
    long kept = 0;
    size_t i;
    for (i = 0; i < world->contact_count; i++)
        if (CS_BASE((IUnknown *)cs_contact_dispatch(world->contacts[i]))->refs == 1) kept++;
    return cs_live_objects - kept;
}

void cs_world_fire_managers(struct cs_world *world, const char *name, UINT argc, VARIANT *args)
{
    struct cs_base *manager;
    for (manager = world->managers; manager; manager = manager->next_manager) {
        cs_fire(cs_manager_events(manager), name, argc, args);
    }
}
