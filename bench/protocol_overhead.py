"""Calls per second and per-call latency through the adapter protocol, against the in-process reference.

    python bench/protocol_overhead.py [--calls 2000] [--repeat 5] [--c-server PATH]

Every figure comes from the same run on the same machine: the reference
implementation called in-process, then the same reference behind the protocol
over a child's stdin/stdout (with and without the schema checks of incoming
messages) and over TCP on 127.0.0.1, and, with --c-server, the C session
manager over stdin/stdout. Two workloads: one read (IMsgrLock.Status, the
smallest round trip) and a mixed cycle of five operations (CreateSession,
put Application, get State, get SessionID, an events poll). Each figure is the
median of --repeat timed runs after a warm-up.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from msgrspec.adapter import Adapter
from msgrspec.protocol import ProcessAdapter, TcpAdapter
from msgrspec.reference import ReferenceAdapter
from msgrspec.suite import lock_response, new_guid

SERVE = [sys.executable, "-m", "msgrspec.protocol.serve", "reference"]


def unlocked(party, profile, coclass: str, events: str):
    obj = party.create(coclass).value
    party.connect(obj, events)
    lock = party.query_interface(obj, "IMsgrLock").value
    party.events()
    if "lock-enforced" in profile.features:
        party.call(lock, "RequestChallenge", [9])
        challenge = next(e for e in party.events() if e.name == "OnLockChallenge").args[1]
        party.call(lock, "SendResponse", [profile.lock_id, lock_response(challenge, profile.lock_key), 9])
        party.events()
    return obj, lock


def workloads(adapter: Adapter) -> dict[str, tuple[int, Callable[[int], None]]]:
    """name -> (operations per cycle, run(cycles))."""
    profile = adapter.profile()
    world = adapter.open_world()
    party = world.local
    manager, lock = unlocked(party, profile, "MsgrSessionManager", "DMsgrSessionManagerEvents")
    guid = new_guid()
    assert party.call(manager, "RegisterApplication", [guid, "bench", "http://bench.invalid/",
                                                       "C:\\bench.exe", 0]).ok

    def read(cycles: int) -> None:
        for _ in range(cycles):
            party.get(lock, "Status")

    def mixed(cycles: int) -> None:
        for _ in range(cycles):
            session = party.call(manager, "CreateSession").value
            party.put(session, "Application", guid)
            party.get(session, "State")
            party.get(session, "SessionID")
            party.events()

    return {"read": (1, read), "mixed": (5, mixed)}


def measure(adapter: Adapter, calls: int, repeat: int) -> dict[str, dict[str, float]]:
    figures = {}
    for name, (per_cycle, run) in workloads(adapter).items():
        cycles = max(1, calls // per_cycle)
        run(max(1, cycles // 10))  # warm-up
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            run(cycles)
            times.append(time.perf_counter() - started)
        seconds = statistics.median(times)
        operations = cycles * per_cycle
        figures[name] = {"calls_per_second": operations / seconds, "us_per_call": 1e6 * seconds / operations}
    return figures


def tcp_server() -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen([*SERVE, "--tcp", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    banner = server.stdout.readline()
    if not banner.startswith("listening on "):
        server.kill()
        sys.exit(f"the TCP server did not start: {banner!r}")
    return server, banner.split()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="operations per timed run (default 2000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure; the median is shown")
    parser.add_argument("--c-server", help="also measure this C session manager binary over stdin/stdout")
    options = parser.parse_args()

    transports: list[tuple[str, Callable[[], Adapter], Callable[[], None]]] = []
    transports.append(("in-process", ReferenceAdapter, lambda: None))
    transports.append(("stdio", lambda: ProcessAdapter(SERVE), lambda: None))
    transports.append(("stdio, unchecked", lambda: ProcessAdapter([*SERVE, "--no-validate"], validate=False),
                       lambda: None))
    server, address = tcp_server()
    transports.append(("tcp 127.0.0.1", lambda: TcpAdapter(address), server.terminate))
    if options.c_server:
        transports.append(("stdio, C server", lambda: ProcessAdapter([options.c_server]), lambda: None))

    results: dict[str, dict] = {}
    try:
        for name, make, _ in transports:
            adapter = make()
            try:
                results[name] = measure(adapter, options.calls, options.repeat)
            finally:
                adapter.close()
    finally:
        for _, _, stop in transports:
            stop()
        server.wait(timeout=10)

    print_figures(results, "in-process", options)


def print_figures(results: dict[str, dict], baseline: str, options: argparse.Namespace) -> None:
    """The table of figures with each one's ratio to `baseline`'s (stored in it as "ratio"), then JSON."""
    base = results[baseline]
    print(f"median of {options.repeat} runs of {options.calls} operations; Python {sys.version.split()[0]}")
    print(f"{'transport':<26}{'workload':<10}{'calls/s':>12}{'us/call':>12}{'x ' + baseline:>16}")
    for name, figures in results.items():
        for workload, figure in figures.items():
            ratio = figure["us_per_call"] / base[workload]["us_per_call"]
            figure["ratio"] = ratio
            print(f"{name:<26}{workload:<10}{figure['calls_per_second']:>12,.0f}{figure['us_per_call']:>12.1f}"
                  f"{ratio:>15.1f}x")
    print(json.dumps({name: {w: {k: round(v, 2) for k, v in f.items()} for w, f in figures.items()}
                      for name, figures in results.items()}))

if __name__ == "__main__":
    main()
