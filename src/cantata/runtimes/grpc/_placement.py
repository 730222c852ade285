"""Which worker serves an agent key when several workers serve its type.

Rendezvous (highest-random-weight) hashing: every (worker, key) pair gets a score from a
keyed BLAKE2b hash and the key lives on the worker with the highest score. It is stable:
the same workers give the same placement in every process, a worker joining takes over
only the keys it now scores highest on, and a worker leaving moves only its own keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def _score(worker: str, key: str) -> bytes:
    return hashlib.blake2b(key.encode(), key=worker.encode()[:64], digest_size=8).digest()


def place(key: str, workers: Sequence[str]) -> str:
    """The worker (of ``workers``, not empty) that serves agent ``key``."""
    if len(workers) == 1:
        return workers[0]
    return max(workers, key=lambda worker: _score(worker, key))
