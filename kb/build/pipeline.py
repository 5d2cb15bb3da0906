"""`dxkb build`: validate the sources, reason, derive, check, and write the Oxigraph store atomically.

A store folder holds ``builds/<id>/`` databases and a ``current`` symlink. A build writes a new database next to
the live one and only then swaps the link (rename(2) is atomic), so a failed or interrupted build leaves the
previous store exactly as it was.
"""

from __future__ import annotations

import fcntl
import gc
import math
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from dxkb.kb import __version__, vocab
from dxkb.kb.build import importers, priors
from dxkb.kb.build.progress import Steps
from dxkb.kb.build.reasoning import ReasoningError, reason
from dxkb.kb.build.sources import iter_sources, load_graph
from dxkb.kb.build.validation import check_shapes
from dxkb.kb.errors import BuildError
from dxkb.kb.store import queries as sparql
from dxkb.kb.store.base import Store
from dxkb.kb.store.folder import BUILDS, remove_stale, swap_current
from dxkb.kb.store.oxigraph import InProcessStore

DXKB = vocab.DXKB
BUILD_INFO = URIRef(vocab.BUILD_INFO)


@dataclass
class BuildReport:
    location: str
    triples: int
    inferred: int
    sources: list[str]
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def populate(store: ox.Store, *, extra_modules: list[Path] | None = None, include: tuple[str, ...] = (),
             steps: Steps | None = None, source_dir: str | None = None) -> BuildReport:
    """Fill an empty pyoxigraph store with the validated, reasoned and derived knowledge base."""
    steps = steps or Steps(enabled=False)
    unknown = [name for name in include if name not in importers.IMPORTERS]
    if unknown:
        raise BuildError(f"unknown source(s) {', '.join(unknown)} (available: {', '.join(importers.names()) or 'none'})")
    paths = list(iter_sources(extra_modules))
    with steps.step("parse ontology and curated modules"):
        curated = load_graph(paths)
    with steps.step("SHACL validation"):
        check_shapes(curated)
    with steps.step("OWL reasoning (HermiT)"):
        try:
            inferences = reason(curated)
        except ReasoningError as error:
            raise BuildError(str(error)) from error
    with steps.step("load into Oxigraph"):
        store.bulk_load((curated + inferences.graph).serialize(format="nt", encoding="utf-8"),
                        format=ox.RdfFormat.N_TRIPLES)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dxkb-import-") as scratch:
        for name in include:
            with steps.step(f"import {name}"):
                target = Path(scratch) / f"{name}.nt"
                notes.append(importers.run(name, target, source_dir=source_dir))
                store.bulk_load(path=str(target), format=ox.RdfFormat.N_TRIPLES)
    graph = InProcessStore(store)
    with steps.step("derive log-frequencies, specificity weights, red-flag findings and priors"):
        store.extend(_derived_quads(graph))
        store.extend(priors.quads(graph))
    with steps.step("quality checks (queries/checks)"):
        run_checks(graph)
    sources = [str(p.name) for p in paths] + list(include)
    store.extend(_build_info_quads(sources, notes))
    return BuildReport(location="", triples=len(store), inferred=len(inferences.graph), sources=sources,
                       seconds=steps.seconds, notes=notes)


def run_checks(graph: Store) -> None:
    """Every queries/checks/*.rq names what it forbids; any row it returns stops the build."""
    failures = []
    for name in sparql.names("checks"):
        rows = sparql.select(graph, name)
        if rows:
            example = ", ".join(f"{k}={v}" for k, v in rows[0].items())
            failures.append(f"{name} ({len(rows)} row(s), e.g. {example})")
    if failures:
        raise BuildError("quality checks failed: " + "; ".join(failures))


def _derived_quads(graph: Store) -> list[ox.Quad]:
    quads: list[ox.Quad] = []
    log_f, log_c = ox.NamedNode(DXKB + "logFrequency"), ox.NamedNode(DXKB + "logComplement")
    for row in sparql.select(graph, "build/association_frequencies"):
        f = float(row["frequency"])
        node = ox.NamedNode(row["association"])
        if f > 0:
            quads.append(ox.Quad(node, log_f, ox.Literal(repr(math.log(f)), datatype=ox.NamedNode(str(XSD.double)))))
        if f < 1:
            quads.append(ox.Quad(node, log_c, ox.Literal(repr(math.log(1 - f)), datatype=ox.NamedNode(str(XSD.double)))))
    parents: dict[str, set[str]] = {}
    for row in sparql.select(graph, "build/finding_edges"):
        parents.setdefault(row["finding"], set())
        if row["parent"]:
            parents[row["finding"]].add(row["parent"])
    descendants: dict[str, int] = {f: 0 for f in parents}
    ancestors: dict[str, set[str]] = {}

    def ancestors_of(term: str, trail: frozenset[str] = frozenset()) -> set[str]:
        if term not in ancestors:
            found: set[str] = set()
            for parent in parents.get(term, ()):
                if parent not in trail:
                    found.add(parent)
                    found |= ancestors_of(parent, trail | {term})
            ancestors[term] = found
        return ancestors[term]

    for term in parents:
        for ancestor in ancestors_of(term):
            if ancestor in descendants:
                descendants[ancestor] += 1
    total = max(len(parents), 1)
    log_s = ox.NamedNode(DXKB + "logSpecificity")
    for term, count in descendants.items():
        value = math.log((count + 1) / total)
        quads.append(ox.Quad(ox.NamedNode(term), log_s, ox.Literal(repr(value), datatype=ox.NamedNode(str(XSD.double)))))
    quads += _disease_share_quads(graph, ancestors_of)
    flagged = ox.NamedNode(DXKB + "underRedFlag")
    true = ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean)))
    quads += [ox.Quad(ox.NamedNode(row["finding"]), flagged, true)
              for row in sparql.select(graph, "build/red_flag_findings")]
    return quads


