"""Writing results and errors: JSON lines to stdout, one-line errors to stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, TypeVar

import typer

T = TypeVar("T")


class OutputFormat(StrEnum):
    JSONL = "jsonl"


FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]


def emit(record: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(record, separators=(", ", ": ")) + "\n")
    sys.stdout.flush()


def warn(message: str) -> None:
    sys.stderr.write(f"safeguard: {message}\n")


@contextmanager
def progress(items: Sequence[T], label: str) -> Iterator[Iterator[T]]:
    """Iterate ``items``, with a progress bar on stderr when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield iter(items)
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        yield iter(bar.track(items, description=label))


Share = Callable[[float], None]
"""Told how much of one item is done, 0 to 1."""


@contextmanager
def progress_by_part(items: Sequence[T], label: str) -> Iterator[Iterator[tuple[T, Share | None]]]:
    """Iterate ``items`` with a hook for each that moves a second bar (how much of that
    item is done: a long video), on stderr when it is a terminal (else the hook is None)."""
    if not sys.stderr.isatty():
        yield ((item, None) for item in items)
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        overall = bar.add_task(label, total=len(items))
        part = bar.add_task("", total=1.0, visible=False)

        def each() -> Iterator[tuple[T, Share | None]]:
            for item in items:
                bar.update(part, description=str(item)[-40:], completed=0.0, visible=True)
                yield item, lambda share: bar.update(part, completed=share)
                bar.advance(overall)

        yield each()
