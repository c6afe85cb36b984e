"""Behaviour of MsgrSessionManager: making sessions, the launching session, the application registry."""
from __future__ import annotations

import os
import re
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msgrspec.adapter import ObjRef
from msgrspec.suite import (
    APP_NAME, APP_PATH, APP_URL, Invitation, SpecValues, assert_hr, assert_ok, barrier, named, new_guid,
    register_app, prerequisite, unlocked, wait_for,
)

#: the run's hypothesis profile (derandomized unless --msgrspec-explore), plus fixtures used inside @given
PROPERTY = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
#: sessions made and held in one test: more than a small table of objects would hold
SESSIONS_AT_ONCE = 24
BRACED_GUID = re.compile(r"^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$")


@pytest.fixture
def v(spec) -> SpecValues:
    return SpecValues(spec)


@pytest.fixture
def manager(local, profile) -> ObjRef:
    return unlocked(local, "MsgrSessionManager", profile)


def register(party, manager, guid, name=APP_NAME, url=APP_URL, path=APP_PATH, flags=0):
    return party.call(manager, "RegisterApplication", guid, name, url, path, flags)


def session_for(party, manager, guid=None) -> ObjRef:
    created = party.call(manager, "CreateSession")
    assert_ok(created, "CreateSession")
    if guid is not None:
        assert_ok(party.put(created.value, "Application", guid), f"put Application {guid}")
    return created.value


# -- CreateSession --------------------------------------------------------------------------------

@pytest.mark.requirement("session-manager.create.new-object")
def test_create_session_gives_a_new_object_each_time(local, manager, v):
    first = local.call(manager, "CreateSession")
    second = local.call(manager, "CreateSession")
    assert_hr(first, v.S_OK, "first CreateSession")
    assert_hr(second, v.S_OK, "second CreateSession")
    assert isinstance(first.value, ObjRef) and isinstance(second.value, ObjRef)
    ids = [local.get(s.value, "SessionID").value for s in (first, second)]
    assert ids[0] != ids[1], f"two sessions share the SessionID {ids[0]}"
    # what is done to one session does not show on the other
    guid = register_app(local, manager)
    assert_ok(local.put(first.value, "Application", guid), "put Application on the first session")
    assert_hr(local.get(second.value, "Application"), v.SR_APP_NOT_SPECIFIED, "Application of the second session")


@pytest.mark.requirement("session-manager.create.session-id")
def test_session_id_is_a_braced_guid_unique_per_session(local, manager):
    """Many sessions of one manager, all held at once: no two of them share an ID."""
    seen = set()
    for _ in range(SESSIONS_AT_ONCE):
        session = session_for(local, manager)
        answer = local.get(session, "SessionID")
        assert_ok(answer, "get SessionID")
        assert isinstance(answer.value, str) and BRACED_GUID.match(answer.value), \
            f"SessionID {answer.value!r} is not a GUID in braces"
        seen.add(answer.value.upper())
    assert len(seen) == SESSIONS_AT_ONCE, "sessions share SessionIDs"


@pytest.mark.requirement("session-manager.create.ready-state")
def test_new_session_is_ready(local, manager, v):
    session = session_for(local, manager)
    state = local.get(session, "State")
    assert_ok(state, "get State")
    assert state.value == v.SS_READY, f"a new session is in state {state.value}, not SS_READY"
    assert_ok(local.put(session, "Application", register_app(local, manager)), "put Application straight away")


@pytest.mark.requirement("session-manager.create.one-invitation-per-session")
def test_second_invite_on_one_session_is_refused(local, peer, profile, v):
    invitation = Invitation(local, peer, profile).sent()
    again = local.call(invitation.inviter_session, "Invite", invitation.contact(), "again")
    assert_hr(again, v.SR_SESSION_NOT_READY, "a second Invite on the same session")
    fresh = session_for(local, invitation.inviter_manager, invitation.app_guid)
    assert_ok(local.call(fresh, "Invite", invitation.contact(), "again"), "Invite on a new session")


# -- GetLaunchingSession --------------------------------------------------------------------------

