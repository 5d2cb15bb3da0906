"""The layout of an embedded store folder, shared by the build (which writes it) and the backend (which reads it).

    <folder>/builds/<id>/    one Oxigraph database per build
    <folder>/current         symlink to the live build; swapped atomically (rename(2)) by the build
    <folder>/pins/<id>.<pid> a process serving build <id> (written when a store opens, removed when it closes)

Retention: a build deletes old builds only when no living process pins them and they are not among the newest
KEEP_BUILDS, so a server keeps answering from the build it opened (and SPARQL workers it starts later reopen the
same database) until it is restarted - never a mix of two builds.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dxkb.kb.errors import StoreError

CURRENT_LINK = "current"
BUILDS = "builds"
PINS = "pins"
#: Finished builds kept besides the pinned ones: the live one and the one before it (a server started on the old
#: build but whose pin could not be written - a read-only folder - still finds its files after one rebuild).
KEEP_BUILDS = 2


def current_build(folder: str | Path) -> Path:
    """The database folder the ``current`` link points to now."""
    link = Path(folder) / CURRENT_LINK
    if not link.exists():
        raise StoreError(f"no built knowledge base at {folder} (run `dxkb build` first)")
    return link.resolve()


def named_build(folder: str | Path, build: str) -> Path:
    """The database folder of one build by its id (DXKB_BUILD: what `dxkb serve` hands its worker processes, so
    that a worker started after a rebuild serves the same build as the others)."""
    if not build or "/" in build or build.startswith("."):
        raise StoreError(f"DXKB_BUILD={build!r} is not a build id (a folder name under {folder}/{BUILDS})")
    database = Path(folder) / BUILDS / build
    if not database.is_dir():
        raise StoreError(f"build {build} of {folder} no longer exists (DXKB_BUILD); restart to serve the current "
                         "build")
    return database.resolve()


def is_built(folder: str | Path) -> bool:
    return (Path(folder) / CURRENT_LINK).exists()


def swap_current(root: Path, build_dir: Path) -> None:
    """Point ``current`` at a finished build in one atomic rename."""
    temporary = root / f".{CURRENT_LINK}.{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(build_dir.relative_to(root))
    os.replace(temporary, root / CURRENT_LINK)


def pin(folder: str | Path, database: Path) -> Path | None:
    """Record that this process serves ``database``; None when the folder is read-only (then KEEP_BUILDS
    alone protects the build)."""
    pins = Path(folder) / PINS
    path = pins / f"{database.name}.{os.getpid()}"
    try:
        pins.mkdir(exist_ok=True)
        path.write_text(f"{os.getpid()}\n", encoding="ascii")
    except OSError:
        return None
    return path


def unpin(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def pinned_builds(root: Path) -> set[str]:
    """Names of builds that a living process serves; pins of dead processes are removed on the way."""
    pinned: set[str] = set()
    pins = root / PINS
    if not pins.is_dir():
        return pinned
    for entry in sorted(pins.iterdir()):
        name, _, pid = entry.name.rpartition(".")
        if not name or not pid.isdigit():
            continue
        if _alive(int(pid)):
            pinned.add(name)
        else:
            unpin(entry)
    return pinned


def remove_stale(root: Path, keep: int | None = None) -> list[str]:
    """Delete unfinished builds and finished ones that are neither live, pinned nor among the newest ``keep``;
    the names deleted, sorted. Call it holding the build lock (no other build is being written)."""
    keep = KEEP_BUILDS if keep is None else keep
    link = root / CURRENT_LINK
    live = link.resolve().name if link.exists() else None
    pinned = pinned_builds(root)
    entries = sorted((root / BUILDS).iterdir(), key=lambda e: e.name)
    finished = [e for e in entries if not e.name.endswith(".building")]
    newest = {e.name for e in finished[-keep:]} if keep > 0 else set()
    removed = []
    for entry in entries:
        if entry.name == live or entry.name in pinned or entry.name in newest:
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry.name)
    return removed
