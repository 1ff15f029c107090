"""``safeguard transparency report``: the transparency report of a period, as JSON, the
DSA template's CSV or a self-contained HTML file."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from safeguard.cli import context
from safeguard.errors import BadRequest
from safeguard.transparency.formats import ReportFormat, render
from safeguard.transparency.period import parse_period

app = typer.Typer(
    help="Transparency reports computed from the event log (docs/transparency.md).",
    no_args_is_help=True,
)


@app.command("report")
def report(
    start: Annotated[
        str, typer.Option("--from", help="First day (YYYY-MM-DD) or time (ISO 8601, UTC).")
    ],
    end: Annotated[str, typer.Option("--to", help="Day or time the period ends (excluded).")],
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="json, csv (DSA template) or html.")
    ] = ReportFormat.JSON,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: stdout).")
    ] = None,
    min_count: Annotated[
        int | None,
        typer.Option(
            "--min-count",
            min=0,
            help="Suppress counts from 1 below this (default: SAFEGUARD_TRANSPARENCY_MIN_COUNT).",
        ),
    ] = None,
    client: Annotated[
        str | None, typer.Option(help="Only this client's records (default: every client's).")
    ] = None,
) -> None:
    """Compute the report of [--from, --to) and write it."""
    from safeguard.transparency.report import build_report

    period = parse_period(start, end)
    if out is not None and not out.parent.is_dir():
        raise BadRequest(f"--out: there is no directory {str(out.parent)!r}")
    chosen = context.settings().transparency_min_count if min_count is None else min_count
    published = build_report(context.database(), period, client, chosen)
    text = render(published, output_format).text
    if out is None:
        sys.stdout.write(text)
    else:
        _write_whole(out, text)


def _write_whole(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed over it: never half."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
