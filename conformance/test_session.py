"""Behaviour of MsgrSession: the application, the invitation, the answers, context data and addresses."""
from __future__ import annotations

import ipaddress
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msgrspec.adapter import ObjRef
from msgrspec.suite import (
    APP_NAME, APP_PATH, APP_URL, Invitation, SpecValues, assert_hr, assert_ok, barrier, barrier_manager,
    events_until, named, new_guid, register_app, unlocked, wait_for, wait_until,
)

#: the run's hypothesis profile (derandomized unless --msgrspec-explore), plus fixtures used inside @given
PROPERTY = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
#: BSTR text: any UTF-16 code unit that is not half of a surrogate pair, so a character is one unit
BMP_TEXT = st.characters(max_codepoint=0xFFFF, blacklist_categories=("Cs",))
SESSION = "DMsgrSessionEvents"


@pytest.fixture
def v(spec) -> SpecValues:
    return SpecValues(spec)


@pytest.fixture
def invitation(local, peer, profile) -> Invitation:
    """The local party inviting the peer; nothing sent yet."""
    return Invitation(local, peer, profile)


def fresh_session(party, profile, guid: str | None = None) -> tuple[ObjRef, ObjRef]:
    """An unlocked session manager of party and a new session of it, with Application set when guid is given."""
    manager = unlocked(party, "MsgrSessionManager", profile)
    created = party.call(manager, "CreateSession")
    assert_ok(created, "CreateSession")
    if guid == "register":
        guid = register_app(party, manager)
    if guid is not None:
        assert_ok(party.put(created.value, "Application", guid), "put Application")
    return manager, created.value


def state_of(party, session) -> int:
    answer = party.get(session, "State")
    assert_ok(answer, "get State")
    return answer.value


def previous_states(events) -> list[int]:
    return [e.args[0] for e in events if e.dispinterface == SESSION and e.name == "OnStateChanged"]


def another_invitation(invitation: Invitation, app_data: str = "msgrspec") -> tuple[ObjRef, ObjRef]:
    """A new inviter session on the same managers, sent; (inviter's session, recipient's session)."""
    local, peer = invitation.inviter, invitation.recipient
    created = local.call(invitation.inviter_manager, "CreateSession")
    assert_ok(created, "CreateSession")
    assert_ok(local.connect(created.value, SESSION), "connect DMsgrSessionEvents")
    assert_ok(local.put(created.value, "Application", invitation.app_guid), "put Application")
    assert_ok(local.call(created.value, "Invite", invitation.contact(), app_data), "Invite")
    arrived = wait_for(peer, named("DMsgrSessionManagerEvents", "OnInvitation"), "OnInvitation")
    assert_ok(peer.connect(arrived.args[0], SESSION), "connect DMsgrSessionEvents on the recipient's session")
    return created.value, arrived.args[0]


def accepted_pair(invitation: Invitation) -> tuple[ObjRef, ObjRef]:
    """A new invitation on the same managers, accepted and connected on both sides."""
    mine, theirs = another_invitation(invitation)
    assert_ok(invitation.recipient.call(theirs, "Accept", "ok"), "Accept")
    wait_for(invitation.inviter, named(SESSION, "OnAccepted"), "OnAccepted")
    return mine, theirs


def connected(invitation: Invitation, v) -> None:
    """Wait until both sides of the invitation report SS_CONNECTED."""
    wait_until(lambda: state_of(invitation.inviter, invitation.inviter_session) == v.SS_CONNECTED
               and state_of(invitation.recipient, invitation.recipient_session) == v.SS_CONNECTED,
               "both sessions in SS_CONNECTED")


# -- Application ----------------------------------------------------------------------------------

@pytest.mark.requirement("session.application.set-registered")
def test_application_takes_a_registered_guid(local, profile, v):
    manager, session = fresh_session(local, profile)
    guid = register_app(local, manager)
    assert_hr(local.put(session, "Application", guid), v.S_OK, "put Application")
    read = local.get(session, "Application")
    assert_ok(read, "get Application")
    assert read.value == guid, f"Application reads {read.value!r}, not {guid!r}"


