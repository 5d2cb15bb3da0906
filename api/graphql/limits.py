"""What keeps a public /graphql endpoint cheap to run: limits (depth, aliases, tokens, the cost model of cost.py,
one operation per request), caches, masked errors, optional introspection.

Strawberry builds extensions per request from factories. The validation rules of the limiters are created here
once, because the ValidationCache is keyed by the rule classes: a fresh class per request would never hit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from graphql import GraphQLError, OperationDefinitionNode, ValidationRule
from graphql import build_schema as build_schema_from_sdl
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from dxkb.api.graphql.cache import CachedResults, ResultCache
from dxkb.api.graphql.cost import CostModel
from dxkb.api.graphql.errors import QUERY_TOO_COMPLEX, VALIDATION_FAILED, ErrorCodes, coded
from dxkb.kb.settings import Settings

#: Distinct documents whose parse and validation results are kept. Frontends send a handful of fixed documents;
#: the bound keeps a client that sends endless unique documents from growing memory.
CACHE_SIZE = 512


def validation_rules(settings: Settings) -> list[type[ValidationRule]]:
    """Depth and alias limits (QUERY_TOO_COMPLEX) and, when introspection is off, its ban."""
    rules = [coded(rule, QUERY_TOO_COMPLEX)
             for rule in (*QueryDepthLimiter(max_depth=settings.max_depth).validation_rules,
                          *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules)]
    if not settings.introspection:
        rules.append(coded(NoSchemaIntrospectionCustomRule, VALIDATION_FAILED))
    return rules


class RequestRules(SchemaExtension):
    """Rules that need the request, not only the document, checked after validation and before execution (the
    ValidationCache runs first; errors set here stop the operation as validation errors do):

    - an operation must be chosen: a document with several operations and no ``operationName`` is a request
      error (GraphQL spec, GetOperation), not "run the first one";
    - the cost of the chosen operation with these variables (api/graphql/cost.py) must not exceed
      ``DXKB_MAX_COST``: QUERY_TOO_COMPLEX with ``cost`` and ``maxCost`` in ``extensions``.
    """

    def __init__(self, models: dict[int, CostModel], maximum: int) -> None:
        self.models = models
        self.maximum = maximum

    def _model(self) -> CostModel:
        schema = self.execution_context.schema
        model = self.models.get(id(schema))
        if model is None:
            model = self.models[id(schema)] = CostModel(build_schema_from_sdl(schema.as_str()))
        return model

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is None or context.pre_execution_errors:
            yield
            return
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        error: GraphQLError | None = None
        if len(operations) > 1 and not _operation_name_sent(context):
            names = ", ".join(o.name.value for o in operations if o.name is not None) or "(unnamed)"
            error = GraphQLError(f"The document has {len(operations)} operations ({names}): send "
                                 "`operationName` to choose the one to run.", extensions={"code": VALIDATION_FAILED})
        else:
            cost = self._model().cost(document, context.operation_name, context.variables)
            if cost > self.maximum:
                error = GraphQLError(
                    f"The request's estimated cost is {cost:,.0f}, above the maximum of {self.maximum:,} per "
                    "request (DXKB_MAX_COST): ask for fewer items (`first`, `limit`, findings), fewer aliases or "
                    "fewer nested fields.", extensions={"code": QUERY_TOO_COMPLEX, "cost": round(cost),
                                                         "maxCost": self.maximum})
        if error is not None:
            context.pre_execution_errors = [*(context.pre_execution_errors or []), error]
        yield


def _operation_name_sent(context: ExecutionContext) -> bool:
    """Whether the request named its operation. Over HTTP the view records it (Strawberry's
    ``operation_name`` falls back to the first operation's name); elsewhere (``schema.execute``) trust it."""
    request = getattr(context.context, "request", None)
    sent = getattr(getattr(request, "state", None), "operation_name_sent", None)
    return context.operation_name is not None if sent is None else bool(sent)


def extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Schema extension factories, in the order they wrap the operation (ErrorCodes outermost, so it sees every
    error the others produce). One ResultCache per schema, i.e. per knowledge base."""
    rules = validation_rules(settings)
    models: dict[int, CostModel] = {}
    factories: list[Callable[[], SchemaExtension]] = [
        ErrorCodes,
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),  # sets the parser's option: before parsing
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        lambda: RequestRules(models, settings.max_cost),  # after ValidationCache: it sees the validation result
    ]
    if settings.graphql_result_cache:
        results = ResultCache()
        factories.append(lambda: CachedResults(results))
    return factories
