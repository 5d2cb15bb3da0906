"""The cost model of a GraphQL request: an estimate, before anything runs, of the work its answer takes.

The depth, alias and token limits bound the size of a document, not its work: ``diseases(first: 100)`` with
every disease's findings and their definitions is 40 tokens and thousands of look-ups. The cost counts units of
work instead (one unit ~ one object looked up, built and serialised; README "Bounded requests" has the measured
time per unit):

- a field that needs the store or the engine costs ``FIELD_COSTS`` (a per-field table; fields not in it cost 1
  when they return objects and 0 when they are plain values of an object already built);
- a field that returns a list multiplies everything selected below it by the list's size: ``first`` of a
  connection, ``limit`` of a diagnosis, the number of findings given to it, or an estimate of the list's usual
  size (``LIST_SIZES``, with the figure it comes from);
- a diagnosis costs more the more findings it is given (``diagnose_cost``): the engine reaches more candidates.

A request whose cost is above the maximum (``DXKB_MAX_COST``) is refused with QUERY_TOO_COMPLEX, the computed
cost and the maximum in ``extensions``, before any resolver runs. The model walks the operation being run (by
``operationName``), through fragments, with the request's variables.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from graphql import (DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLList,
                     GraphQLNonNull, GraphQLObjectType, GraphQLSchema, InlineFragmentNode, OperationDefinitionNode,
                     SelectionSetNode, get_named_type, value_from_ast_untyped)

#: Units of work of one instance of a field (beyond the objects it returns, which cost 1 each).
FIELD_COSTS: dict[tuple[str, str], float] = {
    # the label indexes are in memory: a search is a scan of ~18,000 findings or ~13,000 diseases
    ("Query", "diseases"): 5, ("Query", "findings"): 5,
    # fields that resolve through a DataLoader: one row of a batched store query each
    ("Finding", "xrefs"): 1, ("Finding", "isRedFlag"): 1, ("Finding", "definition"): 1,
    ("Disease", "definition"): 1, ("Disease", "xrefs"): 1, ("Disease", "prior"): 1, ("Disease", "causeCategory"): 1,
    # a document read into findings (JSON parsed and validated against its schema; a FHIR bundle's codes mapped in
    # one store query per vocabulary), on top of the diagnosis of the findings it gives (``document_findings``)
    ("Query", "diagnosePhenopacket"): 10, ("Query", "diagnoseFhir"): 20,
}

#: The argument holding the document of each document diagnosis, and the JSON text that starts each of the
#: document's findings: a phenotypic feature's term, a FHIR resource (the bundle itself counted too: an estimate on
#: the high side, before anything is parsed).
DOCUMENTS: dict[tuple[str, str], tuple[str, str]] = {
    ("Query", "diagnosePhenopacket"): ("phenopacket", '"type"'),
    ("Query", "diagnoseFhir"): ("bundle", '"resourceType"'),
}

#: The usual size of lists whose length the request does not say. Disease.findings: the 90th percentile of
#: annotated findings per disease on the HPO build (12,685 diseases; mean 20, median 15, p90 44, max 209; measured
#: with the query in README "Bounded requests"). The others are estimates of the curator: the curated module has
#: 5 diagnostic steps (10 leaves room for more), a step reveals 3-5 findings, a disease has 1-3 parents.
LIST_SIZES: dict[tuple[str, str], int] = {
    ("Disease", "findings"): 44,
    ("Disease", "parents"): 3,
    ("Query", "diagnosticSteps"): 10, ("Diagnosis", "nextSteps"): 10,
    ("DiagnosticStep", "reveals"): 5, ("DiagnosticStep", "requires"): 5, ("DiagnosticStep", "notIndicatedWith"): 5,
}
DEFAULT_LIST_SIZE = 10  # a list of objects not named above (fields added later): a guess, on the high side

#: Lists as long as the diagnosis's own inputs: one entry per finding given (or fewer).
PER_FINDING = {("Candidate", "supporting"), ("Candidate", "opposing"), ("Diagnosis", "redFlags"),
               ("Diagnosis", "redFlagDetails"), ("Diagnosis", "findings")}

DEFAULT_PAGE = 20  # `first` of a connection when not given (api/graphql/pagination.py)
MAX_PAGE = 100
DEFAULT_LIMIT = 10  # `limit` of a diagnosis when not given
MAX_LIMIT = 100
MAX_FINDINGS = 100


def diagnose_cost(findings: int) -> float:
    """One diagnosis: a fixed part (validation, scoring, next steps) and a part per finding (each broad finding
    reaches thousands of candidates on the HPO build). 40 per finding makes 10 aliased diagnoses of 100 broad
    findings (32 s, 3.3 GB when there was no bound) cost 40,200, one such diagnosis 4,020."""
    return 20 + 40 * max(findings, 1)


def document_findings(text: Any, marker: str) -> int:
    """How many findings a phenopacket or FHIR bundle may give, counted from its text without parsing it (the
    occurrences of ``marker``), between 1 and MAX_FINDINGS."""
    if not isinstance(text, str):
        return 1
    return max(1, min(text.count(marker), MAX_FINDINGS))


@dataclass(frozen=True)
class Scope:
    """What the fields below a list know about the request above them."""

    first: int = DEFAULT_PAGE
    limit: int = DEFAULT_LIMIT
    findings: int = 1


@dataclass(frozen=True)
class Cost:
    total: float
    maximum: int

    @property
    def too_high(self) -> bool:
        return self.total > self.maximum


class CostModel:
    """Built once per schema (from its SDL through graphql-core's public API)."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema

    def cost(self, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any] | None) -> float:
        """The cost of the operation that would run; 0 when none can be chosen (execution then reports why)."""
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is not None:
            operations = [o for o in operations if o.name is not None and o.name.value == operation_name]
        if len(operations) != 1:
            return 0.0
        operation = operations[0]
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0.0
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        walk = _Walk(self.schema, fragments, dict(variables or {}))
        return walk.selection_set(operation.selection_set, root, 1.0, Scope(), frozenset())


