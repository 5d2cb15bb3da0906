"""The service facade: the knowledge base as the doors (CLI, GraphQL, SPARQL) see it. The doors call this module
and nothing below it (they may use ``dxkb.kb.settings`` and ``dxkb.kb.errors``, which every layer shares).

One :class:`KnowledgeBase` per store, opened from the settings: the diagnosis (with the one diagnose cache,
keyed by the canonical finding set), the label indexes, batched look-ups (many IDs, one query each, so that the
GraphQL DataLoaders never ask the store once per object), health, and what the SPARQL door needs to run
researchers' queries. Module functions cover the commands that do not need an open store (build, export, push).
The store is read-only while a process has it open, so results of identical inputs may be cached.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterable, Iterator, Sequence

import pyoxigraph as ox
from rdflib.query import Result

from dxkb.kb.engine.catalog import Entry, LabelIndex, Match
from dxkb.kb.engine.diagnosis import DiagnosisEngine
from dxkb.kb.engine.types import (Candidate, Diagnosis, Evidence, NextStep, Observation, Recommendation, RedFlag,
                                  Status, Step)
from dxkb.kb.engine import patient as patient_context
from dxkb.kb.engine.types import Coverage, Patient, Setting, Sex, Triage, TriageLevel, TriageReason
from dxkb.kb.engine.types import Warning as InputWarning
from dxkb.kb.errors import DeadlineExceeded, DxkbError, InputError, StoreCorrupted, StoreError, WarmingUp
from dxkb.kb.settings import Settings
from dxkb.kb.store import queries as sparql
from dxkb.kb.store import registry
from dxkb.kb.store.base import Store
from dxkb.kb.store.client import SparqlClient
from dxkb.kb.store.queries import to_python
from dxkb.kb.vocab import InvalidCurie, to_curie, to_iri

#: Distinct (observation set, limit) results kept per process. A Diagnosis of the curated KB is a few kB; the
#: engine takes ~5-10 ms per call, a cache hit microseconds, and a symptom checker's users repeat the same sets.
DIAGNOSE_CACHE_SIZE = 2048

#: While the warm-up runs, a diagnosis waits for it but keeps this much of its time limit (at most a third of it)
#: for its own work: 0.1-0.5 s once warm on the HPO build.
WARM_MARGIN = 3.0
#: How often the wait looks whether the warm-up ended without success; the Retry-After (seconds) of WarmingUp.
WARM_POLL = 0.25
WARM_RETRY_AFTER = 5


#: The monotonic time by which the request being served must be done (None: no limit). The doors set it around a
#: request (``deadline``); worker threads see it because Starlette's thread pool copies the context. Every kb
#: call checks it before it queries the store, so a request past its time stops asking instead of running on.
_deadline: ContextVar[float | None] = ContextVar("dxkb_deadline", default=None)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Bound the kb calls made in this context (and the threads it starts) to ``seconds`` from now."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining_time() -> float | None:
    """Seconds left to the current request's deadline (None: no limit; 0 when it has passed)."""
    limit = _deadline.get()
    return None if limit is None else max(0.0, limit - time.monotonic())


def check_deadline() -> None:
    """DeadlineExceeded when the current request's time is up."""
    limit = _deadline.get()
    if limit is not None and time.monotonic() > limit:
        raise DeadlineExceeded("the request's time limit passed; its remaining work was stopped")


class SizedCache:
    """A thread-safe LRU bounded by entry count and by the estimated bytes of its values (``size_of``: a
    ``limit: 100`` diagnosis of 40 findings holds ~100 kB, one of three findings ~20 kB, so a count alone does not
    bound memory). Values too large for the whole budget are not kept."""

    def __init__(self, entries: int, max_bytes: int, size_of: Callable[[Any], int]) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self.size_of = size_of
        self.bytes = 0
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: object) -> None:
        if self.entries < 1 or self.max_bytes <= 0:
            return
        size = self.size_of(value)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (value, size)
            self.bytes += size
            while len(self._items) > self.entries or self.bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped


