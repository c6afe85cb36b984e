"""Behaviour of the contact objects (IMessengerContact) the session API takes and gives."""
from __future__ import annotations

import uuid

import pytest

from msgrspec.suite import SpecValues, assert_hr, assert_ok

# MISTATUS and MPHONE_TYPE values of the Messenger API (Msgrua.h); the spec names the types but does not carry them
MISTATUS_REMOTE = {"MISTATUS_UNKNOWN": 0x0, "MISTATUS_OFFLINE": 0x1, "MISTATUS_ONLINE": 0x2, "MISTATUS_BUSY": 0xA,
                   "MISTATUS_BE_RIGHT_BACK": 0xE, "MISTATUS_IDLE": 0x12, "MISTATUS_AWAY": 0x22,
                   "MISTATUS_ON_THE_PHONE": 0x32, "MISTATUS_OUT_TO_LUNCH": 0x42}
MISTATUS_OFFLINE = 0x1
MPHONE_TYPES = {"MPHONE_TYPE_HOME": 0, "MPHONE_TYPE_WORK": 1, "MPHONE_TYPE_MOBILE": 2}
# the MCONTACTPROPERTY values that name a property (Msgrua.h); the spec names the type but does not carry them
MCONTACTPROPERTY = {"MCONTACTPROP_GROUPS_PROPERTY": 0, "MCONTACTPROP_EMAIL": 1}
#: an index no Messenger API enumeration uses (neither an MPHONE_TYPE nor an MCONTACTPROPERTY value)
FOREIGN_INDEX = 4096


@pytest.fixture
def v(spec) -> SpecValues:
    return SpecValues(spec)


def stranger() -> str:
    return f"stranger-{uuid.uuid4().hex[:10]}@msgrspec.invalid"


@pytest.mark.requirement("contact.blocked.no-change")
def test_blocking_twice_changes_nothing(local, v):
    contact = local.contact(stranger()).value
    start = local.get(contact, "Blocked")
    assert_ok(start, "get Blocked")
    assert_hr(local.put(contact, "Blocked", start.value), v.S_FALSE, f"put Blocked {start.value} (as it is)")
    assert_hr(local.put(contact, "Blocked", not start.value), v.S_OK, f"put Blocked {not start.value}")
    assert_hr(local.put(contact, "Blocked", not start.value), v.S_FALSE, f"put Blocked {not start.value} again")
    assert_hr(local.put(contact, "Blocked", start.value), v.S_OK, "put Blocked back")


@pytest.mark.requirement("contact.blocked.keeps-contact")
def test_blocking_is_one_way_and_keeps_the_contact(local, peer, v):
    contact = local.contact(peer.signin).value
    assert_ok(local.put(contact, "Blocked", True), "block the peer")
    assert local.get(contact, "Blocked").value is True
    assert_ok(local.get(contact, "SigninName"), "the blocked contact still answers")
    status = local.get(contact, "Status")
    assert_ok(status, "get Status of the blocked contact")
    assert status.value != MISTATUS_OFFLINE, "blocking hid the blocked contact's status from the blocker"
    back = peer.contact(local.signin).value
    assert peer.get(back, "Blocked").value is False, "blocking also blocked in the other direction"


@pytest.mark.requirement("contact.isself.signin-name")
def test_is_self_compares_sign_in_names(local, v):
    me = local.contact(local.signin).value
    assert local.get(me, "IsSelf").value is True, "IsSelf of the signed-in user"
    shouting = local.contact(local.signin.upper()).value
    assert local.get(shouting, "IsSelf").value is True, "IsSelf ignores the case of the sign-in name"
    assert local.get(local.contact(stranger()).value, "IsSelf").value is False, "IsSelf of another user"


@pytest.mark.requirement("contact.phone.no-number")
def test_phone_number_without_a_number_fails(local, v):
    contact = local.contact(stranger()).value
    for name, phone_type in MPHONE_TYPES.items():
        assert_hr(local.get(contact, "PhoneNumber", phone_type), v.E_FAIL, f"PhoneNumber({name}) of a user without one")
    assert_hr(local.get(contact, "PhoneNumber", FOREIGN_INDEX), v.E_FAIL,
              f"PhoneNumber({FOREIGN_INDEX}), not an MPHONE_TYPE")


@pytest.mark.requirement("contact.status.remote-values")
def test_remote_status_is_never_invisible_or_local(request, local, profile):
    """A made-up sign-in name names nobody who could be signed in: that part needs no second party."""
    status = local.get(local.contact(stranger()).value, "Status")
    assert_ok(status, "get Status of a user who is not signed in")
    assert status.value == MISTATUS_OFFLINE, f"a user who is not signed in shows the Status {status.value!r}"
    if "peer" in profile.features:
        peer = request.getfixturevalue("peer")
        status = local.get(local.contact(peer.signin).value, "Status")
        assert_ok(status, f"get Status of {peer.signin}")
        assert status.value in MISTATUS_REMOTE.values(), f"Status of a remote contact is {status.value:#x}"


@pytest.mark.requirement("contact.canpage.no-mobile-details")
def test_a_user_nobody_knows_cannot_be_paged(local):
    can_page = local.get(local.contact(stranger()).value, "CanPage")
    assert_ok(can_page, "get CanPage of a user the service does not know")
    assert can_page.value is False, f"CanPage of a user the service does not know is {can_page.value!r}"


@pytest.mark.requirement("contact.property.out-of-range")
def test_property_refuses_an_index_outside_mcontactproperty(local, v):
    contact = local.contact(stranger()).value
    assert_hr(local.get(contact, "Property", FOREIGN_INDEX), v.E_INVALIDARG,
              f"get Property({FOREIGN_INDEX}), not an MCONTACTPROPERTY")
    assert_hr(local.put(contact, "Property", "msgrspec", FOREIGN_INDEX), v.E_INVALIDARG,
              f"put Property({FOREIGN_INDEX}), not an MCONTACTPROPERTY")
    # text that is no number cannot be an MCONTACTPROPERTY either; IDispatch::Invoke, which cannot convert it,
    # refuses it with DISP_E_TYPEMISMATCH before the object sees it (structure.argument-types)
    text = local.get(contact, "Property", "not a number")
    assert text.hr & 0xFFFFFFFF in (v.E_INVALIDARG, v.DISP_E_TYPEMISMATCH), \
        f"get Property('not a number') answered 0x{text.hr & 0xFFFFFFFF:08X}, not E_INVALIDARG or DISP_E_TYPEMISMATCH"


@pytest.mark.requirement("contact.property.known-indexes")
def test_property_reads_at_the_mcontactproperty_indexes(local):
    contact = local.contact(stranger()).value
    for name, index in MCONTACTPROPERTY.items():
        assert_ok(local.get(contact, "Property", index), f"get Property({name})")
