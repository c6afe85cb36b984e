/* The lock's cryptography on Windows: MD5 and random bytes from CryptoAPI (the base provider, no key
 * container needed). */
#include "cs.h"

#include <wincrypt.h>

static HCRYPTPROV provider(void)
{
    static HCRYPTPROV handle;
    if (!handle && !CryptAcquireContextW(&handle, NULL, NULL, PROV_RSA_FULL, CRYPT_VERIFYCONTEXT)) {
        fprintf(stderr, "c-session-manager: CryptAcquireContext failed (%lu)\n", (unsigned long)GetLastError());
        handle = 0;
    }
    return handle;
}

void cs_md5_hex(const unsigned char *data, size_t length, char out[33])
{
    HCRYPTHASH hash = 0;
    BYTE digest[16];
    DWORD size = sizeof(digest);
    int i;
    out[0] = 0;  /* a digest nobody can match, should CryptoAPI fail */
    if (!provider() || !CryptCreateHash(provider(), CALG_MD5, 0, 0, &hash)) return;
    if (CryptHashData(hash, data, (DWORD)length, 0) && CryptGetHashParam(hash, HP_HASHVAL, digest, &size, 0) &&
        size == sizeof(digest)) {
        for (i = 0; i < 16; i++) sprintf(out + 2 * i, "%02x", digest[i]);
        out[32] = 0;
    }
    CryptDestroyHash(hash);
}

void cs_random_bytes(unsigned char *out, size_t count)
{
    size_t i;
    if (provider() && CryptGenRandom(provider(), (DWORD)count, out)) return;
    for (i = 0; i < count; i++) out[i] = (unsigned char)rand();
}
