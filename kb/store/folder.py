"""The layout of an embedded store folder, shared by the build (which writes it) and the backend (which reads it).

    <folder>/builds/<id>/    one Oxigraph database per build
    <folder>/current         symlink to the live build; swapped atomically (rename(2)) by the build
"""

from __future__ import annotations

import os
from pathlib import Path

from dxkb.kb.errors import StoreError

CURRENT_LINK = "current"
BUILDS = "builds"


def current_build(folder: str | Path) -> Path:
    """The database folder the ``current`` link points to now."""
    link = Path(folder) / CURRENT_LINK
    if not link.exists():
        raise StoreError(f"no built knowledge base at {folder} (run `dxkb build` first)")
    return link.resolve()


def is_built(folder: str | Path) -> bool:
    return (Path(folder) / CURRENT_LINK).exists()


def swap_current(root: Path, build_dir: Path) -> None:
    """Point ``current`` at a finished build in one atomic rename."""
    temporary = root / f".{CURRENT_LINK}.{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(build_dir.relative_to(root))
    os.replace(temporary, root / CURRENT_LINK)