@pytest.mark.requirement("session.application.unregistered-guid")
def test_application_refuses_an_unregistered_guid(local, profile):
    _, session = fresh_session(local, profile)
    answer = local.put(session, "Application", new_guid())
    assert not answer.ok, "put Application accepted a GUID that no application registered"


@pytest.mark.requirement("session.application.too-long")
def test_application_refuses_an_over_long_guid(local, profile, v):
    _, session = fresh_session(local, profile)
    answer = local.put(session, "Application", new_guid() + "XX")
    assert answer.hr in (v.E_OUTOFMEMORY, v.E_INVALIDARG), \
        f"put Application with 40 characters answered 0x{answer.hr:08X}"


@pytest.mark.requirement("session.application.not-specified")
def test_application_properties_need_an_application(local, profile, v):
    """Erratum application-url-codes: SR_APP_NOT_SPECIFIED means no application was set."""
    _, session = fresh_session(local, profile)
    for prop in ("Application", "ApplicationName", "ApplicationURL"):
        assert_hr(local.get(session, prop), v.SR_APP_NOT_SPECIFIED, f"get {prop} with no application set")


@pytest.mark.requirement("session.application.registered-values")
def test_application_name_and_url_come_from_the_registration(local, profile, v):
    manager, session = fresh_session(local, profile)
    guid = new_guid()
    assert_ok(local.call(manager, "RegisterApplication", guid, "msgrspec viewer", "http://viewer.invalid/get",
                         APP_PATH, 0), "RegisterApplication")
    assert_ok(local.put(session, "Application", guid), "put Application")
    assert local.get(session, "ApplicationName").value == "msgrspec viewer"
    assert local.get(session, "ApplicationURL").value == "http://viewer.invalid/get"
    nameless = new_guid()
    assert_ok(local.call(manager, "RegisterApplication", nameless, "", APP_URL, APP_PATH, 0), "register without name")
    other = local.call(manager, "CreateSession").value
    assert_ok(local.put(other, "Application", nameless), "put Application")
    name = local.get(other, "ApplicationName")
    assert_hr(name, v.S_OK, "get ApplicationName of an application registered without a name")
    assert name.value == "", f"ApplicationName is {name.value!r}, not the empty string"


# -- Invite ------------------------------------------------------------------------------------------

@pytest.mark.requirement("session.invite.sends")
def test_invite_reaches_the_invited_user(invitation, peer, v):
    assert_hr(invitation.send("let us play"), v.S_OK, "Invite")
    event = wait_for(peer, named("DMsgrSessionManagerEvents", "OnInvitation"), "OnInvitation on the invited side")
    assert isinstance(event.args[0], ObjRef), "OnInvitation carried no session object"
    assert event.args[1] == "let us play", f"OnInvitation carried {event.args[1]!r}"
    assert_ok(peer.get(event.args[0], "State"), "the delivered session answers")


@pytest.mark.requirement("session.invite.sends", "session.app-data.limit")
@PROPERTY
@given(data=st.text(alphabet=BMP_TEXT, max_size=256))
def test_any_app_data_up_to_512_bytes_travels_intact(invitation, local, peer, data):
    """Erratum context-data-limits: 512 bytes of BSTR are 256 UTF-16 units."""
    session = local.call(invitation.inviter_manager, "CreateSession").value
    assert_ok(local.put(session, "Application", invitation.app_guid), "put Application")
    assert_ok(local.call(session, "Invite", invitation.contact(), data), f"Invite with {len(data)} characters")
    event = wait_for(peer, named("DMsgrSessionManagerEvents", "OnInvitation"), "OnInvitation")
    assert event.args[1] == data, "the application data changed on the way"


