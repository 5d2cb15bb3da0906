"""Render a Diagnosis for people (rich tables) and machines (JSON-ready dicts)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.table import Table

from dxkb.kb.service import Diagnosis, Evidence


def _evidence(e: Evidence) -> dict[str, Any]:
    data = asdict(e)
    data["status"] = e.status.value
    return data


def diagnosis_json(d: Diagnosis) -> dict[str, Any]:
    return {
        "findings": [{"id": o.finding, "status": o.status.value} for o in d.observations],
        "candidates": [{
            "rank": c.rank, "disease": c.disease, "label": c.label, "probability": c.probability,
            "prior": c.prior, "priorIsDefault": c.prior_is_default, "priorSource": c.prior_source,
            "causeCategory": c.cause_category,
            "supporting": [_evidence(e) for e in c.supporting], "opposing": [_evidence(e) for e in c.opposing],
        } for c in d.candidates],
        "totalCandidates": d.total_candidates,
        "nextSteps": [{
            "step": n.step.id, "label": n.step.label, "kind": n.step.kind,
            "expectedInformationGain": n.expected_information_gain, "gainPerCost": n.gain_per_cost,
            "worthCost": n.worth_cost, "rationale": n.rationale,
        } for n in d.next_steps],
        "redFlags": [asdict(f) for f in d.red_flags],
        "recommendation": d.recommendation.value,
        "explanation": d.explanation,
        "disclaimer": d.disclaimer,
        "triage": _triage(d),
        "otherCausesProbability": d.other_causes_probability,
        "coverage": asdict(d.coverage) if d.coverage else None,
        "patient": ({"ageYears": d.patient.age_years, "sex": d.patient.sex.value if d.patient.sex else None,
                     "setting": d.patient.setting.value if d.patient.setting else "PRIMARY_CARE"}
                    if d.patient else None),
        "warnings": [asdict(w) for w in d.warnings],
    }


def _triage(d: Diagnosis) -> dict[str, Any] | None:
    if d.triage is None:
        return None
    return {"level": d.triage.level.value, "unanswered": list(d.triage.unanswered),
            "reasons": [{"label": r.label, "level": r.level.value, "findings": r.findings, "source": r.source,
                         "rule": r.rule} for r in d.triage.reasons]}


def print_diagnosis(d: Diagnosis, console: Console) -> None:
    findings = ", ".join(f"{o.finding} {o.status.value.lower()}" for o in d.observations)
    console.print(f"[bold]Findings:[/bold] {findings}")
    table = Table(title=f"Candidate causes ({len(d.candidates)} of {d.total_candidates})")
    for column in ("#", "Disease", "ID", "Probability", "Prior", "For", "Against"):
        table.add_column(column, justify="right" if column in ("#", "Probability", "Prior") else "left")
    for c in d.candidates:
        table.add_row(str(c.rank), c.label, c.disease, f"{c.probability:.4%}", f"{c.prior:.2g}",
                      ", ".join(f"{e.finding_label} (LR {e.likelihood_ratio:.2g})" for e in c.supporting),
                      ", ".join(f"{e.finding_label} (LR {e.likelihood_ratio:.2g})" for e in c.opposing))
    console.print(table)
    steps = Table(title="Next diagnostic steps")
    for column in ("Step", "Kind", "Info gain (bits)", "Gain/cost", "Rationale"):
        steps.add_column(column)
    for n in d.next_steps:
        steps.add_row(n.step.label, n.step.kind, f"{n.expected_information_gain:.3f}", f"{n.gain_per_cost:.3f}", n.rationale)
    console.print(steps)
    if d.red_flags:
        console.print("[bold red]Red flags:[/bold red] " + ", ".join(
            f"{f.label} ({f.finding}) raises suspicion of {f.suspicion_label or f.raises_suspicion_of}" for f in d.red_flags))
    else:
        console.print("[bold]Red flags:[/bold] none")
    if d.triage is not None:
        console.print(f"[bold]Triage:[/bold] {d.triage.level.value} - " + "; ".join(
            f"{r.label} [{r.source}]" for r in d.triage.reasons), soft_wrap=True)
    console.print(f"[bold]Other causes (not modelled):[/bold] {d.other_causes_probability:.1%}"
                  + (f" - {d.coverage.note}" if d.coverage else ""), soft_wrap=True)
    console.print(f"[bold]Recommendation:[/bold] {d.recommendation.value} - {d.explanation}", soft_wrap=True)
    console.print(f"[dim]{d.disclaimer}[/dim]")
