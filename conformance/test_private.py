"""Behaviour of MessengerPriv (IMessengerPrivate): adding contacts silently."""
from __future__ import annotations

import uuid

import pytest

from msgrspec.adapter import ObjRef
from msgrspec.suite import SpecValues, assert_failed, assert_hr, assert_ok, named, unlocked, wait_for

PRIVATE = "DMessengerPrivateEvents"


@pytest.fixture
def v(spec) -> SpecValues:
    return SpecValues(spec)


@pytest.fixture
def private(local, profile) -> ObjRef:
    obj = unlocked(local, "MessengerPriv", profile)
    assert_ok(local.connect(obj, PRIVATE), f"connect {PRIVATE}")
    return obj


def stranger() -> str:
    return f"stranger-{uuid.uuid4().hex[:10]}@msgrspec.invalid"


def service_id(party) -> str:
    me = party.contact(party.signin)
    assert_ok(me, "contact for the signed-in user")
    found = party.get(me.value, "ServiceId")
    assert_ok(found, "get ServiceId")
    return found.value


# -- AddContact ---------------------------------------------------------------------------------------

@pytest.mark.requirement("private.add-contact.result-event")
def test_add_contact_reports_with_on_contact_list_add(local, private, v):
    """Erratum add-contact-invalid-name: a name that is not a string is refused outright with E_INVALIDARG."""
    name = stranger()
    assert_hr(local.call(private, "AddContact", name, service_id(local)), v.S_OK, f"AddContact({name!r})")
    event = wait_for(local, named(PRIVATE, "OnContactListAdd"), "OnContactListAdd")
    hr, contact = event.args
    assert isinstance(hr, int) and not hr & 0x80000000, f"OnContactListAdd reported 0x{hr & 0xFFFFFFFF:08X}"
    assert isinstance(contact, ObjRef), "OnContactListAdd carried no contact object"
    assert local.get(contact, "SigninName").value.lower() == name.lower(), "OnContactListAdd names another user"
    assert_hr(local.call(private, "AddContact", 12345, ""), v.E_INVALIDARG, "AddContact with a number for a name")
    # a name outside ASCII (structure.unicode-text): whether the service takes it is its own affair (the event's
    # hr), but the contact the event carries is still the user the call named. Two-byte (ë, č), three-byte (€)
    # and four-byte UTF-8 (U+1F600, U+10348, and U+10FFFD of the last plane)
    name = f"zoë-č-€-\U0001F600-\U00010348-\U0010FFFD-{uuid.uuid4().hex[:6]}@msgrspec.invalid"
    assert_ok(local.call(private, "AddContact", name, ""), f"AddContact({name!r})")
    contact = wait_for(local, named(PRIVATE, "OnContactListAdd"), f"OnContactListAdd for {name!r}").args[1]
    assert isinstance(contact, ObjRef), f"OnContactListAdd for {name!r} carried no contact object"
    signin = local.get(contact, "SigninName").value
    assert isinstance(signin, str) and signin.lower() == name.lower(), \
        f"OnContactListAdd names {signin!r}, not {name!r}"


@pytest.mark.requirement("private.add-contact.null-name")
def test_add_contact_refuses_a_null_name(local, private, v):
    assert_hr(local.call(private, "AddContact", None, ""), v.E_POINTER, "AddContact(NULL)")


@pytest.mark.requirement("private.add-contact.service-forms")
def test_add_contact_takes_the_service_id(local, private, v):
    """Erratum add-contact-service-parameter: the ID as a BSTR (the IDispatch form needs a MessengerService
    object, which the adapter contract cannot hand out)."""
    assert_hr(local.call(private, "AddContact", stranger(), service_id(local)), v.S_OK, "AddContact with a service ID")
    event = wait_for(local, named(PRIVATE, "OnContactListAdd"), "OnContactListAdd")
    assert not event.args[0] & 0x80000000, "the addition with a service ID failed"
    me = local.contact(local.signin).value
    name = local.get(me, "ServiceName").value
    if isinstance(name, str) and name.strip().upper() != service_id(local).strip().upper():
        assert_failed(local.call(private, "AddContact", stranger(), name),
                      f"AddContact with the service's name {name!r} instead of its ID")
    # an IDispatch that is not a MessengerService object (a contact, the MessengerPriv itself) names no service
    for what, other in (("a contact object", me), ("the MessengerPriv object", private)):
        assert_failed(local.call(private, "AddContact", stranger(), other), f"AddContact with {what} as vService")
    # nor does a VARIANT of another type: a number is neither a service ID nor an object
    assert_failed(local.call(private, "AddContact", stranger(), 12345), "AddContact with a number as vService")


# -- EnableAlertEvents --------------------------------------------------------------------------------

@pytest.mark.requirement("private.alerts.site-ids")
def test_enable_alert_events_wants_long_site_ids(local, private, v):
    """A VARIANT array may carry any type; a text entry that is no number is not a site ID."""
    assert_hr(local.call(private, "EnableAlertEvents", [1, "not a site id"]), v.E_INVALIDARG,
              "EnableAlertEvents with a string among the site IDs")
    assert_hr(local.call(private, "EnableAlertEvents", [1, 2]), v.S_OK, "EnableAlertEvents with LONG site IDs")
    assert_hr(local.call(private, "EnableAlertEvents", [3]), v.S_OK, "EnableAlertEvents again, with other site IDs")
