"""Errors that reach users: each carries a one-line message that names what was wrong."""


class DxkbError(Exception):
    """Base class: the CLI prints the message and exits non-zero, the API turns it into a 4xx/5xx."""


class BuildError(DxkbError):
    """The build stopped; the previous store is untouched."""


class InputError(DxkbError):
    """Bad input from a user (unknown IDs, empty finding set, ...)."""

    def __init__(self, message: str, *, suggestions: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or {}