@pytest.mark.requirement("session.invite.app-not-specified")
def test_invite_needs_an_application(local, peer, profile, v):
    _, session = fresh_session(local, profile)
    contact = local.contact(peer.signin).value
    assert_hr(local.call(session, "Invite", contact, "data"), v.SR_APP_NOT_SPECIFIED, "Invite with no Application")


@pytest.mark.requirement("session.invite.self")
def test_inviting_oneself_is_refused(local, profile, v):
    _, session = fresh_session(local, profile, "register")
    manager = unlocked(local, "MsgrSessionManager", profile)
    assert_ok(local.connect(manager, "DMsgrSessionManagerEvents"), "connect DMsgrSessionManagerEvents")
    me = local.contact(local.signin)
    assert_ok(me, "contact for the signed-in user")
    assert_hr(local.call(session, "Invite", me.value, "me"), v.SR_INVITED_SELF, "Invite of the inviting user")
    assert state_of(local, session) == v.SS_READY, "the refused Invite changed the session's state"
    seen: list = []
    barrier(local, manager, seen)
    assert not [e for e in seen if e.name == "OnInvitation"], "an invitation to oneself arrived"


@pytest.mark.requirement("session.invite.not-logged-on")
def test_inviting_a_signed_out_user_fails(local, profile, v):
    _, session = fresh_session(local, profile, "register")
    absent = local.contact(f"absent-{uuid.uuid4().hex[:12]}@msgrspec.invalid")
    assert_ok(absent, "contact for a user who is not signed in")
    assert_hr(local.call(session, "Invite", absent.value, "hello"), v.MSGR_E_NOT_LOGGED_ON,
              "Invite of a user who is not signed in")


@pytest.mark.requirement("session.invite.bad-contact")
def test_invite_needs_a_contact_object(local, profile, v):
    manager, session = fresh_session(local, profile, "register")
    assert_hr(local.call(session, "Invite", None, "data"), v.E_INVALIDARG, "Invite with a NULL pUser")
    not_a_contact = local.call(manager, "CreateSession").value
    assert_hr(local.call(session, "Invite", not_a_contact, "data"), v.E_INVALIDARG, "Invite with a session as pUser")


@pytest.mark.requirement("session.app-data.limit")
def test_app_data_over_512_bytes_is_refused(invitation, local, peer, v):
    """Erratum context-data-limits: 512 bytes, E_INVALIDARG; a BSTR character is two bytes."""
    over, limit = "x" * 257, "x" * 256
    assert_hr(invitation.send(over), v.E_INVALIDARG, "Invite with 514 bytes of data")
    invitation.sent(limit)
    recipient = invitation.recipient_session
    assert_hr(peer.call(recipient, "Accept", over), v.E_INVALIDARG, "Accept with 514 bytes")
    assert_hr(peer.call(recipient, "Decline", over), v.E_INVALIDARG, "Decline with 514 bytes")
    assert_hr(local.call(invitation.inviter_session, "Cancel", 0, over), v.E_INVALIDARG, "Cancel with 514 bytes")
    assert_ok(peer.call(recipient, "Accept", limit), "Accept with 512 bytes")


@pytest.mark.requirement("session.app-data.null-allowed")
def test_answers_take_null_data(invitation, local, peer, v):
    accept_mine, accept_theirs = another_invitation(invitation)
    assert_hr(peer.call(accept_theirs, "Accept", None), v.S_OK, "Accept(NULL)")
    decline_mine, decline_theirs = another_invitation(invitation)
    assert_hr(peer.call(decline_theirs, "Decline", None), v.S_OK, "Decline(NULL)")
    cancel_mine, _ = another_invitation(invitation)
    assert_hr(local.call(cancel_mine, "Cancel", 0, None), v.S_OK, "Cancel(0, NULL)")


# -- the invitation on the recipient's side ------------------------------------------------------------

@pytest.mark.requirement("session.invitation.new-session-each")
def test_every_invitation_brings_its_own_session(invitation, peer):
    _, first = another_invitation(invitation, "first")
    _, second = another_invitation(invitation, "second")
    assert first.object_id != second.object_id, "two invitations arrived on one session object"
    ids = [peer.get(s, "SessionID").value for s in (first, second)]
    assert ids[0] != ids[1], "two invitations share one SessionID"


