"""`dxkb build --download`: fetch the newest public releases (MAxO, maxo-annotations, loinc2hpo) from their
official locations into a folder, which the build then reads like ``--source-dir``. Tests never call it (no network
in tests); a failed download is a BuildError naming the URL, and nothing of the store changes."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from dxkb.kb.build.importers.public import OFFICIAL_URLS
from dxkb.kb.errors import BuildError

TIMEOUT = 60.0  # seconds per file: the largest (maxo.obo) is about 4 MB


def download_all(folder: Path, urls: dict[str, str] | None = None) -> list[str]:
    """Each file to ``folder/<name>``; returns one line per file (name, size, URL)."""
    done: list[str] = []
    for name, url in sorted((urls or OFFICIAL_URLS).items()):
        target = folder / name
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as response, open(target, "wb") as out:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            raise BuildError(f"download of {name} from {url} failed: {getattr(error, 'reason', error)}") from None
        done.append(f"downloaded {name} ({target.stat().st_size:,} bytes) from {url}")
    return done
