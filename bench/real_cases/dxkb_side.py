"""Every call the real-case benchmark makes into dxkb, in one place, so a package move re-points one import block.

``score(store, cases, mode)`` ranks each case with ``DiagnosisEngine.ranking`` (every disease as arrays) in process
on an embedded store:

- ``mode="present+absent"``: the observed features PRESENT and the excluded ones ABSENT, as the phenopacket says;
- ``mode="present"``: the observed features only (what the peer sees);
- ``mode="rare-disease"``: as ``present+absent``, with the patient seen for a suspected rare disease
  (``Setting.RARE_DISEASE``: among the catalogued diseases, the shipped calibration; kb/engine/calibration.py). Each
  row keeps what the calibration saw (``calibration``), so that the benchmark can cross-validate a refit of it.

The rank of the true disease is taken among the OMIM candidates (as bench/accuracy/dxkb_side.py, and for the same
reason: the peer scores OMIM diseases only), with ties against it (bench/accuracy/metrics.py). The top candidate
and its probability are the engine's own overall first candidate (any prefix, probabilities normalised over all
candidates), because that is what a user is shown and what calibration has to be judged on.

Unknown IDs: the engine rejects a whole request naming an ID it does not hold as a finding (obsolete, alternative,
newer than the release, outside Phenotypic abnormality) with ``InputError``. Until it maps or ignores such IDs
itself, the case is retried once without the IDs named in ``InputError.suggestions`` and counted as retried; a
case that still fails (e.g. nothing left) is never ranked: rank None, a miss.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Sequence

from bench.accuracy.metrics import ranks_of
from bench.real_cases.phenopackets import Case

MODES = ("present+absent", "present", "rare-disease")

#: Leading candidates whose scores are kept per case, for fitting the temperature (calibration.fit_temperature):
#: beyond them the probability mass is negligible at the temperatures tried (scores fall by tens of nats).
KEPT_SCORES = 300
_ENGINES: dict[str, tuple[object, float, int]] = {}  # store -> (engine, load seconds, annotations held)


def _engine(store: Path) -> tuple[object, float, int]:
    """One engine per store for the whole process: both modes share the ~15 s prefetch."""
    from dxkb.kb.engine.diagnosis import DiagnosisEngine
    from dxkb.kb.service import open_store_at

    key = str(Path(store).resolve())
    if key not in _ENGINES:
        started = time.perf_counter()
        engine = DiagnosisEngine(open_store_at(key))
        held = engine.prefetch()
        _ENGINES[key] = (engine, round(time.perf_counter() - started, 2), held)
    return _ENGINES[key]


def score(store: Path, cases: Sequence[Case], mode: str, progress: bool = True) -> dict:
    """Per case: rank of the true disease among OMIM candidates, the top candidate and its probability."""
    from dxkb.kb.engine import model
    from dxkb.kb.engine.types import Observation, Patient, Setting, Status
    from dxkb.kb.errors import InputError

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    engine, loaded, held = _engine(store)
    patient = Patient(setting=Setting.RARE_DISEASE) if mode == "rare-disease" else None
    results, seconds, retried = [], [], 0
    for i, case in enumerate(cases, start=1):
        observations = [Observation(t, Status.PRESENT) for t in case.present]
        if mode in ("present+absent", "rare-disease"):
            observations += [Observation(t, Status.ABSENT) for t in case.excluded]
        dropped: list[str] = []
        error = None
        begin = time.perf_counter()
        try:
            try:
                ranked = engine.ranking(observations, patient)
            except InputError as first:
                if not first.suggestions:
                    raise
                dropped = sorted(first.suggestions)
                retried += 1
                observations = [o for o in observations if o.finding not in first.suggestions]
                ranked = engine.ranking(observations, patient)
        except InputError as failure:
            ranked, error = None, str(failure).splitlines()[0]
        elapsed = time.perf_counter() - begin
        row: dict = {"id": case.id, "dropped": dropped}
        if ranked is None:
            row.update(rank=None, rank_optimistic=None, top=None, top_probability=None, candidates=0,
                       omim_candidates=0, error=error)
        else:
            seconds.append(elapsed)
            diseases, probabilities = ranked.diseases, ranked.probabilities.tolist()
            omim = [p for d, p in zip(diseases, probabilities) if d.startswith("OMIM:")]
            at = diseases.index(case.disease) if case.disease in diseases else None
            rank, optimistic = ranks_of(probabilities[at] if at is not None else None, omim)

            def parts(i: int) -> tuple[float, float, bool]:
                """ln(likelihood) x (1/T) and ln(prior), so that the temperature can be refitted without re-ranking."""
                prior = float(ranked.log_priors[i])
                return ((float(ranked.scores[i]) - prior) * model.TEMPERATURE, prior, diseases[i] == case.disease)

            row["scores"] = [parts(i) for i in range(min(KEPT_SCORES, len(diseases)))]
            row["truth_score"] = parts(at) if at is not None else None
            inputs = ranked.calibration
            row["calibration"] = ([inputs.top_probability, inputs.exact, inputs.reached]
                                  if inputs is not None else None)
            row.update(rank=rank, rank_optimistic=optimistic,
                       top=diseases[0] if diseases else None,
                       top_probability=probabilities[0] if diseases else None,
                       candidates=len(diseases), omim_candidates=len(omim))
        results.append(row)
        if progress and i % 250 == 0:
            print(f"  dxkb {mode}: {i}/{len(cases)} cases", file=sys.stderr)
    seconds.sort()
    return {"mode": mode, "results": results, "load_seconds": loaded, "annotations_held": held,
            "retried_without_unknown_ids": retried,
            "failed": sum(1 for r in results if r.get("error")),
            "no_candidates": sum(1 for r in results if not r.get("error") and not r["candidates"]),
            "score_seconds": round(sum(seconds), 2),
            "p50_ms": round(seconds[len(seconds) // 2] * 1000, 1) if seconds else None,
            "p95_ms": round(seconds[int(len(seconds) * 0.95)] * 1000, 1) if seconds else None}


def fit_calibration(rows: Sequence[tuple[Sequence[float], bool]]) -> tuple[float, ...]:
    """The calibration's coefficients fitted on (calibration inputs of a row, its top candidate is right)."""
    from dxkb.kb.engine.calibration import Inputs, fit

    return fit([(Inputs(*inputs), right) for inputs, right in rows])


def calibrated(coefficients: Sequence[float], inputs: Sequence[float]) -> float:
    """The probability of the top candidate that a calibration with these coefficients gives."""
    from dxkb.kb.engine.calibration import Calibration, Inputs

    return Calibration(coefficients=tuple(coefficients), fitted={}).probability(Inputs(*inputs))


def write_calibration(coefficients: Sequence[float], fitted: dict) -> Path:
    """Write the package's calibration (kb/data/calibration.json) and return its path."""
    import json

    from dxkb.kb.engine.calibration import Calibration

    path = Path(__file__).resolve().parents[2] / "kb" / "data" / "calibration.json"
    document = Calibration(coefficients=tuple(coefficients), fitted=fitted).as_json()
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return path
