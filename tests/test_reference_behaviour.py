"""The reference implementation beyond what the adapter contract lets the conformance suite reach:
faults never escape, its constants are the spec's, the behaviour that needs a party to go offline or the
client to shut down, and the answers it chooses where the spec leaves them open."""
from __future__ import annotations

import uuid
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msgrspec.adapter import ObjRef, Outcome
from msgrspec.model import Method
from msgrspec.reference import ReferenceAdapter, codes
from msgrspec.reference.manager import SessionManager
from msgrspec.reference.typeinfo import spec as shipped_spec
from msgrspec.reference.world import ReferenceParty
from msgrspec.suite import SpecValues, lock_response
from msgrspec.typeinfo import TYPE_E_ELEMENTNOTFOUND

FUZZ = settings(derandomize=True, max_examples=200, deadline=None, database=None)
SPEC = SpecValues(shipped_spec())
#: the constants of reference/codes.py that the spec does not carry, with their values in the headers
#: that define them (OleCtl.h, and the Messenger API's Msgrua.h)
HEADER_VALUES = {"CONNECT_E_NOCONNECTION": 0x80040200, "MISTATUS_OFFLINE": 0x1, "MISTATUS_ONLINE": 0x2,
                 "MCONTACTPROP_GROUPS_PROPERTY": 0, "MCONTACTPROP_EMAIL": 1}


def world(**options):
    return ReferenceAdapter(**options).open_world()


def new_guid() -> str:
    return "{" + str(uuid.uuid4()).upper() + "}"


def unlock(party, obj: ObjRef, events: str) -> None:
    adapter = ReferenceAdapter()
    assert party.connect(obj, events).ok
    lock = party.query_interface(obj, "IMsgrLock").value
    assert party.call(lock, "RequestChallenge", [5]).ok
    challenge = next(e for e in party.events() if e.name == "OnLockChallenge").args[1]
    assert party.call(lock, "SendResponse", [adapter.lock_id, lock_response(challenge, adapter.lock_key), 5]).ok
    party.events()


def objects(w) -> dict[str, ObjRef]:
    """One object of each kind, unlocked, with a session half way through an invitation."""
    local, peer = w.local, w.peer
    manager = local.create("MsgrSessionManager").value
    unlock(local, manager, "DMsgrSessionManagerEvents")
    private = local.create("MessengerPriv").value
    unlock(local, private, "DMessengerPrivateEvents")
    guid = new_guid()
    assert local.call(manager, "RegisterApplication", [guid, "app", "http://x.invalid/", "C:\\app.exe", 0]).ok
    session = local.call(manager, "CreateSession").value
    assert local.put(session, "Application", guid).ok
    assert local.call(session, "Invite", [local.contact(peer.signin).value, "data"]).ok
    return {"IMsgrSessionManager": manager, "IMsgrLock": local.query_interface(manager, "IMsgrLock").value,
            "IMessengerPrivate": private, "IMsgrSession": session,
            "IMessengerContact": local.contact(peer.signin).value}


VALUES = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**40, max_value=2**40), st.text(max_size=600),
                   st.lists(st.integers(), max_size=3), st.floats(allow_nan=True),
                   st.builds(ObjRef, st.sampled_from(["local/Session/1", "nonsense", ""]),
                             st.sampled_from(["IMsgrSession", "IMessengerContact", "IUnknown", "IBogus"])))
MEMBERS = [(i.name, m.name, isinstance(m, Method), len([p for p in m.params if p.dir in ("in", "in,out")])
            if isinstance(m, Method) else 0)
           for i in shipped_spec().interfaces.values() for m in i.members]


@FUZZ
@given(member=st.sampled_from(MEMBERS), args=st.lists(VALUES, max_size=6), index=VALUES,
       exact=st.booleans(), kind=st.sampled_from(["call", "get", "put"]))
def test_no_operation_lets_an_exception_escape(member, args, index, exact, kind):
    w = world()
    targets = objects(w)
    interface, name, is_method, count = member
    obj = targets[interface]
    if exact and is_method:
        args = (args + [None] * count)[:count]
    party = w.local
    if kind == "call":
        outcome = party.call(obj, name, args)
    elif kind == "get":
        outcome = party.get(obj, name, index)
    else:
        outcome = party.put(obj, name, args[0] if args else None, index)
    assert isinstance(outcome, Outcome) and isinstance(outcome.hr, int)
    assert "inside the reference implementation" not in party.output(), party.output()


