/* tlbdump: load a type library with oleaut32 (LoadTypeLibEx) and print what ITypeLib and ITypeInfo
 * report about it, as one JSON document in the shape of `msgrspec tlb dump`
 * (src/msgrspec/schema/typelib-dump.schema.json).
 *
 * Build: x86_64-w64-mingw32-gcc -municode -O1 -o tlbdump.exe tlbdump.c -loleaut32 -lole32 -luuid
 * Run:   wine tlbdump.exe C:\path\file.tlb
 * Exit status: 0 on success, 2 when the library cannot be loaded (the HRESULT goes to stderr).
 */
#define COBJMACROS
#include <windows.h>
#include <oleauto.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <io.h>

/* ---- JSON output ---------------------------------------------------------------------------- */

static void put_string(const WCHAR *text)
{
    char *utf8;
    const unsigned char *p;
    int size;
    if (!text) { fputs("null", stdout); return; }
    size = WideCharToMultiByte(CP_UTF8, 0, text, -1, NULL, 0, NULL, NULL);
    utf8 = calloc(size > 0 ? size : 1, 1);
    if (size > 0) WideCharToMultiByte(CP_UTF8, 0, text, -1, utf8, size, NULL, NULL);
    putchar('"');
    for (p = (const unsigned char *)utf8; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
    free(utf8);
}

static void put_guid(const GUID *guid)
{
    printf("\"{%08lX-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}\"", (unsigned long)guid->Data1,
           guid->Data2, guid->Data3, guid->Data4[0], guid->Data4[1], guid->Data4[2], guid->Data4[3],
           guid->Data4[4], guid->Data4[5], guid->Data4[6], guid->Data4[7]);
}

struct flag { unsigned value; const char *name; };

static void put_flags(unsigned bits, const struct flag *table)
{
    int first = 1;
    putchar('[');
    for (; table->name; table++) {
        if (bits & table->value) {
            printf("%s\"%s\"", first ? "" : ", ", table->name);
            first = 0;
            bits &= ~table->value;
        }
    }
    if (bits) printf("%s\"0x%x\"", first ? "" : ", ", bits);
    putchar(']');
}

/* The names the dump uses; the same tables are in src/msgrspec/typelib.py. */
static const struct flag TYPEFLAG_NAMES[] = {
    {TYPEFLAG_FAPPOBJECT, "appobject"}, {TYPEFLAG_FCANCREATE, "cancreate"}, {TYPEFLAG_FLICENSED, "licensed"},
    {TYPEFLAG_FPREDECLID, "predeclid"}, {TYPEFLAG_FHIDDEN, "hidden"}, {TYPEFLAG_FCONTROL, "control"},
    {TYPEFLAG_FDUAL, "dual"}, {TYPEFLAG_FNONEXTENSIBLE, "nonextensible"},
    {TYPEFLAG_FOLEAUTOMATION, "oleautomation"}, {TYPEFLAG_FRESTRICTED, "restricted"},
    {TYPEFLAG_FAGGREGATABLE, "aggregatable"}, {TYPEFLAG_FREPLACEABLE, "replaceable"},
    {TYPEFLAG_FDISPATCHABLE, "dispatchable"}, {TYPEFLAG_FREVERSEBIND, "reversebind"},
    {TYPEFLAG_FPROXY, "proxy"}, {0, NULL}};
static const struct flag IMPLTYPEFLAG_NAMES[] = {
    {IMPLTYPEFLAG_FDEFAULT, "default"}, {IMPLTYPEFLAG_FSOURCE, "source"},
    {IMPLTYPEFLAG_FRESTRICTED, "restricted"}, {IMPLTYPEFLAG_FDEFAULTVTABLE, "defaultvtable"}, {0, NULL}};
static const struct flag PARAMFLAG_NAMES[] = {
    {PARAMFLAG_FIN, "in"}, {PARAMFLAG_FOUT, "out"}, {PARAMFLAG_FLCID, "lcid"}, {PARAMFLAG_FRETVAL, "retval"},
    {PARAMFLAG_FOPT, "optional"}, {PARAMFLAG_FHASDEFAULT, "hasdefault"},
    {PARAMFLAG_FHASCUSTDATA, "hascustdata"}, {0, NULL}};
static const char *const TYPEKIND_NAMES[] = {"enum", "record", "module", "interface", "dispatch", "coclass",
                                             "alias", "union"};
static const char *const FUNCKIND_NAMES[] = {"virtual", "purevirtual", "nonvirtual", "static", "dispatch"};
static const char *const VARKIND_NAMES[] = {"perinstance", "static", "const", "dispatch"};
static const char *const SYSKIND_NAMES[] = {"win16", "win32", "mac", "win64"};

static const char *invkind_name(INVOKEKIND kind)
{
    switch (kind) {
    case INVOKE_FUNC: return "func";
    case INVOKE_PROPERTYGET: return "propget";
    case INVOKE_PROPERTYPUT: return "propput";
    case INVOKE_PROPERTYPUTREF: return "propputref";
    default: return "unknown";
    }
}

/* ---- types ------------------------------------------------------------------------------------ */

static const char *base_type_name(VARTYPE vt)
{
    switch (vt) {
    case VT_EMPTY: return "EMPTY"; case VT_NULL: return "NULL"; case VT_I2: return "SHORT";
    case VT_I4: return "LONG"; case VT_R4: return "FLOAT"; case VT_R8: return "DOUBLE";
    case VT_CY: return "CURRENCY"; case VT_DATE: return "DATE"; case VT_BSTR: return "BSTR";
    case VT_DISPATCH: return "IDispatch*"; case VT_ERROR: return "SCODE"; case VT_BOOL: return "VARIANT_BOOL";
    case VT_VARIANT: return "VARIANT"; case VT_UNKNOWN: return "IUnknown*"; case VT_DECIMAL: return "DECIMAL";
    case VT_I1: return "CHAR"; case VT_UI1: return "BYTE"; case VT_UI2: return "USHORT";
    case VT_UI4: return "ULONG"; case VT_I8: return "LONGLONG"; case VT_UI8: return "ULONGLONG";
    case VT_INT: return "INT"; case VT_UINT: return "UINT"; case VT_VOID: return "void";
    case VT_HRESULT: return "HRESULT"; case VT_LPSTR: return "LPSTR"; case VT_LPWSTR: return "LPWSTR";
    default: return NULL;
    }
}

/* Writes the type as the spec spells it (LONG, BSTR*, SAFEARRAY(VARIANT)*, SESSION_STATE) into out. */
static void type_text(ITypeInfo *owner, const TYPEDESC *desc, char *out, size_t size)
{
    char inner[512];
    const char *name;
    switch (desc->vt) {
    case VT_PTR:
        type_text(owner, desc->lptdesc, inner, sizeof inner);
        snprintf(out, size, "%s*", inner);
        return;
    case VT_SAFEARRAY:
        type_text(owner, desc->lptdesc, inner, sizeof inner);
        snprintf(out, size, "SAFEARRAY(%s)", inner);
        return;
    case VT_USERDEFINED: {
        ITypeInfo *target;
        BSTR bname = NULL;
        snprintf(out, size, "<unresolved>");
        if (SUCCEEDED(ITypeInfo_GetRefTypeInfo(owner, desc->hreftype, &target))) {
            if (SUCCEEDED(ITypeInfo_GetDocumentation(target, MEMBERID_NIL, &bname, NULL, NULL, NULL)) && bname)
                WideCharToMultiByte(CP_UTF8, 0, bname, -1, out, (int)size, NULL, NULL);
            SysFreeString(bname);
            ITypeInfo_Release(target);
        }
        return;
    }
    default:
        name = base_type_name(desc->vt);
        if (name) snprintf(out, size, "%s", name);
        else snprintf(out, size, "VT_0x%x", desc->vt);
    }
}

static void put_type(ITypeInfo *owner, const TYPEDESC *desc)
{
    char text[512];
    WCHAR wide[512];
    type_text(owner, desc, text, sizeof text);
    MultiByteToWideChar(CP_UTF8, 0, text, -1, wide, 512);
    put_string(wide);
}

/* ---- type infos ----------------------------------------------------------------------------- */

static void put_name_of(ITypeInfo *info)
{
    BSTR name = NULL;
    ITypeInfo_GetDocumentation(info, MEMBERID_NIL, &name, NULL, NULL, NULL);
    put_string(name);
    SysFreeString(name);
}

static void put_helpstring_of(ITypeInfo *info)
{
    BSTR doc = NULL;
    ITypeInfo_GetDocumentation(info, MEMBERID_NIL, NULL, &doc, NULL, NULL);
    put_string(doc);
    SysFreeString(doc);
}

static void put_reference(ITypeInfo *owner, HREFTYPE href, int flags, int with_flags)
{
    ITypeInfo *target;
    TYPEATTR *attr;
    printf("{\"name\": ");
    if (SUCCEEDED(ITypeInfo_GetRefTypeInfo(owner, href, &target))) {
        put_name_of(target);
        printf(", \"guid\": ");
        if (SUCCEEDED(ITypeInfo_GetTypeAttr(target, &attr))) {
            put_guid(&attr->guid);
            ITypeInfo_ReleaseTypeAttr(target, attr);
        } else printf("null");
        ITypeInfo_Release(target);
    } else printf("null, \"guid\": null");
    if (with_flags) { printf(", \"flags\": "); put_flags(flags, IMPLTYPEFLAG_NAMES); }
    putchar('}');
}

/* Whether function `index` is the first of `info` with its memid: GetNames is keyed by memid and
 * answers for that first function only, so the parameter names it gives belong to no later accessor. */
static int first_with_memid(ITypeInfo *info, UINT index, MEMBERID memid)
{
    UINT i;
    for (i = 0; i < index; i++) {
        FUNCDESC *other;
        int same = 0;
        if (SUCCEEDED(ITypeInfo_GetFuncDesc(info, i, &other))) {
            same = other->memid == memid;
            ITypeInfo_ReleaseFuncDesc(info, other);
        }
        if (same) return 0;
    }
    return 1;
}

static void put_function(ITypeInfo *info, UINT index)
{
    FUNCDESC *func;
    BSTR names[64];
    UINT count = 0, i, named;
    if (FAILED(ITypeInfo_GetFuncDesc(info, index, &func))) { printf("null"); return; }
    memset(names, 0, sizeof names);
    ITypeInfo_GetNames(info, func->memid, names, 64, &count);
    named = first_with_memid(info, index, func->memid) ? count : (count ? 1 : 0);
    printf("{\"name\": ");
    put_string(count ? names[0] : NULL);
    printf(", \"memid\": %ld, \"invkind\": \"%s\", \"funckind\": \"%s\", \"oVft\": %d, \"returns\": ",
           (long)func->memid, invkind_name(func->invkind),
           func->funckind <= FUNC_DISPATCH ? FUNCKIND_NAMES[func->funckind] : "unknown", (int)func->oVft);
    put_type(info, &func->elemdescFunc.tdesc);
    printf(", \"params\": [");
    for (i = 0; i < (UINT)func->cParams; i++) {
        printf("%s{\"name\": ", i ? ", " : "");
        put_string(i + 1 < named ? names[i + 1] : NULL);
        printf(", \"type\": ");
        put_type(info, &func->lprgelemdescParam[i].tdesc);
        printf(", \"flags\": ");
        put_flags(func->lprgelemdescParam[i].paramdesc.wParamFlags, PARAMFLAG_NAMES);
        putchar('}');
    }
    printf("]}");
    for (i = 0; i < count; i++) SysFreeString(names[i]);
    ITypeInfo_ReleaseFuncDesc(info, func);
}

static void put_variable(ITypeInfo *info, UINT index)
{
    VARDESC *var;
    BSTR name = NULL;
    UINT count = 0;
    if (FAILED(ITypeInfo_GetVarDesc(info, index, &var))) { printf("null"); return; }
    ITypeInfo_GetNames(info, var->memid, &name, 1, &count);
    printf("{\"name\": ");
    put_string(count ? name : NULL);
    printf(", \"memid\": %ld, \"varkind\": \"%s\", \"value\": ", (long)var->memid,
           var->varkind <= VAR_DISPATCH ? VARKIND_NAMES[var->varkind] : "unknown");
    if (var->varkind == VAR_CONST && var->lpvarValue) {
        VARIANT as_long;
        VariantInit(&as_long);
        if (SUCCEEDED(VariantChangeType(&as_long, var->lpvarValue, 0, VT_I4))) printf("%ld", (long)V_I4(&as_long));
        else printf("null");
        VariantClear(&as_long);
    } else printf("null");
    putchar('}');
    SysFreeString(name);
    ITypeInfo_ReleaseVarDesc(info, var);
}

/* The dual interface's vtable half, or NULL: GetRefTypeOfImplType(-1) names it. */
static ITypeInfo *vtable_half(ITypeInfo *info, const TYPEATTR *attr)
{
    HREFTYPE href;
    ITypeInfo *half;
    if (!(attr->wTypeFlags & TYPEFLAG_FDUAL) || attr->typekind != TKIND_DISPATCH) return NULL;
    if (FAILED(ITypeInfo_GetRefTypeOfImplType(info, (UINT)-1, &href))) return NULL;
    if (FAILED(ITypeInfo_GetRefTypeInfo(info, href, &half))) return NULL;
    return half;
}

static void put_typeinfo(ITypeInfo *info, int with_vtable_half)
{
    TYPEATTR *attr, *half_attr;
    ITypeInfo *half;
    UINT i, inherited = 0;
    if (FAILED(ITypeInfo_GetTypeAttr(info, &attr))) { printf("null"); return; }
    /* The dispatch half of a dual interface lists the members of IUnknown and IDispatch first; the dump
     * gives their number and the interface's own functions. */
    half = vtable_half(info, attr);
    if (half && SUCCEEDED(ITypeInfo_GetTypeAttr(half, &half_attr))) {
        if (attr->cFuncs > half_attr->cFuncs) inherited = attr->cFuncs - half_attr->cFuncs;
        ITypeInfo_ReleaseTypeAttr(half, half_attr);
    }
    printf("{\"name\": ");
    put_name_of(info);
    printf(", \"helpstring\": ");
    put_helpstring_of(info);
    printf(", \"guid\": ");
    put_guid(&attr->guid);
    printf(", \"typekind\": \"%s\", \"typeflags\": ",
           attr->typekind < TKIND_MAX ? TYPEKIND_NAMES[attr->typekind] : "unknown");
    put_flags(attr->wTypeFlags, TYPEFLAG_NAMES);
    printf(", \"cbSizeVft\": %d, \"impltypes\": [", (int)attr->cbSizeVft);
    for (i = 0; i < attr->cImplTypes; i++) {
        HREFTYPE href;
        INT flags = 0;
        printf("%s", i ? ", " : "");
        if (FAILED(ITypeInfo_GetRefTypeOfImplType(info, i, &href))) { printf("null"); continue; }
        if (attr->typekind == TKIND_COCLASS) ITypeInfo_GetImplTypeFlags(info, i, &flags);
        put_reference(info, href, flags, attr->typekind == TKIND_COCLASS);
    }
    printf("], \"inherited_functions\": %u, \"functions\": [", inherited);
    for (i = inherited; i < attr->cFuncs; i++) { printf("%s", i > inherited ? ", " : ""); put_function(info, i); }
    printf("], \"variables\": [");
    for (i = 0; i < attr->cVars; i++) { printf("%s", i ? ", " : ""); put_variable(info, i); }
    printf("], \"alias\": ");
    if (attr->typekind == TKIND_ALIAS) put_type(info, &attr->tdescAlias);
    else printf("null");
    if (with_vtable_half) {
        printf(", \"vtable_half\": ");
        if (half) put_typeinfo(half, 0);
        else printf("null");
    }
    if (half) ITypeInfo_Release(half);
    putchar('}');
    ITypeInfo_ReleaseTypeAttr(info, attr);
}

int wmain(int argc, WCHAR **argv)
{
    ITypeLib *lib;
    TLIBATTR *attr;
    BSTR name = NULL, doc = NULL;
    HRESULT hr;
    UINT i, count;
    if (argc != 2) { fputs("usage: tlbdump FILE.tlb\n", stderr); return 2; }
    _setmode(_fileno(stdout), _O_BINARY);
    hr = LoadTypeLibEx(argv[1], REGKIND_NONE, &lib);
    if (FAILED(hr)) { fprintf(stderr, "LoadTypeLibEx failed: 0x%08lx\n", (unsigned long)hr); return 2; }
    ITypeLib_GetLibAttr(lib, &attr);
    ITypeLib_GetDocumentation(lib, -1, &name, &doc, NULL, NULL);
    printf("{\"library\": {\"name\": ");
    put_string(name);
    printf(", \"helpstring\": ");
    put_string(doc);
    SysFreeString(name);
    SysFreeString(doc);
    printf(", \"libid\": ");
    put_guid(&attr->guid);
    printf(", \"version\": \"%u.%u\", \"lcid\": %lu, \"syskind\": \"%s\"}, \"typeinfos\": [",
           attr->wMajorVerNum, attr->wMinorVerNum, (unsigned long)attr->lcid,
           attr->syskind <= SYS_WIN64 ? SYSKIND_NAMES[attr->syskind] : "unknown");
    ITypeLib_ReleaseTLibAttr(lib, attr);
    count = ITypeLib_GetTypeInfoCount(lib);
    for (i = 0; i < count; i++) {
        ITypeInfo *info;
        printf("%s\n  ", i ? "," : "");
        if (FAILED(ITypeLib_GetTypeInfo(lib, i, &info))) { printf("null"); continue; }
        put_typeinfo(info, 1);
        ITypeInfo_Release(info);
    }
    printf("\n]}\n");
    ITypeLib_Release(lib);
    return 0;
}
