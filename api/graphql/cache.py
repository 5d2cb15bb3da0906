"""The GraphQL response cache: finished data of repeated diagnose operations, kept on the event loop (only the
event loop touches it: no lock).

The store is read-only while the server runs, so an entry never goes stale; only error-free results are kept (bad
input is re-checked, and explained, every time). The diagnosis itself is cached once, in the service, by the
canonical finding set; this cache only spares re-executing and re-serialising an identical request.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator
from typing import Hashable

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.language import FieldNode, OperationDefinitionNode, OperationType
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext


#: Entries kept (least recently used dropped first). A diagnose answer of the curated KB is ~20 kB.
SIZE = 512


class ResultCache:
    """Finished ``data`` of diagnose operations by (document, operation name, variables).

    A diagnose answer is a pure function of its request and the read-only store, and frontends repeat the same
    request; a hit skips execution entirely (parse and validation are cached by Strawberry, and still enforce
    the limits). Only error-free results are kept, only for operations whose root fields are all ``diagnose``
    (other fields are cheap, and their answers can be large pages).
    """

    CACHEABLE_ROOT_FIELDS = frozenset({"diagnose", "__typename"})

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, dict] = OrderedDict()

    def get(self, key: Hashable) -> dict | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: Hashable, data: dict) -> None:
        self._entries[key] = data
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


def _cacheable(context: ExecutionContext) -> bool:
    document = context.graphql_document
    if document is None:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if context.operation_name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == context.operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return False
    selections = operations[0].selection_set.selections
    names = {s.name.value for s in selections if isinstance(s, FieldNode) and not s.directives}
    return len(names) == len(selections) and "diagnose" in names and names <= ResultCache.CACHEABLE_ROOT_FIELDS


class CachedResults(SchemaExtension):
    """Serves repeated diagnose requests from a ResultCache (see there)."""

    def __init__(self, cache: ResultCache) -> None:
        self.cache = cache

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if not _cacheable(context):
            yield
            return
        try:
            key = (context.query, context.operation_name,
                   json.dumps(context.variables, sort_keys=True, separators=(",", ":")))
        except (TypeError, ValueError):
            yield
            return
        hit = self.cache.get(key)
        if hit is not None:
            context.result = GraphQLExecutionResult(data=hit, errors=None)
            yield
            return
        yield
        result = context.result
        if isinstance(result, GraphQLExecutionResult) and not result.errors and result.data is not None:
            self.cache.put(key, result.data)
