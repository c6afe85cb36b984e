/* The COM server around the objects: class factories, the process's world, registration. */
#include "com/server.h"


static struct cs_world *world;
static LONG server_locks;
static int busy;  /* objects or locks are outstanding, and on_busy was told */
static int stopping;  /* the local server is on its way out: no new object (cs_com_stop) */
void (*cs_com_on_busy)(void);
void (*cs_com_on_idle)(void);

static struct cs_world *com_world(void)
{
    HKEY settings;
    DWORD value, size = sizeof(value), type;
    if (world) return world;
    world = cs_world_new("com");
    if (world && RegOpenKeyExW(HKEY_CURRENT_USER, CS_SETTINGS_KEY, 0, KEY_READ, &settings) == ERROR_SUCCESS) {
        if (RegQueryValueExW(settings, CS_SETTING_LOCK, NULL, &type, (BYTE *)&value, &size) == ERROR_SUCCESS &&
            type == REG_DWORD)
            world->lock_enforced = value != 0;
        RegCloseKey(settings);
    }
    return world;
}

void cs_com_stop(void)
{
    stopping = 1;
}

long cs_com_in_use(void)
{
    return server_locks + (world ? cs_world_objects_in_use(world) : 0);
}

void cs_com_close_world(void)
{
    if (world && !cs_com_in_use()) {
        cs_world_close(world);
        world = NULL;
    }
}

static void acquired(void)
{
    if (!busy && cs_com_in_use()) {
        busy = 1;
        if (cs_com_on_busy) cs_com_on_busy();
    }
}

static void released(void)
{
    if (busy && !cs_com_in_use()) {
        busy = 0;
        if (cs_com_on_idle) cs_com_on_idle();
    }
}

/* -- class factories: one per creatable coclass of the type information ------------------------------ */
struct factory { IClassFactory iface; CLSID clsid; const struct ti_coclass *coclass; };

static struct factory factories[8];
static int factory_count = -1;

static HRESULT guid_from_text(const char *text, GUID *guid)
{
    WCHAR wide[40];
    if (!MultiByteToWideChar(CP_ACP, 0, text, -1, wide, 40)) return E_INVALIDARG;
    return CLSIDFromString(wide, guid);
}


