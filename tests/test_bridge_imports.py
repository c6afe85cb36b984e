"""The i686 bridge runs on Windows XP SP2: its import table names only DLLs and functions that XP SP2 has,
and nothing that would have to be installed beside it (no libgcc or winpthread DLL)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bridge_build import build_bridge
from toolchain import mingw_gcc, require

#: DLL -> functions the bridge may import. Source: Microsoft's API reference gives each of these a minimum
#: supported client of Windows 2000 or Windows XP (so XP SP2 has them); the msvcrt.dll names are the classic
#: C runtime that XP's msvcrt.dll (7.0) exports. Keep it to what the bridge needs: a new import must be
#: looked up and added here by hand, which is the point.
XP_SP2 = {
    "kernel32.dll": {
        "DeleteCriticalSection", "EnterCriticalSection", "FreeLibrary", "GetLastError", "GetModuleHandleA",
        "GetModuleHandleW", "GetProcAddress", "GetStartupInfoA", "GetStdHandle", "InitializeCriticalSection",
        "IsDBCSLeadByteEx", "LeaveCriticalSection", "LoadLibraryA", "MultiByteToWideChar", "ReadFile",
        "SetUnhandledExceptionFilter", "Sleep", "TlsGetValue", "VirtualProtect", "VirtualQuery",
        "WideCharToMultiByte", "WriteFile",
    },
    "msvcrt.dll": {
        "__getmainargs", "__initenv", "__mb_cur_max", "__p__acmdln", "__p__commode", "__p__fmode",
        "__set_app_type", "__setusermatherr", "_amsg_exit", "_cexit", "_errno", "_fileno", "_initterm", "_iob",
        "_lock", "_onexit", "_setmode", "_stricmp", "_unlock", "abort", "atoi", "calloc", "exit", "fclose",
        "fflush", "fgets", "fopen", "fprintf", "fputc", "free", "fwrite", "islower", "isspace", "isupper",
        "localeconv", "malloc", "memchr", "memcpy", "memmove", "memset", "qsort", "realloc", "setlocale",
        "signal", "strchr", "strcmp", "strcpy", "strerror", "strlen", "strncmp", "strrchr", "strtoul",
        "vfprintf", "wcslen",
    },
    "ole32.dll": {"CLSIDFromProgID", "CLSIDFromString", "CoCreateInstance", "CoInitializeEx", "CoUninitialize",
                  "StringFromGUID2"},
    "oleaut32.dll": {
        "LoadRegTypeLib", "LoadTypeLibEx", "SafeArrayCreateVector", "SafeArrayDestroy", "SafeArrayGetElement",
        "SafeArrayGetLBound", "SafeArrayGetUBound", "SafeArrayPutElement", "SysAllocString", "SysAllocStringLen",
        "SysFreeString", "SysStringLen", "VariantChangeType", "VariantClear", "VariantCopyInd", "VariantInit",
    },
    "user32.dll": {"DispatchMessageW", "PeekMessageW", "TranslateMessage"},
    "ws2_32.dll": {
        "WSACleanup", "WSAGetLastError", "WSAStartup", "accept", "bind", "closesocket", "gethostbyname",
        "getsockname", "htons", "inet_addr", "inet_ntoa", "listen", "ntohs", "recv", "send", "setsockopt",
        "socket",
    },
}

_DLL = re.compile(r"^\s*DLL Name:\s*(\S+)", re.M)
_ENTRY = re.compile(r"^\s+[0-9a-fA-F]+\s+([0-9]+)\s+(\S+)\s*$")


def imports(program: Path) -> dict[str, set[str]]:
    """DLL (lower case) -> the functions a PE file imports from it, as objdump -p lists them."""
    require("i686-w64-mingw32-objdump")
    listing = subprocess.run(["i686-w64-mingw32-objdump", "-p", str(program)], capture_output=True, text=True,
                             check=True, timeout=60).stdout
    found: dict[str, set[str]] = {}
    current = None
    for line in listing.splitlines():
        dll = _DLL.match(line)
        if dll:
            current = found.setdefault(dll[1].lower(), set())
            continue
        entry = _ENTRY.match(line)
        if current is not None and entry:
            current.add(entry[2])
        elif current is not None and not line.strip():
            current = None
    return found


def not_in_xp(found: dict[str, set[str]]) -> list[str]:
    """Every import the allow-list lacks, as DLL!function (a whole DLL as DLL!*)."""
    missing = []
    for dll, functions in sorted(found.items()):
        if dll not in XP_SP2:
            missing.append(f"{dll}!*")
            continue
        missing += [f"{dll}!{name}" for name in sorted(functions - XP_SP2[dll])]
    return missing


def test_the_i686_bridge_imports_only_what_windows_xp_sp2_has():
    bridge = build_bridge("i686")
    found = imports(bridge)
    assert {"ole32.dll", "oleaut32.dll", "ws2_32.dll"} <= set(found), f"unexpected import table: {sorted(found)}"
    assert sum(len(f) for f in found.values()) > 50, "objdump's import table was not read"
    assert not_in_xp(found) == [], "imports that Windows XP SP2 lacks (or that the allow-list does not name)"


def test_the_check_finds_a_function_that_xp_lacks(tmp_path):
    """A program calling GetTickCount64 (Vista and later) and linked against a DLL of mingw's is refused."""
    source = tmp_path / "newer.c"
    source.write_text("#define _WIN32_WINNT 0x0600\n#include <windows.h>\n"
                      "int main(void) { return (int)GetTickCount64(); }\n")
    program = tmp_path / "newer.exe"
    subprocess.run([mingw_gcc("i686"), "-o", str(program), str(source)], check=True, timeout=120)
    assert "kernel32.dll!GetTickCount64" in not_in_xp(imports(program))
    assert not_in_xp({"libgcc_s_dw2-1.dll": {"__udivdi3"}}) == ["libgcc_s_dw2-1.dll!*"]
