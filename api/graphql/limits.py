"""What keeps a public /graphql endpoint cheap to run: limits, caches, masked errors, optional introspection.

Strawberry builds extensions per request from factories. The validation rules of the limiters are created here
once, because the ValidationCache is keyed by the rule classes: a fresh class per request would never hit.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import ValidationRule
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

from dxkb.api.graphql.cache import CachedResults, ResultCache
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


def extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Schema extension factories, in the order they wrap the operation (ErrorCodes outermost, so it sees every
    error the others produce). One ResultCache per schema, i.e. per knowledge base."""
    rules = validation_rules(settings)
    factories: list[Callable[[], SchemaExtension]] = [
        ErrorCodes,
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),  # sets the parser's option: before parsing
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
    ]
    if settings.graphql_result_cache:
        results = ResultCache()
        factories.append(lambda: CachedResults(results))
    return factories
