"""One rule for a finding that a document names more than once (a phenopacket's features, a FHIR bundle's
resources): the first place that names it is kept, and a finding named both PRESENT and ABSENT is PRESENT (seen once
is seen: excluded at one visit, observed at a later one), with a CONFLICTING_STATUS warning naming both places."""

from __future__ import annotations

from dxkb.kb.engine.types import Status, Warning


def record(statuses: dict[str, Status], places: dict[str, str], finding: str, status: Status, where: str,
           conflict: str, warning_id: str | None) -> Warning | None:
    """Record ``finding`` with ``status`` as given at ``where``; the warning when it contradicts an earlier place
    (``conflict``: how the document says both, e.g. "observed and excluded; used as observed (PRESENT)")."""
    if finding in statuses and statuses[finding] != status:
        statuses[finding] = Status.PRESENT
        return Warning("CONFLICTING_STATUS", f"{places[finding]} and {where}: {finding} is both {conflict}",
                       warning_id)
    statuses.setdefault(finding, status)
    places.setdefault(finding, where)
    return None


__all__ = ["record"]
