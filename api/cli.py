"""The `dxkb` command: build, query, diagnose, serve. Errors are one line on stderr and a non-zero exit."""

from __future__ import annotations

import csv
import json
import os
import resource
import signal
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
    except MemoryError:
        err.print("[red]error:[/red] out of memory: the command needed more than its memory cap "
                  "(DXKB_SPARQL_MEMORY_MB, 0 = none); narrow the query", highlight=False)
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

    def body() -> None:
        if not file.is_file():
            raise DxkbError(f"query file not found: {file}")
        settings = _settings(store=store)
        text = _query_text(file, settings)
        _capped(lambda: _run_query(file, text, settings, fmt), settings.sparql_memory_mb)

    _guard(body)


def _run_query(file: Path, text: str, settings: Settings, fmt: Format) -> None:
    """The body of `dxkb query` (in the memory-capped child)."""
    from rdflib.plugins.sparql.parser import parseQuery

    from dxkb.kb.service import KnowledgeBase, to_python

    try:
        parseQuery(text)
    except Exception as error:
        raise DxkbError(f"malformed SPARQL in {file}: {str(error).splitlines()[0]}") from error
    result = KnowledgeBase(settings).query(text)
    if result.type == "ASK":
        rows, columns = [{"ask": bool(result.askAnswer)}], ["ask"]
    elif result.type in ("CONSTRUCT", "DESCRIBE"):
        sys.stdout.write(result.graph.serialize(format="turtle"))
        return
    else:
        columns = [str(v) for v in result.vars]
        rows = [{c: to_python(r[i]) for i, c in enumerate(columns)} for r in result]
    _print_rows(rows, columns, fmt)


def _check_store_capped(settings: Settings) -> str | None:
    """The build id of the configured store, opened and probed in a memory-capped child process."""
    from dxkb.kb import service

    if settings.sparql_memory_mb <= 0 or not hasattr(os, "fork"):
        return service.check_store(settings)
    read_end, write_end = os.pipe()

    def probe() -> None:  # in the child
        os.close(read_end)
        os.write(write_end, (service.check_store(settings) or "").encode("utf-8"))

    try:
        _capped(probe, settings.sparql_memory_mb)
    finally:
        os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        return answer.read().decode("utf-8") or None


def _query_text(file: Path, settings: Settings) -> str:
    """The query file's text, refused like the SPARQL endpoint refuses it: not UTF-8, too long or too deeply
    nested for the parsers (which crash or recurse without bound), an update, or SERVICE (unless
    DXKB_SPARQL_ALLOW_SERVICE): `dxkb query` must not be the way around the endpoint's rules."""
    from dxkb.api.sparql.screening import screen

    data = file.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DxkbError(f"{file} is not UTF-8 text (byte {error.start}: 0x{data[error.start]:02X}); save the query "
                        "as UTF-8") from None
    refusal = screen(text, allow_service=settings.sparql_allow_service)
    if refusal is not None:
        raise DxkbError(f"{file}: {refusal.message}")
    return text


#: Exit code of the capped child when Python ran out of memory (the child cannot print any more).
OUT_OF_MEMORY = 3


