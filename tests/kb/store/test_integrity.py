"""Damaged store folders (issue 14): a one-line error at open or at the first query that meets the damage, a
memory cap for `dxkb query`, /healthz 503 with the reason - never a traceback, a 23 GB process or a 200 "ok".

Each test damages a copy of the curated store as disks and operators do: a truncated SST file, an empty CURRENT
file, zeroed blocks inside the SST files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dxkb.kb.errors import StoreCorrupted
from dxkb.kb.service import KnowledgeBase, open_store_at
from dxkb.kb.settings import Settings
from dxkb.kb.store import queries as sparql

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n"


def damaged_copy(curated_store: Path, tmp_path: Path, how: str) -> Path:
    folder = tmp_path / f"store-{how}"
    shutil.copytree(curated_store, folder, symlinks=True, ignore=shutil.ignore_patterns("pins", ".lock"))
    database = (folder / "current").resolve()
    tables = sorted(database.glob("*.sst"), key=lambda p: p.stat().st_size)
    if how == "truncated":
        with tables[-1].open("r+b") as table:
            table.truncate(500)
    elif how == "empty-current":
        (database / "CURRENT").write_bytes(b"")
    elif how == "zeroed":  # the first half of each table: data blocks (the index and footer at the end stay)
        for table in tables:
            size = table.stat().st_size
            if size > 4000:
                with table.open("r+b") as handle:
                    handle.seek(1000)
                    handle.write(b"\0" * (size // 2 - 1000))
    return folder


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dxkb.api.cli", *args], capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize("how", ["truncated", "empty-current"])
def test_damaged_files_fail_at_open_with_one_line(curated_store: Path, tmp_path: Path, how: str) -> None:
    folder = damaged_copy(curated_store, tmp_path, how)
    with pytest.raises(StoreCorrupted) as raised:
        open_store_at(str(folder))
    message = str(raised.value)
    assert "\n" not in message and "is corrupted" in message and "dxkb build" in message


@pytest.mark.parametrize("how", ["truncated", "empty-current"])
def test_the_cli_says_so_in_one_line(curated_store: Path, tmp_path: Path, how: str) -> None:
    folder = damaged_copy(curated_store, tmp_path, how)
    query = tmp_path / "count.rq"
    query.write_text(COUNT, encoding="utf-8")
    for args in (["query", str(query)], ["diagnose", "-p", "HP:0000988"], ["serve", "--port", "1"]):
        result = run_cli(*args, "--store", str(folder))
        assert result.returncode == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines[0].startswith("error:") and "corrupted" in result.stderr, (args, result.stderr)


def test_zeroed_blocks_fail_at_open_with_one_line(curated_store: Path, tmp_path: Path) -> None:
    folder = damaged_copy(curated_store, tmp_path, "zeroed")
    result = run_cli("diagnose", "-p", "HP:0000988", "--store", str(folder))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr  # one line
    # RocksDB either reports the bad checksum or, reading garbage as sizes, allocates until the cap stops it
    assert result.stderr.startswith("error:") and ("corrupted" in result.stderr or "out of memory" in result.stderr)


def test_a_cli_query_stops_at_the_memory_cap_with_one_line(curated_store: Path, tmp_path: Path) -> None:
    """Zeroed blocks once made `dxkb query` grow to 23 GB until the kernel killed it. Whatever makes a query
    allocate without end - here a cross product sorted in memory - now ends at DXKB_SPARQL_MEMORY_MB with one
    line (the engine's own abort message is not shown) and exit code 1."""
    query = tmp_path / "explosive.rq"
    query.write_text("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g\n", encoding="utf-8")
    env = {**os.environ, "DXKB_SPARQL_MEMORY_MB": "1024"}
    result = subprocess.run([sys.executable, "-m", "dxkb.api.cli", "query", str(query), "--store",
                             str(curated_store)], capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr  # one line
    assert result.stderr.startswith("error: out of memory") and "1024 MB" in result.stderr


def test_healthz_is_503_with_the_reason_once_a_query_met_damage(curated_store: Path, tmp_path: Path) -> None:
    """Damage the probe at open did not read (zeroed blocks elsewhere) shows up at the first query that reads it:
    from then on /healthz answers 503 with the reason, not 200 "ok" while every request fails. The damage is a
    real StoreCorrupted from a damaged copy (a truncated one: zeroed blocks may make the engine allocate
    without end, which only a capped process survives), recorded on the served store as a failing query records it (a
    server cannot be made to read damaged blocks on cue: the curated store fits in RocksDB's block cache)."""
    from starlette.testclient import TestClient

    from dxkb.api.app import create_app

    damaged = damaged_copy(curated_store, tmp_path, "truncated")  # never open zeroed blocks uncapped in-process
    with pytest.raises(StoreCorrupted) as raised:
        open_store_at(str(damaged))
    kb = KnowledgeBase(Settings.from_env(store=str(curated_store)))
    client = TestClient(create_app(kb.settings, kb))
    assert client.get("/healthz").status_code == 200
    kb.store._failed(raised.value.__cause__)  # what InProcessStore.rows does with the engine's error
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["status"] == "unavailable"
    assert "corrupted" in health.json()["error"]


def test_an_intact_store_passes_the_probe(curated_store: Path) -> None:
    store = open_store_at(str(curated_store))
    assert sparql.select(store, "integrity")[0]["n"] >= 3
