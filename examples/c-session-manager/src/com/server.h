/* The COM server around the objects (Windows only): one world per process, a class factory for each
 * creatable coclass of the type information, and the registry entries of the in-process DLL
 * (msgrsc.dll, dll.c) and of the local server EXE (msgrsc-server.exe, exe.c). */
#ifndef CS_COM_SERVER_H
#define CS_COM_SERVER_H

#include "objects.h"
#include "platform/win32/win32.h"

/* ProgIDs: PROGID_PREFIX + coclass name (+ ".1" for the versioned one) */
#define CS_PROGID_PREFIX L"Msgrspec."
#define CS_PROGID_VERSION L".1"
/* Lock and Key enforcement: HKCU\CS_SETTINGS_KEY, DWORD CS_SETTING_LOCK (0 turns it off; default on) */
#define CS_SETTINGS_PARENT L"Software\\Msgrspec"
#define CS_SETTINGS_KEY CS_SETTINGS_PARENT L"\\CSessionManager"
#define CS_SETTING_LOCK L"LockAndKey"

enum cs_server_kind { CS_INPROC, CS_LOCAL };

/* The class object of `clsid`, if it is a creatable coclass (CLASS_E_CLASSNOTAVAILABLE otherwise). */
HRESULT cs_com_class_object(REFCLSID clsid, REFIID riid, void **out);
/* Call `each` for every creatable coclass's class object (the local server registers them all). */
HRESULT cs_com_each_class(HRESULT (*each)(REFCLSID clsid, IUnknown *factory, void *context), void *context);
/* Objects and server locks outstanding; the world is closed once none are (in-process unload). */
long cs_com_in_use(void);
void cs_com_close_world(void);
/* The local server is leaving: from now on every class factory answers CO_E_SERVER_STOPPING, which tells
 * the client to activate again (and so start a new server) instead of creating an object here. */
void cs_com_stop(void);
/* Called when the count first rises above 0 and when it drops back to 0 again (the local server's
 * CoAddRefServerProcess / CoReleaseServerProcess). */
extern void (*cs_com_on_busy)(void);
extern void (*cs_com_on_idle)(void);

HRESULT cs_com_register(enum cs_server_kind kind);
HRESULT cs_com_unregister(void);  /* the class keys of both kinds, the type library, the settings */

#endif
