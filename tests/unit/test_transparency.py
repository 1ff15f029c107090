"""The pure parts of transparency reports: medians and percentiles, precision, the
suppression of small counts, periods, the sections computed from given facts, and the
CLI's answer to bad input (the DSA template's CSV: ``test_dsa_csv.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from safeguard.cli.main import main
from safeguard.errors import BadRequest
from safeguard.events import RecordedEvent
from safeguard.transparency import sections
from safeguard.transparency.facts import BankFacts, Facts, ItemFact, ReportFact
from safeguard.transparency.period import Period, parse_moment, parse_period
from safeguard.transparency.report import publish
from safeguard.transparency.stats import counts, durations, median, percentile, precision, suppress

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_median_and_nearest_rank_percentile() -> None:
    assert median([]) is None and percentile([], 0.9) is None
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5 and median([3.0, 1.0, 2.0]) == 2.0
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(n) for n in range(10, 0, -1)], 0.9) == 9.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.9) == 4.0
    assert durations([60.0, 120.0, 30.0]) == {"n": 3, "median_seconds": 60.0, "p90_seconds": 120.0}


def test_precision_and_counts() -> None:
    assert precision(3, 1) == {"n": 4, "confirmed": 3, "false_positive": 1, "precision": 0.75}
    assert precision(0, 0)["precision"] is None
    assert counts(["b", "a", "b"], ["c"]) == {"a": 1, "b": 2, "c": 0}


def test_suppression_hides_small_counts_and_what_they_would_reveal() -> None:
    figures: dict[str, Any] = {
        "total": 12,
        "zero": 0,
        "flag": True,
        "by": {"small": 3, "big": 10},
        "time": {"n": 2, "median_seconds": 5.5, "p90_seconds": 9.0},
        "shown": {"n": 10, "median_seconds": 1.0, "precision": 0.5},
    }
    hidden = suppress(figures, 10)
    assert hidden == [
        "by.small",
        "time.n",
        "time.median_seconds",
        "time.p90_seconds",
    ]
    assert figures == {
        "total": 12,
        "zero": 0,
        "flag": True,
        "by": {"small": None, "big": 10},
        "time": {"n": None, "median_seconds": None, "p90_seconds": None},
        "shown": {"n": 10, "median_seconds": 1.0, "precision": 0.5},
    }
    untouched = {"a": 1}
    assert suppress(untouched, 0) == [] and suppress(untouched, 1) == [] and untouched == {"a": 1}


def test_periods() -> None:
    assert parse_moment("2026-03-01", "from") == T0
    assert parse_moment("2026-03-01T01:00:00", "from") == at(60)
    assert parse_moment("2026-03-01T02:00:00+01:00", "from") == at(60)
    assert parse_period("2026-03-01", "2026-03-02") == Period(T0, T0 + timedelta(days=1))
    for start, end in (("2026-03-02", "2026-03-01"), ("2026-03-01", "2026-03-01")):
        with pytest.raises(BadRequest, match="end after it starts"):
            parse_period(start, end)
    for bad in ("yesterday", "2026-13-01", ""):
        with pytest.raises(BadRequest, match="from must be a date"):
            parse_period(bad, "2026-03-02")


PERIOD = Period(at(0), at(600))


def event(n: int, kind: str, minutes: float, subject: str, **details: Any) -> RecordedEvent:
    return RecordedEvent(n, at(minutes), kind, "platform", subject, details)


def facts(
    events: list[RecordedEvent],
    *,
    items: dict[str, ItemFact] | None = None,
    earlier: list[RecordedEvent] | None = None,
    reports: list[ReportFact] | None = None,
    period: Period = PERIOD,
) -> Facts:
    return Facts(
        period=period,
        client=None,
        events=events,
        items=items or {},
        earlier_decisions=earlier or [],
        reports=reports or [],
        appeals_received={},
        banks=BankFacts({}, {}),
    )


def test_a_report_is_settled_by_the_first_closing_decision_after_it() -> None:
    """A report that came before an escalation and a confirmation is settled by the
    confirmation; one that came after an earlier period's decision, by the next one;
    one whose item's closing decision lies before the period is not counted."""
    items = {k: ItemFact("report", "platform", at(-100)) for k in ("i1", "i2", "i3")}
    decided = "review.decided"
    earlier = [
        event(1, decided, -50, "i2", outcome="confirmed"),
        event(2, decided, -40, "i3", outcome="confirmed"),
    ]
    now = [
        event(3, decided, 10, "i1", outcome="escalated"),
        event(4, decided, 20, "i1", outcome="confirmed"),
        event(5, decided, 30, "i2", outcome="false_positive"),
    ]
    reports = [
        ReportFact("i1", "csam", "content", at(-90)),
        ReportFact("i2", "grooming", "user", at(-45)),
        ReportFact("i3", "other", "user", at(-60)),
    ]
    settled = facts(now, items=items, earlier=earlier, reports=reports)
    figures = sections.user_reports(settled)
    assert (figures["decided"], figures["upheld"], figures["rejected"]) == (2, 1, 1)
    assert figures["time_to_decision"] == {"n": 2, "median_seconds": 5550.0, "p90_seconds": 6600.0}
    review = sections.review(settled)
    assert review["time_to_decision"]["n"] == 2  # the escalation is no decision's end
    assert review["decided"]["by_outcome"]["escalated"] == 1
    assert review["precision_by_detector"]["user_report"]["precision"] == 0.5
    assert sections.accounts(settled)["actioned"] == 0  # the confirmed report was of content


