"""Errors that reach users: each carries a one-line message that names what was wrong.

Every layer raises these (and only these) for expected failures, so the doors map them to exit codes and error
codes without importing the layer that raised them.
"""


class DxkbError(Exception):
    """Base class: the CLI prints the message and exits non-zero, the API turns it into a 4xx/5xx."""


class BuildError(DxkbError):
    """The build stopped; the previous store is untouched."""


class InputError(DxkbError):
    """Bad input from a user (unknown IDs, empty finding set, ...)."""

    def __init__(self, message: str, *, suggestions: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or {}


class StoreError(DxkbError):
    """The store cannot be opened or answered; the message names the location (never credentials)."""


class StoreCorrupted(StoreError):
    """The store's files are damaged (truncated, zeroed, an empty CURRENT): found at open or by a query."""


class StoreUnavailable(StoreError):
    """A remote store is down, slow or answered with an error; the message names the endpoint."""


class StoreTimeout(StoreUnavailable):
    """A remote store did not answer within the time limit."""


class QueryError(DxkbError):
    """A query failed; the message names the query and the store's answer."""


class DeadlineExceeded(DxkbError):
    """The request's time limit passed; the work stopped before the next store call (kb/service.py deadline)."""


class WarmingUp(DxkbError):
    """The server is still loading the knowledge base's indexes (its warm-up after start) and could not finish
    within the request's time limit; the request can be sent again in ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
