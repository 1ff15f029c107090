"""Scaling out: the PDQ index split into shards by entry id, each shard held by one or more
replicas in this process or on Ray actors (docs/scaling.md), and backfills on Ray Data
(``backfill``). Ray is an optional extra: of the shards' modules only ``ray_shards`` imports
it, and only when a sharded index on Ray is asked for."""