def test_volumes_cover_every_day_or_month_of_the_period() -> None:
    late = Period(T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    screened = [
        event(1, "screening.decided", 30, "s", source="upload", decision="allow", matches=[])
    ]
    daily = sections.volumes(facts(screened, period=late))
    assert daily["bucket"] == "day"
    assert daily["series"]["screenings"] == {"2026-02-28": 0, "2026-03-01": 1}
    year = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    monthly = sections.volumes(facts(screened, period=year))
    assert monthly["bucket"] == "month" and len(monthly["series"]["screenings"]) == 12
    assert monthly["series"]["screenings"]["2026-03"] == 1


def test_the_same_facts_give_the_same_report() -> None:
    screened = [
        event(
            7,
            "screening.decided",
            1,
            "s",
            source="lookup",
            decision="block",
            matches=[{"signal_type": "md5"}],
        )
    ]
    first, second = publish(facts(screened), 10), publish(facts(screened), 10)
    assert first == second
    assert first["query"]["events"]["first_id"] == 7
    assert first["suppressed"][0] == "screenings.total"


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2026-03-02", "--to", "2026-03-01"],
        ["--from", "2026-03-01", "--to", "2026-03-02", "--format", "xml"],
        ["--from", "2026-13-01", "--to", "2026-03-02"],
        ["--from", "2026-03-01", "--to", "2026-03-02", "--min-count", "-1"],
        ["--from", "2026-03-01", "--to", "2026-03-02", "--out", "/no/such/dir/report.json"],
    ],
)
def test_the_cli_refuses_bad_input_in_one_line(
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("SAFEGUARD_DATA_DIR", str(tmp_path))  # nothing is read, nor made
    monkeypatch.setattr("sys.argv", ["safeguard", "transparency", "report", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("safeguard: error")
    assert list(tmp_path.iterdir()) == []


def test_reports_to_authorities_count_the_states_reached() -> None:
    steps = [
        ("ncmec", "drafted"),
        ("ncmec", "confirmed"),
        ("ncmec", "submitted"),
        ("ncmec", "finished"),
        ("nca", "drafted"),
        ("nca", "retracted"),
    ]
    logged = [
        event(n, f"authority_report.{state}", n, "r", authority=name, state=state)
        for n, (name, state) in enumerate(steps, 1)
    ]
    figures = publish(facts(logged), 0)
    assert figures["reports_to_authorities"]["by_authority"] == {
        "nca": {"drafted": 1, "confirmed": 0, "submitted": 0, "finished": 0, "retracted": 1},
        "ncmec": {"drafted": 1, "confirmed": 1, "submitted": 1, "finished": 1, "retracted": 0},
    }
    sent = figures["child_safety"]["outcomes"]["reports_to_authorities_sent"]
    assert sent == {"nca": 0, "ncmec": 1}