@pytest.mark.requirement("session.invitation.handled-default")
def test_on_invitation_starts_unhandled(invitation, peer):
    assert_ok(invitation.send(), "Invite")
    event = wait_for(peer, named("DMsgrSessionManagerEvents", "OnInvitation"), "OnInvitation")
    assert len(event.args) == 3 and event.args[2] is False, f"pfHandled arrived as {event.args[2:]!r}, not FALSE"


@pytest.mark.requirement("session.invitation.recipient-state")
def test_recipient_session_is_an_invitation_from_the_inviter(invitation, local, peer, v):
    """Erratum session-flags-duplicate-inviter: 0x0002 is SF_INVITEE."""
    invitation.sent()
    session = invitation.recipient_session
    assert state_of(peer, session) == v.SS_INVITATION
    flags = peer.get(session, "Flags")
    assert_ok(flags, "get Flags")
    assert flags.value & v.SF_INVITEE, f"Flags {flags.value:#x} lack SF_INVITEE"
    user = peer.get(session, "User")
    assert_ok(user, "get User")
    assert peer.get(user.value, "SigninName").value.lower() == local.signin.lower(), "User is not the inviter"


@pytest.mark.requirement("session.flags.inviter")
def test_inviter_session_flags(invitation, local, v):
    """Erratum session-flags-duplicate-inviter: 0x0001 is SF_INVITER, 0x0002 SF_INVITEE."""
    invitation.sent()
    flags = local.get(invitation.inviter_session, "Flags")
    assert_ok(flags, "get Flags")
    assert flags.value & v.SF_INVITER, f"Flags {flags.value:#x} lack SF_INVITER"
    assert not flags.value & v.SF_INVITEE, f"Flags {flags.value:#x} include SF_INVITEE"


@pytest.mark.requirement("session.user.none-invited")
def test_user_before_any_invitation(local, profile, v):
    _, session = fresh_session(local, profile, "register")
    assert_hr(local.get(session, "User"), v.SR_NO_USER_INVITED, "get User before Invite")


@pytest.mark.requirement("session.user.invited-contact")
def test_user_is_the_invited_contact(invitation, local, peer, v):
    invitation.sent()
    user = local.get(invitation.inviter_session, "User")
    assert_hr(user, v.S_OK, "get User after Invite")
    assert isinstance(user.value, ObjRef), "User gave no object"
    name = local.get(user.value, "SigninName")
    assert_ok(name, "get SigninName of User")
    assert name.value.lower() == peer.signin.lower(), f"User is {name.value!r}, not the invited {peer.signin!r}"


# -- answers ---------------------------------------------------------------------------------------------

@pytest.mark.requirement("session.accept.notifies-inviter")
def test_accept_tells_the_inviter(invitation, local, peer, v):
    """Erratum accept-decline-data-recipient: the data goes to the inviter's session."""
    invitation.sent()
    assert_hr(peer.call(invitation.recipient_session, "Accept", "accepted!"), v.S_OK, "Accept")
    event = wait_for(local, named(SESSION, "OnAccepted"), "OnAccepted on the inviter")
    assert event.args == ("accepted!",), f"OnAccepted carried {event.args}"


@pytest.mark.requirement("session.decline.notifies-inviter")
def test_decline_tells_the_inviter_and_ends(invitation, local, peer, v):
    """Erratum accept-decline-data-recipient: the data goes to the inviter's session."""
    invitation.sent()
    assert_hr(peer.call(invitation.recipient_session, "Decline", "not now"), v.S_OK, "Decline")
    events = events_until(local, named(SESSION, "OnTermination"), "OnTermination on the inviter")
    names = [e.name for e in events]
    assert "OnDeclined" in names, f"the inviter's session did not raise OnDeclined ({names})"
    assert names.index("OnDeclined") < names.index("OnTermination"), "OnTermination came before OnDeclined"
    declined = events[names.index("OnDeclined")]
    assert declined.args == ("not now",), f"OnDeclined carried {declined.args}"