def _capped(action: Callable[[], None], megabytes: int) -> None:
    """Run ``action`` in a child process whose address space is capped as the server caps its SPARQL workers
    (DXKB_SPARQL_MEMORY_MB; 0 = no cap, run here). A runaway query, or a damaged store that makes the engine
    allocate without end (zeroed blocks did: 23 GB until the kernel killed it), then ends in a one-line error:
    the engine aborts the child when an allocation fails, which no exception handler in this process could
    catch."""
    if megabytes <= 0 or not hasattr(os, "fork"):
        action()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()  # the child's stderr: forwarded, unless it died of memory (Rust's noise)
    pid = os.fork()
    if pid == 0:  # the child: cap, run, report through the exit code
        code = 1
        try:
            os.close(read_end)
            os.dup2(write_end, 2)
            limit = megabytes * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
            _guard(action)
            code = 0
        except typer.Exit as stop:
            code = stop.exit_code
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except MemoryError:  # printing needs memory too: the parent says it
            code = OUT_OF_MEMORY
        except BaseException as error:  # noqa: BLE001 - the child must never return into the parent's code
            os.write(2, f"error: {type(error).__name__}: {error}\n".encode("utf-8", "replace"))
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as child_errors:
        errors = child_errors.read()
    _, status = os.waitpid(pid, 0)
    out_of_memory = (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGABRT) or (
        os.WIFEXITED(status) and os.WEXITSTATUS(status) == OUT_OF_MEMORY)
    if not out_of_memory and errors:
        sys.stderr.buffer.write(errors)
        sys.stderr.flush()
    signal_number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) not in (0, OUT_OF_MEMORY):
        raise typer.Exit(os.WEXITSTATUS(status))
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return
    if signal_number == signal.SIGINT:
        raise KeyboardInterrupt
    if signal_number == signal.SIGABRT or os.WIFEXITED(status):
        raise DxkbError(f"out of memory: the command needed more than {megabytes} MB (DXKB_SPARQL_MEMORY_MB, 0 = "
                        "no cap); narrow the query - or, if it is small, the store may be damaged (rebuild it)")
    raise DxkbError(f"the query process died (signal {signal_number})")


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
    setting: Optional[str] = typer.Option(None, "--setting", help="Where the patient is seen: PRIMARY_CARE (default) "
                                          "or RARE_DISEASE (among the catalogued rare diseases, calibrated)"),
    phenopacket: Optional[Path] = typer.Option(None, "--phenopacket", help="A GA4GH Phenopacket v2 JSON file (- for "
                                               "stdin): its observed and excluded features, age and sex"),
    fhir: Optional[Path] = typer.Option(None, "--fhir", help="A FHIR R4 Bundle JSON file (- for stdin) of Observations "
                                        "and Conditions (LOINC with an interpretation, HPO, SNOMED CT)"),
    as_phenopacket: bool = typer.Option(False, "--as-phenopacket", help="Write the result as a GA4GH Phenopacket v2 "
                                        "(JSON) with one Interpretation per candidate: the input phenopacket, or one "
                                        "made from the findings"),
) -> None:
    """Rank candidate causes for the findings, triage them and propose the next diagnostic steps. The findings come
    from --present/--absent/--unknown, or from a phenopacket (--phenopacket) or a FHIR bundle (--fhir)."""
    from dxkb.api.report import diagnosis_json, print_diagnosis
    from dxkb.kb.service import KnowledgeBase, Observation, Patient, Setting, Status

    def run() -> None:
        kb = KnowledgeBase(settings)
        packet = _document(phenopacket, "phenopacket") if phenopacket is not None else None
        where = Setting(setting.upper()) if setting is not None else None
        if packet is not None:
            result = kb.diagnose_phenopacket(packet, limit=limit, setting=where)
        elif fhir is not None:
            result = kb.diagnose_fhir(_document(fhir, "FHIR bundle"), limit=limit, setting=where)
        else:
            observations = ([Observation(p, Status.PRESENT) for p in present]
                            + [Observation(a, Status.ABSENT) for a in absent]
                            + [Observation(u, Status.UNKNOWN) for u in unknown])
            patient = (Patient(age_years=age, sex=sex, setting=where)  # type: ignore[arg-type]
                       if age is not None or sex is not None or where is not None else None)
            result = kb.diagnose(observations, limit=limit, patient=patient)
        if as_phenopacket:
            sys.stdout.write(json.dumps(kb.phenopacket_json(result, packet), indent=2) + "\n")
        elif as_json:
            sys.stdout.write(json.dumps(diagnosis_json(result), indent=2) + "\n")
        else:
            print_diagnosis(result, out)
            for warning in result.warnings:
                err.print(f"[yellow]warning:[/yellow] {warning.message}", highlight=False, soft_wrap=True)

    def body() -> None:
        nonlocal settings
        if phenopacket is not None and fhir is not None:
            raise DxkbError("--phenopacket and --fhir: give one document, not both")
        if setting is not None and setting.upper() not in {s.value for s in Setting}:
            raise DxkbError(f"--setting must be one of {', '.join(s.value for s in Setting)}, got {setting!r}")
        if (phenopacket is not None or fhir is not None) and (present or absent or unknown or age is not None
                                                              or sex is not None):
            raise DxkbError(f"--{'phenopacket' if phenopacket is not None else 'fhir'} carries the findings, age and "
                            "sex: leave out --present, --absent, --unknown, --age and --sex")
        settings = _settings(store=store)
        _capped(run, settings.sparql_memory_mb)  # a damaged store can make the engine allocate without end

    settings: Settings | None = None
    _guard(body)


def _document(path: Path, what: str) -> bytes:
    """The bytes of a document given on the command line (``-``: standard input)."""
    if str(path) == "-":
        return sys.stdin.buffer.read()
    if not path.is_file():
        raise DxkbError(f"{what} file not found: {path}")
    return path.read_bytes()


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
        # A damaged store: one line here, not a traceback per worker (in a capped child: damage can make the
        # engine allocate without end, and the server process has no cap of its own).
        build = _check_store_capped(settings)
        from dxkb.api.server import run

        run(settings, build=build)

    _guard(body)


if __name__ == "__main__":  # pragma: no cover
    app()
