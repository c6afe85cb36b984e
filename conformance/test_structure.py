"""Structure, generated from the spec: coclasses, QueryInterface, signatures, property access, parameter limits.

Every test here is parametrized by the plugin with cases from msgrspec.cases;
the case id (built from spec keys) is the assertion id.
"""
from __future__ import annotations

import pytest

from msgrspec.adapter import ObjRef
from msgrspec.model import Method, Property
from msgrspec.suite import (
    APP_NAME, APP_PATH, APP_URL, Invitation, assert_hr, assert_ok, created, describe_hr, new_guid, register_app,
    unlocked,
)


def code(spec, name: str) -> int:
    return spec.hresults[name].value


def test_coclass(coclass_case, local, spec):
    coclass = coclass_case.data["coclass"]
    for key in (coclass.name, coclass.clsid):
        created = local.create(key)
        if coclass.creatable:
            assert_ok(created, f"create {key}")
            assert isinstance(created.value, ObjRef), f"create {key} gave {created.value!r}, not an object"
            assert created.value.interface == coclass.default_interface, \
                f"create {key} gave {created.value.interface}, not the default interface {coclass.default_interface}"
        else:
            assert_hr(created, code(spec, "REGDB_E_CLASSNOTREG"), f"create {key} ({coclass.name} is not creatable)")


def test_query_interface(query_interface_case, local, spec):
    data = query_interface_case.data
    obj = created(local, data["coclass"].name)
    iid = spec.interfaces[data["interface"]].iid
    for key in (data["interface"], iid):
        answer = local.query_interface(obj, key)
        if data["expect"]:
            assert_ok(answer, f"QueryInterface({key})")
            assert isinstance(answer.value, ObjRef) and answer.value.interface == data["interface"], answer.value
        else:
            assert_hr(answer, code(spec, "E_NOINTERFACE"), f"QueryInterface({key}) on {data['coclass'].name}")
    if not data["expect"]:
        member = spec.interfaces[data["interface"]].members[0]
        assert_hr(_use(local, ObjRef(obj.object_id, data["interface"]), member), code(spec, "E_NOINTERFACE"),
                  f"{member.name} through a reference to the {data['coclass'].name} object as {data['interface']}")


def _use(local, obj: ObjRef, member: Method | Property):
    """Call `member` on obj, or read it (write it, if it cannot be read), with null arguments."""
    if isinstance(member, Method):
        return local.call(obj, member.name, *([None] * sum(p.dir in ("in", "in,out") for p in member.params)))
    return local.get(obj, member.name) if "get" in member.accessors_declared else local.put(obj, member.name, None)


def _described(local, name: str) -> dict:
    described = local.type_info(name)
    assert_ok(described, f"type_info({name})")
    assert isinstance(described.value, dict), f"type_info({name}) gave {type(described.value).__name__}"
    return described.value


def _their_params(entry: dict) -> list[tuple[str, str, str]]:
    return [(p.get("name"), p.get("type"), p.get("dir")) for p in entry.get("params", [])]


def _entries(local, owner: str, name: str) -> list[tuple[int, dict]]:
    """(position, entry) of every type-information entry of `owner` called `name`."""
    entries = _described(local, owner).get("members", [])
    mine = [(i, e) for i, e in enumerate(entries) if isinstance(e, dict) and e.get("name") == name]
    assert mine, f"{owner} does not describe {name}"
    return mine