def diagnosis_bytes(diagnosis: Diagnosis) -> int:
    """Estimated bytes a cached diagnosis holds of its own: its candidates, their evidence, the texts and the
    entries of its lists. The steps it names are the engine's shared Step objects (a MAxO step with hundreds of
    yields), not copies, so they are not counted; pickling the diagnosis counted them (10-25x too much) and cost
    5-13 ms per request. Constants fitted on pickled sizes of HPO diagnoses without the shared steps (within
    ~20 %)."""
    evidence = sum(len(c.supporting) + len(c.opposing) for c in diagnosis.candidates)
    entries = (len(diagnosis.observations) + len(diagnosis.next_steps) + len(diagnosis.next_questions)
               + len(diagnosis.red_flags) + len(diagnosis.warnings))
    text = (len(diagnosis.explanation) + sum(len(s.rationale) for s in diagnosis.next_steps)
            + sum(len(q.rationale) for q in diagnosis.next_questions))
    return 4_000 + 120 * len(diagnosis.candidates) + 100 * evidence + 150 * entries + text


@dataclass(frozen=True)
class DiseaseDetails:
    definition: str | None
    prior: float | None  # the curated prior; None when the disease has none (the engine then uses its default)
    prior_source: str | None
    cause_category: str | None  # the most specific kind code, e.g. VIRAL_INFECTION


@dataclass(frozen=True)
class DiseaseFindingLink:
    finding: str  # CURIE
    frequency: float | None
    negated: bool
    source: str | None


@dataclass(frozen=True)
class FindingDetails:
    definition: str | None
    is_red_flag: bool


def _in_setting(patient: Patient | None, setting: Setting | None) -> Patient | None:
    """A document's patient context with the care setting the caller gives (documents do not state one)."""
    if setting is None:
        return patient
    return replace(patient or Patient(), setting=setting)


