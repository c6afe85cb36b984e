"""The at-limit constraint cases probe the limit itself, or say why they cannot and probe the nearest length."""
from __future__ import annotations

from msgrspec import load_spec
from msgrspec.cases import constraint_cases


def at_limit(spec) -> dict[str, tuple[int, str | None]]:
    return {c.id: (c.data["length"], c.data["note"]) for c in constraint_cases(spec) if c.data["probe"] == "at-limit"}


def test_a_plain_limit_is_probed_exactly(mini_spec):
    assert at_limit(load_spec(mini_spec)) == {"IMini.Ping.bstrText#max-length:at-limit": (3, None)}


def test_shipped_limits():
    found = at_limit(load_spec())
    assert found["IMsgrSession.SendContextData.bstrData#max-length:at-limit"] == (300, None)
    assert found["IMsgrSession.Invite.bstrAppData#max-bytes:at-limit"] == (256, None)  # 512 bytes of BSTR
    assert found["IMsgrSessionManager.RegisterApplication.bstrPath#max-length:at-limit"] == (260, None)
    # a GUID in registry form has 38 characters: a limit of 39 cannot be met by a value that succeeds, whether
    # the parameter has the format itself or names what a parameter of that format registered
    for where in ("IMsgrSessionManager.RegisterApplication.bstrAppGUID", "IMsgrSession.Application",
                  "IMsgrSessionManager.UnRegisterApplication.bstrAppGUID"):
        length, note = found[f"{where}#max-length:at-limit"]
        assert length == 38 and "limit of 39 cannot be reached" in note, where


def test_a_guid_format_lowers_the_probe_and_says_why(mini_spec):
    path = mini_spec / "interfaces" / "IMini.yaml"
    path.write_text(path.read_text().replace(
        "{kind: max_length, value: 3, error: E_INVALIDARG}",
        "{kind: max_length, value: 39, error: E_INVALIDARG}, {kind: format, value: guid}"))
    assert at_limit(load_spec(mini_spec)) == {"IMini.Ping.bstrText#max-length:at-limit": (
        38, "every valid value is a guid of 38 characters, so the limit of 39 cannot be reached with a value that "
            "succeeds; the case probes 38, the nearest reachable length")}
