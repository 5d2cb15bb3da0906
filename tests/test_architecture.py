"""The structure rules of ARCHITECTURE.md, checked: one installed namespace, layers that only point down (the
import-linter contracts in pyproject.toml), no import circles, and the same output whatever the hash seed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("dxkb.kb", "dxkb.api", include_external_packages=True)


def test_the_import_contracts_hold() -> None:
    linter = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    result = subprocess.run([linter, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), i.e. import circles."""
    modules = sorted(m for m in graph.modules if m.startswith("dxkb."))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(module: str) -> None:
        nonlocal counter
        index[module] = low[module] = counter
        counter += 1
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph.find_modules_directly_imported_by(module)):
            if not target.startswith("dxkb."):
                continue
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_no_import_circles() -> None:
    graph = _graph()
    # A package's __init__ importing its own submodules is not a circle of concern; none of ours does.
    assert _cycles(graph) == []


def test_nothing_imports_the_folders_by_their_generic_names() -> None:
    graph = _graph()
    generic = {"kb", "api", "queries", "ontology"}
    offenders = sorted((m, t) for m in graph.modules if m.startswith("dxkb.")
                       for t in graph.find_modules_directly_imported_by(m) if t.split(".")[0] in generic)
    assert offenders == []


def test_opening_a_store_does_not_pull_in_the_build() -> None:
    code = ("import sys; from dxkb.kb.store import registry; import dxkb.kb.store.embedded, dxkb.kb.store.remote; "
            "print(sorted(m for m in sys.modules if m.startswith(('dxkb.kb.build', 'owlready2', 'pyshacl', "
            "'fastobo'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd="/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_wheel_installs_one_top_level_name(tmp_path: Path) -> None:
    # Built from a copy of the tracked files: setuptools leaves a build/ folder behind in the tree it builds.
    source = tmp_path / "source"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in tracked.splitlines():
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(source)], check=True, timeout=600, capture_output=True)
    wheel = next(tmp_path.glob("dxkb-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    tops = {name.split("/")[0] for name in names}
    assert {t for t in tops if not t.endswith((".dist-info", ".data"))} == {"dxkb"}
    for folder in ("kb", "api", "queries", "ontology"):
        assert any(n.startswith(f"dxkb/{folder}/") for n in names), folder
    assert "dxkb/queries/candidates.rq" in names and "dxkb/ontology/dxkb.ttl" in names
    assert "dxkb = dxkb.api.cli:app" in entry_points


@pytest.mark.parametrize("findings", [
    ["HP:0000988"],
    ["HP:0000988", "HP:0012378", "HP:0001824"],
])
def test_the_same_input_gives_the_same_bytes_whatever_the_hash_seed(curated_store: Path,
                                                                     findings: list[str]) -> None:
    outputs = []
    for seed in ("1", "2", "31337"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "DXKB_STORE": str(curated_store)}
        args = [sys.executable, "-m", "dxkb.api.cli", "diagnose", "--json", "--limit", "10"]
        for finding in findings:
            args += ["--present", finding]
        result = subprocess.run(args, capture_output=True, env=env, timeout=120, cwd="/")
        assert result.returncode == 0, result.stderr.decode()
        json.loads(result.stdout)
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
