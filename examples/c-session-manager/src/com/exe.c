/* msgrsc-server.exe: the local server (LocalServer32).
 *
 *   msgrsc-server /RegServer      register the classes and the embedded type library
 *   msgrsc-server /UnregServer    remove them again
 *   msgrsc-server [/Embedding]    serve: what COM starts when a client asks for CLSCTX_LOCAL_SERVER
 *
 * Serving, it registers a class object for every creatable coclass (REGCLS_MULTIPLEUSE: one process
 * for every client) in a single-threaded apartment and pumps messages until the last object is
 * released, then exits. The first object takes a reference on the server process
 * (CoAddRefServerProcess). Releasing the last gives it back and stops the server at once: its class
 * objects are revoked and any activation already on its way answers CO_E_SERVER_STOPPING, so that a
 * client arriving meanwhile starts a new server instead of getting an object from this one, which is
 * about to leave. (CoReleaseServerProcess is documented to suspend the class objects; Wine 8.0's
 * CoSuspendClassObjects does nothing, and an activation queued before WM_QUIT was served.) Calls
 * arrive through the typelib marshaller, which reads the registered type library. */
#include "com/server.h"

#define CS_MAX_CLASSES 8

struct registered { DWORD cookies[CS_MAX_CLASSES]; int count; };

static DWORD serving_thread;
static struct registered classes;

static HRESULT register_class_object(REFCLSID clsid, IUnknown *factory, void *context)
{
    struct registered *done = context;
    HRESULT hr;
    if (done->count == CS_MAX_CLASSES) return E_OUTOFMEMORY;
    hr = CoRegisterClassObject(clsid, factory, CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE, &done->cookies[done->count]);
    if (SUCCEEDED(hr)) done->count++;
    return hr;
}

static void hold_process(void)
{
    CoAddRefServerProcess();
}

static void revoke_classes(void)
{
    while (classes.count) CoRevokeClassObject(classes.cookies[--classes.count]);
}

static void quit_when_idle(void)
{
    if (CoReleaseServerProcess()) return;
    cs_com_stop();
    revoke_classes();
    PostThreadMessageW(serving_thread, WM_QUIT, 0, 0);
}

static int serve(void)
{
    HRESULT hr = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
    MSG message;
    if (FAILED(hr)) {
        fprintf(stderr, "msgrsc-server: CoInitializeEx failed (0x%08lx)\n", CS_HR(hr));
        return 1;
    }
    serving_thread = GetCurrentThreadId();
    PeekMessageW(&message, NULL, 0, 0, PM_NOREMOVE);  /* the thread's queue exists before anyone posts */
    cs_com_on_busy = hold_process;
    cs_com_on_idle = quit_when_idle;
    hr = cs_com_each_class(register_class_object, &classes);
    if (FAILED(hr)) {
        fprintf(stderr, "msgrsc-server: CoRegisterClassObject failed (0x%08lx)\n", CS_HR(hr));
    } else {
        while (GetMessageW(&message, NULL, 0, 0) > 0) {
            TranslateMessage(&message);
            DispatchMessageW(&message);
        }
    }
    revoke_classes();
    cs_com_close_world();
    CoUninitialize();
    return FAILED(hr) ? 1 : 0;
}

static int is_switch(const WCHAR *arg, const WCHAR *name)
{
    return (arg[0] == '/' || arg[0] == '-') && !_wcsicmp(arg + 1, name);
}

int wmain(int argc, WCHAR **argv)
{
    HRESULT hr;
    if (argc > 1 && (is_switch(argv[1], L"RegServer") || is_switch(argv[1], L"UnregServer"))) {
        int registering = is_switch(argv[1], L"RegServer");
        hr = registering ? cs_com_register(CS_LOCAL) : cs_com_unregister();
        if (FAILED(hr)) fprintf(stderr, "msgrsc-server: %ls failed (0x%08lx)\n", argv[1], CS_HR(hr));
        return FAILED(hr) ? 1 : 0;
    }
    if (argc > 1 && !is_switch(argv[1], L"Embedding")) {
        fprintf(stderr, "usage: msgrsc-server [/RegServer | /UnregServer | /Embedding]\n");
        return 2;
    }
    return serve();
}
