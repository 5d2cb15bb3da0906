"""Diagnostic accuracy on real published cases (GA4GH phenopackets), dxkb against pyhpo's set similarity.

    python bench/real_cases/run.py --store /tmp/hpo-store --limit 1000

(``--store``: a store built with HPO, e.g. ``dxkb build --store /tmp/hpo-store``; without it one is built
in a temporary folder. ``--cases``: a folder of phenopacket .json files, searched recursively, or a phenopacket-store
release ZIP; default the development part of phenopacket-store in ../shared/data.)

Protocol
--------
1. Read every phenopacket (phenopackets.py): the true disease is the OMIM id of the diagnosis; observed features
   are PRESENT, ``excluded: true`` ones ABSENT; the case's PMIDs come from metaData.externalReferences and any
   other string naming one. Unreadable files and cases without an OMIM diagnosis are skipped and counted, and so
   are cases whose OMIM disease has no annotation in the HPO release (about a fifth of phenopacket-store: OMIM
   entries newer than the release): no method can rank them, so they would measure the release's age, not the
   method, and crowd out the cases that can be scored. ``--keep-unannotated`` keeps them, as misses.
2. Draw at most ``--per-disease`` cases per disease, then ``--limit`` cases, with ``--seed`` (protocol.py).
3. Mark the *independent* cases: none of their PMIDs is a reference of their disease in the phenotype.hpoa that the
   store was built from. The others may be the very source of their disease's annotations (HPO curates from
   phenopacket-store), so their figures flatter every method that uses the annotations.
4. Rank every OMIM disease for each case with
   - **dxkb present+absent** / **dxkb present only**: ``DiagnosisEngine.ranking`` in process (dxkb_side.py), with or
     without the excluded features. IDs the engine does not hold as findings (obsolete, alternative, newer than the
     release) make it reject the request; the case is retried without them and counted;
   - **pyhpo resnik / graphic**: hpo3's funSimAvg set similarity on the present features (bench/accuracy/peer.py,
     in bench/.venv-peer, on its own core beside dxkb), given the same present IDs that dxkb kept, because hpo3
     rejects the unknown ones too. A case with no usable present feature is not ranked by either side.
5. Report, for all cases and for the independent ones, top-1/3/10 (the true disease within the first k OMIM
   diseases, ties against it), MRR (reciprocal rank, 0 when unranked) and the number of cases whose true disease a
   method did not rank; dxkb's calibration (calibration.py); latency.

Columns of the table: ``n`` cases in the subset; ``top-k`` share with the true disease at rank <= k; ``MRR``;
``unranked`` cases where the method gave the true disease no rank at all (dxkb: no present feature reaches it, or
the request failed; peer: the disease has no OMIM annotations or the case has no usable feature). Calibration rows:
bins of the top candidate's probability, the cases in each, their mean probability and how often the top candidate
was the true disease. bench/results/real_cases.json holds everything, with one row per case (id, disease, rank per
method, top candidate and its probability per dxkb mode) for case-by-case comparison across model changes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.accuracy.hpo_data import load, pyhpo_data_folder  # noqa: E402
from bench.accuracy.hpo_store import hpo_store  # noqa: E402
from bench.accuracy.metrics import summary  # noqa: E402
from bench.accuracy.run import start_peer  # noqa: E402
from bench.accuracy.simulate import Patient  # noqa: E402
from bench.common import machine  # noqa: E402
from bench.real_cases import dxkb_side, protocol  # noqa: E402
from bench.real_cases.calibration import cross_validated, fit_temperature, reliability, reliability_at  # noqa: E402
from bench.real_cases.phenopackets import read_cases  # noqa: E402

DEFAULT_CASES = ROOT.parent / "shared" / "data" / "phenopacket-store" / "phenopacket-store-dev.zip"
RESULTS = ROOT / "bench" / "results" / "real_cases.json"
DXKB_METHODS = {"dxkb present+absent": "present+absent", "dxkb present only": "present",
                "dxkb rare-disease setting": "rare-disease"}
RARE = "dxkb rare-disease setting"


def _dumps(report: dict, key: str) -> str:
    """Indented JSON with one line per case, so that two runs diff case by case."""
    rows = report[key]
    text = json.dumps({**report, key: "@ROWS@"}, indent=1)
    lines = ",\n  ".join(json.dumps(row, separators=(",", ":")) for row in rows)
    return text.replace('"@ROWS@"', "[\n  " + lines + "\n ]") + "\n"


def table(subsets: dict[str, dict[str, dict]]) -> str:
    lines = [f"{'subset':<12} {'method':<26} {'n':>5} {'top-1':>6} {'top-3':>6} {'top-10':>6} {'MRR':>6} "
             f"{'unranked':>8}"]
    for subset, by_method in subsets.items():
        for method, s in by_method.items():
            lines.append(f"{subset:<12} {method:<26} {s['patients']:>5} {s['top1']:>6.3f} {s['top3']:>6.3f} "
                         f"{s['top10']:>6.3f} {s['mrr']:>6.3f} {s['unranked']:>8}")
        lines.append("")
    return "\n".join(lines).rstrip()


def calibration_table(block: dict) -> str:
    lines = [f"{'bin':<8} {'n':>5} {'mean p':>7} {'accuracy':>8}"]
    for row in block["bins"]:
        if row["n"]:
            lines.append(f"{row['bin']:<8} {row['n']:>5} {row['mean_confidence']:>7.3f} {row['accuracy']:>8.3f}")
    return "\n".join(lines)


def _shipped_temperature() -> float:
    from dxkb.kb.engine import model
    return model.TEMPERATURE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a store built with HPO (default: build one, ~1 min)")
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES,
                        help="folder of phenopacket .json files (recursive) or a phenopacket-store ZIP")
    parser.add_argument("--per-disease", type=int, default=5, help="at most this many cases per disease")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="at most this many cases in all (after --per-disease)")
    parser.add_argument("--keep-unannotated", action="store_true",
                        help="keep cases whose OMIM disease has no annotation in the HPO release (misses for all)")
    parser.add_argument("--methods", nargs="+", default=["resnik", "graphic"], help="pyhpo similarity methods")
    parser.add_argument("--validate", type=int, default=20,
                        help="cases also scored with hpo3's batch_set_similarity itself, per method")
    parser.add_argument("--peer-threads", type=int, default=1)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--fit-calibration", action="store_true",
                        help="refit the rare-disease setting's calibration on these cases and write it to "
                             "kb/data/calibration.json (the figures printed are still the shipped one's)")
    args = parser.parse_args()

    started = time.perf_counter()
    every, read_counts = read_cases(args.cases)
    data = load()
    findings = set(data.parents)
    folder = pyhpo_data_folder()
    hpoa_version, references = protocol.hpoa_references(folder / "phenotype.hpoa")
    obo_ids = protocol.read_obo_ids(folder / "hp.obo")
    annotated = set(data.omim())
    scoreable = every if args.keep_unannotated else [c for c in every if c.disease in annotated]
    cases = protocol.sample(scoreable, args.per_disease, args.seed, args.limit)
    independent = {c.id: protocol.independent(c, references) for c in cases}
    print(f"{read_counts['cases']} cases read from {args.cases.name} ({read_counts['files']} files), "
          f"{len(every) - len(scoreable)} skipped (OMIM disease not in the HPO release); {len(cases)} sampled, {sum(independent.values())} independent; HPO {data.version}", file=sys.stderr)

    usable = {c.id: tuple(t for t in c.present if t in findings) for c in cases}
    peer_cases = [c for c in cases if usable[c.id]]
    patients = [Patient(i, c.disease, "present", usable[c.id]) for i, c in enumerate(peer_cases)]
    with tempfile.TemporaryDirectory(prefix="dxkb-real-cases-") as scratch, hpo_store(args.store) as store:
        peer, answer_path = start_peer(patients, args.methods, args.validate, args.peer_threads, Path(scratch))
        try:
            dxkb = {name: dxkb_side.score(store, cases, mode) for name, mode in DXKB_METHODS.items()}
        finally:
            if peer.wait() != 0:
                raise SystemExit(f"the peer failed with exit code {peer.returncode}")
        peer_answer = json.loads(answer_path.read_text(encoding="utf-8"))

    by_case = {name: {r["id"]: r for r in block["results"]} for name, block in dxkb.items()}
    ranks: dict[str, dict[str, int | None]] = {name: {i: r["rank"] for i, r in rows.items()}
                                               for name, rows in by_case.items()}
    for method in args.methods:
        block = peer_answer["methods"][method]
        found = {peer_cases[r["id"]].id: r["rank"] for r in block["results"]}
        ranks[f"pyhpo {method}"] = {c.id: found.get(c.id) for c in cases}
    subsets = {"all": [c.id for c in cases], "independent": [c.id for c in cases if independent[c.id]]}
    metrics = {subset: {m: summary([by_id[i] for i in ids]) for m, by_id in ranks.items()}
               for subset, ids in subsets.items()}
    truth = {c.id: c.disease for c in cases}
    calibration = {name: {subset: reliability((rows[i]["top_probability"], rows[i]["top"] == truth[i])
                                              for i in ids if rows[i]["top"] is not None)
                          for subset, ids in subsets.items()}
                   for name, rows in by_case.items()}
    # the temperature the shipped model should have: fitted on the development cases (those whose publication is a
    # source of their disease's annotations), never on the independent ones, which judge it
    temperature = {}
    for name, rows in by_case.items():
        fitted = fit_temperature([rows[i] for i in subsets["all"] if not independent[i]])
        if fitted["temperature"] is not None:
            fitted["ece_at_fitted"] = {subset: reliability_at([rows[i] for i in ids], fitted["temperature"])["ece"]
                                       for subset, ids in subsets.items()}
        temperature[name] = fitted
    # the rare-disease setting's calibration: the shipped one (fitted on development cases like these: in-sample
    # when they are the same cases), and out of fold (5 folds by cohort, each judged by a fit on the other four:
    # phenopacket-store's evaluation part is other cohorts, so a fold never shares a cohort with its fit)
    rare_rows = [(by_case[RARE][c.id]["calibration"], by_case[RARE][c.id]["top"] == c.disease, c.cohort, c.id)
                 for c in cases if by_case[RARE][c.id].get("calibration")]
    out_of_fold = cross_validated([(x, right, g) for x, right, g, _ in rare_rows], dxkb_side.fit_calibration,
                                  dxkb_side.calibrated)
    oof = {i: (p, right) for (_x, right, _g, i), p in zip(rare_rows, out_of_fold)}
    cross = {subset: reliability(oof[i] for i in ids if i in oof) for subset, ids in subsets.items()}
    uncalibrated = {subset: reliability_at([by_case[RARE][i] for i in ids], 1.0) for subset, ids in subsets.items()}
    refit = None
    if args.fit_calibration:
        coefficients = dxkb_side.fit_calibration([(x, right) for x, right, _g, _i in rare_rows])
        refit = {"coefficients": list(coefficients), "path": str(dxkb_side.write_calibration(coefficients, {
            "cases": len(rare_rows), "source": str(args.cases.name), "hpo_version": data.version,
            "protocol": {"seed": args.seed, "per_disease": args.per_disease, "limit": args.limit},
            "right": "the top candidate is the case's OMIM disease (rare-disease setting, present + absent)",
            "cross_validated_ece": {k: v["ece"] for k, v in cross.items()},
            "command": "PYTHONPATH=. python bench/real_cases/run.py --store STORE"
                       + (f" --limit {args.limit}" if args.limit else "") + " --fit-calibration",
            "date": time.strftime("%Y-%m-%d")}))}
    top_not_omim = {name: sum(1 for r in rows.values() if r["top"] and not r["top"].startswith("OMIM:"))
                    for name, rows in by_case.items()}

    not_annotated = [c for c in cases if c.disease not in annotated]
    never_reached = sorted({c.disease for c in cases
                            if all(ranks[m][c.id] is None for m in ranks)})
    dropped = Counter(t for r in by_case["dxkb present+absent"].values() for t in r["dropped"])
    counts = {
        "read": read_counts,
        "skipped_disease_not_in_release": len(every) - len(scoreable),
        "diseases_not_in_release": len({c.disease for c in every if c.disease not in annotated}),
        "sampled": len(cases), "independent": sum(independent.values()),
        "diseases_read": len({c.disease for c in every}), "diseases_sampled": len({c.disease for c in cases}),
        "sampled_without_pmid": sum(1 for c in cases if not c.pmids),
        "sampled_disease_without_omim_annotations": len(not_annotated),
        "sampled_without_usable_present_feature": len(cases) - len(peer_cases),
        "mean_present": round(sum(len(c.present) for c in cases) / max(1, len(cases)), 2),
        "mean_excluded": round(sum(len(c.excluded) for c in cases) / max(1, len(cases)), 2),
        "dxkb_retried_without_unknown_ids": {n: b["retried_without_unknown_ids"] for n, b in dxkb.items()},
        "dxkb_failed": {n: b["failed"] for n, b in dxkb.items()},
        "dxkb_no_candidates": {n: b["no_candidates"] for n, b in dxkb.items()},
        "dxkb_top_candidate_not_omim": top_not_omim,
        "diseases_no_method_ranks_for_any_sampled_case": len(never_reached),
    }
    report = {
        "benchmark": "real_cases",
        "command": "PYTHONPATH=. python bench/real_cases/run.py --store STORE"
                   + (f" --limit {args.limit}" if args.limit else ""),
        "machine": machine(),
        "cases_source": str(args.cases),
        "hpo_version": data.version, "hpoa_version": hpoa_version,
        "protocol": {"seed": args.seed, "per_disease": args.per_disease, "limit": args.limit,
                     "keep_unannotated": args.keep_unannotated,
                     "ranking": "among OMIM diseases only; ties count against the true disease; unranked = miss",
                     "independent": "no PMID of the case is a phenotype.hpoa reference of its disease (any aspect)",
                     "peer_terms": "present features that are findings of the release (what dxkb keeps)",
                     "calibration": "confidence = probability of dxkb's overall top candidate; right = it is the "
                                    "true disease; 10 equal-width bins"},
        "counts": counts,
        "unknown_ids": {"sampled": protocol.audit(cases, findings, obo_ids),
                        "all_read": protocol.audit(every, findings, obo_ids),
                        "most_dropped_by_dxkb": [[t, n] for t, n in sorted(dropped.items(),
                                                                           key=lambda x: (-x[1], x[0]))[:10]]},
        "never_reached_diseases": never_reached,
        "peer": {"package": "hpo3", "version": peer_answer["hpo3_version"], "hpo_version": peer_answer["hpo_version"],
                 "omim_diseases": peer_answer["omim_diseases"], "combine": "funSimAvg", "kind": "omim",
                 "load_seconds": peer_answer["load_seconds"],
                 "validation": {m: b["validation"] for m, b in peer_answer["methods"].items()},
                 "seconds": {m: b["seconds"] for m, b in peer_answer["methods"].items()},
                 "mean_ms_per_case": {m: round(b["seconds"] * 1000 / max(1, len(patients)), 1)
                                      for m, b in peer_answer["methods"].items()}},
        "dxkb": {n: {k: v for k, v in b.items() if k != "results"} for n, b in dxkb.items()},
        "metrics": metrics,
        "calibration": calibration,
        "temperature": {"shipped": _shipped_temperature(), "fitted_on_development_cases": temperature},
        "rare_disease_calibration": {"shipped": calibration[RARE], "cross_validated": cross,
                                     "model_posterior_among_candidates": uncalibrated, "refit": refit},
        "seconds_total": round(time.perf_counter() - started, 1),
        "cases": [{"id": c.id, "cohort": c.cohort, "disease": c.disease, "independent": independent[c.id],
                   "pmids": list(c.pmids), "present": len(c.present), "excluded": len(c.excluded),
                   "dropped": by_case["dxkb present+absent"][c.id]["dropped"],
                   "rank": {m: ranks[m][c.id] for m in ranks},
                   "top": {n: rows[c.id]["top"] for n, rows in by_case.items()},
                   "top_probability": {n: (round(rows[c.id]["top_probability"], 6)
                                           if rows[c.id]["top_probability"] is not None else None)
                                       for n, rows in by_case.items()}} for c in cases],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(_dumps(report, "cases"), encoding="utf-8")

    print(table(metrics))
    for name in DXKB_METHODS:
        block = calibration[name]
        print(f"\ncalibration of {name} (top candidate): ECE {block['all']['ece']} over {block['all']['cases']} "
              f"cases (mean p {block['all']['mean_confidence']}, right {block['all']['accuracy']}); "
              f"independent: ECE {block['independent']['ece']} over {block['independent']['cases']}")
        if name == "dxkb present+absent":
            print(calibration_table(block["all"]))
    print(f"\n{RARE}, calibration cross-validated (5 folds by cohort, each fold judged by a fit on the others): "
          f"ECE {cross['all']['ece']} (all), {cross['independent']['ece']} (independent)")
    print(calibration_table(cross["all"]))
    print(f"({RARE} without the calibration, the model's posterior among the candidates at T = 1: ECE "
          f"{uncalibrated['all']['ece']} (all), {uncalibrated['independent']['ece']} (independent))")
    if refit:
        print(f"refitted the calibration on {len(rare_rows)} cases: {refit['coefficients']} -> {refit['path']}")
    for name, fitted in temperature.items():
        print(f"temperature for {name}: shipped {_shipped_temperature()}, fitted on the {fitted['cases']} "
              f"development cases {fitted.get('temperature')} (ECE there: {fitted.get('ece_at_fitted')})")
    print("\nlatency: " + ", ".join(f"{n} p50 {b['p50_ms']} ms, p95 {b['p95_ms']} ms" for n, b in dxkb.items())
          + f" (in process; engine loaded in {dxkb['dxkb present+absent']['load_seconds']} s); peer "
          + ", ".join(f"{m} {s} s = {report['peer']['mean_ms_per_case'][m]} ms/case"
                      for m, s in report["peer"]["seconds"].items())
          + "; peer check against batch_set_similarity: "
          + ", ".join(f"{m} {v['rank_agreement']}/{v['patients']} ranks equal, max diff {v['max_abs_difference']:.1e}"
                      for m, v in report["peer"]["validation"].items()))
    print(f"cases: {read_counts['cases']} read, {counts['skipped_disease_not_in_release']} skipped (disease not "
          f"in the HPO release: {counts['diseases_not_in_release']} diseases), {len(cases)} sampled ({counts['diseases_sampled']} diseases), "
          f"{counts['independent']} independent; dxkb retried without unknown IDs: "
          f"{counts['dxkb_retried_without_unknown_ids']['dxkb present+absent']}")
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    print(f"total {report['seconds_total']} s; wrote {shown}")


if __name__ == "__main__":
    main()
