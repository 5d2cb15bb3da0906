"""Progress display for long build steps (rich), silent when not asked for."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from rich.console import Console


class Steps:
    """Announces each step with a spinner and records how long it took."""

    def __init__(self, enabled: bool = True, console: Console | None = None) -> None:
        self.enabled = enabled
        self.console = console or Console(stderr=True)
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        if self.enabled:
            with self.console.status(f"[bold]{name}[/bold] ..."):
                yield
        else:
            yield
        self.seconds[name] = round(time.perf_counter() - start, 3)
        if self.enabled:
            self.console.print(f"[green]done[/green] {name} ({self.seconds[name]:.1f} s)")
