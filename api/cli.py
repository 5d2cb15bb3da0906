"""The `dxkb` command: build, query, diagnose, serve. Errors are one line on stderr and a non-zero exit."""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from enum import Enum
from pathlib import Path
from typing import Callable, Optional, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from dxkb.kb.errors import DxkbError
from dxkb.kb.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="dxkb: an open diagnostic knowledge graph (decision support, not a diagnosis).")
out = Console()
err = Console(stderr=True)
T = TypeVar("T")

StoreOption = typer.Option(None, "--store", help="Store folder, memory:, or http(s) SPARQL endpoint [env DXKB_STORE]")


def _settings(**overrides: object) -> Settings:
    try:
        return Settings.from_env(**overrides)
    except ValueError as error:
        raise DxkbError(str(error)) from error


def _guard(action: Callable[[], T]) -> T:
    """Run a command body; known failures become one line and exit code 1 (130 when interrupted)."""
    try:
        return action()
    except (DxkbError, OSError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        err.print(f"[red]error:[/red] {message}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("[red]interrupted[/red]; nothing was changed")
        raise typer.Exit(130) from None


@app.command()
def build(
    store: Optional[str] = StoreOption,
    without: list[str] = typer.Option([], "--without", help="Leave out an optional source (e.g. hpo)"),
    module: list[Path] = typer.Option([], "--module", help="An extra curated module (Turtle) to include"),
    quiet: bool = typer.Option(False, "--quiet", help="No progress display"),
    source_dir: Optional[str] = typer.Option(None, "--source-dir",
                                             help="A folder with newer releases of the shipped public data "
                                                  "(maxo.obo, maxo_diagnostic_annotations.tsv, "
                                                  "loinc2hpo-annotations.tsv; plain or .gz)"),
    download: bool = typer.Option(False, "--download",
                                  help="Fetch the newest public releases from their official locations first"),
) -> None:
    """Validate (SHACL, OWL reasoner), materialise inferences and write the store atomically."""
    from dxkb.kb import service

    def body() -> None:
        settings = _settings(store=store).with_overrides(source_dir=source_dir)
        if download:
            with tempfile.TemporaryDirectory(prefix="dxkb-download-") as folder:
                for line in service.download_sources(folder):
                    err.print(line)
                report = service.build(settings.with_overrides(source_dir=folder), without=without,
                                       extra_modules=module, progress=not quiet)
        else:
            report = service.build(settings, without=without, extra_modules=module, progress=not quiet)
        err.print(f"built {report.location}: {report.triples:,} triples ({report.inferred} inferred) from {', '.join(report.sources)}")

    _guard(body)


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def query(
    file: Path = typer.Argument(..., help="A SPARQL query file (.rq)"),
    store: Optional[str] = StoreOption,
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json"),
) -> None:
    """Run any SPARQL query file through rdflib on the configured store."""
    from dxkb.kb.service import KnowledgeBase, to_python

    def body() -> None:
        if not file.is_file():
            raise DxkbError(f"query file not found: {file}")
        text = file.read_text(encoding="utf-8")
        from rdflib.plugins.sparql.parser import parseQuery

        try:
            parseQuery(text)
        except Exception as error:
            raise DxkbError(f"malformed SPARQL in {file}: {str(error).splitlines()[0]}") from error
        result = KnowledgeBase(_settings(store=store)).query(text)
        if result.type == "ASK":
            rows, columns = [{"ask": bool(result.askAnswer)}], ["ask"]
        elif result.type in ("CONSTRUCT", "DESCRIBE"):
            sys.stdout.write(result.graph.serialize(format="turtle"))
            return
        else:
            columns = [str(v) for v in result.vars]
            rows = [{c: to_python(r[i]) for i, c in enumerate(columns)} for r in result]
        _print_rows(rows, columns, fmt)

    _guard(body)


def _print_rows(rows: list[dict], columns: list[str], fmt: Format) -> None:
    if fmt is Format.json:
        sys.stdout.write(json.dumps(rows, default=str, indent=2) + "\n")
    elif fmt is Format.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    else:
        table = Table(*columns, show_lines=False)
        for r in rows:
            table.add_row(*("" if r[c] is None else str(r[c]) for c in columns))
        out.print(table)
        err.print(f"{len(rows)} row(s)")


@app.command()
def diagnose(
    present: list[str] = typer.Option([], "--present", "-p", help="A finding ID that is present (repeatable)"),
    absent: list[str] = typer.Option([], "--absent", "-a", help="A finding ID that is absent (repeatable)"),
    unknown: list[str] = typer.Option([], "--unknown", "-u", help="A finding asked about and not known (repeatable)"),
    limit: int = typer.Option(10, "--limit", help="How many candidates to show"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
    store: Optional[str] = StoreOption,
    age: Optional[float] = typer.Option(None, "--age", help="The patient's age in years (e.g. 0.1 for five weeks)"),
    sex: Optional[str] = typer.Option(None, "--sex", help="The patient's sex: FEMALE, MALE, OTHER or UNKNOWN"),
) -> None:
    """Rank candidate causes for the findings, triage them and propose the next diagnostic steps."""
    from dxkb.api.report import diagnosis_json, print_diagnosis
    from dxkb.kb.service import KnowledgeBase, Observation, Patient, Status

    def body() -> None:
        kb = KnowledgeBase(_settings(store=store))
        observations = ([Observation(p, Status.PRESENT) for p in present] + [Observation(a, Status.ABSENT) for a in absent]
                        + [Observation(u, Status.UNKNOWN) for u in unknown])
        patient = Patient(age_years=age, sex=sex) if age is not None or sex is not None else None  # type: ignore[arg-type]
        result = kb.diagnose(observations, limit=limit, patient=patient)
        if as_json:
            sys.stdout.write(json.dumps(diagnosis_json(result), indent=2) + "\n")
        else:
            print_diagnosis(result, out)

    _guard(body)


@app.command()
def export(
    output: Path = typer.Argument(..., help="File to write"),
    fmt: str = typer.Option("nt", "--format", help="nt (N-Triples) or ttl (Turtle)"),
    store: Optional[str] = StoreOption,
) -> None:
    """Write the built graph for a SPARQL server's bulk loader."""
    from dxkb.kb import service

    def body() -> None:
        count = service.export(_settings(store=store), output, fmt)
        err.print(f"wrote {count:,} triples to {output}")

    _guard(body)


@app.command()
def push(
    graph_store: str = typer.Option(..., "--graph-store", help="SPARQL 1.1 Graph Store Protocol URL of the server"),
    update: str = typer.Option(..., "--update", help="SPARQL 1.1 Update URL of the server"),
    query_url: str = typer.Option(..., "--query", help="SPARQL 1.1 query URL of the server"),
    graph: str = typer.Option("https://w3id.org/dxkb/graph", "--graph", help="Named graph to replace"),
    store: Optional[str] = StoreOption,
) -> None:
    """Load the built graph into a SPARQL server's named graph, replacing the old one only when complete.
    Credentials come from DXKB_STORE_USER / DXKB_STORE_PASSWORD."""
    from dxkb.kb import service

    def body() -> None:
        report = service.push(_settings(store=store), graph_store=graph_store, update=update, query=query_url,
                              graph=graph)
        err.print(f"pushed {report.triples:,} triples into <{report.graph}> at {report.server}")

    _guard(body)


@app.command()
def serve(
    store: Optional[str] = StoreOption,
    host: Optional[str] = typer.Option(None, "--host", help="Bind address [env DXKB_HOST, default 127.0.0.1]"),
    port: Optional[int] = typer.Option(None, "--port", help="Port [env DXKB_PORT, default 8000]"),
    workers: Optional[int] = typer.Option(None, "--workers", help="uvicorn worker processes [env DXKB_WORKERS]"),
) -> None:
    """Serve /graphql, /sparql and /healthz with uvicorn; builds the embedded store first if it is missing."""
    from dxkb.kb import service

    def body() -> None:
        settings = _settings(store=store, host=host, port=port, workers=workers)
        if service.needs_build(settings):
            err.print(f"no knowledge base at {settings.store}: building it first")
            service.build(settings, progress=True)
        from dxkb.api.server import run

        run(settings)

    _guard(body)


if __name__ == "__main__":  # pragma: no cover
    app()
