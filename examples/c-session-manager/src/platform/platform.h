/* The platform layer: what the objects need from the system, one declaration for every platform.
 *
 *   platform/posix/   Linux (the protocol server): BSTRs, VARIANTs and SAFEARRAYs written for this
 *                     example, MD5 of its own, IDispatch that only maps names.
 *   platform/win32/   Windows (the COM server): oleaut32's allocators, CryptoAPI's MD5 and random
 *                     bytes, IDispatch answered from the module's embedded type library.
 *
 * Everything else (the objects, their checks and events) is the same source on both. */
#ifndef CS_PLATFORM_H
#define CS_PLATFORM_H

/* BSTR, SAFEARRAY, VARIANT: the layouts of the header; the allocators of the platform */
BSTR cs_bstr_alloc(const WCHAR *units, UINT length);  /* units may be NULL: zeros */
void cs_bstr_free(BSTR text);
UINT cs_bstr_len(const BSTR text);                     /* UTF-16 code units; 0 for NULL */
SAFEARRAY *cs_safearray_variants(ULONG count);         /* one dimension of VARIANTs, lower bound 0 */
void cs_safearray_destroy(SAFEARRAY *array);
void cs_variant_init(VARIANT *v);
void cs_variant_clear(VARIANT *v);
HRESULT cs_variant_copy(VARIANT *to, const VARIANT *from);

/* the lock's cryptography */
void cs_md5_hex(const unsigned char *data, size_t length, char out[33]);  /* lower-case hex digest */
void cs_random_bytes(unsigned char *out, size_t count);

/* IDispatch of the dual interface `itf_name` (a name of the type information), for the object whose
 * vtable of that interface is `self` */
HRESULT cs_dispatch_type_info_count(const char *itf_name, UINT *count);
HRESULT cs_dispatch_type_info(const char *itf_name, UINT index, ITypeInfo **out);
HRESULT cs_dispatch_ids(const char *itf_name, LPOLESTR *names, UINT count, DISPID *ids);
HRESULT cs_dispatch_invoke(void *self, const char *itf_name, DISPID id, REFIID riid, WORD flags,
                           DISPPARAMS *params, VARIANT *result, EXCEPINFO *info, UINT *bad);

#endif
