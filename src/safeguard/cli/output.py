"""Writing results and errors: JSON lines to stdout, one-line errors to stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress

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
    with Progress(console=Console(stderr=True), transient=True) as bar:
        yield iter(bar.track(items, description=label))