class KnowledgeBase:
    """Opens the configured store once; indexes load lazily and are shared by all requests (read-only)."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store if store is not None else open_store(settings)
        self.engine = DiagnosisEngine(self.store, strict_ids=settings.strict_ids)
        self._lock = threading.Lock()
        self._warmed = threading.Event()
        self._warming = threading.Event()  # set while warm_in_background's warm-up runs
        self.diagnose_cache = SizedCache(DIAGNOSE_CACHE_SIZE, settings.diagnose_cache_mb * 1024 * 1024,
                                         diagnosis_bytes)

    @property
    def findings(self) -> LabelIndex:
        return self.engine.findings

    @cached_property
    def diseases(self) -> LabelIndex:
        with self._lock:
            return LabelIndex.diseases(self.store)

    @property
    def steps(self) -> list[Step]:
        return self.engine.steps

    def warm(self) -> None:
        """Load the indexes and steps now, so that the first request does not pay for them (or block on them); on
        the embedded store also every annotation (25-35 s, 30 MB on the HPO build on a 2-core VM: diagnoses then
        touch no store). Run by :meth:`warm_in_background`, diagnoses that come meanwhile wait for it."""
        _ = self.findings, self.steps
        if self.store.prefetchable:
            self.engine.prefetch()
        _ = self.diseases
        self._warmed.set()

    def warm_in_background(self, on_error: Callable[[Exception], None]) -> threading.Thread:
        """:meth:`warm` in a daemon thread (the server's start); diagnoses wait for it from this call on, also
        those that arrive before the thread runs. ``on_error`` gets what stopped it (a store that does not
        answer yet must not stop the server)."""
        self._warming.set()

        def run() -> None:
            try:
                self.warm()
            except Exception as error:  # noqa: BLE001 - any store failure goes to the caller's log
                on_error(error)
            finally:
                self._warming.clear()  # however it ended, nobody waits for it any more

        thread = threading.Thread(target=run, name="dxkb-warm", daemon=True)
        thread.start()
        return thread

    def wait_warm(self) -> None:
        """While :meth:`warm_in_background` runs, wait for it instead of loading the same annotations alongside it
        (on the HPO build the first diagnosis did so, ran out of its 10 s and slowed the warm-up down further). The
        wait ends in time for the request's own work (a third of its time limit, at most WARM_MARGIN seconds);
        when the warm-up is not done by then, WarmingUp tells the client to come back. A failed warm-up ends the
        wait: the request then loads what it needs itself and reports the store's error if there is one. On a
        remote store the warm-up loads only the indexes, whose loads are locked (a request waits for them there
        and does not load them twice), so a request does not wait for the whole warm-up."""
        if self._warmed.is_set() or not self._warming.is_set() or not self.store.prefetchable:
            return
        left = remaining_time()
        until = None if left is None else time.monotonic() + left - min(WARM_MARGIN, left / 3)
        while self._warming.is_set() and not self._warmed.is_set():
            wait = WARM_POLL if until is None else min(WARM_POLL, until - time.monotonic())
            if wait <= 0:
                raise WarmingUp("the knowledge base is still loading its indexes (the server's warm-up after "
                                "start, up to a minute on the HPO build); send the request again in a few seconds "
                                "(GET /healthz answers \"warm\": true when it is done)", retry_after=WARM_RETRY_AFTER)
            self._warmed.wait(wait)

    @property
    def warmed(self) -> bool:
        """Whether :meth:`warm` has finished: other requests are served before, diagnoses wait for it
        (:meth:`wait_warm`); /healthz reports it so that load balancers and benchmarks can wait for it."""
        return self._warmed.is_set()

    def step(self, curie: str) -> Step | None:
        return next((s for s in self.steps if s.id == curie), None)

    # ------------------------------------------------------------------ diagnosis
    def diagnose(self, observations: Iterable[Observation], limit: int = 10,
                 patient: Patient | None = None, evidence: bool = True, questions: bool = True) -> Diagnosis:
        """The engine's diagnosis, cached (bounded by size) by the canonical observation set (IDs normalised,
        de-duplicated, sorted) and the patient context (age, sex: the triage may depend on them), so that the same
        findings in another order or spelling hit the cache. Bad input raises InputError. ``evidence``: with the
        candidates' evidence, ``questions``: with the next questions (DiagnosisEngine.diagnose); a diagnosis with
        a part also answers a request without it."""
        self.wait_warm()
        checked, warnings = self.engine.checked(observations)
        check_deadline()
        context = patient_context.check(patient)
        key = (tuple(checked), limit, context)
        diagnosis = None
        for parts in dict.fromkeys([(True, True), (evidence, True), (True, questions), (evidence, questions)]):
            diagnosis = self.diagnose_cache.get((*key, *parts))
            if diagnosis is not None:
                break
        if diagnosis is None:
            diagnosis = self._diagnose_canonical(tuple(checked), limit, context, evidence, questions)
            self.diagnose_cache.put((*key, evidence, questions), diagnosis)
        if not warnings:
            return diagnosis
        # the cache is keyed by the canonical findings; what the user's spelling changed is this request's own
        return replace(diagnosis, warnings=sorted(set(warnings) | set(diagnosis.warnings)))

    def _diagnose_canonical(self, observations: tuple[Observation, ...], limit: int,
                            patient: Patient | None = None, evidence: bool = True, questions: bool = True
                            ) -> Diagnosis:
        return self.engine.diagnose(observations, limit=limit, patient=patient, evidence=evidence,
                                    questions=questions)

    # ------------------------------------------------------------------ standard formats in and out
    def diagnose_phenopacket(self, text: str | bytes, limit: int = 10, setting: Setting | None = None) -> Diagnosis:
        """The diagnosis of a GA4GH Phenopacket v2 (JSON): its observed and excluded features, age and sex
        (kb/exchange/phenopacket.py); the same as :meth:`diagnose` of those findings. ``setting``: where the patient
        is seen (a document does not say). InputError naming the field when the text is not a phenopacket."""
        from dxkb.kb.exchange import phenopacket  # the protobuf bindings load only for phenopackets

        case = phenopacket.read(text)
        return self._diagnose_document("phenopacket", case.observations, case.fields, case.warnings, limit,
                                       _in_setting(case.patient, setting))

    def diagnose_fhir(self, text: str | bytes, limit: int = 10, setting: Setting | None = None) -> Diagnosis:
        """The diagnosis of a FHIR R4 Bundle (JSON) of Observations and Conditions: LOINC results through
        loinc2hpo, HPO codes, SNOMED CT codes through xrefs (kb/exchange/fhir.py); resources that give no finding
        are listed in ``warnings`` as UNMAPPED_RESOURCE. InputError naming the field when the text is not a Bundle,
        and when no resource gives a finding."""
        from dxkb.kb.exchange import fhir  # the FHIR models load only for FHIR bundles

        case = fhir.read(text)
        check_deadline()
        observations, warnings, sources = fhir.findings(case, self.store)
        if not observations:
            reasons = "; ".join(w.message for w in warnings[:5]) or "the bundle has no entries"
            raise InputError(f"fhir: no resource of the bundle maps to a finding of this knowledge base ({reasons})")
        return self._diagnose_document("fhir", observations, sources, warnings, limit,
                                       _in_setting(case.patient, setting))

    def _diagnose_document(self, kind: str, observations: list[Observation], sources: dict[str, str],
                           warnings: list[InputWarning], limit: int, patient: Patient | None) -> Diagnosis:
        """:meth:`diagnose` of a document's findings; the warnings and errors about an ID name where in the
        document it was given (``phenotypicFeatures[3]``, ``entry[2] (Observation/hb)``)."""
        try:
            diagnosis = self.diagnose(observations, limit=limit, patient=patient)
        except InputError as error:
            given = [f"{i} at {sources[i]}" for i in error.suggestions if i in sources]
            raise InputError(f"{kind}: {error}" + (f" (given as {', '.join(given)})" if given else ""),
                             suggestions=error.suggestions) from None
        located = [replace(w, message=f"{sources[w.id]}: {w.message}") if w.id in sources else w
                   for w in diagnosis.warnings]
        return replace(diagnosis, warnings=sorted(set(located) | set(warnings)))

    def phenopacket_json(self, diagnosis: Diagnosis, packet: str | bytes | None = None) -> dict[str, Any]:
        """The diagnosis as a GA4GH Phenopacket v2 (JSON-ready): ``packet`` (the input phenopacket's text, if it
        came from one) with one Interpretation per candidate; metaData from the build (its time, the sources'
        releases), so the same diagnosis on the same build gives the same bytes."""
        from dxkb.kb.exchange import phenopacket

        given = phenopacket.parse(packet) if packet is not None else None
        labels = {o.finding: entry.label for o in diagnosis.observations
                  if (entry := self.findings.get(o.finding)) is not None}
        created, versions = self._build_versions
        return phenopacket.write(diagnosis, packet=given, labels=labels, created=created, versions=versions)

    @cached_property
    def _build_versions(self) -> tuple[datetime | None, dict[str, str]]:
        """The build's time and each imported source's release (queries/build_versions.rq)."""
        created: datetime | None = None
        versions: dict[str, str] = {}
        for row in sparql.select(self.store, "build_versions"):
            if row["created"] is not None and created is None:
                value = row["created"]
                created = value if isinstance(value, datetime) else _datetime(str(value))
            if row["source"] is not None and row["version"] is not None:
                versions.setdefault(str(row["source"]).rsplit("/", 1)[-1], str(row["version"]))
        return created, versions

    # ------------------------------------------------------------------ batched look-ups (one query per batch)
    def disease_details(self, curies: Sequence[str]) -> dict[str, DiseaseDetails]:
        rows = self._select("disease_details", "disease", curies)
        categories = self.engine.categories.most_specific(r["disease"] for r in rows)
        return {to_curie(r["disease"]): DiseaseDetails(
            definition=r["definition"], prior=_float(r["prior"]), prior_source=r["priorSource"],
            cause_category=categories.get(r["disease"])) for r in rows}

    def disease_findings(self, curies: Sequence[str]) -> dict[str, list[DiseaseFindingLink]]:
        links: dict[str, dict[tuple[str, bool], DiseaseFindingLink]] = defaultdict(dict)
        for r in self._select("disease_findings", "disease", curies):
            link = DiseaseFindingLink(to_curie(r["finding"]), _float(r["frequency"]), bool(r["negated"]), r["source"])
            links[to_curie(r["disease"])].setdefault((link.finding, link.negated), link)  # one per finding and sign
        return {d: sorted(by_key.values(), key=lambda k: (k.negated, -(k.frequency or 0.0), k.finding))
                for d, by_key in links.items()}

    def disease_parents(self, curies: Sequence[str]) -> dict[str, list[str]]:
        parents: dict[str, list[str]] = defaultdict(list)
        for r in self._select("disease_parents", "disease", curies):
            parents[to_curie(r["disease"])].append(to_curie(r["parent"]))
        return dict(parents)

    def finding_details(self, curies: Sequence[str]) -> dict[str, FindingDetails]:
        return {to_curie(r["finding"]): FindingDetails(definition=r["definition"], is_red_flag=bool(r["isRedFlag"]))
                for r in self._select("finding_details", "finding", curies)}

    def xrefs(self, curies: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for r in self._select("term_xrefs", "term", curies):
            found[to_curie(r["term"])].append(str(r["xref"]))
        return dict(found)

    def _select(self, query: str, variable: str, curies: Sequence[str]) -> list[dict]:
        """Run a query whose one parameter is a VALUES block of IRIs; IDs that are not CURIEs simply find nothing."""
        iris = []
        for curie in dict.fromkeys(curies):
            try:
                iris.append((to_iri(curie),))
            except InvalidCurie:
                continue
        if not iris:
            return []
        check_deadline()
        return sparql.select(self.store, query, values={(variable,): iris})

    # ------------------------------------------------------------------ store, for the doors
    @property
    def public_location(self) -> str:
        return self.store.public_location

    @property
    def store_kind(self) -> str:
        return self.store.kind

    @property
    def build_id(self) -> str | None:
        return self.store.build_id

    def health(self) -> bool:
        """Whether the store answers the health query with a row (QueryError/StoreError when it does not answer,
        StoreCorrupted when a query has met damaged files since the store opened)."""
        if self.store.damage:
            raise StoreCorrupted(self.store.damage)
        return bool(sparql.select(self.store, "health"))

    def query(self, text: str) -> Result:
        """Any SPARQL query text on this store (the CLI's `dxkb query`)."""
        return self.store.query(text)

    def sparql_target(self) -> "SparqlTarget":
        """Where the SPARQL door runs researchers' queries: worker processes over the pinned database, a thread
        over the in-process store, or a pass-through to the remote endpoint over the shared HTTP client."""
        database, native = self.store.database, self.store.native
        if database is not None:
            return SparqlTarget(database=database)
        if native is not None:
            return SparqlTarget(native=native)
        endpoint = getattr(self.store, "endpoint", None)
        client = getattr(self.store, "client", None)
        if endpoint is None or client is None:
            raise StoreError(f"the {self.store.kind} store offers no way to run SPARQL queries")
        return SparqlTarget(endpoint=endpoint, client=client)


@dataclass(frozen=True)
class SparqlTarget:
    """Exactly one of: a database folder (worker processes), an in-process store (thread), a remote endpoint."""

    database: Path | None = None
    native: ox.Store | None = None
    endpoint: str | None = None
    client: SparqlClient | None = None


def check_store(settings: Settings) -> str | None:
    """Open the configured store once and close it: a damaged or missing store fails here with one line
    (StoreError), before `dxkb serve` starts any process. The build id it found, if any."""
    store = open_store(settings)
    try:
        return store.build_id
    finally:
        store.close()


def open_store_at(location: str, *, timeout: float | None = None) -> Store:
    """A store at a location with otherwise default settings (benchmarks, tests, notebooks)."""
    settings = Settings.from_env(store=location, store_timeout=timeout)
    return open_store(settings)


def open_store(settings: Settings) -> Store:
    """The configured store; ``memory:`` is filled by the build pipeline (curated sources only)."""
    return registry.open_store(settings.store, user=settings.store_user, password=settings.store_password,
                               timeout=settings.store_timeout, populate=_populate_memory, build=settings.build)


def _populate_memory(store: ox.Store) -> None:
    from dxkb.kb.build.pipeline import populate  # only memory: stores need the build (HermiT, SHACL)

    populate(store)


# ---------------------------------------------------------------------------------------------------- commands

def build(settings: Settings, *, without: Sequence[str] = (), extra_modules: Sequence[Path] = (),
          progress: bool = True) -> "BuildReport":
    """`dxkb build`: the configured sources into the configured store folder."""
    from dxkb.kb.build.pipeline import build as run_build

    location = registry.parse(settings.store)
    if not location.is_folder:
        raise DxkbError(f"dxkb build writes an embedded store folder, not {location.target!r} (see `dxkb push`)")
    unknown = [w for w in without if w not in settings.build_modules]
    if unknown:
        raise DxkbError(f"--without {', '.join(unknown)}: not a source of this build "
                        f"(sources: {', '.join(settings.build_modules) or 'none'})")
    from dxkb.kb.build.importers import requirements_met

    include = requirements_met(tuple(m for m in settings.build_modules if m not in without))
    return run_build(location.target, include=include, extra_modules=list(extra_modules), progress=progress,
                     source_dir=settings.source_dir)


def download_sources(folder: str | Path) -> list[str]:
    """`dxkb build --download`: fetch the public releases from their official locations into ``folder``."""
    from dxkb.kb.build.download import download_all

    return download_all(Path(folder))


def needs_build(settings: Settings) -> bool:
    """Whether the configured store is a folder without a finished build (`dxkb serve` builds it first)."""
    from dxkb.kb.store.folder import is_built

    location = registry.parse(settings.store)
    return location.is_folder and not is_built(location.target)


def export(settings: Settings, target: Path, fmt: str = "nt") -> int:
    from dxkb.kb.build.publish import export as run_export

    return run_export(settings.store, target, fmt)


def push(settings: Settings, *, graph_store: str, update: str, query: str, graph: str) -> "PushReport":
    from dxkb.kb.build.publish import push as run_push

    return run_push(settings.store, graph_store=graph_store, update=update, query=query, graph=graph,
                    user=settings.store_user, password=settings.store_password)


def query_text(name: str) -> str:
    """The text of ``queries/<name>.rq`` (the SPARQL door runs some of them for researchers, e.g. VoID)."""
    return sparql.load(name)


def canonical_id(curie: str) -> str | None:
    """The canonical CURIE (prefix case fixed), or None when the text is not a CURIE of a known prefix."""
    try:
        return to_curie(str(to_iri(curie)))
    except InvalidCurie:
        return None


def _float(value: object) -> float | None:
    return float(value) if value is not None else None


def _datetime(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


if TYPE_CHECKING:
    from dxkb.kb.build.pipeline import BuildReport
    from dxkb.kb.build.publish import PushReport

__all__ = ["deadline", "check_deadline", "check_store", "KnowledgeBase", "DiseaseDetails", "DiseaseFindingLink", "FindingDetails", "SparqlTarget", "open_store", "open_store_at",
           "build", "needs_build", "canonical_id", "query_text", "export", "push", "Candidate", "Diagnosis", "Entry", "Evidence", "LabelIndex",
           "Match", "NextStep", "to_python", "Observation", "Recommendation", "RedFlag", "Status", "Step",
           "Coverage", "Patient", "Setting", "Sex", "Triage", "TriageLevel", "TriageReason"]
