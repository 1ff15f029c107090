"""The CLI starts fast: it imports no heavy library until a command needs one, and the
numba kernels can be compiled ahead (``make install`` does)."""

from __future__ import annotations

import subprocess
import sys

from safeguard.warmup import warm_up

HEAVY = {"numpy", "numba", "sqlalchemy", "PIL", "av", "fastapi", "matplotlib", "sklearn"}
HEAVY |= {"httpx", "scipy", "pydantic", "argon2", "cryptography", "alembic", "uvicorn"}


def heavy_modules_after(code: str) -> list[str]:
    """The heavy libraries a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport sys\nprint(*{{m.split('.')[0] for m in sys.modules}} & {HEAVY!r})"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return sorted(result.stdout.split())


def test_importing_the_cli_imports_no_heavy_library() -> None:
    assert heavy_modules_after("import safeguard.cli.main") == []


def test_building_every_command_imports_no_heavy_library() -> None:
    """What --help does: every command's options, their types and defaults."""
    code = "import typer\nfrom safeguard.cli.main import app\ntyper.main.get_command(app)"
    assert heavy_modules_after(code) == []


def test_warm_up_runs_every_kernel() -> None:
    warm_up()
