"""Relay-style pages over an ordered list: opaque cursors, checked ``first`` and ``after``.

A cursor encodes the list it belongs to and a position in it. Lists are ordered deterministically (search rank,
then label, then ID) and the store is read-only while the server runs, so a position stays meaningful.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, TypeVar

from dxkb.api.graphql.errors import BadUserInput

T = TypeVar("T")

DEFAULT_PAGE = 20
MAX_PAGE = 100
MAX_SEARCH = 200  # characters: nobody types more into an autocomplete box


def encode_cursor(kind: str, position: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{position}".encode()).decode()


def decode_cursor(kind: str, cursor: str) -> int:
    """The position after which the next page starts; BAD_USER_INPUT for anything this API did not hand out."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        prefix, _, number = text.partition(":")
        position = int(number)
        if prefix != kind or position < 0 or str(position) != number:
            raise ValueError(text)
    except (ValueError, UnicodeError, binascii.Error):
        raise BadUserInput(f"after: {cursor!r} is not a {kind} cursor of this API (pass the endCursor of the "
                           f"previous page of the same list)", argument="after") from None
    return position


def check_first(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if not 0 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 0 and {MAX_PAGE}, got {first}", argument="first")
    return first


def check_search(search: str | None) -> str | None:
    if search is not None and len(search) > MAX_SEARCH:
        raise BadUserInput(f"search is {len(search)} characters long; at most {MAX_SEARCH} are accepted",
                           argument="search")
    return search


@dataclass
class Page(Generic[T]):
    items: list[tuple[int, T]]  # (position, item)
    total: int
    has_next: bool
    has_previous: bool


def page(items: list[T], kind: str, first: int | None, after: str | None) -> Page[T]:
    """Slice the full, ordered list; arguments are checked before any work."""
    size = check_first(first)
    start = decode_cursor(kind, after) + 1 if after is not None else 0
    window = items[start:start + size]
    return Page(items=list(enumerate(window, start=start)), total=len(items),
                has_next=start + size < len(items), has_previous=start > 0)
