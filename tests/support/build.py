"""Helpers for tests that take build folders apart: re-seal a planted change, edit a manifest.

A build's manifest records the SHA-256 of its Verilog and IR files, so a test that plants a
difference in the Verilog (to show a checker catches it) must re-seal the manifest, as an attacker
or a careless edit could not do by accident.
"""

from __future__ import annotations

import json
from pathlib import Path

from scnc._io import atomic_write_text
from scnc.manifest import MANIFEST_NAME, Manifest, sha256_file


def reseal(build: Path) -> Manifest:
    """Record the current SHA-256 of the build's Verilog and IR files in its manifest."""
    man = Manifest.load(build, check_files=False)
    man = man.with_hashes({rel: sha256_file(Path(build) / rel) for rel in man.files.sha256})
    atomic_write_text(Path(build) / MANIFEST_NAME, man.to_json())
    return man


def manifest_dict(build: Path) -> dict:
    """The build's ``manifest.json`` as a plain dict (for mutation tests)."""
    return json.loads((Path(build) / MANIFEST_NAME).read_text())


def fake_verilog(man: Manifest, body: str) -> str:
    """A hand-written module with the core's name and ports (non-ANSI, as Amaranth writes them)."""
    names = ", ".join(p.name for p in man.ports)
    decls = "\n".join(f"  {p.direction} {f'[{p.width - 1}:0] ' if p.width > 1 else ''}{p.name};" for p in man.ports)
    return f"module {man.top}({names});\n{decls}\n{body}\nendmodule\n"
