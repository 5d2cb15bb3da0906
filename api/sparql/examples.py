"""The researcher example queries (``queries/examples/*.rq``) with the description from their header comment.

A header is the leading block of ``#`` lines, in the project's convention::

    # Title: Causes of a finding
    # Purpose: every disease annotated with the finding ...
    #   (continuation lines are indented)
    # Parameters: VALUES ?finding { HP:0000988 } - ...
    # Result columns: ?disease ?label ...

so the query page and the README show the same words the query file does.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

_FIELD = re.compile(r"^#\s?(?P<key>[A-Z][A-Za-z ]{1,30}):\s*(?P<value>.*)$")


@dataclass(frozen=True)
class Example:
    name: str  # file name without .rq
    title: str
    purpose: str
    parameters: str
    columns: str
    query: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_header(text: str) -> dict[str, str]:
    """Header fields by lower-case key; continuation lines are joined to the field above them."""
    fields: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _FIELD.match(line)
        if match:
            current = match.group("key").strip().lower()
            fields[current] = match.group("value").strip()
        elif current is not None and line[1:].strip():
            fields[current] = f"{fields[current]} {line[1:].strip()}".strip()
    return fields


def _title(name: str) -> str:
    return name.replace("_", " ").replace("-", " ").capitalize()


@lru_cache(maxsize=1)
def load_examples() -> tuple[Example, ...]:
    """Every example, sorted by file name (files are numbered so that the order reads well)."""
    folder = resources.files("dxkb.queries").joinpath("examples")
    found = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".rq"):
            continue
        text = path.read_text(encoding="utf-8")
        header = parse_header(text)
        name = path.name[:-3]
        found.append(Example(name=name, title=header.get("title") or _title(name),
                             purpose=header.get("purpose", ""), parameters=header.get("parameters", ""),
                             columns=header.get("result columns", ""), query=text))
    return tuple(found)
