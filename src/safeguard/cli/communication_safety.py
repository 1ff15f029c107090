"""``safeguard communication-safety PATH...``: blur or show each image, as a child's app
would be told to. Nothing is stored or reported."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safeguard.cli import context
from safeguard.cli.files import walk
from safeguard.cli.output import emit, warn
from safeguard.errors import BadRequest, SafeguardError


def communication_safety(
    paths: Annotated[list[Path], typer.Argument(help="Image files or directories (walked).")],
) -> None:
    """Blur or show each image sent to or by a child's account (nudity classifier): one
    JSON object per file with its path, action and the classifier's scores."""
    from safeguard.communication_safety.classifier import ClassifierNotInstalled
    from safeguard.communication_safety.service import CommunicationSafety

    safety = CommunicationSafety.from_settings(context.settings())
    try:
        safety.classifier.load()
    except ClassifierNotInstalled as exc:
        warn(f"error: {exc.detail}")
        raise typer.Exit(2) from None
    failed = 0
    for path in walk(paths):
        try:
            verdict = safety.classify(_read(path, safety.limits.max_bytes))
        except SafeguardError as exc:
            warn(f"{path}: {exc.detail}")
            failed += 1
            continue
        emit({"path": str(path)} | verdict.as_dict())
    if failed:
        raise typer.Exit(2)


def _read(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, at most one over the cap (decoding refuses those)."""
    try:
        with path.open("rb") as handle:
            return handle.read(max_bytes + 1)
    except OSError as exc:
        raise BadRequest(f"cannot read the file: {exc.strerror}") from None