def test_unknown_members_and_objects_answer_with_com_codes():
    w = world()
    manager = w.local.create("MsgrSessionManager").value
    assert w.local.call(manager, "NoSuchMethod", []).hr == codes.DISP_E_MEMBERNOTFOUND
    assert w.local.get(manager, "CreateSession").hr == codes.DISP_E_MEMBERNOTFOUND
    assert w.local.call(manager, "CreateSession", [1, 2]).hr == codes.DISP_E_BADPARAMCOUNT
    assert w.local.call(ObjRef("elsewhere/1", "IMsgrSession"), "Accept", [None]).hr == codes.RPC_E_DISCONNECTED
    assert w.local.call(None, "CreateSession", []).hr == codes.E_POINTER  # not a reference at all
    for nobody in ("", "  ", None):
        assert w.local.contact(nobody).hr == codes.E_INVALIDARG, repr(nobody)
    assert w.local.launch(manager).hr == codes.E_INVALIDARG, "launching what is not a session"
    unlocked = world(features=frozenset({"registry"})).local
    session = unlocked.call(unlocked.create("MsgrSessionManager").value, "CreateSession", []).value
    assert unlocked.launch(session).hr == codes.E_FAIL, "launching a session no invitation was accepted for"
    assert w.local.create("Messenger").hr == codes.REGDB_E_CLASSNOTREG
    assert w.local.type_info("IBogus").hr == TYPE_E_ELEMENTNOTFOUND
    assert w.local.connect(manager, "DMsgrSessionEvents").hr == codes.CONNECT_E_NOCONNECTION


def test_a_fault_inside_an_operation_answers_e_unexpected_and_is_logged(monkeypatch):
    w = world(features=frozenset({"registry"}))  # no lock to open first
    manager = w.local.create("MsgrSessionManager").value

    def raising(self):
        raise RuntimeError("msgrspec test fault")

    monkeypatch.setattr(SessionManager, "call_CreateSession", raising)
    assert w.local.call(manager, "CreateSession", []) == Outcome(codes.E_UNEXPECTED)
    assert "RuntimeError: msgrspec test fault" in w.local.output()
    monkeypatch.setattr(SessionManager, "call_CreateSession", lambda self: "a bare value")
    assert w.local.call(manager, "CreateSession", []) == Outcome(codes.E_UNEXPECTED)
    assert "produced 'a bare value', not an Outcome" in w.local.output()


def test_signed_out_party_cannot_add_contacts_and_sees_contacts_false_and_offline():
    w = world()
    local = w.local
    private = local.create("MessengerPriv").value
    unlock(local, private, "DMessengerPrivateEvents")
    me = local.contact(local.signin).value
    other = local.contact(w.peer.signin).value
    assert local.put(other, "Blocked", True).ok
    assert local.sign_out().hr == codes.S_OK
    assert local.sign_out().hr == codes.S_FALSE, "signing out twice"
    assert local.call(private, "AddContact", ["carol@msgrspec.example", ""]).hr == codes.MSGR_E_NOT_LOGGED_ON
    for contact, prop in ((me, "IsSelf"), (other, "Blocked"), (other, "CanPage")):
        assert local.get(contact, prop) == Outcome(codes.S_OK, False), prop
    # the peer is still signed in, but a client that is offline sees nobody online
    assert local.get(other, "Status") == Outcome(codes.S_OK, codes.MISTATUS_OFFLINE)


def test_signing_in_again_locks_the_objects_anew():
    w = world()
    local = w.local
    manager = local.create("MsgrSessionManager").value
    unlock(local, manager, "DMsgrSessionManagerEvents")
    assert local.call(manager, "CreateSession", []).ok
    assert local.sign_in().hr == codes.S_FALSE, "signing in while signed in"
    assert local.events() == [] and local.call(manager, "CreateSession", []).ok, "signing in again relocked"
    local.sign_out()
    assert local.sign_in().hr == codes.S_OK
    assert w.signed_in(local.signin) is local
    names = [e.name for e in local.events()]
    assert names == ["OnLockStatusChanged", "OnLockStatusChanged", "OnLockEnable"]
    assert local.call(manager, "CreateSession", []).hr == codes.MSGR_E_API_LOCKED
    lock = local.query_interface(manager, "IMsgrLock").value
    assert local.call(lock, "RequestChallenge", [9]).ok, "the exchange can run again in the new sign-in session"


class Invited(NamedTuple):
    """Two parties with one invitation sent, a sink on each of its two sessions and no event left unread."""

    local: ReferenceParty
    peer: ReferenceParty
    manager: ObjRef  # the inviter's session manager
    mine: ObjRef  # the inviter's session
    theirs: ObjRef  # the recipient's session


