"""Builds never mix (issue 14): a build keeps every build a living process serves (pin files) and the newest
KEEP_BUILDS, and deletes the rest; a server keeps answering from the build it opened, also from SPARQL workers
started after a rebuild."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from dxkb.kb.build.pipeline import build
from dxkb.kb.service import open_store_at
from dxkb.kb.store import folder as layout
from dxkb.kb.store import queries as sparql
from tests.support.sparql import start_server, stop_server

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
JSON = "application/sparql-results+json"


def fake_builds(root: Path, names: list[str]) -> None:
    for name in names:
        (root / layout.BUILDS / name).mkdir(parents=True)
    layout.swap_current(root, root / layout.BUILDS / names[-1])


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_remove_stale_keeps_live_pinned_and_newest(tmp_path: Path) -> None:
    names = ["20260101T000000-a", "20260102T000000-b", "20260103T000000-c", "20260104T000000-d"]
    fake_builds(tmp_path, names)
    (tmp_path / layout.BUILDS / "20260105T000000-e.building").mkdir()
    (tmp_path / layout.PINS).mkdir()
    (tmp_path / layout.PINS / f"{names[0]}.{os.getpid()}").write_text("")  # this process serves build a
    (tmp_path / layout.PINS / f"{names[1]}.{dead_pid()}").write_text("")  # a server that is gone served b
    removed = layout.remove_stale(tmp_path, keep=2)
    assert removed == [names[1], "20260105T000000-e.building"]
    assert sorted(p.name for p in (tmp_path / layout.BUILDS).iterdir()) == [names[0], names[2], names[3]]
    assert [p.name for p in (tmp_path / layout.PINS).iterdir()] == [f"{names[0]}.{os.getpid()}"]


def test_a_rebuild_keeps_the_build_an_open_store_serves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout, "KEEP_BUILDS", 1)  # only the pin protects the old build
    folder = tmp_path / "store"
    build(folder, progress=False)
    store = open_store_at(str(folder))
    before = store.rows(COUNT)[0]["n"]
    old = store.database
    extra = tmp_path / "extra.ttl"
    extra.write_text("@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                     "<https://w3id.org/dxkb/DXKB_0000102> rdfs:comment \"extra\" .\n", encoding="utf-8")
    build(folder, progress=False, extra_modules=[extra])
    assert layout.current_build(folder) != old and old.is_dir()
    assert store.rows(COUNT)[0]["n"] == before
    assert open_store_at(str(folder)).rows(COUNT)[0]["n"] > before  # a new process sees the new build
    store.close()
    build(folder, progress=False)
    assert not old.exists()  # no one serves it any more


def test_a_server_keeps_its_build_across_a_rebuild_and_new_workers(tmp_path: Path, curated_store: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout, "KEEP_BUILDS", 1)
    folder = tmp_path / "store"
    build(folder, progress=False)
    server = start_server(str(folder), tmp_path / "server.log", sparql_timeout="1", sparql_workers="1")
    try:
        first = httpx.get(f"{server.base}/healthz").json()["build"]
        def count() -> int:
            deadline = time.monotonic() + 30
            while True:  # a killed worker's replacement needs a moment to start: 503 + Retry-After meanwhile
                response = httpx.post(server.sparql, data={"query": COUNT}, headers={"Accept": JSON}, timeout=30)
                if response.status_code != 503 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert response.status_code == 200, response.text
            return int(response.json()["results"]["bindings"][0]["n"]["value"])

        before = count()
        extra = tmp_path / "extra.ttl"
        extra.write_text("@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                         "<https://w3id.org/dxkb/DXKB_0000102> rdfs:comment \"extra\" .\n", encoding="utf-8")
        build(folder, progress=False, extra_modules=[extra])
        endless = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g"
        assert httpx.post(server.sparql, data={"query": endless}, timeout=30).status_code == 504  # worker killed
        time.sleep(0.5)
        assert count() == before  # the replacement worker opened the pinned build, not the new `current`
        assert httpx.get(f"{server.base}/healthz").json()["build"] == first
        assert (folder / layout.BUILDS / first).is_dir()
        assert len(sparql.select(open_store_at(str(folder)), "finding_index")) > 5
    finally:
        stop_server(server)
