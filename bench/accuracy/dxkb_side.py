"""Score simulated patients with dxkb's DiagnosisEngine, in process, on an embedded store with HPO.

Every patient's findings are PRESENT. ``DiagnosisEngine.rank`` returns every candidate as ``diagnose`` ranks them
(``diagnose`` shows the first ``limit``); the rank of the true disease is taken among the OMIM candidates only: the
ORPHA and DECIPHER diseases of the annotations and the curated diseases are left out of the count, because the peer
scores OMIM diseases only (the HPO diseases all share the default prior, so leaving some out does not reorder the
others).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Sequence

from bench.accuracy.metrics import ranks_of
from bench.accuracy.simulate import Patient


def score(store: Path, patients: Sequence[Patient], progress: bool = True) -> dict:
    """Ranks of each patient's disease among the OMIM candidates."""
    from dxkb.kb.engine.diagnosis import DiagnosisEngine
    from dxkb.kb.engine.types import Observation, Status
    from dxkb.kb.errors import InputError
    from dxkb.kb.service import open_store_at as open_graph

    started = time.perf_counter()
    engine = DiagnosisEngine(open_graph(str(store)))
    held = engine.prefetch()
    loaded = time.perf_counter() - started
    results, seconds = [], []
    for i, patient in enumerate(patients, start=1):
        begin = time.perf_counter()
        try:
            ranked = engine.rank([Observation(t, Status.PRESENT) for t in patient.terms])
        except InputError as error:
            results.append({"id": patient.id, "rank": None, "rank_optimistic": None, "error": str(error)})
            continue
        seconds.append(time.perf_counter() - begin)
        omim = [c.probability for c in ranked if c.disease.startswith("OMIM:")]
        truth = next((c.probability for c in ranked if c.disease == patient.disease), None)
        rank, optimistic = ranks_of(truth, omim)
        top = next((c.disease for c in ranked if c.disease.startswith("OMIM:")), None)
        results.append({"id": patient.id, "rank": rank, "rank_optimistic": optimistic, "top": top,
                        "candidates": len(ranked), "omim_candidates": len(omim)})
        if progress and i % 250 == 0:
            print(f"  dxkb: {i}/{len(patients)} patients", file=sys.stderr)
    seconds.sort()
    return {"results": results,
            "load_seconds": round(loaded, 2), "annotations_held": held,
            "score_seconds": round(sum(seconds), 2),
            "p50_ms": round(seconds[len(seconds) // 2] * 1000, 1) if seconds else None,
            "p95_ms": round(seconds[int(len(seconds) * 0.95)] * 1000, 1) if seconds else None}
