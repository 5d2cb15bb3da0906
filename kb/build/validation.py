"""SHACL validation of the sources (pyshacl), with a report that names the offending nodes."""

from __future__ import annotations

from pyshacl import validate
from rdflib import Graph, Namespace

from dxkb.kb.errors import BuildError
from dxkb.kb.build.sources import shapes_file

SH = Namespace("http://www.w3.org/ns/shacl#")


def check_shapes(data: Graph, shapes: Graph | None = None, max_listed: int = 10) -> None:
    """Raise BuildError listing 'node: message' for each violation; return quietly when the data conforms."""
    if shapes is None:
        shapes = Graph().parse(shapes_file(), format="turtle")
    conforms, report, _text = validate(data, shacl_graph=shapes, advanced=True, inference="none",
                                       allow_warnings=True)
    if conforms:
        return
    problems = sorted({
        f"{report.value(result, SH.focusNode)}: {report.value(result, SH.resultMessage) or report.value(result, SH.sourceConstraintComponent)}"
        f"{' (' + str(report.value(result, SH.resultPath)) + ')' if report.value(result, SH.resultPath) else ''}"
        for result in report.subjects(SH.resultSeverity, SH.Violation)
    })
    shown = "; ".join(problems[:max_listed])
    more = f" (and {len(problems) - max_listed} more)" if len(problems) > max_listed else ""
    raise BuildError(f"SHACL validation failed with {len(problems)} violation(s): {shown}{more}")
