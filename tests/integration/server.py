"""A real Safeguard server in a subprocess, and the CLI run against the same database."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from safeguard import apikeys
from safeguard.cli import context
from safeguard.cli.main import main
from safeguard.store.db import Database
from safeguard.store.migrate import upgrade

SAFEGUARD = str(Path(sys.executable).with_name("safeguard"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Commands that stay in a process of their own: one that serves until stopped, and one
# that starts Ray in the process that calls it.
OWN_PROCESS = {"serve", "backfill"}


@dataclass
class Cli:
    """Runs ``safeguard`` with a fixed environment: in this process (``in_process``, the
    package already imported: a subprocess's start-up costs about a second of CPU), or
    as a subprocess for the commands that need one, for an environment that changes the
    import path (plug-ins), and when ``SAFEGUARD_TEST_CLI_SUBPROCESS`` is set."""

    env: dict[str, str]

    def run(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
        own_process = (
            (args and args[0] in OWN_PROCESS)
            or self.env.get("PYTHONPATH") != os.environ.get("PYTHONPATH")
            or os.environ.get("SAFEGUARD_TEST_CLI_SUBPROCESS")
        )
        if not own_process:
            return in_process(self.env, args, stdin)
        return subprocess.run(
            [SAFEGUARD, *args],
            env=self.env,
            input=stdin.decode() if stdin is not None else None,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout


def in_process(
    env: dict[str, str], args: Sequence[str], stdin: bytes | None
) -> subprocess.CompletedProcess[str]:
    """``safeguard ARGS`` through its entry point in this process, with exactly ``env``
    as the environment and its own standard streams; what a subprocess would give."""
    out, err = io.BytesIO(), io.BytesIO()
    wrappers = [
        io.TextIOWrapper(buffer, encoding="utf-8", write_through=True) for buffer in (out, err)
    ]
    streams = (sys.argv, sys.stdin, sys.stdout, sys.stderr)
    saved_env = dict(os.environ)
    sys.argv = ["safeguard", *args]
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin or b""), encoding="utf-8")
    sys.stdout, sys.stderr = wrappers
    os.environ.clear()
    os.environ.update(env)
    try:
        main()
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    finally:
        for wrapper in wrappers:
            wrapper.flush()
            wrapper.detach()  # leaves the buffer open to be read
        sys.argv, sys.stdin, sys.stdout, sys.stderr = streams
        os.environ.clear()
        os.environ.update(saved_env)
        if context.services.cache_info().currsize:
            context.services().close()
        context.services.cache_clear()
        context.settings.cache_clear()
    return subprocess.CompletedProcess(
        [SAFEGUARD, *args], status, out.getvalue().decode(), err.getvalue().decode()
    )


@dataclass
class Server:
    base_url: str
    key: str
    cli: Cli
    process: subprocess.Popen[bytes]
    log: Path
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=60,
        )

    def screen(self, data: bytes, **params: str) -> httpx.Response:
        return self.client.post("/v1/screen", files={"file": ("upload", data)}, params=params)

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def environment(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEGUARD_")}
    env.update(
        SAFEGUARD_DATA_DIR=str(data_dir),
        SAFEGUARD_DATABASE_URL=database_url,
        **extra,
    )
    return env


ALL_SCOPES = tuple(apikeys.Scope)


def create_api_key(
    database_url: str,
    name: str,
    client: str | None = None,
    scopes: Iterable[apikeys.Scope | str] = ALL_SCOPES,
) -> str:
    """A new API key ``name`` for ``client`` (by default, a client named like the key) in
    the database at ``database_url``, migrated first. It carries every scope unless told
    otherwise: most tests both manage banks and screen with one key."""
    upgrade(database_url)
    db = Database(database_url)
    try:
        return apikeys.create_key(db, name, "tests", client, scopes)
    finally:
        db.dispose()


def start_server(
    env: dict[str, str], key_name: str = "tests", key: str | None = None, healthy: bool = True
) -> Server:
    """Create an API key (unless given one), start ``safeguard serve`` and wait until
    health answers: 200, or with ``healthy=False`` any answer at all.

    The key is made in this process, not with the CLI, which saves a start-up of the
    package per server (``test_cli.py`` covers the command)."""
    cli = Cli(env)
    key = key or create_api_key(env["SAFEGUARD_DATABASE_URL"], key_name)
    port = free_port()
    data_dir = Path(env["SAFEGUARD_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"server-{key_name}.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [SAFEGUARD, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()}")
        try:
            status = httpx.get(base_url + "/v1/health", timeout=2).status_code
            if status == 200 or not healthy:
                return Server(base_url, key, cli, process, log)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not start: {log.read_text()}")
