/* msgrspec-com-bridge: protocol v1 (docs/protocol.md) in front of whatever COM server is registered.
 *
 * Layers: main.c reads the profile and the command line and moves lines over stdio or TCP (the only
 * platform code: Win32 handles and Winsock); protocol.c parses requests and keeps worlds and object
 * handles; com.c does the COM work (catalogue of the registered type library, IDispatch::Invoke,
 * conversions between protocol values and VARIANTs, event sinks, type information). */
#ifndef BRIDGE_H
#define BRIDGE_H

#define COBJMACROS
#include <windows.h>
#include <ole2.h>
#include <oleauto.h>
#include <olectl.h>

#include "json.h"

#define BRIDGE_NAME "msgrspec-com-bridge"
#define BRIDGE_VERSION "1.0"
#define HR_BITS(hr) ((unsigned long)(ULONG)(hr))

/* -- the profile (main.c fills it from the file and the options) -------------------------------- */
struct profile {
    char implementation[256];
    char product[64];
    char features[256];   /* comma-separated */
    char lock_id[256];
    char lock_key[256];
    char signin[256];
    char typelib[MAX_PATH];  /* a type library file to read instead of the registered one */
    char libid[64];          /* the library to look up in the registry */
    char messenger[128];     /* ProgID or CLSID of the Messenger object that gives contacts */
    DWORD context;           /* CLSCTX for CoCreateInstance */
};
extern struct profile bridge_profile;

/* Diagnostics on stderr, one line each. */
void diag(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* -- worlds and handles (protocol.c) ----------------------------------------------------------- */
struct sink;
struct world {
    char id[16];
    unsigned next_object;
    struct handle { char id[24]; IUnknown *identity; } *handles;
    size_t handle_count;
    struct event *events, *events_tail;
    struct sink **sinks;
    size_t sink_count;
    IDispatch *messenger;   /* the Messenger object that gives contacts, once asked for */
};
struct event { struct event *next; struct sink *sink; const char *name; char *args; };

/* The handle of an object in the world (registering it, with a reference, the first time). */
const char *world_handle(struct world *world, IUnknown *object);
IUnknown *world_lookup(struct world *world, const char *id);

/* -- COM (com.c) ------------------------------------------------------------------------------ */
struct outcome { HRESULT hr; struct buf value; struct buf outs; };

HRESULT com_start(void);            /* the type library: registered (by LIBID) or from a file */
void com_stop(void);
const char *com_library_name(void);
void com_pump(void);                /* deliver calls waiting for this apartment (events from a local server) */

void com_create(struct world *w, const char *coclass, struct outcome *o);
void com_query_interface(struct world *w, const struct json *ref, const char *itf_name, struct outcome *o);
/* call, get, put: kind is DISPATCH_METHOD, DISPATCH_PROPERTYGET or DISPATCH_PROPERTYPUT */
void com_invoke(struct world *w, const struct json *ref, const char *member, WORD kind, const struct json *args,
                const struct json *index, struct outcome *o);
void com_connect(struct world *w, const struct json *ref, const char *dispinterface, struct outcome *o);
void com_disconnect(struct world *w, const struct json *ref, long long cookie, struct outcome *o);
void com_type_info(const char *name, struct outcome *o);
void com_contact(struct world *w, const char *signin, struct outcome *o);
void com_poll_events(struct world *w, struct buf *out);
void com_world_closing(struct world *w);   /* unadvise its sinks, drop its queued events */

/* UTF-8 (as json.c gives it, lone surrogates as three-byte sequences) to a BSTR. */
BSTR bstr_from_utf8(const char *text, size_t length);

#endif