@pytest.mark.requirement("session-manager.launching.returns-session")
def test_launched_program_finds_its_session(local, peer, profile, v):
    invitation = Invitation(local, peer, profile).accepted()
    launched = peer.launch(invitation.recipient_session)
    if launched.hr == v.E_NOTIMPL:
        pytest.skip(f"not applicable: {profile.implementation} answers Party.launch with E_NOTIMPL: it cannot act as "
                    "the client that launches an application (the adapter contract allows that answer)")
    assert_ok(launched, "launch the application for the accepted invitation")
    found = peer.call(invitation.recipient_manager, "GetLaunchingSession", launched.value)
    assert_hr(found, v.S_OK, f"GetLaunchingSession({launched.value})")
    assert isinstance(found.value, ObjRef), "GetLaunchingSession gave no session object"
    expected = peer.get(invitation.recipient_session, "SessionID").value
    assert peer.get(found.value, "SessionID").value == expected, "GetLaunchingSession gave another session"


@pytest.mark.requirement("session-manager.launching.unknown-process")
def test_unknown_process_has_no_launching_session(local, manager, v):
    """The suite's own process, and ids no process has (0, a negative one): the client started none of them."""
    for process_id in (os.getpid(), 0, -1):
        answer = local.call(manager, "GetLaunchingSession", process_id)
        assert answer.hr in (v.E_INVALIDARG, v.E_FAIL), \
            f"GetLaunchingSession({process_id}) for a process the client did not start answered 0x{answer.hr:08X}"
        assert answer.value is None, f"a session came back for process {process_id}, which the client did not start"


# -- RegisterApplication ---------------------------------------------------------------------------

@pytest.mark.requirement("session-manager.register.success")
def test_registered_application_can_be_named_by_sessions(local, manager, v):
    """Erratum register-path-relative: the path is absolute, a drive letter (any of A to Z) with its root or a
    UNC share (names of one character are names too); each form registers."""
    guid = new_guid()
    assert_hr(register(local, manager, guid), v.S_OK, "RegisterApplication")
    session = session_for(local, manager)
    assert_hr(local.put(session, "Application", guid), v.S_OK, "put Application with the registered GUID")
    for path in ("Z:\\msgrspec\\probe.exe", "a:\\probe.exe", "\\\\msgrspec-server\\share\\probe.exe",
                 "\\\\m\\s\\probe.exe"):
        assert_hr(register(local, manager, new_guid(), path=path), v.S_OK, f"RegisterApplication with {path!r}")


@pytest.mark.requirement("session-manager.register.success", "session-manager.unregister.success")
@PROPERTY
@given(guid=st.uuids())
def test_any_guid_registers_then_unregisters(local, manager, guid):
    text = "{" + str(guid).upper() + "}"
    assert_ok(register(local, manager, text), f"RegisterApplication {text}")
    assert_ok(local.call(manager, "UnRegisterApplication", text), f"UnRegisterApplication {text}")


@pytest.mark.requirement("session-manager.register.event")
def test_registration_raises_on_app_registered(local, manager, v):
    assert_ok(local.connect(manager, "DMsgrSessionManagerEvents"), "connect DMsgrSessionManagerEvents")
    guid = new_guid()
    assert_ok(register(local, manager, guid), "RegisterApplication")
    event = wait_for(local, named("DMsgrSessionManagerEvents", "OnAppRegistered"), "OnAppRegistered")
    assert event.args == (guid,), f"OnAppRegistered carried {event.args}, not ({guid!r},)"
    refused = register(local, manager, guid, name="second")
    assert_hr(refused, v.SR_APP_ALREADY_REGISTERED, "registering the same GUID again")
    seen: list = []
    barrier(local, manager, seen)
    stray = [e for e in seen if e.name == "OnAppRegistered" and e.args == (guid,)]
    assert not stray, "a registration that failed raised OnAppRegistered"


@pytest.mark.requirement("session-manager.register.duplicate-guid")
def test_duplicate_guid_is_refused_and_keeps_the_first(local, manager, v):
    """Erratum register-efail-duplicate: the dedicated code, not E_FAIL."""
    guid = new_guid()
    assert_ok(register(local, manager, guid, name="first name", url="http://first.invalid/"), "first registration")
    again = register(local, manager, guid, name="second name", url="http://second.invalid/")
    assert_hr(again, v.SR_APP_ALREADY_REGISTERED, "second registration of the same GUID")
    session = session_for(local, manager, guid)
    assert local.get(session, "ApplicationName").value == "first name", "the failed registration changed the name"
    assert local.get(session, "ApplicationURL").value == "http://first.invalid/", \
        "the failed registration changed the URL"