class _Walk:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: dict[str, Any]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection_set(self, selections: SelectionSetNode, parent: GraphQLObjectType, times: float, scope: Scope,
                      seen: frozenset[str]) -> float:
        total = 0.0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, times, scope, seen)
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    named = self.schema.get_type(selection.type_condition.name.value)
                    target = named if isinstance(named, GraphQLObjectType) else parent
                total += self.selection_set(selection.selection_set, target, times, scope, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:  # validation rejects both; never loop
                    continue
                named = self.schema.get_type(fragment.type_condition.name.value)
                target = named if isinstance(named, GraphQLObjectType) else parent
                total += self.selection_set(fragment.selection_set, target, times, scope, seen | {name})
        return total

    def field(self, node: FieldNode, parent: GraphQLObjectType, times: float, scope: Scope,
              seen: frozenset[str]) -> float:
        name = node.name.value
        if name.startswith("__"):
            return 0.0
        definition = parent.fields.get(name)
        if definition is None:
            return 0.0
        arguments = {a.name.value: value_from_ast_untyped(a.value, self.variables) for a in node.arguments or ()}
        key = (parent.name, name)
        named = get_named_type(definition.type)
        returns_objects = isinstance(named, GraphQLObjectType)
        own = FIELD_COSTS.get(key, 1.0 if returns_objects else 0.0)
        if key == ("Query", "diagnose"):
            scope = self._diagnose_scope(arguments, scope)
            own = diagnose_cost(scope.findings)
        elif key in DOCUMENTS:
            argument, marker = DOCUMENTS[key]
            scope = replace(scope, findings=document_findings(arguments.get(argument), marker),
                            limit=_bounded(arguments.get("limit", DEFAULT_LIMIT), DEFAULT_LIMIT, MAX_LIMIT))
            own += diagnose_cost(scope.findings)
        elif key in (("Query", "diseases"), ("Query", "findings")):
            scope = replace(scope, first=_bounded(arguments.get("first", DEFAULT_PAGE), DEFAULT_PAGE, MAX_PAGE))
        total = times * own
        if node.selection_set is None or not returns_objects:
            return total
        size = self._list_size(key, definition.type, scope) if _is_list(definition.type) else 1
        assert isinstance(named, GraphQLObjectType)
        return total + self.selection_set(node.selection_set, named, times * size, scope, seen)

    @staticmethod
    def _diagnose_scope(arguments: dict[str, Any], scope: Scope) -> Scope:
        data = arguments.get("input")
        if not isinstance(data, dict):
            return scope
        findings = data.get("findings")
        count = len(findings) if isinstance(findings, list) else 1
        return replace(scope, findings=max(1, min(count, MAX_FINDINGS)),
                       limit=_bounded(data.get("limit", DEFAULT_LIMIT), DEFAULT_LIMIT, MAX_LIMIT))

    @staticmethod
    def _list_size(key: tuple[str, str], _type: Any, scope: Scope) -> int:
        if key[1] == "edges" and key[0].endswith("Connection"):
            return scope.first
        if key == ("Diagnosis", "candidates"):
            return scope.limit
        if key in PER_FINDING:
            return scope.findings
        return LIST_SIZES.get(key, DEFAULT_LIST_SIZE)


def _is_list(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _bounded(value: Any, default: int, maximum: int) -> int:
    """An argument as the resolver will accept it: out-of-range values are refused there, so count them at the
    bound (the cost of a request that will fail fast must not make it look expensive)."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return max(0, min(value, maximum))
