"""The sharded PDQ index a deployment asks for (SAFEGUARD_INDEX_SHARDS > 1): on Ray actors
when Ray is installed (the ``scale`` extra), else shards in this process."""

from __future__ import annotations

import logging
from importlib.util import find_spec
from pathlib import Path

from safeguard.errors import ConfigError
from safeguard.scale.local import LocalBackend
from safeguard.scale.sharded import ShardBackend, ShardedIndex
from safeguard.store.db import Database

log = logging.getLogger(__name__)


def ray_installed() -> bool:
    return find_spec("ray") is not None


def open_sharded(
    database: Database,
    shards: int,
    replicas: int = 1,
    ray_address: str | None = None,
    snapshot_dir: Path | None = None,
) -> ShardedIndex:
    """A PDQ index of ``shards`` shards of ``replicas`` replicas each, reading
    ``database`` and starting from the shards' snapshots under ``snapshot_dir``: Ray
    actors in the cluster at ``ray_address`` (a local one started now when empty) if Ray
    is installed, else replicas in this process; ConfigError for an address without Ray."""
    backend: ShardBackend
    if ray_installed():
        from safeguard.scale import ray_shards

        ray_shards.connect(ray_address)
        backend = ray_shards.RayBackend.create(
            shards, replicas, database, snapshot_dir=snapshot_dir
        )
    elif ray_address:
        raise ConfigError("SAFEGUARD_RAY_ADDRESS is set, but Ray is not installed")
    else:
        log.info("Ray is not installed: the %d index shards run in this process", shards)
        backend = LocalBackend.create(shards, replicas, database, snapshot_dir=snapshot_dir)
    return ShardedIndex(backend)
