"""The interview on real published cases: does asking dxkb's next questions find the true disease faster than
asking the most frequent feature of the current top ten?

    python bench/interview/run.py --store /work/wt-13/.store-hpo --limit 200

(``--store``: a store built with HPO, MAxO and loinc2hpo, e.g. ``dxkb build --store DIR``. ``--cases``: a
phenopacket-store ZIP or folder, default the development part in ../shared/data.)

Protocol (issue 13)
-------------------
1. Read the phenopackets and draw at most ``--per-disease`` cases per OMIM disease, then ``--limit`` (the sampling
   of bench/real_cases/protocol.py), keeping cases with at least ``--start + 1`` observed features the store holds
   as findings.
2. Split by cohort (phenopacket-store's folder, one gene or disease group) into two halves by a hash of the cohort
   name: ``seen`` (the cohorts looked at while the interview was built) and ``unseen`` (never looked at). The
   store's own held-out part of phenopacket-store is not on this machine; this split is the stand-in, and no
   constant was tuned on either half.
3. Start from ``--start`` (3) observed features of the case, drawn with a seed per case, as PRESENT.
4. Ask up to ``--questions`` (5) questions, one per round; each is answered from the case: PRESENT if the case
   observed the finding or a more specific one, ABSENT if the case excluded it or a more general one, else
   UNKNOWN. The patient is seen in the rare-disease setting (``patient.setting: RARE_DISEASE``: the catalogued
   rare diseases, calibrated probabilities), as a clinician working up such a case would say. Two policies, in the
   same run, from the same start:
   - **dxkb**: the first of the diagnosis's ``nextQuestions`` (kb/engine/questions.py, the function
     ``diagnose`` calls); when the list is empty the interview stops (the stop rule) and the rank stays;
   - **baseline**: the most frequent feature of the current top-10 candidates (the number of them annotated with
     it, ties by summed frequency, then ID) that is not yet known (given, implied present or implied absent).
5. Report top-1, top-10 and MRR of the true disease among the OMIM candidates (pessimistic ties) at the start and
   after each round, for both halves, and how the answers came back (PRESENT/ABSENT/UNKNOWN).
6. A reference, not a policy: the **ceiling**, the rank after ``--questions`` more of the case's own observed
   features (drawn with a seed per case from those not in the start) added as PRESENT: what the interview would
   reach if every question were answered PRESENT with a finding the case has. It says how much of the gap is the
   answers (UNKNOWN: the case does not mention the finding) rather than the ranking.
7. A measurement, not a policy: **answer rates**, how the protocol would answer every finding of the true disease
   (its annotated features, and the findings broader than them that are not features themselves) outside the start:
   the share PRESENT, ABSENT and UNKNOWN, and for the annotated features by the frequency the annotation states
   (bands of 0.2; "unstated": none, which the model reads as 0.5). It says which questions a case report can answer
   at all.
8. The two targets (top-10 after the questions − at the start, − the baseline's) with a 95 % interval from a
   bootstrap over cohorts (cases of one cohort are not independent).
9. A measurement, not a policy: **answer agreement**, whether how often case reports answer a question about a
   finding carries over from one half to the other: for every finding asked (by either policy) at least 3 times in
   each half, the share answered (PRESENT or ABSENT) and the share PRESENT in the seen half against the unseen
   half (Pearson r over those findings). A model of which findings case reports state, learned on one half, could
   help the other only as far as these agree.
10. A reference, not a policy: **told the disease**, an asker told the true disease (not the case, not the
    ranking) who asks its most frequent annotated features not yet known (ties by ID), answered as in item 4: what
    questions can carry when the asker knows what to look for. Reported with where each policy's cases started
    (in the top 10, at ranks 11-50, beyond 50 or unranked) and how many of them end in the top 10, and the
    **told within the top 50**: the told asker's result for the cases the ranking starts in its top 50, dxkb's
    for the rest. That is what a policy could reach that knew the answer whenever the ranking held it among its
    first 50 candidates; beyond them a question about a leading candidate's features rarely reaches the true
    disease's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.accuracy.metrics import cluster_interval, ranks_of, summary  # noqa: E402
from bench.common import machine  # noqa: E402
from bench.real_cases import protocol  # noqa: E402
from bench.real_cases.phenopackets import Case, read_cases  # noqa: E402

DEFAULT_CASES = ROOT.parent / "shared" / "data" / "phenopacket-store" / "phenopacket-store-dev.zip"
RESULTS = ROOT / "bench" / "results" / "interview.json"
POLICIES = ("dxkb", "baseline")
#: Protocol item 10: an asker told the true disease (a reference, not a policy).
TOLD = "told"
#: Where a case's true disease starts (rank at the start), for protocol item 10.
START_BANDS = ("top 10", "11-50", "beyond 50")


def half(cohort: str) -> str:
    return "seen" if hashlib.sha256(cohort.encode()).digest()[0] % 2 == 0 else "unseen"


class Interview:
    """Every call into dxkb: the engine's ranking and its questions, in process on an embedded store."""

    def __init__(self, store: Path) -> None:
        from dxkb.kb.engine.diagnosis import DiagnosisEngine
        from dxkb.kb.service import open_store_at

        started = time.perf_counter()
        self.engine = DiagnosisEngine(open_store_at(str(store)))
        self.engine.prefetch()
        self.load_seconds = round(time.perf_counter() - started, 1)

    def known(self, ids: tuple[str, ...]) -> list[str]:
        return [i for i in ids if i in self.engine.findings]

    def closure(self, curies: list[str]) -> dict[str, set[str]]:
        """CURIE -> itself and its ancestors (CURIEs)."""
        from dxkb.kb.vocab import to_curie, to_iri

        iris = {c: str(to_iri(c)) for c in curies}
        found = self.engine.retrieval.ancestors(sorted(iris.values()))
        return {c: {c} | {to_curie(a) for a in found[i]} for c, i in iris.items()}

    def state(self, answers: dict[str, str]) -> tuple[list, list]:
        """The observations and the ranking in the rare-disease setting (the cases are rare-disease work-ups)."""
        from dxkb.kb.engine.types import Observation, Patient, Setting, Status

        obs = self.engine.validate([Observation(f, Status(s)) for f, s in sorted(answers.items())])
        return obs, self.engine.rank(obs, Patient(setting=Setting.RARE_DISEASE))

    def rank_of(self, ranked: list, disease: str) -> int | None:
        scores = [c.probability for c in ranked if c.disease.startswith("OMIM:")]
        true = next((c.probability for c in ranked if c.disease == disease), None)
        return ranks_of(true, scores)[0]

    def dxkb_question(self, obs: list, ranked: list) -> str | None:
        from dxkb.kb.engine import questions

        asked, _stop = questions.next_questions(self.engine.retrieval, self.engine.observability, obs, ranked)
        return asked[0].finding if asked else None

    def baseline_question(self, obs: list, ranked: list) -> str | None:
        from dxkb.kb.vocab import to_curie, to_iri

        top = [str(to_iri(c.disease)) for c in ranked[:10]]
        features = self.engine.observability.features(top)
        count: Counter[str] = Counter()
        mass: Counter[str] = Counter()
        for d in top:
            for f, p in features[d].items():
                count[f] += 1
                mass[f] += p
        candidates = sorted(count, key=lambda f: (-count[f], -mass[f], f))
        return self.first_unknown(obs, [to_curie(f) for f in candidates[:200]])

    def told_question(self, obs: list, disease: str) -> str | None:
        """Protocol item 10: the true disease's most frequent annotated feature not yet known (ties by ID)."""
        from dxkb.kb.vocab import to_curie, to_iri

        iri = str(to_iri(disease))
        frequency = {to_curie(f): p for f, p in self.engine.observability.features([iri])[iri].items()}
        return self.first_unknown(obs, sorted(frequency, key=lambda c: (-frequency[c], c)))

    def first_unknown(self, obs: list, curies: list[str]) -> str | None:
        """The first of ``curies`` (in their order) that is a finding of the store and not yet known: not given,
        not implied present (an ancestor of a present finding), not implied absent (under an absent one)."""
        from dxkb.kb.engine.types import Status

        given = [o.finding for o in obs]
        closure = self.closure(given)
        implied = set().union(*(closure[o.finding] for o in obs if o.status is Status.PRESENT))
        absent = {o.finding for o in obs if o.status is Status.ABSENT}
        up = self.closure([c for c in curies if c in self.engine.findings])
        return next((c for c in curies if c in up and c not in given and c not in implied and not up[c] & absent),
                    None)


