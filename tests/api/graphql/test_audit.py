"""GraphQL over HTTP conformance: the audit of the npm package graphql-http against the real server.

Needs Node (>= 18) and the packages pinned in package-lock.json (`npm ci` at the repository root; this test runs it
when they are missing). Missing Node fails the test with a message: .ci/run installs it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.servers import LiveServer

ROOT = Path(__file__).resolve().parents[3]  # tests/api/graphql/ -> the repository
AUDIT = ROOT / "tests" / "js" / "audit.mjs"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is not installed: the GraphQL-over-HTTP audit runs graphql-http's auditServer under "
                    "Node >= 18 (install nodejs and npm; .ci/run does)")
    if not (ROOT / "node_modules" / "graphql-http").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is not installed, so the pinned graphql-http package cannot be installed (`npm ci`)")
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        if done.returncode != 0:
            pytest.fail(f"`npm ci` failed (installs graphql-http from package-lock.json):\n{done.stderr[-2000:]}")
    return node


def test_graphql_http_audit_passes_without_warnings(live_server: LiveServer) -> None:
    node = _node()
    done = subprocess.run([node, str(AUDIT), live_server.graphql_url, "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode in (0, 1), f"the audit could not run:\n{done.stderr}"
    report = json.loads(done.stdout)
    failed = [r for r in report["results"] if r["status"] != "ok"]
    assert not failed, json.dumps(failed, indent=2)
    assert done.returncode == 0
    assert report["counts"] == {"ok": len(report["results"]), "warn": 0, "error": 0}
    assert len(report["results"]) >= 60  # graphql-http 1.23.1 runs 61 audits; fewer would mean it ran partly
