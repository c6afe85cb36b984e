#!/usr/bin/env python3
"""Compile the IDL's type information into C tables (build step of the C session manager).

A COM server normally carries a type library that MIDL compiled from its IDL;
this build has no type-library reader in C, so it compiles the same IDL into
plain tables instead: interfaces with their members in vtable order (DISPID,
kind, parameters with type and direction), dispinterfaces with their events,
enumerations (including the header's #define groups) and coclasses.

    python3 gen_typeinfo.py build/msgrpriv.idl > build/typeinfo_tables.c

Standard library only; it reads the IDL that `msgrspec idl` writes.
"""
from __future__ import annotations

import re
import sys

HELPSTRING = re.compile(r'helpstring\("(?:[^"\\]|\\.)*"\)')
ENUM = re.compile(r"typedef\s+\[[^\]]*\]\s*enum\s*\{(?P<body>[^}]*)\}\s*(?P<name>\w+)\s*;")
GROUP = re.compile(r'cpp_quote\("/\* (?P<name>\w+): [^"]*\*/"\)(?P<defines>(?:\s*cpp_quote\("#define [^"]*"\))+)')
DEFINE = re.compile(r'#define (?P<name>\w+) \(\((?P<type>\w+)\)(?P<value>0x[0-9A-Fa-f]+|-?\d+)\)')
INTERFACE = re.compile(r"\[(?P<attrs>[^\[\]]*)\]\s*interface\s+(?P<name>\w+)\s*:\s*(?P<base>\w+)\s*\{(?P<body>.*?)\n\}",
                       re.S)
DISPINTERFACE = re.compile(r"\[(?P<attrs>[^\[\]]*)\]\s*dispinterface\s+(?P<name>\w+)\s*\{(?P<body>.*?)\};", re.S)
COCLASS = re.compile(r"\[(?P<attrs>[^\[\]]*)\]\s*coclass\s+(?P<name>\w+)\s*\{(?P<body>.*?)\};", re.S)
MEMBER = re.compile(r"(?:\[(?P<attrs>[^\]]*)\]\s*)?(?:HRESULT|void)\s+(?P<name>\w+)\s*\((?P<params>.*?)\)\s*;", re.S)
UUID = re.compile(r"uuid\(([0-9A-Fa-f-]+)\)")
ID = re.compile(r"\bid\((-?\d+)\)")