def answer_rates(case: Case, first: list[str], interview: Interview) -> dict[str, list[int]]:
    """Kind ("annotated", "broader", the frequency bands of the annotated) -> [findings, PRESENT, ABSENT] over the
    true disease's findings not in the start, answered as :func:`answer` would (protocol item 7)."""
    from dxkb.kb.vocab import to_curie, to_iri

    disease = str(to_iri(case.disease))
    observability = interview.engine.observability
    frequency = {to_curie(f): p for f, p in observability.features([disease])[disease].items()}
    wanted = sorted(c for c in (to_curie(f) for f in observability.closure([disease])[disease])
                    if c in interview.engine.findings and c not in first)
    observed = set().union(*interview.closure(interview.known(case.present)).values())
    excluded = set(interview.known(case.excluded))
    up = interview.closure(wanted)
    rates = {kind: [0, 0, 0] for kind in RATE_KINDS}
    for finding in wanted:
        kinds = ["broader"] if finding not in frequency else ["annotated", band(frequency[finding])]
        for kind in kinds:
            row = rates[kind]
            row[0] += 1
            if finding in observed:
                row[1] += 1
            elif excluded & up[finding]:
                row[2] += 1
    return rates


#: The annotated features by the P(f | d) the model takes: "unstated" is an annotation without a frequency (the
#: model's 0.5), the others a stated frequency's band.
BANDS = ("q < 0.2", "0.2 ≤ q < 0.4", "0.4 ≤ q < 0.6", "0.6 ≤ q < 0.8", "q ≥ 0.8", "unstated")
RATE_KINDS = ("annotated", "broader") + BANDS