@pytest.mark.requirement("session.cancel.notifies-recipient")
def test_cancel_tells_the_recipient_and_ends(invitation, local, peer, v):
    """Erratum cancel-caller: Cancel is the inviter's; OnCancelled reaches the recipient."""
    invitation.sent()
    assert_hr(local.call(invitation.inviter_session, "Cancel", 0, "changed my mind"), v.S_OK, "Cancel")
    events = events_until(peer, named(SESSION, "OnTermination"), "OnTermination on the recipient")
    names = [e.name for e in events]
    assert "OnCancelled" in names, f"the recipient's session did not raise OnCancelled ({names})"
    assert names.index("OnCancelled") < names.index("OnTermination"), "OnTermination came before OnCancelled"
    assert events[names.index("OnCancelled")].args == ("changed my mind",)


# -- state -------------------------------------------------------------------------------------------------

@pytest.mark.requirement("session.state.changed-event")
def test_every_state_change_raises_on_state_changed(invitation, local, peer, profile, v):
    fence = barrier_manager(local, profile)
    invitation.sent()
    events = events_until(local, named(SESSION, "OnStateChanged"), "OnStateChanged after Invite")
    assert previous_states(events)[0] == v.SS_READY, "the first change did not leave SS_READY"
    assert_ok(peer.call(invitation.recipient_session, "Accept", None), "Accept")
    connected(invitation, v)
    barrier(local, fence, events)
    left = previous_states(events)
    assert all(a != b for a, b in zip(left, left[1:])), f"OnStateChanged repeated a state: {left}"
    final = state_of(local, invitation.inviter_session)
    assert left[-1] != final, f"the last OnStateChanged left {left[-1]}, the state it is still in"
    assert v.SS_INVITATION in left, f"leaving SS_INVITATION raised no OnStateChanged ({left})"
    assert_ok(local.call(invitation.inviter_session, "Cancel", 0, None), "Cancel")
    after: list = []
    barrier(local, fence, after)
    assert previous_states(after)[:1] == [final], f"ending the session raised {previous_states(after)}"


@pytest.mark.requirement("session.state.values")
def test_state_is_always_a_session_state(invitation, local, peer, spec, v):
    valid = {value.value for value in spec.enums["SESSION_STATE"].values}
    seen = []

    def check(party, session):
        seen.append(state_of(party, session))
        assert seen[-1] in valid, f"State gave {seen[-1]}, not a SESSION_STATE value"

    check(local, invitation.inviter_session)
    invitation.sent()
    check(local, invitation.inviter_session)
    check(peer, invitation.recipient_session)
    assert_ok(peer.call(invitation.recipient_session, "Accept", None), "Accept")
    connected(invitation, v)
    check(local, invitation.inviter_session)
    check(peer, invitation.recipient_session)
    assert_ok(local.call(invitation.inviter_session, "Cancel", 0, None), "Cancel")
    check(local, invitation.inviter_session)
    check(peer, invitation.recipient_session)
    _, declined = another_invitation(invitation)
    assert_ok(peer.call(declined, "Decline", None), "Decline")
    check(peer, declined)


@pytest.mark.requirement("session.termination.event")
def test_ending_a_session_raises_on_termination(invitation, local, peer):
    invitation.sent()
    assert_ok(peer.call(invitation.recipient_session, "Decline", "declined data"), "Decline")
    ended = wait_for(local, named(SESSION, "OnTermination"), "OnTermination after Decline")
    assert isinstance(ended.args[0], int) and ended.args[1] == "declined data", f"OnTermination{ended.args}"
    mine, theirs = another_invitation(invitation)
    assert_ok(local.call(mine, "Cancel", 0, "cancel data"), "Cancel")
    ended = wait_for(peer, named(SESSION, "OnTermination"), "OnTermination after Cancel")
    assert isinstance(ended.args[0], int) and ended.args[1] == "cancel data", f"OnTermination{ended.args}"