@pytest.mark.requirement("session-manager.register.update-needs-unregister")
def test_changing_a_registration_takes_unregister_and_register(local, manager, v):
    """Erratum register-example-parameter: the example is about the path; the rule covers every value."""
    guid = new_guid()
    assert_ok(register(local, manager, guid, name="old name", url="http://old.invalid/"), "first registration")
    changed = register(local, manager, guid, name="new name", url="http://new.invalid/",
                       path="C:\\Program Files\\msgrspec\\probe.exe /switch")
    assert_hr(changed, v.SR_APP_ALREADY_REGISTERED, "registering new values without unregistering")
    assert_hr(local.call(manager, "UnRegisterApplication", guid), v.S_OK, "UnRegisterApplication")
    again = register(local, manager, guid, name="new name", url="http://new.invalid/",
                     path="C:\\Program Files\\msgrspec\\probe.exe /switch")
    assert_hr(again, v.S_OK, "registering the new values after unregistering")
    session = session_for(local, manager, guid)
    assert local.get(session, "ApplicationName").value == "new name"
    assert local.get(session, "ApplicationURL").value == "http://new.invalid/"


@pytest.mark.requirement("session-manager.register.other-guid")
def test_new_guid_registers_beside_others(local, manager, v):
    for _ in range(3):
        assert_hr(register(local, manager, new_guid()), v.S_OK, "RegisterApplication of another GUID")


@pytest.mark.requirement("session-manager.register.flags-zero")
@PROPERTY
@given(flags=st.integers(min_value=-2**31, max_value=2**31 - 1).filter(bool))
def test_any_nonzero_flags_are_refused(local, manager, v, flags):
    guid = new_guid()
    assert_hr(register(local, manager, guid, flags=flags), v.E_INVALIDARG, f"RegisterApplication ulFlags={flags}")
    assert_hr(local.call(manager, "UnRegisterApplication", guid), v.SR_APP_NOT_REGISTERED,
              "the refused registration stored something")


@pytest.mark.requirement("session-manager.register.max-lengths")
def test_over_long_registration_values_are_refused(local, manager, v):
    over = {"name": "n" * 257, "url": "http://example.invalid/" + "u" * 234, "path": "C:\\" + "p" * 258}
    assert len(over["url"]) == 257 and len(over["path"]) == 261
    for field, value in over.items():
        guid = new_guid()
        assert_hr(register(local, manager, guid, **{field: value}), v.E_INVALIDARG, f"a {field} of {len(value)}")
        assert_hr(local.call(manager, "UnRegisterApplication", guid), v.SR_APP_NOT_REGISTERED,
                  f"the refused registration ({field}) stored something")
    long_guid = new_guid() + "X"
    assert len(long_guid) == 39
    assert_hr(register(local, manager, long_guid + "X"), v.E_INVALIDARG, "a GUID of 40 characters")
    at_limit = {"name": "n" * 256, "url": "http://example.invalid/" + "u" * 233, "path": "C:\\" + "p" * 257}
    for field, value in at_limit.items():
        assert_ok(register(local, manager, new_guid(), **{field: value}), f"a {field} of {len(value)} (the limit)")


@pytest.mark.requirement("session-manager.register.guid-format")
def test_guid_in_other_forms_is_refused(local, manager, v):
    """Erratum guid-text-format: braces and upper-case hexadecimal digits."""
    guid = new_guid()
    # the last three have the registry form's length: the opening brace is wrong, the closing one, or the dashes
    for other in (guid.lower(), guid.strip("{}"), "{" + guid.strip("{}").lower() + "}", "not a guid",
                  "{" + "G" * 8 + guid[9:], guid + "\n", "(" + guid[1:], guid[:-1] + ")", guid.replace("-", "_")):
        assert_hr(register(local, manager, other), v.E_INVALIDARG, f"RegisterApplication({other!r})")
    assert_ok(register(local, manager, guid), "RegisterApplication in registry form")
    session = session_for(local, manager)
    assert_hr(local.put(session, "Application", guid.lower()), v.E_INVALIDARG, "put Application in lower case")
    assert_ok(local.put(session, "Application", guid), "put Application in registry form")


