"""Finding and ending every process an implementation started, not only the one the client started.

The client starts a server in a session (and process group) of its own, so killing that group ends
the server and every child that stayed in it. A child may leave the group (setsid(), or a
daemon's double fork); on Linux this module finds those too, in /proc, as

- the descendants of the server (while it still runs), and
- every process that holds one of the server's standard streams (the pipes to the client), which a
  double-forked daemon keeps unless it closes them, and which began after the server: a process that was
  already running cannot be one the server started, though it may hold the pipes too (Wine's wineserver
  keeps every Windows program's standard handles; killing it would end the prefix's every program and lose
  the registry writes it has not saved yet).

Limits: a process that has left the server's tree *and* closed the inherited pipes is not found
(only a cgroup would hold it); without /proc (macOS, the BSDs) only the process group is killed.
"""
from __future__ import annotations

import os
import signal
from collections import defaultdict

Snapshot = dict[int, str]  # pid -> its start time, so that a pid reused since is never signalled


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, start time) of a running process; None if it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # the name in parentheses may hold spaces
    if fields[0] == "Z":
        return None
    return int(fields[1]), fields[19]


def _pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def _holds(pid: int, pipes: set[str]) -> bool:
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for name in names:
        try:
            if os.readlink(f"/proc/{pid}/fd/{name}") in pipes:
                return True
        except OSError:
            continue
    return False


def pipe_names(*fds: int) -> set[str]:
    """How /proc names the pipes behind these file descriptors ("pipe:[INODE]")."""
    return {f"pipe:[{os.fstat(fd).st_ino}]" for fd in fds}


def start_time(pid: int) -> str | None:
    """When a running process began (clock ticks since boot, as /proc says it); None if it is gone."""
    found = _stat(pid)
    return found[1] if found is not None else None


def started_by(server: int | None, pipes: set[str], since: str | None = None) -> Snapshot:
    """The processes below `server` (None: it is gone) or holding one of `pipes` and begun no earlier than
    `since` (the server's start time; None: whenever).

    A pipe holder that descends from this process by another way than the server (a child this
    process forked while the pipes were open) is not the implementation's, and is left alone."""
    table = {pid: found for pid in _pids() if (found := _stat(pid)) is not None}
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (parent, _) in table.items():
        children[parent].append(pid)

    def below(top: int, skip: int | None = None) -> set[int]:
        found, pending = set(), [top]
        while pending:
            for child in children.get(pending.pop(), ()):
                if child != skip and child not in found:
                    found.add(child)
                    pending.append(child)
        return found

    me = os.getpid()
    mine = below(server) if server is not None else set()
    ours = below(me, skip=server) | {me}
    if pipes:
        mine |= {pid for pid in table if pid not in mine and pid not in ours and pid != server
                 and (since is None or int(table[pid][1]) >= int(since)) and _holds(pid, pipes)}
    return {pid: table[pid][1] for pid in mine if pid in table}


def _signal(found: Snapshot, signum: int) -> None:
    for pid, started in found.items():
        now = _stat(pid)
        if now is not None and now[1] == started:
            try:
                os.kill(pid, signum)
            except (ProcessLookupError, PermissionError):
                pass


def kill_all(server: int | None, pipes: set[str], known: Snapshot, since: str | None = None) -> None:
    """SIGKILL what the server started: its process group (server: its pid, while it is not reaped, so
    that the id cannot have been reused), what `started_by` finds (`since`: the server's start time) and
    `known` (an earlier snapshot).

    Each is stopped first and the search repeated until it finds nothing new, so that nothing forks
    out from under it."""
    if server is not None:
        _signal_group(server, signal.SIGSTOP)
    stopped: Snapshot = dict(known)
    _signal(stopped, signal.SIGSTOP)
    while True:
        new = {pid: started for pid, started in started_by(server, pipes, since).items() if pid not in stopped}
        if not new:
            break
        _signal(new, signal.SIGSTOP)
        stopped.update(new)
    if server is not None:
        _signal_group(server, signal.SIGKILL)
    _signal(stopped, signal.SIGKILL)


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass
