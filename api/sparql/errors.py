"""The one error type of the SPARQL door: an HTTP status and a message written for the client."""

from __future__ import annotations


class EndpointError(Exception):
    """Raised anywhere between request and engine; the endpoint turns it into a text/plain response."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
