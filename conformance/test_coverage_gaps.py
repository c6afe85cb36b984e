"""Cases that close gaps mutation testing found (tools/mutation.py, docs/mutation.md): faults of the reference
that every other case let through, such as a readable property answering an error, or an operation on an
object the implementation never handed out answering S_OK."""
from __future__ import annotations

from typing import Any

import pytest

from msgrspec.adapter import ObjRef, Outcome, succeeded
from msgrspec.model import Method, Property
from msgrspec.suite import (
    SpecValues, assert_failed, assert_hr, assert_ok, barrier, created, hex_hr, register_app, unlocked,
)

#: the interfaces whose objects a fresh world hands out, and the contact's
INTERFACES = ("IMsgrSessionManager", "IMsgrSession", "IMsgrLock", "IMessengerPrivate", "IMessengerContact")
#: declared type -> the Python type of a value that crosses the contract (adapter.py)
VALUE_TYPES = {"BSTR": str, "LONG": int, "VARIANT_BOOL": bool, "SESSION_STATE": int, "LockStatus": int}
#: a value of another type than the declared one, for writes that must be refused
WRONG_VALUES = {"BSTR": 12345, "LONG": "not a number", "VARIANT_BOOL": "not a boolean"}
#: a user no service knows: a contact object that is not signed in
NOBODY = "nobody@msgrspec.invalid"


def _objects(local, profile, contact: bool = True) -> dict[str, ObjRef]:
    """One object for each interface (the contact's only when `contact`), in the state a fresh world gives it."""
    manager = unlocked(local, "MsgrSessionManager", profile)
    created = local.call(manager, "CreateSession")
    lock = local.query_interface(manager, "IMsgrLock")
    for outcome, what in ((created, "CreateSession"), (lock, "QueryInterface(IMsgrLock)")):
        assert succeeded(outcome.hr), f"{what} answered {hex_hr(outcome.hr)}"
    objects = {"IMsgrSessionManager": manager, "IMsgrSession": created.value, "IMsgrLock": lock.value,
               "IMessengerPrivate": unlocked(local, "MessengerPriv", profile)}
    if contact:
        found = local.contact(local.signin)
        assert succeeded(found.hr), f"contact answered {hex_hr(found.hr)}"
        objects["IMessengerContact"] = found.value
    return objects


def _properties(spec, interface: str) -> list[Property]:
    return [m for m in spec.interfaces[interface].members if isinstance(m, Property) and m.access != "not-implemented"]


def _of_declared_type(prop: Property, value: Any) -> bool:
    if prop.type.endswith("*"):  # an interface pointer: an object, or none
        return value is None or isinstance(value, ObjRef)
    wanted = VALUE_TYPES.get(prop.type)
    if wanted is None:
        return True  # a VARIANT or another type the contract carries as any value
    return isinstance(value, wanted) and (wanted is bool or not isinstance(value, bool))


def _type_refusals(spec) -> set[int]:
    """What a value that cannot be converted to the declared type is answered (structure.argument-types)."""
    return {spec.hresults[name].value for name in ("DISP_E_TYPEMISMATCH", "E_INVALIDARG")}


