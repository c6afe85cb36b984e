/* The C session manager: what every file shares.
 *
 * Objects are COM objects in the plain-C style of the header widl generates
 * from `msgrspec idl`: each interface is a struct whose first member is the
 * lpVtbl pointer, every object starts with its primary interface followed by
 * a `struct cs_base`, and QueryInterface/AddRef/Release keep one reference
 * count per object. BSTRs, VARIANTs and SAFEARRAYs are the header's types, allocated
 * by the platform layer (platform/platform.h): oleaut32 on Windows, helpers of
 * this example on Linux.
 */
#ifndef CS_H
#define CS_H

#define COBJMACROS
#define CONST_VTABLE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgrpriv.h"
#include <oleauto.h>
#include <olectl.h>

/* Messenger API codes the type library does not carry */
#define CS_MSGR_E_NOT_LOGGED_ON ((HRESULT)0x8100031E)
#define CS_MISTATUS_OFFLINE 0x1
#define CS_MISTATUS_ONLINE 0x2
#define CS_MCONTACTPROP_GROUPS 0
#define CS_MCONTACTPROP_EMAIL 1

#define CS_HR(x) ((unsigned long)(ULONG)(x))
#define CS_CONTAINER(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

extern const IID cs_IID_IUnknown, cs_IID_IDispatch, cs_IID_IConnectionPointContainer, cs_IID_IConnectionPoint;
extern const GUID cs_GUID_NULL;

struct cs_world;

/* What every object carries right after its primary interface. */
struct cs_base {
    LONG refs;
    const char *default_interface;  /* the name an ObjRef of the object's default interface carries */
    struct cs_world *world;
    HRESULT (*query)(struct cs_base *self, REFIID riid, void **out);
    void (*destroy)(struct cs_base *self);
    struct cs_base *next_manager;    /* the world's list of live session managers */
};

/* The identity (IUnknown) of an object is its primary interface, one pointer before its base. */
#define CS_BASE(identity) ((struct cs_base *)((void **)(identity) + 1))
#define CS_IDENTITY(base) ((IUnknown *)((void **)(base) - 1))

ULONG cs_addref(struct cs_base *self);
ULONG cs_release(struct cs_base *self);
HRESULT cs_query(struct cs_base *self, REFIID riid, void **out);
extern long cs_live_objects;
extern void (*cs_on_release)(void);  /* if set, called after every Release (a COM server's lifetime check) */

#include "platform/platform.h"

/* text.c: over the platform's BSTRs */
BSTR cs_bstr_utf8(const char *text, size_t length);  /* UTF-8 (surrogates allowed) -> BSTR */
BSTR cs_bstr_ascii(const char *text);
BSTR cs_bstr_copy(const BSTR text);
char *cs_bstr_to_utf8(const BSTR text);                 /* malloc'd; "" for NULL */
int cs_bstr_equal(const BSTR a, const BSTR b);          /* NULL equals "" */
int cs_bstr_equal_ascii_nocase(const BSTR a, const char *b);

/* guid text */
int cs_guid_registry_form(const BSTR text);  /* {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}, upper case */
BSTR cs_new_guid(void);

#endif
