"""Prometheus metrics of one app instance."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self, index_sizes: Callable[[], dict[str, int]]) -> None:
        self.registry = CollectorRegistry()
        self.screenings = Counter(
            "safeguard_screenings",
            "Screenings decided, by decision and source",
            ["decision", "source"],
            registry=self.registry,
        )
        self.screening_seconds = Histogram(
            "safeguard_screening_seconds",
            "Time to decide on one upload or lookup, decoding included",
            ["source"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )
        self.rejected = Counter(
            "safeguard_rejected_requests",
            "Requests answered with a client-error problem, by problem type",
            ["problem"],
            registry=self.registry,
        )
        index = Gauge(
            "safeguard_index_entries",
            "Enabled entries in this worker's in-memory index (PDQ), by signal type",
            ["signal_type"],
            registry=self.registry,
        )
        for name in index_sizes():
            index.labels(signal_type=name).set_function(
                lambda name=name: float(index_sizes().get(name, 0))  # type: ignore[misc]
            )
