/* What the Windows side shares beyond platform.h: the module (DLL or EXE) this code is linked into. */
#ifndef CS_WIN32_H
#define CS_WIN32_H

#include <windows.h>

/* The full path of the module holding this code; FALSE (and a message on stderr) if it has none. */
BOOL cs_module_path(WCHAR path[MAX_PATH]);

#endif