def split_top(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def parse_param(text: str) -> dict:
    match = re.match(r"\[(?P<attrs>[^\]]*)\]\s*(?P<decl>.*)", text, re.S)
    attrs = [a.strip() for a in match["attrs"].split(",")]
    decl = match["decl"].strip()
    name = re.search(r"(\w+)\s*$", decl)[1]
    ctype = re.sub(r"\s+", "", decl[: -len(name)])
    direction = ",".join(a for a in ("in", "out", "retval") if a in attrs)
    return {"name": name, "type": ctype, "dir": direction}


def guid(attrs: str) -> str:
    return "{" + UUID.search(attrs)[1].upper() + "}"


def parse(idl: str) -> dict:
    idl = HELPSTRING.sub('helpstring("")', idl)
    enums = []
    for match in ENUM.finditer(idl):
        values = []
        for line in match["body"].split(","):
            if "=" in line:
                key, value = line.split("=")
                values.append((key.strip(), int(value.strip(), 0)))
        enums.append((match["name"], values))
    for match in GROUP.finditer(idl):
        values = []
        for define in DEFINE.finditer(match["defines"]):
            number = int(define["value"], 0)
            values.append((define["name"], number))
        enums.append((match["name"], values))
    interfaces = []
    for match in INTERFACE.finditer(idl):
        members = []
        for member in MEMBER.finditer(match["body"]):
            attrs = member["attrs"] or ""
            kind = "propget" if "propget" in attrs else "propput" if "propput" in attrs else "method"
            dispid = ID.search(attrs)
            members.append({"name": member["name"], "kind": kind, "dispid": int(dispid[1]) if dispid else None,
                            "params": [parse_param(p) for p in split_top(member["params"])]})
        interfaces.append({"name": match["name"], "guid": guid(match["attrs"]), "base": match["base"],
                           "members": members})
    dispinterfaces = []
    for match in DISPINTERFACE.finditer(idl):
        events = []
        for member in MEMBER.finditer(match["body"]):
            events.append({"name": member["name"], "kind": "event", "dispid": int(ID.search(member["attrs"])[1]),
                           "params": [parse_param(p) for p in split_top(member["params"])]})
        dispinterfaces.append({"name": match["name"], "guid": guid(match["attrs"]), "members": events})
    coclasses = []
    for match in COCLASS.finditer(idl):
        body = match["body"]
        listed = re.findall(r"(?:\[(?P<attrs>[^\]]*)\]\s*)?(?P<kind>dispinterface|interface)\s+(?P<name>\w+)\s*;", body)
        interfaces_of = [name for attrs, kind, name in listed if kind == "interface"]
        default = next((name for attrs, kind, name in listed if kind == "interface" and "default" in attrs),
                       interfaces_of[0] if interfaces_of else "")
        events = next((name for attrs, kind, name in listed if kind == "dispinterface" and "source" in attrs), "")
        coclasses.append({"name": match["name"], "guid": guid(match["attrs"]), "interfaces": interfaces_of,
                          "default": default, "events": events, "creatable": "noncreatable" not in match["attrs"]})
    return {"enums": enums, "interfaces": interfaces, "dispinterfaces": dispinterfaces, "coclasses": coclasses}


def c_string(text: str | None) -> str:
    return "NULL" if text is None else '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def emit(model: dict) -> str:
    out = ["/* Generated by gen_typeinfo.py from the IDL; do not edit. */", '#include "typeinfo.h"', ""]

    def members(prefix: str, items: list[dict]) -> None:
        for i, member in enumerate(items):
            params = member["params"]
            if params:
                out.append(f"static const struct ti_param {prefix}_{i}_params[] = {{")
                for p in params:
                    out.append(f"    {{{c_string(p['name'])}, {c_string(p['type'])}, {c_string(p['dir'])}}},")
                out.append("};")
        out.append(f"static const struct ti_member {prefix}_members[] = {{")
        for i, member in enumerate(items):
            dispid = member["dispid"]
            params = f"{prefix}_{i}_params" if member["params"] else "NULL"
            out.append(f"    {{{c_string(member['name'])}, {c_string(member['kind'])}, "
                       f"{1 if dispid is not None else 0}, {dispid if dispid is not None else 0}, "
                       f"{len(member['params'])}, {params}}},")
        out.append("};")

    for interface in model["interfaces"]:
        members(f"i_{interface['name']}", interface["members"])
    for dispinterface in model["dispinterfaces"]:
        members(f"d_{dispinterface['name']}", dispinterface["members"])
    out.append("const struct ti_interface ti_interfaces[] = {")
    for interface in model["interfaces"]:
        out.append(f"    {{{c_string(interface['name'])}, {c_string(interface['guid'])}, {c_string(interface['base'])}, "
                   f"0, {len(interface['members'])}, i_{interface['name']}_members}},")
    for dispinterface in model["dispinterfaces"]:
        out.append(f"    {{{c_string(dispinterface['name'])}, {c_string(dispinterface['guid'])}, NULL, 1, "
                   f"{len(dispinterface['members'])}, d_{dispinterface['name']}_members}},")
    out.append("};")
    out.append(f"const int ti_interface_count = {len(model['interfaces']) + len(model['dispinterfaces'])};")
    out.append("")
    for name, values in model["enums"]:
        out.append(f"static const struct ti_enum_value e_{name}_values[] = {{")
        for key, value in values:
            out.append(f"    {{{c_string(key)}, {value}LL}},")
        out.append("};")
    out.append("const struct ti_enum ti_enums[] = {")
    for name, values in model["enums"]:
        out.append(f"    {{{c_string(name)}, {len(values)}, e_{name}_values}},")
    out.append("};")
    out.append(f"const int ti_enum_count = {len(model['enums'])};")
    out.append("")
    for coclass in model["coclasses"]:
        listed = ", ".join(c_string(n) for n in coclass["interfaces"]) or "NULL"
        out.append(f"static const char *const c_{coclass['name']}_interfaces[] = {{{listed}}};")
    out.append("const struct ti_coclass ti_coclasses[] = {")
    for coclass in model["coclasses"]:
        out.append(f"    {{{c_string(coclass['name'])}, {c_string(coclass['guid'])}, {c_string(coclass['default'])}, "
                   f"{c_string(coclass['events'])}, {int(coclass['creatable'])}, {len(coclass['interfaces'])}, "
                   f"c_{coclass['name']}_interfaces}},")
    out.append("};")
    out.append(f"const int ti_coclass_count = {len(model['coclasses'])};")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: gen_typeinfo.py MSGRPRIV.IDL > typeinfo_tables.c\n")
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        model = parse(handle.read())
    if not model["interfaces"] or not model["dispinterfaces"]:
        sys.stderr.write(f"{argv[1]}: no interfaces found; is it the IDL msgrspec writes?\n")
        return 1
    sys.stdout.write(emit(model))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
