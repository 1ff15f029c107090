"""``safeguard backfill SOURCE``: screen stored media on Ray Data, resumably, and print a
JSON summary (docs/backfill.md)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Annotated

import typer

from safeguard.cli import context
from safeguard.cli.output import emit

if TYPE_CHECKING:
    from rich.progress import Progress, ProgressColumn, Task, TaskID


def backfill(
    source: Annotated[
        str,
        typer.Argument(
            help="A folder (walked), s3://bucket/prefix, or a text file of http(s) URLs, "
            "one a line."
        ),
    ],
    banks: Annotated[
        list[str] | None, typer.Option("--bank", help="Match only these banks (repeatable).")
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(
            help="Resume this run (default: the unfinished run of SOURCE with the same "
            "banks and client, if any)."
        ),
    ] = None,
    client: Annotated[
        str, typer.Option(help="The client (platform) the records and review items belong to.")
    ] = context.ACTOR,
    ray_address: Annotated[
        str | None,
        typer.Option(
            help="An existing Ray cluster's address (default: a local one).", envvar="RAY_ADDRESS"
        ),
    ] = None,
    num_cpus: Annotated[
        int | None, typer.Option(help="CPUs of the local Ray cluster (default: all).", min=1)
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Items a Ray batch holds.", min=1)] = 64,
    endpoint_url: Annotated[
        str | None,
        typer.Option(help="The S3-compatible store's URL (MinIO, ...); default: AWS."),
    ] = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds each URL of a URL list may take.", min=0.1)
    ] = 30.0,
) -> None:
    """Screen every item of a folder, a bucket or a URL list not yet decided: each is
    recorded in the audit log and, if flagged, queued for review, as a live screening is.
    A stopped run resumes where it stopped; no item is decided twice."""
    from safeguard.banks import catalog
    from safeguard.scale.backfill import Options, ray_cluster
    from safeguard.scale.backfill import backfill as run
    from safeguard.scale.backfill_sources import open_source

    chosen = open_source(source, endpoint_url=endpoint_url, seconds=timeout)
    services = context.services()
    for name in banks or []:
        catalog.get_bank(services.db, name)
    options = Options(tuple(banks) if banks else None, client, batch_size)
    with _bar() as tracker:
        summary = run(
            services.db,
            services.screener,
            services.limits,
            chosen,
            options,
            resume=resume,
            tracker=tracker,
            connect=partial(ray_cluster, ray_address, num_cpus),
        )
    emit(summary)


class _Bar:
    """A progress bar on stderr: items screened, rate and time left."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def start(self, total: int) -> None:
        self.task = self.progress.add_task("backfill", total=total)

    def advance(self, count: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, count)


@contextmanager
def _bar() -> Iterator[_Bar]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = (BarColumn(), MofNCompleteColumn(), _rate_column(), TimeRemainingColumn())
    console = Console(stderr=True)
    with Progress(*columns, console=console, disable=not sys.stderr.isatty()) as progress:
        yield _Bar(progress)


def _rate_column() -> ProgressColumn:
    """A column of items a second."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:.1f} items/s" if speed else "- items/s")

    return Rate()
