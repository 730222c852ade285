"""Regenerate (or check) the Python stubs of the distributed runtime's ``.proto`` files.

Run from anywhere, with grpcio-tools installed (the ``test`` extra has it)::

    python -m cantata.runtimes.grpc.protos._generate          # rewrite the stubs
    python -m cantata.runtimes.grpc.protos._generate --check  # exit 1 if they are stale

protoc writes ``import cloudevent_pb2``; the stubs live in a package, so that line is
rewritten to a relative import. ``tests/test_grpc_protos.py`` runs the check.
"""

from __future__ import annotations

import argparse
import importlib.resources
import shutil
import sys
import tempfile
from pathlib import Path

PROTOS = ("agent_worker.proto", "cloudevent.proto")
_RELATIVE = {
    "import cloudevent_pb2 as cloudevent__pb2": "from . import cloudevent_pb2 as cloudevent__pb2",
    "import cloudevent_pb2 as _cloudevent_pb2": "from . import cloudevent_pb2 as _cloudevent_pb2",
    "import agent_worker_pb2 as agent__worker__pb2": (
        "from . import agent_worker_pb2 as agent__worker__pb2"
    ),
}


def _here() -> Path:
    return Path(str(importlib.resources.files(__package__ or "cantata.runtimes.grpc.protos")))


def generate(out_dir: Path, proto_dir: Path) -> list[Path]:
    """Run protoc on :data:`PROTOS` in ``proto_dir``, writing the stubs into ``out_dir``."""
    from grpc_tools import protoc

    include = str(importlib.resources.files("grpc_tools") / "_proto")
    args = [
        "grpc_tools.protoc",
        f"-I{proto_dir}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *PROTOS,
    ]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed: {' '.join(args)}")
    written = sorted(p for p in out_dir.iterdir() if p.name.endswith((".py", ".pyi")))
    for path in written:
        text = path.read_text()
        for old, new in _RELATIVE.items():
            text = text.replace(old, new)
        path.write_text(text)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    options = parser.parse_args(argv)
    here = _here()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp), here)
        stale = [p.name for p in fresh if not (here / p.name).exists()]
        stale += [
            p.name
            for p in fresh
            if (here / p.name).exists() and (here / p.name).read_text() != p.read_text()
        ]
        if options.check:
            if stale:
                print(f"stale generated stubs: {', '.join(sorted(stale))}", file=sys.stderr)
                return 1
            return 0
        for path in fresh:
            shutil.copyfile(path, here / path.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