def invited(app_on_peer: bool = True) -> Invited:
    """The local party inviting the peer, whose machine has the application registered when app_on_peer."""
    w = ReferenceAdapter(features=frozenset({"peer", "registry"})).open_world()
    local, peer = w.local, w.peer
    manager, their_manager = local.create("MsgrSessionManager").value, peer.create("MsgrSessionManager").value
    guid = new_guid()
    for party, registering in ((local, manager), (peer, their_manager))[:2 if app_on_peer else 1]:
        assert party.call(registering, "RegisterApplication", [guid, "app", "http://x.invalid/", "C:\\app.exe", 0]).ok
    assert peer.connect(their_manager, "DMsgrSessionManagerEvents").ok
    session = local.call(manager, "CreateSession", []).value
    assert local.connect(session, "DMsgrSessionEvents").ok
    assert local.put(session, "Application", guid).ok
    assert local.call(session, "Invite", [local.contact(peer.signin).value, "invitation data"]).ok
    theirs = next(e for e in peer.events() if e.name == "OnInvitation").args[0]
    assert peer.connect(theirs, "DMsgrSessionEvents").ok
    local.events()
    return Invited(local, peer, manager, session, theirs)


def heard(party: ReferenceParty) -> dict[str, list[tuple]]:
    """The arguments of the events raised on the party since the last look, by event name."""
    found: dict[str, list[tuple]] = {}
    for event in party.events():
        found.setdefault(event.name, []).append(event.args)
    return found


#: the message that cannot reach a signed-out party -> the failure OnSendError carries
SEND_FAILURES = {"Accept": "SR_ACCEPT_SEND_FAILURE", "Decline": "SR_DECLINE_SEND_FAILURE",
                 "Cancel": "SR_CANCEL_SEND_FAILURE", "SendContextData": "SR_CONTEXT_DATA_SEND_FAILURE"}


@pytest.mark.parametrize("message", sorted(SEND_FAILURES))
def test_a_message_to_a_signed_out_party_raises_on_send_error(message):
    w = invited()
    if message == "SendContextData":
        assert w.peer.call(w.theirs, "Accept", [None]).ok
    sender, session, receiver = (w.local, w.mine, w.peer) if message == "Cancel" else (w.peer, w.theirs, w.local)
    heard(sender)
    receiver.sign_out()
    args = {"Cancel": [0, None], "SendContextData": ["port=1"]}.get(message, [None])
    assert sender.call(session, message, args).ok
    assert heard(sender).get("OnSendError") == [(getattr(SPEC, SEND_FAILURES[message]),)]


def test_an_acceptance_that_cannot_be_sent_ends_in_ss_terminated():
    """The state machine's SS_TERMINATED, which no operation of the adapter contract reaches."""
    w = invited()
    w.local.sign_out()
    assert w.peer.call(w.theirs, "Accept", [None]).ok
    assert w.peer.get(w.theirs, "State").value == SPEC.SS_TERMINATED
    assert heard(w.peer)["OnTermination"] == [(SPEC.SR_ACCEPT_SEND_FAILURE, "")]


def test_a_signed_out_party_cannot_invite():
    w = invited()
    ready = w.local.call(w.manager, "CreateSession", []).value
    assert w.local.put(ready, "Application", w.local.get(w.mine, "Application").value).ok
    w.local.sign_out()
    invite = w.local.call(ready, "Invite", [w.local.contact(w.peer.signin).value, ""])
    assert invite.hr == SPEC.MSGR_E_NOT_LOGGED_ON


def test_no_context_data_once_either_side_has_ended():
    """A Cancel that never reached the recipient leaves it connected to a cancelled session: neither sends."""
    w = invited()
    assert w.peer.call(w.theirs, "Accept", [None]).ok
    w.peer.sign_out()
    assert w.local.call(w.mine, "Cancel", [0, None]).ok
    w.peer.sign_in()
    assert w.peer.get(w.theirs, "State").value == SPEC.SS_CONNECTED
    for party, session in ((w.local, w.mine), (w.peer, w.theirs)):
        assert party.call(session, "SendContextData", ["port=1"]).hr == SPEC.SR_SESSION_STATE_INVALID


# -- what the spec leaves open, as the reference answers it -------------------------------------------------