@pytest.mark.requirement("structure.property-values")
def test_properties_answer_values_of_their_type(local, spec, profile):
    objects = _objects(local, profile)
    nobody = local.contact(NOBODY)
    assert succeeded(nobody.hr), f"contact({NOBODY!r}) answered {hex_hr(nobody.hr)}"
    # the contact of a user who is signed in (the local user's own) and of one who is not
    targets = [(interface, objects[interface], interface) for interface in INTERFACES]
    targets.append(("IMessengerContact", nobody.value, f"IMessengerContact of {NOBODY}"))
    refusals = _type_refusals(spec)
    values = SpecValues(spec)
    wrong = []
    for interface, obj, which in targets:
        for prop in _properties(spec, interface):
            where = prop.qualname if which == interface else f"{prop.name} ({which})"
            if prop.readable and prop.index is not None:
                bare = local.get(obj, prop.name)
                if bare.hr & 0xFFFFFFFF not in (values.DISP_E_PARAMNOTOPTIONAL, values.DISP_E_BADPARAMCOUNT):
                    wrong.append(f"get {where} without its index answered {hex_hr(bare.hr)}, not "
                                 f"DISP_E_PARAMNOTOPTIONAL or DISP_E_BADPARAMCOUNT")
            if prop.readable and prop.index is None:
                got = local.get(obj, prop.name)
                listed = {spec.hresults[r.code].value for r in prop.returns if r.code in spec.hresults}
                if not succeeded(got.hr):
                    if got.hr not in listed:
                        wrong.append(f"get {where} answered {hex_hr(got.hr)}, which its page does not list")
                elif not _of_declared_type(prop, got.value):
                    wrong.append(f"get {where} answered {got.value!r}, not a {prop.type}")
                indexed = local.get(obj, prop.name, 0)
                if indexed.hr & 0xFFFFFFFF != values.DISP_E_BADPARAMCOUNT:
                    wrong.append(f"get {where} with an index it does not take answered {hex_hr(indexed.hr)}, "
                                 f"not DISP_E_BADPARAMCOUNT")
            if prop.writable and prop.type in WRONG_VALUES:
                put = local.put(obj, prop.name, WRONG_VALUES[prop.type])
                if put.hr & 0xFFFFFFFF not in refusals:
                    wrong.append(f"put {where} = {WRONG_VALUES[prop.type]!r} (not a {prop.type}) answered "
                                 f"{hex_hr(put.hr)}, not DISP_E_TYPEMISMATCH or E_INVALIDARG")
    assert not wrong, "\n".join(wrong)


def _failed(outcome: Outcome) -> bool:
    return not succeeded(outcome.hr)


@pytest.mark.requirement("structure.unknown-object")
def test_operations_on_an_unknown_object_or_a_non_session_fail(local, spec, profile):
    # the world has objects, only not this one; no contact is needed, as each interface is tried on a ghost
    objects = _objects(local, profile, contact=False)
    launched = local.launch(objects["IMsgrSessionManager"])
    wrong = [] if _failed(launched) else [f"launch of a session manager answered {hex_hr(launched.hr)}"]
    for interface in INTERFACES:
        ghost = ObjRef("msgrspec-never-handed-out", interface)
        if not _failed(local.launch(ghost)):  # launch may answer E_NOTIMPL (docs/protocol.md): any failure
            wrong.append(f"launch of a {interface} never handed out succeeded")
        attempts = {"QueryInterface(IUnknown)": local.query_interface(ghost, "IUnknown")}
        for member in spec.interfaces[interface].members:
            if isinstance(member, Property):
                if "get" in member.accessors_declared:
                    attempts[f"get {member.qualname}"] = local.get(ghost, member.name)
            else:
                supplied = [None] * sum(p.dir in ("in", "in,out") for p in member.params)
                attempts[f"call {member.qualname}"] = local.call(ghost, member.name, *supplied)
        disconnected = spec.hresults["RPC_E_DISCONNECTED"].value  # what docs/protocol.md answers a dead reference
        wrong += [f"{what} on {interface} answered {hex_hr(outcome.hr)}, not RPC_E_DISCONNECTED"
                  for what, outcome in attempts.items() if outcome.hr & 0xFFFFFFFF != disconnected]
    assert not wrong, "\n".join(wrong)


