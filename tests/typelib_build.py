"""Type libraries for the tests: widl's .tlb of a spec (win64 or win32), the IDL as it was before the
widl 8.0 workaround, spec copies changed in one place, and small PE files built with mingw-w64."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from msgrspec import load_spec
from msgrspec.idl import generate_idl
from msgrspec.resources import spec_dir
from toolchain import WINE_INCLUDE, mingw_gcc, require

#: where wine64 installs the stdole2.tlb that `widl --win32` imports
WINE64_LIBS = Path("/usr/lib/x86_64-linux-gnu/wine/x86_64-windows")


def widl_tlb(idl: str, out: Path, *, win32: bool = False) -> Path:
    """`idl` compiled by widl into out/msgrpriv.tlb (SYS_WIN64, or SYS_WIN32 with `win32`)."""
    require("widl", "wine-headers")
    out.mkdir(parents=True, exist_ok=True)
    source = out / "msgrpriv.idl"
    source.write_text(idl, encoding="utf-8")
    target = out / "msgrpriv.tlb"
    flags = ["--win32", "-L", str(WINE64_LIBS)] if win32 else []
    run = subprocess.run(["widl", *flags, f"-I{WINE_INCLUDE}", "-t", "-o", str(target), str(source)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    return target


def spec_tlb(out: Path, *, win32: bool = False, spec_folder: Path | None = None) -> Path:
    return widl_tlb(generate_idl(load_spec(spec_folder)), out, win32=win32)


def idl_before_the_fix(idl: str) -> str:
    """The IDL without the `interface X;` lines at the top of the library block (as before commit c5d9400)."""
    head, library = idl.split("\nlibrary ", 1)
    stripped = re.sub(r"^    interface \w+;\n", "", library, flags=re.M)
    assert stripped != library, "the generated IDL no longer names the interfaces in the library block"
    return head + "\nlibrary " + stripped


def spec_copy(root: Path, file: str, old: str, new: str) -> Path:
    """A copy of the shipped spec with one text replaced in one file (exactly once)."""
    copy = root / "spec"
    shutil.copytree(spec_dir(), copy)
    path = copy / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {file} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return copy


def pe_file(out: Path, tlb: Path | None = None) -> Path:
    """A tiny Windows program; with `tlb`, the type library is its resource 1 TYPELIB."""
    gcc = mingw_gcc()
    out.mkdir(parents=True, exist_ok=True)
    source = out / "tiny.c"
    source.write_text("int main(void) { return 0; }\n")
    objects = [str(source)]
    if tlb is not None:
        require("x86_64-w64-mingw32-windres")
        (out / "tiny.rc").write_text(f'1 TYPELIB "{tlb}"\n')
        subprocess.run(["x86_64-w64-mingw32-windres", str(out / "tiny.rc"), "-O", "coff", "-o", str(out / "tiny.res")],
                       check=True, capture_output=True, timeout=120)
        objects.append(str(out / "tiny.res"))
    exe = out / ("with-typelib.exe" if tlb else "without-typelib.exe")
    subprocess.run([gcc, "-o", str(exe), *objects], check=True, capture_output=True, timeout=120)
    return exe


#: spec copies changed in one place: name -> (file, old text, new text, the item, the fact, spec value, binary
#: value, the text of the line the difference must point at)
BREAKS = {
    "dispid": ("interfaces/IMsgrSession.yaml", "dispid: 2\n        summary: Sends", "dispid: 42\n        summary: Sends",
               "IMsgrSession.Invite", "func dispid", 42, 2, "- name: Invite"),
    "iid": ("interfaces/IMsgrLock.yaml", '"{36602AFA-4859-4DF5-820B-BF35ACAA16CA}"', '"{36602AFA-4859-4DF5-820B-BF35ACAA16CB}"',
            "IMsgrLock", "iid", "{36602AFA-4859-4DF5-820B-BF35ACAA16CB}", "{36602AFA-4859-4DF5-820B-BF35ACAA16CA}",
            "IMsgrLock:"),
    "direction": ("dispinterfaces/DMsgrSessionManagerEvents.yaml", "dir: in,out\n            default: VARIANT_FALSE",
                  "dir: out\n            default: VARIANT_FALSE", "DMsgrSessionManagerEvents.OnInvitation",
                  "param pfHandled direction", ["out"], ["in", "out"], "- name: pfHandled"),
}


def broken_spec(root: Path, name: str):
    file, old, new, *_ = BREAKS[name]
    folder = spec_copy(root, file, old, new)
    return folder, load_spec(folder)


def expected_location(broken, name: str) -> str:
    subject = BREAKS[name][3]
    item = broken.resolve(subject)
    if name == "direction":
        return str(item.params[2].loc)
    return str(item.loc)


def assert_caught(differences, broken, name: str) -> None:
    """The changed fact is reported, at the changed item's place in the copy, and nothing unrelated is."""
    file, _, _, subject, fact, want, have, line_text = BREAKS[name]
    hits = [d for d in differences if d.subject == subject and d.fact == fact]
    assert len(hits) == 1, [str(d) for d in differences]
    hit = hits[0]
    assert (hit.spec, hit.binary, hit.erratum) == (want, have, None)
    assert hit.where == expected_location(broken, name)
    path, line, _ = hit.where.rsplit(":", 2)
    assert path.endswith(file)
    text = Path(path).read_text(encoding="utf-8").splitlines()[int(line) - 1]
    assert text.strip() == line_text, text
    assert all(d.subject.split(".")[0] in (subject.split(".")[0], "MsgrSessionManager", "MessengerPriv")
               for d in differences), [str(d) for d in differences]