#: how the session ends -> the result OnTermination carries on the inviter's side and on the recipient's
ENDINGS = {
    "Decline": ("SR_INVITATION_DECLINED", "SR_INVITATION_DECLINED"),
    "Accept without the application": ("SR_INVITATION_DECLINED", "SR_APPLICATION_LAUNCH_FAILED"),
    "Cancel(S_OK)": ("SR_SESSION_CANCELLED_LOCAL", "SR_SESSION_CANCELLED_REMOTE"),
    "Cancel(S_FALSE)": ("SR_SESSION_CANCELLED_LOCAL", "SR_SESSION_CANCELLED_REMOTE"),
    "Cancel(E_FAIL)": ("SR_SESSION_CANCELLED_LOCAL", "E_FAIL"),
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_the_result_a_session_ends_with(ending):
    """No page names the code OnTermination carries: the reference gives the SESSION_RESULT code named after
    the ending, and hands a failure code given to Cancel as its reason on to the recipient."""
    w = invited(app_on_peer=ending != "Accept without the application")
    if ending.startswith("Cancel("):
        assert w.local.call(w.mine, "Cancel", [getattr(SPEC, ending[len("Cancel("):-1]), None]).ok
    else:
        assert w.peer.call(w.theirs, ending.split()[0], [None]).ok
    inviter_result, recipient_result = ENDINGS[ending]
    assert [args[0] for args in heard(w.local)["OnTermination"]] == [getattr(SPEC, inviter_result)]
    assert [args[0] for args in heard(w.peer)["OnTermination"]] == [getattr(SPEC, recipient_result)]


def test_a_sixth_context_data_message_is_refused():
    """The page allows five calls; what a sixth answers it does not say."""
    w = invited()
    assert w.peer.call(w.theirs, "Accept", [None]).ok
    answers = [w.local.call(w.mine, "SendContextData", [f"part {i}"]).hr for i in range(6)]
    assert answers == [SPEC.S_OK] * 5 + [SPEC.SR_CONTEXT_DATA_OVER_LIMIT]


def test_only_an_accepted_invitation_is_launched():
    """The adapter contract defines launch for an accepted invitation; the reference refuses any other."""
    w = invited()
    assert w.peer.launch(w.theirs).hr == SPEC.E_FAIL
    assert w.peer.call(w.theirs, "Accept", [None]).ok
    assert w.peer.launch(w.theirs).ok


def test_refusals_whose_code_the_spec_leaves_open():
    """Where the spec asks only for a failure (or marks the code untestable), these are the reference's codes;
    the recipient's ContextData holds the invitation's data, and RemoteAddress is empty until it accepts."""
    w = invited()
    ready = w.local.call(w.manager, "CreateSession", []).value
    answers = {
        "put Application 12345": (w.local.put(ready, "Application", 12345), "E_INVALIDARG"),
        "put Application, a GUID never registered": (w.local.put(ready, "Application", new_guid()),
                                                     "SR_APP_NOT_REGISTERED"),
        "put LocalAddress 12345": (w.local.put(ready, "LocalAddress", 12345), "E_INVALIDARG"),
        "Cancel before Invite": (w.local.call(ready, "Cancel", [0, None]), "E_FAIL"),
        "Cancel with a reason that is no LONG": (w.local.call(w.mine, "Cancel", ["why", None]), "E_INVALIDARG"),
        "SendContextData 12345": (w.peer.call(w.theirs, "SendContextData", [12345]), "E_INVALIDARG"),
        "RemoteAddress before Accept": (w.peer.get(w.theirs, "RemoteAddress"), "S_FALSE"),
    }
    wrong = {what: f"0x{outcome.hr & 0xFFFFFFFF:08X}" for what, (outcome, code) in answers.items()
             if outcome.hr != getattr(SPEC, code)}
    assert not wrong, wrong
    assert w.peer.get(w.theirs, "ContextData").value == "invitation data"


def test_every_constant_has_the_value_of_the_spec_or_its_header():
    constants = {name: value for name, value in vars(codes).items() if name.isupper() and isinstance(value, int)}
    wrong = {name: value for name, value in constants.items()
             if value != (HEADER_VALUES[name] if name in HEADER_VALUES else getattr(SPEC, name))}
    assert not wrong, wrong


def test_closing_the_world_raises_on_app_shutdown():
    w = world()
    manager = w.local.create("MsgrSessionManager").value
    assert w.local.connect(manager, "DMsgrSessionManagerEvents").ok
    w.local.events()
    w.close()
    assert [e.name for e in w.local.events()] == ["OnAppShutdown"]
    w.close()
    assert w.local.events() == [], "closing the world twice"


def test_type_information_is_the_callers_to_change():
    """Each type_info answer is made afresh: a caller that edits one (the index parameter of Property's get
    entry, the interface list of a coclass) changes neither another entry of it nor the next answer."""
    from msgrspec.loader import load_spec
    from msgrspec.typeinfo import type_info

    spec = load_spec()
    first = type_info(spec, "IMessengerContact").value
    get_entry, put_entry = [m for m in first["members"] if m["name"] == "Property"]
    get_entry["params"][0]["name"] = "edited"
    assert put_entry["params"][0]["name"] == "ePropType"
    again = type_info(spec, "IMessengerContact").value
    assert [m["params"][0]["name"] for m in again["members"] if m["name"] == "Property"] == ["ePropType"] * 2
    coclass = type_info(spec, "MsgrSessionManager").value
    coclass["interfaces"].append("edited")
    assert "edited" not in type_info(spec, "MsgrSessionManager").value["interfaces"]