def band(p: float) -> str:
    if p == 0.5:  # how the model reads an annotation without a frequency (a stated 1/2 is counted with it)
        return "unstated"
    return BANDS[min(int(p * 5), 4)]


def answer(question: str, case: Case, interview: Interview) -> str:
    """PRESENT if the case observed it or a descendant, ABSENT if it excluded it or an ancestor, else UNKNOWN."""
    observed = interview.closure(interview.known(case.present))
    if any(question in up for up in observed.values()):
        return "PRESENT"
    excluded = set(interview.known(case.excluded))
    if excluded & interview.closure([question])[question]:
        return "ABSENT"
    return "UNKNOWN"


def run_case(case: Case, interview: Interview, start: int, rounds: int, seed: int) -> dict:
    present = interview.known(case.present)
    first = sorted(random.Random(f"{seed}:{case.id}").sample(present, start))
    result: dict = {"id": case.id, "disease": case.disease, "cohort": case.cohort, "start": first}
    for policy in POLICIES + (TOLD,):
        answers = {f: "PRESENT" for f in first}
        obs, ranked = interview.state(answers)
        ranks, asked = [interview.rank_of(ranked, case.disease)], []
        for _ in range(rounds):
            if policy == TOLD:
                question = interview.told_question(obs, case.disease)
            elif policy == "dxkb":
                question = interview.dxkb_question(obs, ranked)
            else:
                question = interview.baseline_question(obs, ranked)
            if question is None:
                ranks.append(ranks[-1])  # the stop rule: nothing worth asking, the ranking stays
                continue
            reply = answer(question, case, interview)
            asked.append((question, reply))
            answers[question] = reply
            obs, ranked = interview.state(answers)
            ranks.append(interview.rank_of(ranked, case.disease))
        result[policy] = {"ranks": ranks, "asked": asked}
    rest = sorted(set(present) - set(first))
    more = random.Random(f"{seed}:{case.id}:ceiling").sample(rest, min(rounds, len(rest)))
    _obs, ranked = interview.state({f: "PRESENT" for f in first + more})
    result["ceiling"] = interview.rank_of(ranked, case.disease)
    result["answer_rates"] = answer_rates(case, first, interview)
    return result


def report(results: list[dict], rounds: int) -> dict:
    out: dict = {}
    for name in ("seen", "unseen", "all"):
        chosen = [r for r in results if name == "all" or half(r["cohort"]) == name]
        block: dict = {"cases": len(chosen)}
        for policy in POLICIES:
            block[policy] = [summary([r[policy]["ranks"][k] for r in chosen]) for k in range(rounds + 1)]
            block[f"{policy}_answers"] = dict(Counter(a for r in chosen for _q, a in r[policy]["asked"]))
        if chosen:
            d, b = block["dxkb"], block["baseline"]
            block["top10_gain"] = round(d[-1]["top10"] - d[0]["top10"], 4)
            block["top10_over_baseline"] = round(d[-1]["top10"] - b[-1]["top10"], 4)
            block["intervals"] = intervals(chosen)
            block["ceiling"] = summary([r["ceiling"] for r in chosen])
            block["answer_rates"] = rates_of(chosen)
            block["told"] = told_reference(chosen)
        out[name] = block
    out["all"]["answer_agreement"] = answer_agreement(results)
    return out


