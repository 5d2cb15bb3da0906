"""Triage rules, evaluated from data: which sourced rules (kb/data/*.ttl, dxkb:TriageRule) the presentation fires,
and which red-flag questions of its curated modules are still unanswered.

A rule is a conjunction of finding groups (each group: any of its findings, or a more specific one, PRESENT) plus an
optional patient context (age band, sex; kb/engine/patient.py). Rules are not tied to a presenting complaint: a
non-blanching rash with fever fires whatever else is given. The rules are few (a few dozen), so they load once per
store (like catalog.py's indexes) and are evaluated in Python against the ancestors of the PRESENT findings.
What to do with the result (recommendation, level, explanation) is decided in advice.decide, in one place."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterable

from dxkb.kb.engine import patient as context
from dxkb.kb.engine.types import URGENCY, Patient, TriageLevel, TriageReason
from dxkb.kb.store import queries as sparql
from dxkb.kb.store.base import Store
from dxkb.kb.vocab import to_curie


@dataclass(frozen=True)
class Rule:
    iri: str
    label: str
    level: TriageLevel
    groups: tuple[frozenset[str], ...]  # finding IRIs; every group must hold
    min_age: float | None
    max_age: float | None
    sex: str | None
    citation: str  # the guideline section, or the source document's sentence
    rationale: str


class TriageRules:
    """The store's triage rules and red-flag questions, loaded once (thread-safe)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._rules: list[Rule] | None = None
        self._questions: dict[str, frozenset[str]] | None = None

    @property
    def rules(self) -> list[Rule]:
        with self._lock:
            if self._rules is None:
                self._rules = self._load_rules()
            return self._rules

    @property
    def questions(self) -> dict[str, frozenset[str]]:
        """Presenting complaint IRI -> the red-flag findings (IRIs) to ask about before watchful waiting."""
        with self._lock:
            if self._questions is None:
                found: dict[str, set[str]] = {}
                for row in sparql.select(self.store, "red_flag_questions"):
                    found.setdefault(row["context"], set()).add(row["finding"])
                self._questions = {c: frozenset(f) for c, f in sorted(found.items())}
            return self._questions

    def _load_rules(self) -> list[Rule]:
        fields: dict[str, dict] = {}
        groups: dict[str, dict[str, set[str]]] = {}
        for row in sparql.select(self.store, "triage_rules"):
            rule = row["rule"]
            citation = row["citation"] or ""
            if row["sentence"]:
                citation = f"{citation}: \"{row['sentence']}\"" if citation else f"\"{row['sentence']}\""
            fields.setdefault(rule, dict(
                label=row["label"], level=TriageLevel(row["level"]),
                min_age=float(row["minAge"]) if row["minAge"] is not None else None,
                max_age=float(row["maxAge"]) if row["maxAge"] is not None else None,
                sex=row["sex"], citation=citation or str(row["source"]), rationale=row["rationale"]))
            groups.setdefault(rule, {}).setdefault(str(row["group"]), set()).add(row["finding"])
        rules = []
        for iri in sorted(fields):
            by_group = groups[iri]
            rules.append(Rule(iri=iri, groups=tuple(frozenset(by_group[g]) for g in sorted(
                by_group, key=lambda g: sorted(by_group[g]))), **fields[iri]))
        return rules


def fired(rules: Iterable[Rule], ancestors: dict[str, set[str]], patient: Patient | None) -> list[TriageReason]:
    """The rules the PRESENT findings fire, most urgent first (ties by rule IRI).

    ``ancestors``: each PRESENT finding's IRI -> itself and its ancestors (queries/ancestors.rq)."""
    reasons: list[TriageReason] = []
    for rule in rules:
        if not context.fits(patient, rule.min_age, rule.max_age, rule.sex):
            continue
        matched: set[str] = set()
        for group in rule.groups:
            hits = {finding for finding, up in ancestors.items() if up & group}
            if not hits:
                break
            matched |= hits
        else:
            reasons.append(TriageReason(label=rule.label, level=rule.level,
                                        findings=sorted(to_curie(f) for f in matched), source=rule.citation,
                                        rule=rule.iri, rationale=rule.rationale))
    return sorted(reasons, key=lambda r: (_urgency(r.level), r.rule or ""))


def unanswered(questions: dict[str, frozenset[str]], ancestors: dict[str, set[str]], stated: set[str],
               pending: set[str]) -> list[str]:
    """The red-flag questions (IRIs, sorted) of the presenting complaints present that were never answered.

    A question is a red flag of a complaint that a PRESENT finding falls under; it is answered when the finding is
    given with any status (PRESENT, ABSENT or UNKNOWN) or a more specific finding is PRESENT. Findings only a test
    reveals (``pending``: e.g. the blood count) are not questions: their being unknown is what the tests are for."""
    closure = set().union(*ancestors.values()) if ancestors else set()
    open_questions: set[str] = set()
    for complaint, flags in questions.items():
        if complaint not in closure:
            continue
        open_questions |= {f for f in flags if f not in stated and f not in closure and f not in pending}
    return sorted(open_questions)


def _urgency(level: TriageLevel) -> int:
    return URGENCY[level]


__all__ = ["Rule", "TriageRules", "fired", "unanswered"]