def test_signature(signature_case, local, spec):
    data = signature_case.data
    if signature_case.kind == "enum":
        enum = data["enum"]
        values = _described(local, enum.name).get("values", {})
        assert sorted(values) == sorted(v.name for v in enum.values), f"{enum.name} names differ"
        return
    if signature_case.kind == "enum-value":
        value = data["value"]
        values = _described(local, data["enum"].name).get("values", {})
        assert value.name in values, f"{data['enum'].name} lacks {value.name}"
        assert values[value.name] == value.value, f"{value.qualname} is {values[value.name]!r}, not {value.value}"
        return
    owner, member = data["owner"], data["member"]
    if signature_case.kind == "param":
        position, param = data["position"], data["param"]
        for _, entry in _entries(local, owner, member.name):
            theirs = _their_params(entry)
            assert len(theirs) > position, f"{member.qualname} has no parameter {position + 1} ({param.name})"
            assert theirs[position] == (param.name, param.type, param.dir), \
                f"{member.qualname} parameter {position + 1} is {theirs[position]}, " \
                f"not {(param.name, param.type, param.dir)}"
        return
    described = _described(local, owner)
    guid = spec.interfaces[owner].iid if owner in spec.interfaces else spec.dispinterfaces[owner].diid
    assert str(described.get("guid", "")).upper() == guid, f"{owner} has GUID {described.get('guid')}, not {guid}"
    mine = _entries(local, owner, member.name)
    if owner in spec.dispinterfaces:
        (_, entry), = mine
        assert entry.get("dispid") == member.dispid, f"{member.qualname} has DISPID {entry.get('dispid')}"
        assert len(_their_params(entry)) == len(member.params), f"{member.qualname} parameter count differs"
        return
    interface = spec.interfaces[owner]
    base = len([s for s in interface.vtable if s.accessor == "base"])
    expected_slots = [(s.index - base, s.accessor) for s in interface.vtable if s.name == member.name]
    assert [(i, e.get("kind")) for i, e in mine] == expected_slots, \
        f"{member.qualname}: vtable entries {[(i, e.get('kind')) for i, e in mine]}, expected {expected_slots}"
    for _, entry in mine:
        assert entry.get("dispid") == member.dispid, f"{member.qualname} has DISPID {entry.get('dispid')}"
        if isinstance(member, Method):
            assert len(_their_params(entry)) == len(member.params), f"{member.qualname} parameter count differs"
        elif entry["kind"] == "propget":
            assert _their_params(entry)[-1][1:] == (member.type + "*", "out,retval"), f"{member.qualname} get"
        else:
            assert _their_params(entry)[-1][1:] == (member.type, "in"), f"{member.qualname} put"


def object_for(local, interface: str, profile) -> ObjRef:
    """An object offering `interface`, in the state where its properties can be read."""
    manager = unlocked(local, "MsgrSessionManager", profile)
    if interface == "IMsgrSessionManager":
        return manager
    if interface == "IMsgrSession":
        created = local.call(manager, "CreateSession")
        assert_ok(created, "CreateSession")
        return created.value
    if interface == "IMsgrLock":
        found = local.query_interface(manager, "IMsgrLock")
        assert_ok(found, "QueryInterface(IMsgrLock)")
        return found.value
    private = unlocked(local, "MessengerPriv", profile)
    return private if interface == "IMessengerPrivate" else pytest.fail(f"no object offers {interface}")


def _sample(prop: Property):
    return {"BSTR": "msgrspec", "LONG": 0, "VARIANT_BOOL": False}.get(prop.type, None)


def test_access(access_case, local, spec, profile):
    prop: Property = access_case.data["property"]
    obj = object_for(local, access_case.data["interface"].name, profile)
    missing, not_impl = code(spec, "DISP_E_MEMBERNOTFOUND"), code(spec, "E_NOTIMPL")
    got = local.get(obj, prop.name)
    put = local.put(obj, prop.name, _sample(prop))
    if prop.access == "not-implemented":
        assert_hr(got, not_impl if "get" in prop.accessors_declared else missing, f"get {prop.qualname}")
        assert_hr(put, not_impl if "put" in prop.accessors_declared else missing, f"put {prop.qualname}")
        return
    if prop.readable:
        assert got.hr not in (missing, not_impl), f"get {prop.qualname} answered {describe_hr(got.hr)}: it is readable"
    else:
        assert_hr(got, missing, f"get {prop.qualname} ({prop.access})")
    if prop.writable:
        assert put.hr not in (missing, not_impl), f"put {prop.qualname} answered {describe_hr(put.hr)}: it is writable"
    else:
        assert_hr(put, missing, f"put {prop.qualname} ({prop.access})")


# -- parameter limits ---------------------------------------------------------------------------

