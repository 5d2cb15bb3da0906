"""Evaluate one query against a pyoxigraph store and serialise the whole answer: the unit of work of a worker.

Everything here runs where the store is - in a worker process for the embedded store, in a thread for the
in-memory one - so the HTTP side only ever moves finished bytes. The answer is complete (up to the row cap)
before a single byte is sent, which is what lets a timeout become an error status instead of a cut-off 200.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Iterable

import pyoxigraph as ox

from dxkb.api.sparql import results
from dxkb.api.sparql.screening import Refusal, explain_syntax_error, screen


@dataclass(frozen=True)
class Job:
    """What a worker needs to answer a query; plain data, so it crosses the process boundary as a pickle."""

    query: str
    results_format: str | None  # format names (see formats.py); None = the client accepts none of the family
    graph_format: str | None
    max_rows: int
    allow_service: bool = False
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    prefixes: tuple[tuple[str, str], ...] = ()  # predefined PREFIX declarations


@dataclass(frozen=True)
class Outcome:
    """A finished HTTP answer: a status, a body and what it is."""

    status: int
    body: bytes
    format: str | None = None  # a format name for successes, None for errors (text/plain)
    truncated: bool = False
    rows: int | None = None
    limit: int | None = None
    worker_rss_kb: int | None = None  # set by worker processes so the pool can recycle bloated ones
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, status: int, message: str) -> "Outcome":
        return cls(status, message.encode("utf-8"))

    @classmethod
    def refused(cls, refusal: Refusal) -> "Outcome":
        return cls.error(refusal.status, refusal.message)


def _not_acceptable(form: str, family: str) -> Outcome:
    from dxkb.api.sparql.formats import GRAPH_FORMATS, RESULT_FORMATS, supported_media_types

    formats = RESULT_FORMATS if family == "results" else GRAPH_FORMATS
    return Outcome.error(406, f"a {form} result cannot be sent in the requested format; this endpoint offers "
                              f"{supported_media_types(formats)} (Accept header or ?format="
                              f"{'|'.join(f.name for f in formats)})")


#: rdflib's SPARQLStore sends its default graph's name as default-graph-uri; it means the store's default graph.
DEFAULT_GRAPH_NAMES = frozenset({"urn:x-rdflib:default"})


def _graphs(iris: tuple[str, ...]) -> list[ox.NamedNode | ox.DefaultGraph] | None:
    if not iris:
        return None
    return [ox.DefaultGraph() if iri in DEFAULT_GRAPH_NAMES else ox.NamedNode(iri) for iri in iris]


def execute(store: ox.Store, job: Job) -> Outcome:
    """Screen, evaluate and serialise; never raises (a failure is an Outcome with an error status)."""
    refusal = screen(job.query, allow_service=job.allow_service)
    if refusal:
        return Outcome.refused(refusal)
    try:
        answer = store.query(job.query, prefixes=dict(job.prefixes) or None,
                             default_graph=_graphs(job.default_graphs),
                             named_graphs=_graphs(tuple(g for g in job.named_graphs if g not in DEFAULT_GRAPH_NAMES)))
        if isinstance(answer, ox.QueryBoolean):
            return answer_ask(bool(answer), job)
        if isinstance(answer, ox.QuerySolutions):
            return answer_select(answer, job)
        return answer_graph(answer, job)
    except SyntaxError as error:
        return Outcome.refused(explain_syntax_error(job.query, str(error), (name for name, _ in job.prefixes)))
    except (OSError, RuntimeError, ValueError, TypeError) as error:
        text = " ".join(str(error).split())
        if "Corruption" in text:  # RocksDB found damaged files: the store's fault, not the query's
            return Outcome.error(503, f"the store is corrupted ({text[:300]}); the operator must rebuild it")
        return Outcome.error(500, f"query evaluation failed: {text[:2000]}")
    except MemoryError:
        return Outcome.error(503, "query evaluation ran out of memory; narrow the query (add LIMIT, filters)")


def answer_ask(answer: bool, job: Job) -> Outcome:
    """An ASK answer in the job's format (also for the remote pass-through, engines.py)."""
    if job.results_format is None:
        return _not_acceptable("ASK", "results")
    # An ASK answer is one boolean and is never cut; the markers say so, as on every other result.
    return Outcome(200, results.ASK_WRITERS[job.results_format](answer), job.results_format, truncated=False, rows=1,
                   limit=job.max_rows)


def answer_select(solutions: ox.QuerySolutions, job: Job) -> Outcome:
    """SELECT solutions cut at the job's cap, in its format."""
    if job.results_format is None:
        return _not_acceptable("SELECT", "results")
    variables = [v.value for v in solutions.variables]
    rows = [list(solution) for solution in itertools.islice(solutions, job.max_rows + 1)]
    truncated = len(rows) > job.max_rows
    table = results.Table(variables, rows[:job.max_rows], truncated, job.max_rows)
    body = results.SELECT_WRITERS[job.results_format](table)
    return Outcome(200, body, job.results_format, truncated, len(table.rows), job.max_rows)


def answer_graph(triples: Iterable[ox.Triple], job: Job) -> Outcome:
    """CONSTRUCT/DESCRIBE triples cut at the job's cap, in its format."""
    if job.graph_format is None:
        return _not_acceptable("CONSTRUCT or DESCRIBE", "graph")
    kept = list(itertools.islice(triples, job.max_rows + 1))
    truncated = len(kept) > job.max_rows
    kept = kept[:job.max_rows]
    body = results.graph(kept, job.graph_format, dict(job.prefixes), truncated, job.max_rows)
    return Outcome(200, body, job.graph_format, truncated, len(kept), job.max_rows)


def resident_kb() -> int | None:
    """This process's resident memory (Linux), so a worker can report growth without psutil."""
    try:
        with open(f"/proc/{os.getpid()}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None
