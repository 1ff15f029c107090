"""The report's charts, drawn with matplotlib as SVG: volumes over time, time to action
and detector precision. Drawn from the published figures, so that a suppressed count
shows as a gap, never as its value."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display: draw to memory

from matplotlib.figure import Figure

from safeguard.transparency.stats import Figures

_SIZE = (7.0, 3.2)
_MOST_LABELS = 12
"""Labelled days (or months) on the time axis at most."""
HOURS = 3600.0


@dataclass(frozen=True)
class Chart:
    """A chart's title, a text alternative for screen readers, and its SVG."""

    key: str
    title: str
    description: str
    svg: str


def _gaps(values: Iterable[float | None]) -> list[float]:
    """The values to plot, a suppressed (None) one as a gap."""
    return [float("nan") if v is None else float(v) for v in values]


def _svg(figure: Figure) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = out.getvalue()
    return text[text.index("<svg") :]  # no XML prolog: it is inlined in HTML


def volumes_chart(figures: Figures) -> Chart:
    """One line per series over the period's days (or months)."""
    volumes = figures["volumes"]
    figure = Figure(figsize=_SIZE)
    axes = figure.subplots()
    buckets: list[str] = []
    for name, series in volumes["series"].items():
        buckets = list(series)
        axes.plot(
            range(len(buckets)), _gaps(series.values()), marker=".", label=name.replace("_", " ")
        )
    step = max(1, len(buckets) // _MOST_LABELS)
    shown = range(0, len(buckets), step)
    axes.set_xticks(shown, [buckets[i] for i in shown], rotation=45, ha="right", fontsize=7)
    axes.set_ylim(bottom=0)
    axes.set_ylabel(f"events per {volumes['bucket']}")
    axes.legend(fontsize=7)
    return Chart(
        "volumes",
        "Volumes over time",
        f"Events per {volumes['bucket']}: screenings, detections, user reports, review "
        "decisions and appeals (suppressed counts are gaps).",
        _svg(figure),
    )


def _bars(
    key: str,
    title: str,
    description: str,
    bars: Mapping[str, tuple[float | None, ...]],
    legend: tuple[str, ...],
    ylabel: str,
    top: float | None = None,
) -> Chart:
    figure = Figure(figsize=_SIZE)
    axes = figure.subplots()
    width = 0.8 / len(legend)
    for index, label in enumerate(legend):
        heights = _gaps(v[index] for v in bars.values())
        positions = [i + index * width for i in range(len(bars))]
        axes.bar(positions, heights, width, label=label)
    axes.set_xticks([i + width * (len(legend) - 1) / 2 for i in range(len(bars))], list(bars))
    axes.set_ylabel(ylabel)
    if len(legend) > 1:
        axes.legend(fontsize=7)
    axes.set_ylim(0, top)
    if not any(v is not None for values in bars.values() for v in values):
        axes.text(0.5, 0.5, "nothing to show", transform=axes.transAxes, ha="center")
    return Chart(key, title, description, _svg(figure))


def time_to_action_chart(figures: Figures) -> Chart:
    """Median and 90th percentile hours to a decision, by kind of review item, for
    user reports and for appeals."""
    timed = dict(figures["review"]["time_to_decision"]["by_kind"])
    timed["user report"] = figures["user_reports"]["time_to_decision"]
    timed["appeal decided"] = figures["appeals"]["time_to_decision"]

    def hours(value: float | None) -> float | None:
        return None if value is None else value / HOURS

    bars = {k: (hours(v["median_seconds"]), hours(v["p90_seconds"])) for k, v in timed.items()}
    return _bars(
        "time_to_action",
        "Time to action",
        "Median and 90th-percentile hours from detection (or receipt) to decision.",
        bars,
        ("median", "90th percentile"),
        "hours",
    )


def precision_chart(figures: Figures) -> Chart:
    """Each detector's share of decided detections confirmed, with its N."""
    measured = figures["review"]["precision_by_detector"]
    bars = {
        f"{k}\n(N={v['n'] if v['n'] is not None else 'suppressed'})": (v["precision"],)
        for k, v in measured.items()
    }
    return _bars(
        "precision",
        "Detector precision",
        "Share of each detector's decided detections that moderators confirmed.",
        bars,
        ("precision",),
        "share confirmed",
        top=1.0,
    )


def charts(figures: Figures) -> list[Chart]:
    """Every chart of the report."""
    return [volumes_chart(figures), time_to_action_chart(figures), precision_chart(figures)]