def _probe_value(case, valid: str) -> object:
    """The value that breaks the constraint, or the one of the case's at-limit length.

    `valid` is the value the scenario would pass anyway (a registered GUID, say): where the case says the
    limit cannot be reached by a value that succeeds (its `note`), that value is the nearest reachable probe.
    """
    data = case.data
    constraint, param = data["constraint"], data["param"]
    siblings = param.constraints if param is not None else data["member"].constraints
    is_guid = any(c.kind == "format" and c.value == "guid" for c in siblings)
    if constraint.kind == "equals":
        return constraint.value + 1 if isinstance(constraint.value, int) else f"{constraint.value}x"
    if constraint.kind == "format":
        return new_guid().strip("{}")  # a GUID without its braces is not in registry form
    if data["probe"] == "at-limit":
        if data["note"]:
            return valid
        prefix = _SHAPES.get(param.name if param is not None else "", "")
        return prefix + "x" * (data["length"] - len(prefix))
    limit = constraint.value if constraint.kind == "max_length" else constraint.value // 2  # BSTR: 2 bytes a char
    if is_guid:
        return "{" + "0" * (limit - 1) + "}"
    prefix = _SHAPES.get(param.name if param is not None else "", "")
    return prefix + "x" * (limit - len(prefix) + 1)


#: values that keep their meaning when padded to a length: an absolute path stays a path, a URL a URL
_SHAPES = {"bstrPath": "C:\\", "bstrAppURL": "http://example.invalid/"}


def _call_with(local, obj, member: Method, args: dict, probe_param: str, value) -> object:
    ordered = [value if name == probe_param else args[name] for name in args]
    return local.call(obj, member.name, *ordered)


def _attempt(case, local, peer_of, profile):
    """Make the probing call in a state where nothing but the probed value could be wrong; its Outcome and
    the value probed."""
    data = case.data
    member, param = data["member"], data["param"]
    qualname = member.qualname
    if qualname.startswith("IMsgrSessionManager."):
        manager = unlocked(local, "MsgrSessionManager", profile)
        args = {"bstrAppGUID": new_guid(), "bstrAppName": APP_NAME, "bstrAppURL": APP_URL, "bstrPath": APP_PATH,
                "ulFlags": 0}
        if member.name == "UnRegisterApplication":
            args = {"bstrAppGUID": register_app(local, manager)}
        value = _probe_value(case, args[param.name])
        return _call_with(local, manager, member, args, param.name, value), value
    if qualname == "IMsgrSession.Application":
        manager = unlocked(local, "MsgrSessionManager", profile)
        guid = register_app(local, manager)
        session = local.call(manager, "CreateSession").value
        value = _probe_value(case, guid)
        return local.put(session, "Application", value), value
    value = _probe_value(case, "")
    if qualname == "IMsgrSession.LocalAddress":
        session = local.call(unlocked(local, "MsgrSessionManager", profile), "CreateSession").value
        return local.put(session, "LocalAddress", value), value
    invitation = Invitation(local, peer_of(), profile)
    if member.name == "Invite":
        return invitation.send(value), value
    if member.name == "Cancel":
        assert_ok(invitation.send(), "Invite")
        return local.call(invitation.inviter_session, "Cancel", 0, value), value
    if member.name in ("Accept", "Decline"):
        invitation.sent()
        return invitation.recipient.call(invitation.recipient_session, member.name, value), value
    if member.name == "SendContextData":
        invitation.accepted()
        return local.call(invitation.inviter_session, "SendContextData", value), value
    pytest.fail(f"the suite has no way to probe {qualname}: add a scenario for it")


def test_constraint(constraint_case, local, spec, profile, request):
    constraint = constraint_case.data["constraint"]
    outcome, value = _attempt(constraint_case, local, lambda: request.getfixturevalue("peer"), profile)
    where = constraint_case.id
    if constraint_case.data["probe"] == "at-limit":
        length, note = constraint_case.data["length"], constraint_case.data["note"]
        assert isinstance(value, str) and len(value) == length, \
            f"{where}: the suite probed {value!r}, not a value of {length} characters"
        at = f"{length} characters ({note})" if note else f"{length} characters, the limit"
        assert_ok(outcome, f"{where}: a value of {at}")
    else:
        assert_hr(outcome, code(spec, constraint.error), f"{where}: a value breaking {constraint.kind} "
                  f"{constraint.value}")
