"""Protocol item 9 of bench/interview: how well the halves agree on how often a finding's question is answered."""

from __future__ import annotations

from bench.interview.run import answer_agreement, half

SEEN = next(f"cohort-{i}" for i in range(100) if half(f"cohort-{i}") == "seen")
UNSEEN = next(f"cohort-{i}" for i in range(100) if half(f"cohort-{i}") == "unseen")


def case(cohort: str, asked: list[tuple[str, str]]) -> dict:
    return {"cohort": cohort, "dxkb": {"asked": asked}, "baseline": {"asked": []}}


def cases_with(rates: dict[str, tuple[float, float]], times: int = 10) -> list[dict]:
    """Per finding (share answered PRESENT in the seen half, in the unseen half): ``times`` questions in each,
    the rest UNKNOWN."""
    out = []
    for finding, (seen, unseen) in sorted(rates.items()):
        for cohort, share in ((SEEN, seen), (UNSEEN, unseen)):
            present = round(share * times)
            out += [case(cohort, [(finding, "PRESENT" if k < present else "UNKNOWN")]) for k in range(times)]
    return out


def test_findings_answered_alike_in_both_halves_agree() -> None:
    found = answer_agreement(cases_with({"HP:1": (0.1, 0.1), "HP:2": (0.5, 0.5), "HP:3": (0.9, 0.9)}))
    assert found["findings"] == 3 and found["answered_r"] == 1.0 and found["present_r"] == 1.0


def test_findings_answered_oppositely_disagree() -> None:
    found = answer_agreement(cases_with({"HP:1": (0.1, 0.9), "HP:2": (0.5, 0.5), "HP:3": (0.9, 0.1)}))
    assert found["answered_r"] == -1.0


def test_rarely_asked_findings_are_left_out() -> None:
    rates = {"HP:1": (0.1, 0.1), "HP:2": (0.5, 0.5), "HP:3": (0.9, 0.9)}
    found = answer_agreement(cases_with(rates, times=2))  # asked twice in each half: fewer than 3
    assert found == {"findings": 0, "least": 3, "answered_r": None, "present_r": None}


def test_a_constant_share_gives_no_correlation() -> None:
    found = answer_agreement(cases_with({"HP:1": (0.5, 0.1), "HP:2": (0.5, 0.5), "HP:3": (0.5, 0.9)}))
    assert found["findings"] == 3 and found["answered_r"] is None
