"""The reference implementation beyond what the adapter contract lets the conformance suite reach:
faults never escape, and the behaviour that needs a party to go offline or the client to shut down."""
from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msgrspec.adapter import ObjRef, Outcome
from msgrspec.model import Method
from msgrspec.reference import ReferenceAdapter, codes
from msgrspec.reference.manager import SessionManager
from msgrspec.reference.typeinfo import spec as shipped_spec
from msgrspec.suite import lock_response
from msgrspec.typeinfo import TYPE_E_ELEMENTNOTFOUND

FUZZ = settings(derandomize=True, max_examples=200, deadline=None, database=None)


def world(**options):
    return ReferenceAdapter(**options).open_world()


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
    guid = "{" + str(uuid.uuid4()).upper() + "}"
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


def test_signed_out_party_cannot_add_contacts_and_contacts_read_false():
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


@pytest.mark.parametrize("answer", ["Accept", "Decline", "SendContextData"])
def test_a_message_to_a_signed_out_party_raises_on_send_error(answer):
    w = ReferenceAdapter(features=frozenset({"peer", "registry"})).open_world()
    local, peer = w.local, w.peer
    manager = local.create("MsgrSessionManager").value
    their_manager = peer.create("MsgrSessionManager").value
    guid = "{" + str(uuid.uuid4()).upper() + "}"
    for party, m in ((local, manager), (peer, their_manager)):
        assert party.call(m, "RegisterApplication", [guid, "app", "http://x.invalid/", "C:\\app.exe", 0]).ok
    assert peer.connect(their_manager, "DMsgrSessionManagerEvents").ok
    session = local.call(manager, "CreateSession", []).value
    assert local.put(session, "Application", guid).ok
    assert local.call(session, "Invite", [local.contact(peer.signin).value, "x"]).ok
    theirs = next(e for e in peer.events() if e.name == "OnInvitation").args[0]
    assert peer.connect(theirs, "DMsgrSessionEvents").ok
    sender, target, expected = peer, theirs, {"Accept": codes.SR_ACCEPT_SEND_FAILURE,
                                              "Decline": codes.SR_DECLINE_SEND_FAILURE}.get(answer)
    if answer == "SendContextData":
        assert peer.call(theirs, "Accept", [None]).ok
        expected = codes.SR_CONTEXT_DATA_SEND_FAILURE
    peer.events()
    local.sign_out()
    args = [None] if answer != "SendContextData" else ["port=1"]
    assert sender.call(target, answer, args).ok
    errors = [e.args for e in sender.events() if e.name == "OnSendError"]
    assert errors == [(expected,)]


def test_closing_the_world_raises_on_app_shutdown():
    w = world()
    manager = w.local.create("MsgrSessionManager").value
    assert w.local.connect(manager, "DMsgrSessionManagerEvents").ok
    w.local.events()
    w.close()
    assert [e.name for e in w.local.events()] == ["OnAppShutdown"]
    w.close()
    assert w.local.events() == [], "closing the world twice"
