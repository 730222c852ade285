"""Finding and killing every process a code block started.

Each block runs as the leader of a new session (``start_new_session=True``), so its process
group and session id are its pid. Killing the group catches everything that stayed in it. On
Linux the process table (``/proc``) is also searched, so children that moved to a group or a
session of their own are caught too: every process in the block's session or group, and every
descendant of one, is stopped (``SIGSTOP``, so none can fork while the search goes on), the
search is repeated until it finds nothing new, and then all of them are killed (``SIGKILL``).

What escapes: a process that left the session and whose parent had already exited before
the search (a daemon made with a double fork). Confine untrusted code with the Docker
executor, where the container is the boundary.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

__all__ = ["kill_process_tree", "process_table", "tree_members"]

_PROC = Path("/proc")


def process_table() -> dict[int, tuple[int, int, int, str]]:
    """``pid -> (parent pid, process group, session, state)`` of every process, from
    ``/proc``; empty where there is no ``/proc``."""
    table: dict[int, tuple[int, int, int, str]] = {}
    if not sys.platform.startswith("linux"):
        return table
    try:
        entries = os.listdir(_PROC)
    except OSError:
        return table
    for entry in entries:
        if not entry.isdigit():
            continue
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


def tree_members(
    leader: int, table: dict[int, tuple[int, int, int, str]], *, include_leader: bool = True
) -> set[int]:
    """The live processes of *leader*'s tree: *leader* (unless *include_leader* is false),
    the members of its group and session (both numbered *leader*), and every descendant of
    one of them."""
    members = {
        pid
        for pid, (_, pgrp, session, state) in table.items()
        if state not in "ZX"
        and (pgrp == leader or session == leader or (include_leader and pid == leader))
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


def kill_process_tree(leader: int, *, reaped: bool = False) -> None:
    """Kill *leader*, its process group and, on Linux, every process of its tree (see the
    module's docstring). Never raises for processes that have already gone.

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
        found = tree_members(leader, process_table(), include_leader=not reaped) - stopped
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