def answer_agreement(results: list[dict], least: int = 3) -> dict:
    """Protocol item 9: Pearson r between the halves of each finding's answered and PRESENT shares, over the findings
    asked at least ``least`` times in each half (r is None when fewer than 3 such findings or a share is constant)."""
    counts: dict[str, dict[str, list[int]]] = {"seen": {}, "unseen": {}}
    for r in results:
        side = counts[half(r["cohort"])]
        for policy in POLICIES:
            for question, reply in r[policy]["asked"]:
                row = side.setdefault(question, [0, 0, 0])  # asked, answered, PRESENT
                row[0] += 1
                row[1] += reply != "UNKNOWN"
                row[2] += reply == "PRESENT"
    common = sorted(q for q, row in counts["seen"].items()
                    if row[0] >= least and counts["unseen"].get(q, [0])[0] >= least)

    def r_of(k: int) -> float | None:
        if len(common) < 3:
            return None
        try:
            return round(statistics.correlation([counts["seen"][q][k] / counts["seen"][q][0] for q in common],
                                                [counts["unseen"][q][k] / counts["unseen"][q][0] for q in common]), 3)
        except statistics.StatisticsError:  # a constant share
            return None

    return {"findings": len(common), "least": least, "answered_r": r_of(1), "present_r": r_of(2)}


def start_band(rank: int | None) -> str:
    if rank is not None and rank <= 10:
        return START_BANDS[0]
    return START_BANDS[1] if rank is not None and rank <= 50 else START_BANDS[2]


def told_reference(chosen: list[dict]) -> dict:
    """Protocol item 10: for dxkb, the baseline and the told asker, per start band [cases, in the top 10 after the
    questions], the top-10 gain and how the answers came back; and the told asker within the ranking's top 50
    (dxkb's result beyond)."""
    out: dict = {}
    for policy in POLICIES + (TOLD,):
        bands = {band_: [0, 0] for band_ in START_BANDS}
        for r in chosen:
            row = bands[start_band(r[policy]["ranks"][0])]
            row[0] += 1
            row[1] += int(_hit(r[policy]["ranks"][-1]))
        gain = sum(_hit(r[policy]["ranks"][-1]) - _hit(r[policy]["ranks"][0]) for r in chosen)
        answers = dict(sorted(Counter(a for r in chosen for _q, a in r[policy]["asked"]).items()))
        out[policy] = {"bands": bands, "top10_gain": round(gain / len(chosen), 4) if chosen else 0.0,
                       "answers": answers}
    within = sum(_hit(r[TOLD if start_band(r["dxkb"]["ranks"][0]) != START_BANDS[2] else "dxkb"]["ranks"][-1])
                 - _hit(r["dxkb"]["ranks"][0]) for r in chosen)
    out["told_within_top50_gain"] = round(within / len(chosen), 4) if chosen else 0.0
    return out


def _hit(rank: int | None) -> float:
    return 1.0 if rank is not None and rank <= 10 else 0.0


def intervals(chosen: list[dict]) -> dict[str, dict]:
    """95 % intervals of the two targets (top-10 after the questions − at the start, − the baseline's), from a
    bootstrap over cohorts (protocol item 8)."""
    gain = [(r["cohort"], _hit(r["dxkb"]["ranks"][-1]) - _hit(r["dxkb"]["ranks"][0])) for r in chosen]
    over = [(r["cohort"], _hit(r["dxkb"]["ranks"][-1]) - _hit(r["baseline"]["ranks"][-1])) for r in chosen]
    return {"top10_gain": cluster_interval(gain), "top10_over_baseline": cluster_interval(over)}


def rates_of(chosen: list[dict]) -> dict[str, dict[str, float]]:
    """Kind -> the shares PRESENT / ABSENT / UNKNOWN of protocol item 7, pooled over the cases."""
    out: dict[str, dict[str, float]] = {}
    for kind in RATE_KINDS:
        n, present, absent = (sum(r["answer_rates"][kind][k] for r in chosen) for k in range(3))
        out[kind] = {"findings": n, "present": round(present / n, 3) if n else 0.0,
                     "absent": round(absent / n, 3) if n else 0.0,
                     "unknown": round((n - present - absent) / n, 3) if n else 0.0}
    return out