# -- application not installed, launching ----------------------------------------------------------------

def _not_installed_on_recipient(invitation: Invitation, peer, v) -> None:
    removed = peer.call(invitation.recipient_manager, "UnRegisterApplication", invitation.app_guid)
    assert removed.hr in (v.S_OK, v.SR_APP_NOT_REGISTERED), "UnRegisterApplication on the recipient"
    invitation.sent()
    assert_ok(peer.call(invitation.recipient_session, "Accept", None), "Accept")


@pytest.mark.requirement("session.app-not-present.event")
def test_missing_application_is_reported_to_the_recipient(invitation, peer, v):
    _not_installed_on_recipient(invitation, peer, v)
    event = wait_for(peer, named(SESSION, "OnAppNotPresent"), "OnAppNotPresent on the recipient")
    assert event.args == (APP_NAME, APP_URL), f"OnAppNotPresent carried {event.args}"


@pytest.mark.requirement("session.app-not-present.declines")
def test_missing_application_declines_the_invitation(invitation, local, peer, v):
    _not_installed_on_recipient(invitation, peer, v)
    wait_for(local, named(SESSION, "OnDeclined"), "OnDeclined on the inviter")


@pytest.mark.requirement("session.launch.before-app-launch")
def test_before_app_launch_is_raised_enabled(invitation, peer):
    """Erratum before-app-launch-param-name: the parameter is pfEnableDefault."""
    invitation.sent()
    assert_ok(peer.call(invitation.recipient_session, "Accept", None), "Accept")
    event = wait_for(peer, named(SESSION, "BeforeAppLaunch"), "BeforeAppLaunch on the recipient")
    assert event.args == (True,), f"BeforeAppLaunch carried {event.args}, not (TRUE,)"


@pytest.mark.requirement("session.launch.ready-to-launch")
def test_ready_to_launch_is_raised(invitation, peer):
    invitation.sent()
    assert_ok(peer.call(invitation.recipient_session, "Accept", None), "Accept")
    event = wait_for(peer, named(SESSION, "OnReadyToLaunch"), "OnReadyToLaunch on the recipient")
    assert event.args == ()


# -- context data -----------------------------------------------------------------------------------------

@pytest.mark.requirement("session.context-data.delivered")
def test_context_data_reaches_the_other_side(invitation, local, peer, v):
    invitation.accepted()
    assert_hr(local.call(invitation.inviter_session, "SendContextData", "port=6891"), v.S_OK, "SendContextData")
    event = wait_for(peer, named(SESSION, "OnContextData"), "OnContextData on the recipient")
    assert event.args == ("port=6891",)
    assert_hr(peer.call(invitation.recipient_session, "SendContextData", "port=6892"), v.S_OK, "SendContextData back")
    event = wait_for(local, named(SESSION, "OnContextData"), "OnContextData on the inviter")
    assert event.args == ("port=6892",)


@pytest.mark.requirement("session.context-data.delivered", "session.context-data.over-limit")
@PROPERTY
@given(data=st.text(alphabet=BMP_TEXT, max_size=300))
def test_any_context_data_up_to_300_characters_arrives_intact(invitation, local, peer, data):
    mine, _ = accepted_pair(invitation)
    assert_ok(local.call(mine, "SendContextData", data), f"SendContextData with {len(data)} characters")
    event = wait_for(peer, named(SESSION, "OnContextData"), "OnContextData")
    assert event.args == (data,), "the context data changed on the way"


@pytest.mark.requirement("session.context-data.over-limit")
def test_context_data_over_300_characters_is_refused(invitation, local, peer, v):
    """Erratum context-data-limits: 300 characters, SR_CONTEXT_DATA_OVER_LIMIT."""
    invitation.accepted()
    assert_hr(local.call(invitation.inviter_session, "SendContextData", "d" * 301), v.SR_CONTEXT_DATA_OVER_LIMIT,
              "SendContextData with 301 characters")
    assert_ok(local.call(invitation.inviter_session, "SendContextData", "after"), "SendContextData after")
    event = wait_for(peer, named(SESSION, "OnContextData"), "OnContextData")
    assert event.args == ("after",), "the refused data was delivered"