@pytest.mark.requirement("structure.argument-count")
def test_a_call_with_an_argument_too_few_is_refused(local, spec, profile):
    """What IDispatch::Invoke answers for a missing argument: DISP_E_PARAMNOTOPTIONAL (or DISP_E_BADPARAMCOUNT);
    the member is not run. (An argument too many is not checked: through Wine's COM the call runs.)"""
    objects = _objects(local, profile, contact=False)  # a contact has properties only
    values = SpecValues(spec)
    too_few = {values.DISP_E_PARAMNOTOPTIONAL, values.DISP_E_BADPARAMCOUNT}
    wrong = []
    for interface, obj in objects.items():
        for method in (m for m in spec.interfaces[interface].members if isinstance(m, Method)):
            inputs = sum(p.dir in ("in", "in,out") for p in method.params)
            if inputs:
                fewer = local.call(obj, method.name, *([None] * (inputs - 1)))
                if fewer.hr & 0xFFFFFFFF not in too_few:
                    wrong.append(f"{method.qualname} with {inputs - 1} arguments answered {hex_hr(fewer.hr)}, "
                                 f"not DISP_E_PARAMNOTOPTIONAL or DISP_E_BADPARAMCOUNT")
    assert not wrong, "\n".join(wrong)


#: declared type -> a well-typed argument, and one the COM runtime cannot convert to that type
WELL_TYPED = {"BSTR": "msgrspec", "LONG": 0}
UNCONVERTIBLE = {"LONG": "not a number"}


@pytest.mark.requirement("structure.argument-types")
def test_an_argument_that_cannot_take_its_type_is_refused(local, spec, profile):
    """What IDispatch::Invoke (ITypeInfo::Invoke for IMsgrLock) answers when it cannot convert an argument:
    DISP_E_TYPEMISMATCH, or, behind the adapter protocol, E_INVALIDARG. Every other argument is well typed, so
    only the probed one can be at fault; the refusal comes before anything the object's state would answer."""
    objects = _objects(local, profile, contact=False)
    refusals = _type_refusals(spec)
    wrong = []
    probed = 0
    for interface, obj in objects.items():
        for method in (m for m in spec.interfaces[interface].members if isinstance(m, Method)):
            inputs = [p for p in method.params if p.dir in ("in", "in,out")]
            if not all(p.type in WELL_TYPED for p in inputs):
                continue  # an object or a VARIANT among them: the suite has no well-typed value to pass
            for position, param in enumerate(inputs):
                if param.type not in UNCONVERTIBLE:
                    continue
                args = [WELL_TYPED[p.type] for p in inputs]
                args[position] = UNCONVERTIBLE[param.type]
                answer = local.call(obj, method.name, *args)
                probed += 1
                if answer.hr & 0xFFFFFFFF not in refusals:
                    wrong.append(f"{method.qualname} with {param.name} = {args[position]!r} (not a {param.type}) "
                                 f"answered {hex_hr(answer.hr)}, not DISP_E_TYPEMISMATCH or E_INVALIDARG")
    assert probed, "the spec declares no method with an argument the suite can give an unconvertible value"
    assert not wrong, "\n".join(wrong)


#: the integers just outside what a LONG argument may be: one below the least signed 32-bit value, one above the
#: greatest unsigned reading of 32 bits
OUTSIDE_LONG = (-2**31 - 1, 2**32)


@pytest.mark.requirement("structure.long-range")
def test_an_integer_wider_than_a_long_is_refused(local, profile):
    """RequestChallenge on a lock that has come up (a sink connected) and would take a cookie that fits."""
    manager = created(local, "MsgrSessionManager")
    assert_ok(local.connect(manager, "DMsgrSessionManagerEvents"), "connect DMsgrSessionManagerEvents")
    lock = local.query_interface(manager, "IMsgrLock")
    assert_ok(lock, "QueryInterface(IMsgrLock)")
    for cookie in OUTSIDE_LONG:
        assert_failed(local.call(lock.value, "RequestChallenge", cookie), f"RequestChallenge({cookie})")


#: a name that no interface of the library declares
UNDECLARED_NAME = "MsgrspecNoSuchMember"


