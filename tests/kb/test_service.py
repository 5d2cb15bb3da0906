"""The service: its diagnose cache (bounded by entries and by estimated bytes, keyed by the canonical findings)
and its warm-up flag."""

from __future__ import annotations

from pathlib import Path

from dxkb.kb.engine.types import Observation, Status
from dxkb.kb.service import KnowledgeBase, SizedCache, diagnosis_bytes
from dxkb.kb.settings import Settings


def test_the_cache_drops_the_oldest_entries_beyond_its_byte_budget() -> None:
    cache = SizedCache(entries=100, max_bytes=10, size_of=len)
    cache.put("a", "xxxx")
    cache.put("b", "xxxx")
    cache.put("c", "xxxx")  # 12 bytes > 10: "a" goes
    assert cache.get("a") is None and cache.get("b") == "xxxx" and cache.get("c") == "xxxx"
    assert cache.bytes == 8
    cache.put("huge", "x" * 11)  # larger than the whole budget: not kept, nothing else dropped
    assert cache.get("huge") is None and len(cache) == 2


def test_diagnoses_are_counted_by_what_they_hold(curated_store: Path) -> None:
    kb = KnowledgeBase(Settings(store=str(curated_store), diagnose_cache_mb=1))
    small = kb.diagnose([Observation("HP:0000988", Status.PRESENT)], limit=1)
    large = kb.diagnose([Observation("HP:0000988", Status.PRESENT), Observation("HP:0012378", Status.PRESENT),
                         Observation("HP:0001824", Status.ABSENT)], limit=5)
    assert 4_000 < diagnosis_bytes(small) < diagnosis_bytes(large) < 200_000
    assert kb.diagnose_cache.bytes == diagnosis_bytes(small) + diagnosis_bytes(large) <= 1024 * 1024
    again = kb.diagnose([Observation("HP:0001824", Status.ABSENT), Observation("HP:0012378", Status.PRESENT),
                         Observation("HP:0000988", Status.PRESENT)], limit=5)  # another order: a cache hit
    assert again is large and len(kb.diagnose_cache) == 2


def test_a_zero_budget_keeps_nothing(curated_store: Path) -> None:
    kb = KnowledgeBase(Settings(store=str(curated_store), diagnose_cache_mb=0))
    kb.diagnose([Observation("HP:0000988", Status.PRESENT)])
    assert len(kb.diagnose_cache) == 0


def test_warmed_says_whether_the_warm_up_is_done(curated_store: Path) -> None:
    kb = KnowledgeBase(Settings(store=str(curated_store)))
    assert kb.warmed is False
    kb.warm()
    assert kb.warmed is True
