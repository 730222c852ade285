"""Finding and killing every process a code block started.

Each block runs as the leader of a new session (``start_new_session=True``), so its process
group and session id are its pid, and its environment carries a marker variable
(:data:`MARKER_VARIABLE`) with a value unique to the run, which every process it starts
inherits. Killing the group catches everything that stayed in it. On Linux the process table
(``/proc``) is also searched: every process in the block's session or group, every process
whose environment holds the run's marker (so children that moved to a session of their own,
even daemons that double-forked away from the block, are found), and every descendant of
one of those, is stopped (``SIGSTOP``, so none can fork while the search goes on); the search
is repeated until it finds nothing new, and then all of them are killed (``SIGKILL``).

What escapes: a process that left the block's session *and* dropped the marker from its
environment (``env -i``, or ``exec`` with a fresh environment) after its parent exited, and
processes another user runs (a block that switches user). Confine untrusted code with the
Docker executor, where the container is the boundary.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import uuid

__all__ = [
    "MARKER_VARIABLE",
    "kill_process_tree",
    "marked_processes",
    "new_marker",
    "process_table",
    "tree_members",
]

MARKER_VARIABLE = "CANTATA_CODE_EXECUTION"
"""The environment variable that marks the processes of one block run."""

_LINUX = sys.platform.startswith("linux")


def new_marker() -> str:
    """A fresh value for :data:`MARKER_VARIABLE`."""
    return uuid.uuid4().hex


def _pids() -> list[str]:
    try:
        return [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return []


def process_table() -> dict[int, tuple[int, int, int, str]]:
    """``pid -> (parent pid, process group, session, state)`` of every process, from
    ``/proc``; empty where there is no ``/proc``."""
    table: dict[int, tuple[int, int, int, str]] = {}
    if not _LINUX:
        return table
    for entry in _pids():
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat_file:
                stat = stat_file.read().decode(errors="replace")
        except OSError:  # the process has gone
            continue
        # "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
        fields = stat.rpartition(")")[2].split()
        if len(fields) < 4:
            continue
        table[int(entry)] = (int(fields[1]), int(fields[2]), int(fields[3]), fields[0])
    return table


def marked_processes(marker: str) -> set[int]:
    """The processes whose environment holds ``CANTATA_CODE_EXECUTION=<marker>`` (only this
    user's processes can be read)."""
    if not _LINUX:
        return set()
    entry_bytes = f"{MARKER_VARIABLE}={marker}".encode()
    found: set[int] = set()
    for entry in _pids():
        try:
            with open(f"/proc/{entry}/environ", "rb") as environ_file:
                environ = environ_file.read()
        except OSError:  # gone, or another user's
            continue
        if entry_bytes in environ and entry_bytes in environ.split(b"\0"):
            found.add(int(entry))
    return found


def tree_members(
    leader: int,
    table: dict[int, tuple[int, int, int, str]],
    *,
    include_leader: bool = True,
    roots: set[int] | frozenset[int] = frozenset(),
) -> set[int]:
    """The live processes of *leader*'s tree: *leader* (unless *include_leader* is false),
    the members of its group and session (both numbered *leader*), the *roots*, and every
    descendant of one of them."""
    members = {
        pid
        for pid, (_, pgrp, session, state) in table.items()
        if state not in "ZX"
        and (
            pgrp == leader
            or session == leader
            or pid in roots
            or (include_leader and pid == leader)
        )
    }
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _, state) in table.items():
        if state not in "ZX":
            children.setdefault(ppid, []).append(pid)
    pending = list(members)
    while pending:
        for child in children.get(pending.pop(), ()):
            if child not in members:
                members.add(child)
                pending.append(child)
    members.discard(os.getpid())
    return members


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signum)


def kill_process_tree(leader: int, *, reaped: bool = False, marker: str | None = None) -> None:
    """Kill *leader*, its process group and, on Linux, every process of its tree and every
    process carrying *marker* (see the module's docstring). Never raises for processes that
    have already gone.

    Pass ``reaped=True`` once the leader has been waited for: its pid then only names the
    group and the session it left behind (which keep the number from being reused while
    they have members), not a process. It only reads ``/proc`` and sends signals; it does
    not wait for anything.
    """
    if sys.platform == "win32":  # pragma: no cover - no process groups
        _signal(leader, signal.SIGTERM)
        return
    stopped: set[int] = set()
    # Freeze first: a stopped process cannot fork, and keeps its place in the tree.
    for _ in range(100):
        roots = marked_processes(marker) if marker is not None else set()
        table = process_table()
        found = tree_members(leader, table, include_leader=not reaped, roots=roots) - stopped
        if not found:
            break
        for pid in found:
            _signal(pid, signal.SIGSTOP)
        stopped |= found
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, signal.SIGKILL)
    for pid in stopped:
        _signal(pid, signal.SIGKILL)
    if not reaped:
        _signal(leader, signal.SIGKILL)