def _disease_share_quads(graph: Store, ancestors_of: Callable[[str], set[str]]) -> list[ox.Quad]:
    """dxkb:diseaseShare of each finding: the mean over the annotated diseases of P(finding | disease), with each
    annotation counting for its finding and every ancestor (the highest frequency where several do; 0.5 where the
    source states none, as the engine reads it). The engine's likelihood of a finding in a disease not annotated
    with it (kb/engine/scoring.background_rate): a feature common among diseases is often an unrelated or
    unannotated one, a rare, specific one hardly ever (LIRICAL's P(h | arbitrary Mendelian disease) likewise)."""
    best: dict[str, dict[str, float]] = {}
    for row in sparql.select(graph, "build/positive_annotations"):
        frequency = float(row["frequency"]) if row["frequency"] is not None else 0.5
        mine = best.setdefault(str(row["disease"]), {})
        finding = str(row["finding"])
        for term in (finding, *ancestors_of(finding)):
            if frequency > mine.get(term, -1.0):
                mine[term] = frequency
    totals: dict[str, list[float]] = {}
    for disease in sorted(best):  # summed in a fixed order: the same floats in every build
        for term, frequency in best[disease].items():
            totals.setdefault(term, []).append(frequency)
    share = ox.NamedNode(DXKB + "diseaseShare")
    double = ox.NamedNode(str(XSD.double))
    return [ox.Quad(ox.NamedNode(term), share, ox.Literal(repr(math.fsum(values) / len(best)), datatype=double))
            for term, values in sorted(totals.items())]


def _build_info_quads(sources: list[str], notes: list[str]) -> list[ox.Quad]:
    node = ox.NamedNode(str(BUILD_INFO))
    quads = [
        ox.Quad(node, ox.NamedNode(str(RDF.type)), ox.NamedNode(DXKB + "BuildInfo")),
        ox.Quad(node, ox.NamedNode(str(DCTERMS.created)),
                ox.Literal(datetime.now(timezone.utc).isoformat(timespec="seconds"), datatype=ox.NamedNode(str(XSD.dateTime)))),
        ox.Quad(node, ox.NamedNode(str(DCTERMS.hasVersion)), ox.Literal(__version__)),
    ]
    quads += [ox.Quad(node, ox.NamedNode(str(DCTERMS.source)), ox.Literal(s)) for s in sources]
    quads += [ox.Quad(node, ox.NamedNode(DXKB + "dataVersion"), ox.Literal(n)) for n in notes if n]
    return quads


def build_in_memory(include: tuple[str, ...] = (), extra_modules: list[Path] | None = None) -> ox.Store:
    store = ox.Store()
    populate(store, include=include, extra_modules=extra_modules)
    return store


def build(folder: str | Path, *, include: tuple[str, ...] = (), extra_modules: list[Path] | None = None,
          progress: bool = True, source_dir: str | None = None) -> BuildReport:
    """Build into ``folder/builds/<new>`` and swap ``folder/current`` to it only when everything succeeded."""
    root = Path(folder).expanduser()
    try:
        (root / BUILDS).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BuildError(f"cannot create the store folder {root}: {error.strerror}") from error
    steps = Steps(enabled=progress)
    with open(root / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"another build is writing {root}") from None
        _remove_stale(root)
        target = Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%dT%H%M%S-"), suffix=".building", dir=root / BUILDS))
        store: ox.Store | None = None
        try:
            store = ox.Store(str(target))
            report = populate(store, include=include, extra_modules=extra_modules, steps=steps,
                              source_dir=source_dir)
            with steps.step("flush and optimise"):
                store.flush()
                store.optimize()
            store = None  # the last reference: closes the database before its folder is renamed
            final = target.with_suffix("")
            target.rename(final)
            swap_current(root, final)
        except BaseException as error:
            # Close the database before deleting its folder: RocksDB's background flushes would otherwise write
            # files into it again. The traceback's frames (populate's) hold the store too, so clear their locals.
            traceback.clear_frames(error.__traceback__)
            if store is not None:
                store = None
                gc.collect()
            shutil.rmtree(target, ignore_errors=True)
            raise
        _remove_stale(root)
    report.location = str(root)
    report.seconds = steps.seconds
    return report


def _remove_stale(root: Path) -> None:
    """Delete unfinished builds and old builds no process serves (kb/store/folder.py: pins, KEEP_BUILDS)."""
    remove_stale(root)