@pytest.mark.requirement("session-manager.register.path-unresolved")
def test_unresolvable_path_fails_and_registers_nothing(local, manager, v):
    """Erratum register-path-relative: the method wants an absolute path. A relative one does not resolve, nor
    does one whose drive is no letter, a UNC path without its server or share name, or a path with a character
    no Windows file name has."""
    assert_ok(local.connect(manager, "DMsgrSessionManagerEvents"), "connect DMsgrSessionManagerEvents")
    guid = new_guid()
    for relative in ("msgrspec\\probe.exe", "x\\msgrspec\\probe.exe", "\\msgrspec\\probe.exe", "C:msgrspec\\probe.exe"):
        assert_hr(register(local, manager, guid, path=relative), v.E_FAIL, f"the relative bstrPath {relative!r}")
    for broken in ("@:\\msgrspec\\probe.exe", "~:\\msgrspec\\probe.exe", "\\\\msgrspec-server",
                   "\\\\msgrspec-server\\\\probe.exe", "\\\\\\share\\probe.exe", "C:\\msgrspec\\probe|.exe"):
        assert_hr(register(local, manager, guid, path=broken), v.E_FAIL, f"the bstrPath {broken!r}")
    seen: list = []
    barrier(local, manager, seen)
    assert not [e for e in seen if e.name == "OnAppRegistered" and e.args == (guid,)], \
        "the failed registration raised OnAppRegistered"
    assert_hr(local.call(manager, "UnRegisterApplication", guid), v.SR_APP_NOT_REGISTERED,
              "the failed registration stored something")


# -- UnRegisterApplication -------------------------------------------------------------------------

@pytest.mark.requirement("session-manager.unregister.success")
def test_unregistered_guid_can_be_registered_again(local, manager, v):
    guid = register_app(local, manager)
    assert_hr(local.call(manager, "UnRegisterApplication", guid), v.S_OK, "UnRegisterApplication")
    session = session_for(local, manager)
    assert not local.put(session, "Application", guid).ok, "a session could still name the removed application"
    assert_hr(register(local, manager, guid), v.S_OK, "registering the GUID afresh")


@pytest.mark.requirement("session-manager.unregister.event")
def test_unregistration_raises_on_app_unregistered(local, manager, v):
    guid = register_app(local, manager)
    assert_ok(local.connect(manager, "DMsgrSessionManagerEvents"), "connect DMsgrSessionManagerEvents")
    assert_ok(local.call(manager, "UnRegisterApplication", guid), "UnRegisterApplication")
    event = wait_for(local, named("DMsgrSessionManagerEvents", "OnAppUnRegistered"), "OnAppUnRegistered")
    assert event.args == (guid,), f"OnAppUnRegistered carried {event.args}"
    assert_hr(local.call(manager, "UnRegisterApplication", guid), v.SR_APP_NOT_REGISTERED, "unregistering again")
    seen: list = []
    barrier(local, manager, seen)
    assert not [e for e in seen if e.name == "OnAppUnRegistered"], "a failed UnRegisterApplication raised an event"


@pytest.mark.requirement("session-manager.unregister.unknown-guid")
def test_unregistering_an_unknown_guid_fails(local, manager, v):
    assert_hr(local.call(manager, "UnRegisterApplication", new_guid()), v.SR_APP_NOT_REGISTERED,
              "UnRegisterApplication of a GUID nobody registered")


@pytest.mark.requirement("session-manager.unregister.max-length")
def test_unregistering_an_over_long_guid_fails(local, manager, v):
    assert_hr(local.call(manager, "UnRegisterApplication", new_guid() + "XX"), v.E_INVALIDARG,
              "UnRegisterApplication with 40 characters")


# -- other clients ----------------------------------------------------------------------------------

@pytest.mark.requirement("clients.same-interfaces")
def test_objects_answer_to_the_library_identifiers(local, spec):
    for name in ("MsgrSessionManager", "MessengerPriv"):
        coclass = spec.coclasses[name]
        with prerequisite(f"{name}#create"):
            created = local.create(coclass.clsid)
            assert_ok(created, f"create {name} by CLSID {coclass.clsid}")
        for interface in coclass.interfaces:
            iid = spec.interfaces[interface].iid
            assert_ok(local.query_interface(created.value, iid), f"QueryInterface({interface} = {iid}) on {name}")
            described = local.type_info(interface)
            assert_ok(described, f"type_info({interface})")
            assert str(described.value.get("guid", "")).upper() == iid, f"{interface} has another IID"
            by_iid = local.type_info(iid)
            assert_ok(by_iid, f"type_info({iid}), the IID of {interface}")
            assert by_iid.value == described.value, f"type_info({iid}) does not describe {interface}"
        if coclass.event_interface:
            events = spec.dispinterfaces[coclass.event_interface]
            by_diid, by_name = local.type_info(events.diid), local.type_info(events.name)
            assert_ok(by_diid, f"type_info({events.diid}), the DIID of {events.name}")
            assert by_diid.value == by_name.value, f"type_info({events.diid}) does not describe {events.name}"
    assert_ok(local.create("{" + str(uuid.UUID(spec.coclasses["MsgrSessionManager"].clsid.strip("{}"))).lower()
                           + "}"), "create MsgrSessionManager by CLSID in lower case")
