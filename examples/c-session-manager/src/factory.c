/* Creating objects by CLSID, as CoCreateInstance would through the class factories of a COM server. */
#include "objects.h"

HRESULT cs_manager_new(struct cs_world *world, REFIID riid, void **out);
HRESULT cs_private_new(struct cs_world *world, REFIID riid, void **out);

HRESULT cs_create_instance(struct cs_world *world, REFCLSID clsid, REFIID riid, void **out)
{
    if (!out) return E_POINTER;
    *out = NULL;
    if (IsEqualCLSID(clsid, &CLSID_MsgrSessionManager)) return cs_manager_new(world, riid, out);
    if (IsEqualCLSID(clsid, &CLSID_MessengerPriv)) return cs_private_new(world, riid, out);
    return REGDB_E_CLASSNOTREG;  /* MsgrSession is not creatable; anything else is not ours */
}