static HRESULT STDMETHODCALLTYPE factory_QueryInterface(IClassFactory *iface, REFIID riid, void **out)
{
    if (!out) return E_POINTER;
    if (IsEqualIID(riid, &cs_IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
        *out = iface;
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

/* the factories are static: their references do not count */
static ULONG STDMETHODCALLTYPE factory_AddRef(IClassFactory *iface) { (void)iface; return 2; }
static ULONG STDMETHODCALLTYPE factory_Release(IClassFactory *iface) { (void)iface; return 1; }

static HRESULT STDMETHODCALLTYPE factory_CreateInstance(IClassFactory *iface, IUnknown *outer, REFIID riid, void **out)
{
    struct factory *factory = CS_CONTAINER(iface, struct factory, iface);
    struct cs_world *current;
    HRESULT hr;
    if (!out) return E_POINTER;
    *out = NULL;
    if (outer) return CLASS_E_NOAGGREGATION;
    if (stopping) return CO_E_SERVER_STOPPING;
    if (!(current = com_world())) return E_OUTOFMEMORY;
    hr = cs_create_instance(current, &factory->clsid, riid, out);
    if (SUCCEEDED(hr)) acquired();
    else released();
    return hr;
}

static HRESULT STDMETHODCALLTYPE factory_LockServer(IClassFactory *iface, BOOL lock)
{
    (void)iface;
    if (lock) {
        InterlockedIncrement(&server_locks);
        acquired();
    } else if (!InterlockedDecrement(&server_locks)) released();
    return S_OK;
}

static const IClassFactoryVtbl factory_vtbl = {
    factory_QueryInterface, factory_AddRef, factory_Release, factory_CreateInstance, factory_LockServer,
};

static void make_factories(void)
{
    int i;
    if (factory_count >= 0) return;
    factory_count = 0;
    cs_on_release = released;
    for (i = 0; i < ti_coclass_count && factory_count < (int)(sizeof(factories) / sizeof(factories[0])); i++) {
        struct factory *factory = &factories[factory_count];
        if (!ti_coclasses[i].creatable || FAILED(guid_from_text(ti_coclasses[i].guid, &factory->clsid))) continue;
        factory->iface.lpVtbl = &factory_vtbl;
        factory->coclass = &ti_coclasses[i];
        factory_count++;
    }
}

HRESULT cs_com_class_object(REFCLSID clsid, REFIID riid, void **out)
{
    int i;
    if (!out) return E_POINTER;
    *out = NULL;
    make_factories();
    for (i = 0; i < factory_count; i++)
        if (IsEqualCLSID(clsid, &factories[i].clsid)) return factory_QueryInterface(&factories[i].iface, riid, out);
    return CLASS_E_CLASSNOTAVAILABLE;
}

HRESULT cs_com_each_class(HRESULT (*each)(REFCLSID clsid, IUnknown *factory, void *context), void *context)
{
    int i;
    HRESULT hr = S_OK;
    make_factories();
    for (i = 0; i < factory_count && SUCCEEDED(hr); i++)
        hr = each(&factories[i].clsid, (IUnknown *)&factories[i].iface, context);
    return hr;
}

/* -- registration ------------------------------------------------------------------------------------ */
static HRESULT set_value(const WCHAR *key, const WCHAR *name, const WCHAR *value)
{
    HKEY handle;
    LONG error = RegCreateKeyExW(HKEY_CLASSES_ROOT, key, 0, NULL, 0, KEY_WRITE, NULL, &handle, NULL);
    if (error == ERROR_SUCCESS) {
        error = RegSetValueExW(handle, name, 0, REG_SZ, (const BYTE *)value,
                               (DWORD)((wcslen(value) + 1) * sizeof(WCHAR)));
        RegCloseKey(handle);
    }
    return HRESULT_FROM_WIN32(error);
}

static HRESULT delete_tree(HKEY root, const WCHAR *key)
{
    LONG error = RegDeleteTreeW(root, key);
    if (error == ERROR_SUCCESS) error = RegDeleteKeyW(root, key);
    return error == ERROR_SUCCESS || error == ERROR_FILE_NOT_FOUND ? S_OK : HRESULT_FROM_WIN32(error);
}

struct names { WCHAR clsid[40], clsid_key[64], progid[128], current[128], title[260]; };

static void names_of(const struct factory *factory, struct names *n)
{
    MultiByteToWideChar(CP_ACP, 0, factory->coclass->name, -1, n->title, 260);
    StringFromGUID2(&factory->clsid, n->clsid, 40);
    swprintf(n->clsid_key, 64, L"CLSID\\%ls", n->clsid);
    swprintf(n->progid, 128, L"%ls%ls", CS_PROGID_PREFIX, n->title);
    swprintf(n->current, 128, L"%ls%ls", n->progid, CS_PROGID_VERSION);
}

static HRESULT register_class(const struct factory *factory, enum cs_server_kind kind, const WCHAR *path,
                              const WCHAR *libid)
{
    struct names n;
    WCHAR key[200], quoted[MAX_PATH + 2];
    HRESULT hr;
    names_of(factory, &n);
    hr = set_value(n.clsid_key, NULL, n.title);
    if (SUCCEEDED(hr) && kind == CS_INPROC) {
        swprintf(key, 200, L"%ls\\InprocServer32", n.clsid_key);
        hr = set_value(key, NULL, path);
        if (SUCCEEDED(hr)) hr = set_value(key, L"ThreadingModel", L"Apartment");
    } else if (SUCCEEDED(hr)) {
        swprintf(key, 200, L"%ls\\LocalServer32", n.clsid_key);
        swprintf(quoted, MAX_PATH + 2, L"\"%ls\"", path);
        hr = set_value(key, NULL, quoted);
    }
    swprintf(key, 200, L"%ls\\ProgID", n.clsid_key);
    if (SUCCEEDED(hr)) hr = set_value(key, NULL, n.current);
    swprintf(key, 200, L"%ls\\VersionIndependentProgID", n.clsid_key);
    if (SUCCEEDED(hr)) hr = set_value(key, NULL, n.progid);
    swprintf(key, 200, L"%ls\\TypeLib", n.clsid_key);
    if (SUCCEEDED(hr)) hr = set_value(key, NULL, libid);
    swprintf(key, 200, L"%ls\\Version", n.clsid_key);
    if (SUCCEEDED(hr)) hr = set_value(key, NULL, L"1.0");
    if (SUCCEEDED(hr)) hr = set_value(n.current, NULL, n.title);
    swprintf(key, 200, L"%ls\\CLSID", n.current);
    if (SUCCEEDED(hr)) hr = set_value(key, NULL, n.clsid);
    if (SUCCEEDED(hr)) hr = set_value(n.progid, NULL, n.title);
    swprintf(key, 200, L"%ls\\CLSID", n.progid);
    if (SUCCEEDED(hr)) hr = set_value(key, NULL, n.clsid);
    swprintf(key, 200, L"%ls\\CurVer", n.progid);
    if (SUCCEEDED(hr)) hr = set_value(key, NULL, n.current);
    return hr;
}

HRESULT cs_com_register(enum cs_server_kind kind)
{
    WCHAR path[MAX_PATH], libid[40];
    ITypeLib *lib = NULL;
    HRESULT hr;
    int i;
    if (!cs_module_path(path)) return E_FAIL;
    make_factories();
    hr = LoadTypeLibEx(path, REGKIND_REGISTER, &lib);  /* TypeLib\{LIBID} and Interface\{IID} for the marshaller */
    if (FAILED(hr)) {
        fprintf(stderr, "c-session-manager: registering the embedded type library failed (0x%08lx)\n", CS_HR(hr));
        return hr;
    }
    ITypeLib_Release(lib);
    StringFromGUID2(&LIBID_MessengerPrivate, libid, 40);
    for (i = 0; i < factory_count && SUCCEEDED(hr); i++) hr = register_class(&factories[i], kind, path, libid);
    if (FAILED(hr)) {
        fprintf(stderr, "c-session-manager: writing the class keys failed (0x%08lx)\n", CS_HR(hr));
        cs_com_unregister();
        return SELFREG_E_CLASS;
    }
    return S_OK;
}

/* The first failure of unregistering is kept in *hr and said on stderr (regsvr32 /s says nothing). */
static void unregister_step(HRESULT step, const WCHAR *what, HRESULT *hr)
{
    if (SUCCEEDED(step)) return;
    fprintf(stderr, "c-session-manager: unregistering: %ls failed (0x%08lx)\n", what, CS_HR(step));
    if (SUCCEEDED(*hr)) *hr = step;
}

HRESULT cs_com_unregister(void)
{
    HRESULT hr = S_OK, step;
    TLIBATTR *attributes;
    ITypeLib *lib = NULL;
    WCHAR path[MAX_PATH];
    int i;
    make_factories();
    for (i = 0; i < factory_count; i++) {
        struct names n;
        names_of(&factories[i], &n);
        unregister_step(delete_tree(HKEY_CLASSES_ROOT, n.clsid_key), n.clsid_key, &hr);
        unregister_step(delete_tree(HKEY_CLASSES_ROOT, n.current), n.current, &hr);
        unregister_step(delete_tree(HKEY_CLASSES_ROOT, n.progid), n.progid, &hr);
    }
    if (cs_module_path(path) && SUCCEEDED(LoadTypeLibEx(path, REGKIND_NONE, &lib))) {
        if (SUCCEEDED(ITypeLib_GetLibAttr(lib, &attributes))) {
            step = UnRegisterTypeLib(&attributes->guid, attributes->wMajorVerNum, attributes->wMinorVerNum,
                                     attributes->lcid, attributes->syskind);
            unregister_step(step == TYPE_E_REGISTRYACCESS ? S_OK : step, L"UnRegisterTypeLib", &hr);
            ITypeLib_ReleaseTLibAttr(lib, attributes);
        }
        ITypeLib_Release(lib);
    }
    unregister_step(delete_tree(HKEY_CURRENT_USER, CS_SETTINGS_KEY), CS_SETTINGS_KEY, &hr);
    RegDeleteKeyW(HKEY_CURRENT_USER, CS_SETTINGS_PARENT);  /* only if nothing else is in it */
    return hr;
}
