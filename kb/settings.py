"""One settings object for the whole application: environment (DXKB_*) first, CLI flags override."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir


def _default_store() -> str:
    return str(Path(user_data_dir("dxkb", appauthor=False)) / "store")


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Every tunable of dxkb. Environment variable = ``DXKB_`` + upper-case field name."""

    store: str = field(default_factory=_default_store)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    store_user: str | None = None  # remote SPARQL basic auth; never logged
    store_password: str | None = None
    store_timeout: float = 10.0  # seconds, remote connect/read
    cors_origins: tuple[str, ...] = ()
    graphiql: bool = True
    introspection: bool = True
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2000
    graphql_result_cache: bool = True  # serve repeated diagnose requests from memory (bench: compare off)
    sparql_timeout: float = 10.0
    sparql_max_rows: int = 10000
    sparql_allow_service: bool = False
    sparql_workers: int = 2
    sparql_memory_mb: int = 2048  # address-space cap of each SPARQL worker process; 0 = none
    build_modules: tuple[str, ...] = ("hpo", "maxo", "loinc2hpo")  # optional sources of `dxkb build` (`--without hpo`)
    strict_ids: bool = False  # unknown finding IDs: BAD_USER_INPUT (True) or dropped with a warning (False)
    source_dir: str | None = None  # a folder with newer releases of the shipped public data (`dxkb build --source-dir`)
    # Reliability (README "Bounded requests"): the GraphQL cost model's maximum per request (api/graphql/cost.py)
    # and the per-request deadline after which the work stops and the answer is 504 TIMEOUT.
    max_cost: int = 5000
    graphql_timeout: float = 10.0
    diagnose_cache_mb: int = 64  # the service's diagnose cache, bounded by the estimated size of its entries
    build: str | None = None  # serve this build of the store folder (`dxkb serve` pins it for all its workers)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> "Settings":
        """Read DXKB_* variables, then apply non-None overrides (the CLI flags)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"DXKB_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = _coerce(f.name, f.type, raw)
        settings = cls(**values)
        return settings.with_overrides(**overrides)

    def with_overrides(self, **overrides: Any) -> "Settings":
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _coerce(name: str, type_name: Any, raw: str) -> Any:
    type_text = str(type_name)
    try:
        if type_text.startswith("tuple"):
            return _split(raw)
        if type_text == "bool":
            if raw.strip().lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.strip().lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if type_text == "int":
            return int(raw)
        if type_text == "float":
            return float(raw)
    except ValueError:
        raise ValueError(f"DXKB_{name.upper()}={raw!r} is not a valid {type_text}") from None
    return raw