def table(blocks: dict, rounds: int) -> str:
    lines = [f"{'cases':<11}{'policy':<10}{'round':>6}{'top1':>8}{'top10':>8}{'MRR':>8}"]
    for name, block in blocks.items():
        for policy in POLICIES:
            for k, s in enumerate(block.get(policy, [])):
                if s.get("patients"):
                    lines.append(f"{name + ' ' + str(block['cases']):<11}{policy:<10}{k:>6}{s['top1']:>8.3f}"
                                 f"{s['top10']:>8.3f}{s['mrr']:>8.3f}")
        if "top10_gain" in block:
            lines.append(f"  {name}: top-10 after {rounds} questions {block['top10_gain']:+.3f} over the start, "
                         f"{block['top10_over_baseline']:+.3f} over the baseline; answers dxkb "
                         f"{block['dxkb_answers']}, baseline {block['baseline_answers']}; ceiling "
                         f"({rounds} of the case's own findings PRESENT) top-10 {block['ceiling']['top10']:.3f}")
            ci = block["intervals"]
            lines.append(f"  {name}: 95 % intervals over {ci['top10_gain']['clusters']} cohorts: gain "
                         f"[{ci['top10_gain']['low']:+.3f}, {ci['top10_gain']['high']:+.3f}], over the baseline "
                         f"[{ci['top10_over_baseline']['low']:+.3f}, {ci['top10_over_baseline']['high']:+.3f}]")
            if "answer_agreement" in block:
                agree = block["answer_agreement"]
                lines.append(f"  {name}: answer agreement between the halves over {agree['findings']} findings asked "
                             f"at least {agree['least']} times in each: r answered {agree['answered_r']}, "
                             f"r PRESENT {agree['present_r']}")
            told = block["told"]
            lines.append(f"  {name}: into the top 10 by where the case started (" + ", ".join(START_BANDS) + "): "
                         + "; ".join(f"{p} " + ", ".join(f"{b[1]}/{b[0]}" for b in told[p]["bands"].values())
                                     + f" (gain {told[p]['top10_gain']:+.3f})" for p in POLICIES + (TOLD,))
                         + f"; told within the top 50, dxkb beyond: gain {told['told_within_top50_gain']:+.3f}")
            rates = block["answer_rates"]
            lines.append("  " + name + ": the true disease's findings would be answered " + "; ".join(
                f"{kind} ({r['findings']}) {r['present']:.0%} PRESENT, {r['absent']:.0%} ABSENT, "
                f"{r['unknown']:.0%} UNKNOWN" for kind, r in rates.items() if kind not in BANDS))
            lines.append("  " + name + ": its annotated features by frequency q: " + "; ".join(
                f"{kind} ({r['findings']}) {r['present']:.0%} P, {r['absent']:.0%} A"
                for kind, r in rates.items() if kind in BANDS))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="a store built with HPO, MAxO and loinc2hpo")
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--per-disease", type=int, default=2)
    parser.add_argument("--limit", type=int, default=200, help="at most this many cases (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=3)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    started = time.perf_counter()
    interview = Interview(args.store)
    every, counts = read_cases(args.cases)
    diseases = _diseases(interview)
    usable = [c for c in every if len(interview.known(c.present)) > args.start
              and c.disease in diseases]
    cases = protocol.sample(usable, args.per_disease, args.seed, args.limit or None)
    print(f"{counts['cases']} cases read, {len(usable)} usable, {len(cases)} sampled", file=sys.stderr)
    results = []
    for i, case in enumerate(cases, start=1):
        results.append(run_case(case, interview, args.start, args.questions, args.seed))
        if i % 20 == 0:
            print(f"  {i}/{len(cases)} cases, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    blocks = report(results, args.questions)
    print(table(blocks, args.questions))
    payload = {"benchmark": "interview", "protocol": __doc__.split("Protocol (issue 13)")[1].strip(),
               "cases_file": args.cases.name, "per_disease": args.per_disease, "limit": args.limit,
               "seed": args.seed, "start": args.start, "questions": args.questions, "machine": machine(),
               "load_seconds": interview.load_seconds, "seconds": round(time.perf_counter() - started, 1),
               "results": blocks, "cases": results}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)


def _diseases(interview: Interview) -> set[str]:
    """The diseases the store holds (a case of another cannot be ranked by any interview)."""
    return {r["disease"] for r in _disease_rows(interview)}


def _disease_rows(interview: Interview) -> list[dict]:
    from dxkb.kb.store import queries as sparql
    from dxkb.kb.vocab import to_curie

    return [{"disease": to_curie(r["disease"])} for r in sparql.select(interview.engine.store, "disease_index")]


if __name__ == "__main__":
    main()
