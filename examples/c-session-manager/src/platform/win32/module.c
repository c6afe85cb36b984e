/* The module this code is linked into: a DLL for the in-process server, the EXE for the local server. */
#include "cs.h"
#include "platform/win32/win32.h"

BOOL cs_module_path(WCHAR path[MAX_PATH])
{
    HMODULE module = NULL;
    DWORD length;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCWSTR)(void *)&cs_module_path, &module)) {
        fprintf(stderr, "c-session-manager: cannot find its own module (%lu)\n", (unsigned long)GetLastError());
        return FALSE;
    }
    length = GetModuleFileNameW(module, path, MAX_PATH);
    if (!length || length >= MAX_PATH) {
        fprintf(stderr, "c-session-manager: cannot name its own module (%lu)\n", (unsigned long)GetLastError());
        return FALSE;
    }
    return TRUE;
}