@pytest.mark.requirement("structure.property-access")
def test_only_a_property_can_be_read_or_written(local, spec, profile):
    """Reading or writing one of the interface's methods, a member of another interface or a name nothing
    declares answers DISP_E_MEMBERNOTFOUND (test_access checks the properties themselves)."""
    objects = _objects(local, profile, contact=False)
    missing = SpecValues(spec).DISP_E_MEMBERNOTFOUND
    wrong = []
    for interface, obj in objects.items():
        members = spec.interfaces[interface].members
        own = {m.name.lower() for m in members}
        elsewhere = {m.name for other in objects if other != interface for m in spec.interfaces[other].members
                     if m.name.lower() not in own}
        for name in [m.name for m in members if isinstance(m, Method)] + sorted(elsewhere) + [UNDECLARED_NAME]:
            for what, outcome in (("get", local.get(obj, name)), ("put", local.put(obj, name, 0))):
                if outcome.hr & 0xFFFFFFFF != missing:
                    wrong.append(f"{what} {name} on {interface} answered {hex_hr(outcome.hr)}, "
                                 f"not DISP_E_MEMBERNOTFOUND")
    assert not wrong, "\n".join(wrong)


#: text outside ASCII: two-byte, three-byte (क, U+0915, has the lowest lead byte, 0xE0) and four-byte UTF-8 (a
#: surrogate pair in UTF-16; U+10000 is the first of them), within the 30 characters LocalAddress holds
UNICODE_TEXT = "Zoë € क 中文 \U0001F600 \U00010000 ok"


@pytest.mark.requirement("structure.unicode-text")
def test_text_outside_ascii_comes_back_as_written(local, profile):
    session = _objects(local, profile, contact=False)["IMsgrSession"]
    assert_hr(local.put(session, "LocalAddress", UNICODE_TEXT), 0, "put LocalAddress")
    read = local.get(session, "LocalAddress")
    assert_hr(read, 0, "get LocalAddress")
    assert read.value == UNICODE_TEXT, f"LocalAddress came back as {read.value!r}, not {UNICODE_TEXT!r}"


@pytest.mark.requirement("structure.event-connections")
def test_a_disconnected_sink_gets_no_events(local, spec, profile):
    values = SpecValues(spec)
    manager = unlocked(local, "MsgrSessionManager", profile)
    dropped, kept = (local.connect(manager, "DMsgrSessionManagerEvents") for _ in range(2))  # not the last one
    assert succeeded(kept.hr) and succeeded(dropped.hr), f"connect answered {hex_hr(kept.hr)}, {hex_hr(dropped.hr)}"
    gone = local.disconnect(manager, dropped.value)
    assert succeeded(gone.hr), f"disconnecting a connected sink answered {hex_hr(gone.hr)}"
    assert_hr(local.disconnect(manager, dropped.value), values.CONNECT_E_NOCONNECTION,
              "disconnecting the same cookie twice")
    assert_hr(local.disconnect(manager, kept.value + dropped.value + 1000), values.CONNECT_E_NOCONNECTION,
              "disconnecting a cookie never handed out")
    for foreign in ("DMsgrSessionEvents", "DMessengerPrivateEvents"):  # events a session manager does not raise
        assert_hr(local.connect(manager, foreign), values.CONNECT_E_NOCONNECTION, f"connecting {foreign}")
    ghost = ObjRef("msgrspec-never-handed-out", "IMsgrSessionManager")
    assert_hr(local.connect(ghost, "DMsgrSessionManagerEvents"), values.RPC_E_DISCONNECTED,
              "connecting on an object never handed out")
    assert_hr(local.disconnect(ghost, kept.value), values.RPC_E_DISCONNECTED,
              "disconnecting on an object never handed out")
    guid = register_app(local, manager)
    seen: list = []
    barrier(local, manager, seen)  # every sink's OnAppRegistered for `guid` was raised before the barrier's
    cookies = {event.cookie for event in seen if event.name == "OnAppRegistered" and event.args == (guid,)}
    assert cookies == {kept.value}, f"OnAppRegistered reached the sinks {sorted(cookies)}; connected: {kept.value}"
