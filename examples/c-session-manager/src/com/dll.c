/* msgrsc.dll: the in-process server (InprocServer32, ThreadingModel Apartment). */
#include "com/server.h"

HRESULT WINAPI DllGetClassObject(REFCLSID clsid, REFIID riid, void **out)
{
    return cs_com_class_object(clsid, riid, out);
}

HRESULT WINAPI DllCanUnloadNow(void)
{
    if (cs_com_in_use()) return S_FALSE;
    cs_com_close_world();
    return S_OK;
}

HRESULT WINAPI DllRegisterServer(void)
{
    return cs_com_register(CS_INPROC);
}

HRESULT WINAPI DllUnregisterServer(void)
{
    return cs_com_unregister();
}