@pytest.mark.requirement("session.context-data.five-calls")
def test_five_context_data_calls_are_accepted(invitation, local, peer, v):
    """Erratum send-context-data-timing: calls during the set-up of an accepted session; five at least."""
    invitation.accepted()
    for i in range(5):
        assert_hr(local.call(invitation.inviter_session, "SendContextData", f"part {i}"), v.S_OK,
                  f"SendContextData #{i + 1}")
    got, seen = [], []
    for i in range(5):
        got.append(wait_for(peer, named(SESSION, "OnContextData"), f"OnContextData #{i + 1}", seen=seen).args[0])
    assert got == [f"part {i}" for i in range(5)], f"the context data arrived as {got}"


# -- addresses -------------------------------------------------------------------------------------------

@pytest.mark.requirement("session.local-address.default")
def test_local_address_defaults_to_an_ip_address(local, profile):
    _, session = fresh_session(local, profile)
    answer = local.get(session, "LocalAddress")
    assert_ok(answer, "get LocalAddress")
    try:
        ipaddress.ip_address(answer.value)
    except (ValueError, TypeError):
        pytest.fail(f"LocalAddress defaults to {answer.value!r}, not an IP address")


@pytest.mark.requirement("session.local-address.set")
def test_local_address_stores_what_is_put(local, profile, v):
    _, session = fresh_session(local, profile)
    for value in ("198.51.100.7", "a" * 30):
        assert_hr(local.put(session, "LocalAddress", value), v.S_OK, f"put LocalAddress {value!r}")
        assert local.get(session, "LocalAddress").value == value
    assert_hr(local.put(session, "LocalAddress", "a" * 31), v.E_OUTOFMEMORY, "put LocalAddress with 31 characters")
    assert local.get(session, "LocalAddress").value == "a" * 30, "the refused value was stored"
    _, other = fresh_session(local, profile)
    assert local.get(other, "LocalAddress").value != "a" * 30, "the value leaked into another session"


@pytest.mark.requirement("session.remote-address.peer", "session.local-address.when")
def test_remote_address_is_the_address_the_other_side_set(invitation, local, peer, v):
    assert_ok(local.put(invitation.inviter_session, "LocalAddress", "198.51.100.7"), "inviter sets LocalAddress")
    invitation.sent()
    early = local.get(invitation.inviter_session, "RemoteAddress")
    assert early.hr in (v.S_OK, v.S_FALSE), f"RemoteAddress before the connection answered 0x{early.hr:08X}"
    assert_ok(peer.put(invitation.recipient_session, "LocalAddress", "203.0.113.9"), "recipient sets LocalAddress")
    assert_ok(peer.call(invitation.recipient_session, "Accept", None), "Accept")
    connected(invitation, v)
    assert_hr(local.get(invitation.inviter_session, "RemoteAddress"), v.S_OK, "inviter's RemoteAddress")
    assert local.get(invitation.inviter_session, "RemoteAddress").value == "203.0.113.9"
    assert peer.get(invitation.recipient_session, "RemoteAddress").value == "198.51.100.7"


@pytest.mark.requirement("session.remote-address.peer")
def test_remote_address_defaults_to_the_other_sides_address(invitation, local, peer, v):
    mine = local.get(invitation.inviter_session, "LocalAddress").value
    invitation.sent()
    theirs = peer.get(invitation.recipient_session, "LocalAddress").value
    assert_ok(peer.call(invitation.recipient_session, "Accept", None), "Accept")
    connected(invitation, v)
    assert local.get(invitation.inviter_session, "RemoteAddress").value == theirs
    assert peer.get(invitation.recipient_session, "RemoteAddress").value == mine
