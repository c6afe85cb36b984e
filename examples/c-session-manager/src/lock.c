/* IMsgrLock: the Lock and Key exchange of a session manager or a MessengerPriv object.
 *
 *   LOCK_NOTINITIALIZED --a sink connects: OnLockEnable--> LOCK_INITIALIZED
 *   LOCK_INITIALIZED --RequestChallenge(cookie): OnLockChallenge--> LOCK_PENDINGRESULT
 *   LOCK_PENDINGRESULT --SendResponse(id, md5(challenge + key), cookie): OnLockResult--> UNLOCKED or UNLOCKFAILED
 *
 * Every change of Status is announced with OnLockStatusChanged, on the owner's own event interface. */
#include "objects.h"

static struct cs_lock *from_iface(IMsgrLock *iface)
{
    return CS_CONTAINER(iface, struct cs_lock, iface);
}

static void set_status(struct cs_lock *lock, LockStatus status)
{
    VARIANT arg;
    if (status == lock->status) return;
    lock->status = status;
    cs_variant_init(&arg);
    V_VT(&arg) = VT_I4;
    V_I4(&arg) = status;
    cs_fire(lock->events, "OnLockStatusChanged", 1, &arg);
}

int cs_lock_locked(const struct cs_lock *lock)
{
    return lock->owner->world->lock_enforced && lock->status != LOCK_UNLOCKED && lock->status != LOCK_DISABLED;
}

void cs_lock_on_advise(struct cs_lock *lock)
{
    VARIANT arg;
    int enabled = lock->owner->world->lock_enabled;
    if (lock->status != LOCK_NOTINITIALIZED) return;
    set_status(lock, enabled ? LOCK_INITIALIZED : LOCK_DISABLED);
    cs_variant_init(&arg);
    V_VT(&arg) = VT_BOOL;
    V_BOOL(&arg) = enabled ? VARIANT_TRUE : VARIANT_FALSE;
    cs_fire(lock->events, "OnLockEnable", 1, &arg);
}

static HRESULT STDMETHODCALLTYPE lock_QueryInterface(IMsgrLock *iface, REFIID riid, void **out)
{
    return cs_query(from_iface(iface)->owner, riid, out);
}

static ULONG STDMETHODCALLTYPE lock_AddRef(IMsgrLock *iface)
{
    return cs_addref(from_iface(iface)->owner);
}

static ULONG STDMETHODCALLTYPE lock_Release(IMsgrLock *iface)
{
    return cs_release(from_iface(iface)->owner);
}

static HRESULT STDMETHODCALLTYPE lock_get_Status(IMsgrLock *iface, LockStatus *status)
{
    if (!status) return E_POINTER;
    *status = from_iface(iface)->status;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE lock_RequestChallenge(IMsgrLock *iface, LONG cookie)
{
    struct cs_lock *lock = from_iface(iface);
    unsigned char random[20];
    VARIANT args[2];
    int i;
    switch (lock->status) {
    case LOCK_NOTINITIALIZED: return MSGR_E_API_NOTINITIALIZED;
    case LOCK_DISABLED: return MSGR_E_API_DISABLED;
    case LOCK_PENDINGRESULT: return MSGR_E_API_PENDING_UNLOCK;
    case LOCK_UNLOCKED: return MSGR_E_API_ALREADY_UNLOCKED;
    case LOCK_UNLOCKFAILED: return MSGR_E_API_UNLOCK_FAILED;
    default: break;
    }
    cs_random_bytes(random, sizeof(random));
    for (i = 0; i < 20; i++) lock->challenge[i] = (char)('0' + random[i] % 10);
    lock->challenge[20] = 0;
    lock->cookie = cookie;
    set_status(lock, LOCK_PENDINGRESULT);
    cs_variant_init(&args[0]);
    cs_variant_init(&args[1]);
    V_VT(&args[0]) = VT_I4;
    V_I4(&args[0]) = cookie;
    V_VT(&args[1]) = VT_BSTR;
    V_BSTR(&args[1]) = cs_bstr_ascii(lock->challenge);
    cs_fire(lock->events, "OnLockChallenge", 2, args);
    cs_variant_clear(&args[1]);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE lock_SendResponse(IMsgrLock *iface, BSTR app_id, BSTR response, LONG cookie)
{
    struct cs_lock *lock = from_iface(iface);
    struct cs_world *world = lock->owner->world;
    char expected[33], *joined, *given_id;
    int success;
    size_t n;
    VARIANT args[2];
    if (!app_id || !response) return E_INVALIDARG;
    switch (lock->status) {
    case LOCK_NOTINITIALIZED: return MSGR_E_API_NOTINITIALIZED;
    case LOCK_DISABLED: return MSGR_E_API_DISABLED;
    case LOCK_INITIALIZED: return MSGR_E_API_LOCKED;
    case LOCK_UNLOCKED: return MSGR_E_API_ALREADY_UNLOCKED;
    case LOCK_UNLOCKFAILED: return MSGR_E_API_UNLOCK_FAILED;
    default: break;
    }
    if (cookie != lock->cookie) return E_INVALIDARG;
    n = strlen(lock->challenge) + strlen(world->lock_key);
    joined = malloc(n + 1);
    if (!joined) return E_OUTOFMEMORY;
    strcpy(joined, lock->challenge);
    strcat(joined, world->lock_key);
    cs_md5_hex((const unsigned char *)joined, n, expected);
    free(joined);
    given_id = cs_bstr_to_utf8(app_id);
    success = given_id && !strcmp(given_id, world->lock_id) && cs_bstr_equal_ascii_nocase(response, expected);
    free(given_id);
    set_status(lock, success ? LOCK_UNLOCKED : LOCK_UNLOCKFAILED);
    cs_variant_init(&args[0]);
    cs_variant_init(&args[1]);
    V_VT(&args[0]) = VT_I4;
    V_I4(&args[0]) = cookie;
    V_VT(&args[1]) = VT_BOOL;
    V_BOOL(&args[1]) = success ? VARIANT_TRUE : VARIANT_FALSE;
    cs_fire(lock->events, "OnLockResult", 2, args);
    return S_OK;
}

static const IMsgrLockVtbl lock_vtbl = {
    lock_QueryInterface, lock_AddRef, lock_Release, lock_get_Status, lock_RequestChallenge, lock_SendResponse,
};

void cs_lock_init(struct cs_lock *lock, struct cs_base *owner, struct cs_events *events)
{
    memset(lock, 0, sizeof(*lock));
    lock->iface.lpVtbl = &lock_vtbl;
    lock->owner = owner;
    lock->events = events;
    lock->status = LOCK_NOTINITIALIZED;
}
