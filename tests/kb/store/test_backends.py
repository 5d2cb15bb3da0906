"""Scale-out: the same knowledge base and the same answers on the embedded store, Oxigraph server and Virtuoso."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from dxkb.kb.store import queries as sparql
from dxkb.kb.engine.diagnosis import DiagnosisEngine
from dxkb.kb.engine.types import Observation, Recommendation, Status
from dxkb.kb.build.publish import PublishError, push
from dxkb.kb.errors import QueryError, StoreUnavailable as RemoteStoreUnavailable
from dxkb.kb.service import open_store_at as open_graph
from tests.support.remote import GRAPH, start_oxigraph
from tests.support.vignettes import CASES, LEUKEMIA


def diagnose(engine: DiagnosisEngine, case: str):
    present, absent = CASES[case]
    return engine.diagnose([Observation(f, Status.PRESENT) for f in present] +
                           [Observation(f, Status.ABSENT) for f in absent], limit=20)


@pytest.fixture(scope="module")
def embedded_engine(curated_store: Path) -> DiagnosisEngine:
    return DiagnosisEngine(open_graph(str(curated_store)))


@pytest.mark.parametrize("case", list(CASES))
def test_every_backend_gives_the_embedded_answer(store_location: str, embedded_engine: DiagnosisEngine, case: str) -> None:
    engine = DiagnosisEngine(open_graph(store_location))
    got, want = diagnose(engine, case), diagnose(embedded_engine, case)
    assert [c.disease for c in got.candidates] == [c.disease for c in want.candidates]
    assert [c.probability for c in got.candidates] == pytest.approx([c.probability for c in want.candidates], rel=1e-9)
    assert [n.step.id for n in got.next_steps] == [n.step.id for n in want.next_steps]
    assert [f.finding for f in got.red_flags] == [f.finding for f in want.red_flags]
    assert got.recommendation == want.recommendation
    assert got.triage == want.triage and got.coverage == want.coverage
    assert got.other_causes_probability == pytest.approx(want.other_causes_probability, rel=1e-9)


def test_vignettes_hold_on_every_backend(store_location: str) -> None:
    engine = DiagnosisEngine(open_graph(store_location))
    alone, flagged = diagnose(engine, "rash alone"), diagnose(engine, "red flags")
    p = {c.disease: c.probability for c in alone.candidates}
    q = {c.disease: c.probability for c in flagged.candidates}
    assert p[LEUKEMIA] < 0.001 and alone.recommendation is Recommendation.ANSWER_QUESTIONS
    assert diagnose(engine, "red flags absent").recommendation is Recommendation.WATCHFUL_WAITING
    assert q[LEUKEMIA] > 100 * p[LEUKEMIA] and flagged.next_steps[0].step.id == "DXKB:0000203"
    assert diagnose(engine, "suspicious blood count").next_steps[0].step.id == "DXKB:0000204"


def test_every_query_file_runs_on_every_backend(store_location: str) -> None:
    graph = open_graph(store_location)
    for name in ("finding_index", "disease_index", "diagnostic_steps", "test_kinds", "step_yields", "step_preconditions"):
        assert sparql.select(graph, name), f"{name} returned no rows on {store_location}"


def test_stopped_server_gives_a_clear_error_naming_the_endpoint(curated_export: Path, tmp_path: Path) -> None:
    server = start_oxigraph(tmp_path, curated_export)
    engine = DiagnosisEngine(open_graph(server.query_url, timeout=3))
    assert diagnose(engine, "rash alone").candidates
    server.stop()
    with pytest.raises(QueryError) as info:
        diagnose(engine, "red flags")
    assert isinstance(info.value.__cause__, QueryError) or isinstance(info.value.__cause__, RemoteStoreUnavailable)
    assert server.query_url in str(info.value) and "unreachable" in str(info.value)


def test_credentials_never_appear_in_errors(tmp_path: Path) -> None:
    from dxkb.kb.store.client import SparqlClient

    client = SparqlClient(user="alice", password="s3cret", timeout=1)
    with pytest.raises(RemoteStoreUnavailable) as info:
        client.query("http://alice:s3cret@127.0.0.1:9/sparql", "ASK {}")
    assert "s3cret" not in str(info.value) and "alice" not in str(info.value)


def test_push_replaces_the_graph_only_when_complete(curated_store: Path, tmp_path: Path) -> None:
    server = start_oxigraph(tmp_path, None, read_only=False)
    try:
        endpoints = dict(graph_store=server.graph_store_url, update=server.update_url, query=server.query_url)
        report = push(str(curated_store), graph=GRAPH, **endpoints)
        assert report.triples > 1000
        engine = DiagnosisEngine(open_graph(server.query_url))
        assert diagnose(engine, "red flags").next_steps[0].step.id == "DXKB:0000203"
        count = httpx.post(server.query_url, data={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"},
                           headers={"Accept": "application/sparql-results+json"}).json()
        assert int(count["results"]["bindings"][0]["n"]["value"]) == report.triples
        with pytest.raises(PublishError, match="could not replace the graph"):
            push(str(curated_store), graph=GRAPH, graph_store=server.graph_store_url,
                 update=server.query_url.replace("/query", "/no-such-update"), query=server.query_url)
        assert diagnose(engine, "red flags").next_steps[0].step.id == "DXKB:0000203"  # the old graph still serves
    finally:
        server.stop()
