"""Microseconds per protocol message for each way of checking it against the protocol schema.

    python bench/protocol_check.py [--rounds 2000] [--repeat 5]

Every figure comes from the same run: jsonschema (the validator that explains a refusal, the
baseline) and jsonschema_rs (the quick check that codec.check asks first), on the same six messages
(three requests, three responses, the shapes a suite run sends most). The hand-written closures of
protocol/fastcheck.py that jsonschema_rs replaced measured 21.8 us a message against its 1.49 us
in one run of this script (commit "bench/protocol_check.py: ..."). Each figure is the median of
--repeat timed runs; the ratio is against jsonschema.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import jsonschema
import jsonschema_rs

from msgrspec.protocol import codec

REF = {"object": "w1.o1", "interface": "IMsgrSession"}
W = {"world": "w1", "party": "local"}
MESSAGES = [
    ("call-request", {"id": 6, "op": "call", **W, "object": REF, "method": "RegisterApplication",
                      "args": ["{X}", None, "http://x.invalid/", "C:\\x.exe", 0]}),
    ("get-request", {"id": 7, "op": "get", **W, "object": REF, "property": "State"}),
    ("events-request", {"id": 8, "op": "events", **W}),
    ("call-response", {"id": 6, "result": {"hr": 0, "value": REF}}),
    ("get-response", {"id": 7, "result": {"hr": 0, "value": 3}}),
    ("events-response", {"id": 8, "result": {"events": [{"cookie": 1, "dispinterface": "DMsgrSessionEvents",
                                                         "name": "OnStateChanged", "args": [REF, 2]}]}}),
]


CHECKERS: dict[str, Callable[[str], Callable[[dict], bool]]] = {
    "jsonschema": lambda name: jsonschema.Draft202012Validator(codec._definition(name)).is_valid,
    "jsonschema_rs": lambda name: jsonschema_rs.validator_for(codec._definition(name)).is_valid,
}


def measure(make: Callable[[str], Callable[[dict], bool]], rounds: int, repeat: int) -> float:
    checks = [(make(name), message) for name, message in MESSAGES]
    assert all(check(message) for check, message in checks)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(rounds):
            for check, message in checks:
                check(message)
        times.append((time.perf_counter() - started) / (rounds * len(checks)))
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000, help="passes over the messages per timed run")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure; the median is shown")
    options = parser.parse_args()
    figures = {}
    for name, make in CHECKERS.items():
        rounds = max(1, options.rounds // 20) if name == "jsonschema" else options.rounds
        figures[name] = measure(make, rounds, options.repeat)
    base = figures["jsonschema"]
    print(f"{'checker':<22}{'us/message':>12}{'x faster than jsonschema':>27}")
    for name, us in figures.items():
        print(f"{name:<22}{us:>12.2f}{base / us:>26.1f}x")
    print(json.dumps({name: round(us, 3) for name, us in figures.items()}))


if __name__ == "__main__":
    main()
