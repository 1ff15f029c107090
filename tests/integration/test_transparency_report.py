"""Transparency reports of a known history on a real server, on SQLite and PostgreSQL:
screenings, decisions in the UI, user reports, an appeal, accounts and bank changes in
two periods (split at a time taken between them); every figure of each period's report,
from the CLI and the API, exact and with small counts suppressed; the DSA CSV against
the template's field list; bad input refused."""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from safeguard.events import read_events
from safeguard.moderation import people
from safeguard.store.db import Database
from safeguard.store.models import Appeal, ReviewItem, UserReport
from safeguard.transparency.dsa import COLUMNS
from safeguard.transparency.dsa_template import Key, cells
from tests.conftest import png_bytes, synthetic_photo
from tests.integration.server import Server
from tests.integration.test_reports_appeals_api import assert_problem, created, headers_of
from tests.integration.test_ui_decisions import post, signed_in
from tests.integration.ui import PASSWORD
from tests.unit.test_dsa_csv import key

BLOCKED = "0123456789abcdef0123456789abcdef"
FOR_REVIEW = "fedcba9876543210fedcba9876543210"
Report = dict[str, Any]
MINORS = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
NOTICES: Key = (4, "", "TOTAL", "", "Number of notices received")
GROOMING: Key = (4, MINORS, "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS", "", NOTICES[4])
MINORS_NOTICES: Key = (4, "", MINORS, "", NOTICES[4])
UNSPECIFIED: Key = (4, "", "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE", "", NOTICES[4])
BLOCKED_CSAM: Key = (
    5,
    MINORS,
    "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
    "",
    "Number of measures taken after detection with solely automated means",
)
AUTOMATED_MEANS = "Use of automated means for content moderation"
AUTOMATED: Key = (
    8,
    AUTOMATED_MEANS,
    "Number of measures solely taken by automated means",
    "Own-initiative",
    "Value",
)
PRECISION: Key = (
    8,
    AUTOMATED_MEANS,
    "Accuracy of the automated means - Precision",
    "Own-initiative",
    "Value",
)


def lookup(server: Server, md5: str, **ids: str) -> str:
    answer = server.client.post("/v1/lookup", json={"signals": {"md5": md5}, **ids})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["decision"])


def allow_lookups(server: Server, count: int) -> None:
    for _ in range(count):
        assert lookup(server, uuid.uuid4().hex) == "allow"


def open_items(server: Server) -> dict[str, str]:
    """The open review items' ids by what they are: a screening's decision, a report's
    category, else the item's kind."""
    items = server.client.get("/v1/review-items").json()["items"]
    return {
        i["reason"].get("decision") or i["reason"].get("category") or i["kind"]: i["id"]
        for i in items
    }


def decide(ui: httpx.Client, item_id: str, outcome: str) -> None:
    answer = post(ui, f"/ui/items/{item_id}/decide", outcome=outcome, reason="checked")
    assert answer.status_code == 303, answer.text


def report(server: Server, kind: str, value: str, category: str) -> Report:
    body = {"reporter_id": "r-1", "category": category, "target": {"kind": kind, "value": value}}
    return created(server.client.post("/v1/reports", json=body))


def account(server: Server, user: str, age: int, method: str, band: str) -> None:
    assert server.client.put(f"/v1/accounts/{user}", json={"declared_age": age}).is_success
    outcome = {
        "provider": "estimator",
        "method": method,
        "age_band": band,
        "confidence": 0.95,
        "assured_at": "2026-11-20T10:00:00Z",
    }
    created(server.client.post(f"/v1/accounts/{user}/age-assurance", json=outcome))


def first_period(server: Server) -> None:
    """Two banks; five screenings (a block, a review, three allowed); a report joining
    the blocked upload's item and one about a user; an under-13 and an adult account;
    four decisions and a granted appeal."""
    api = server.client
    for bank, action, md5 in (("known", "block", BLOCKED), ("check", "review", FOR_REVIEW)):
        assert api.post("/v1/banks", json={"name": bank, "action": action}).status_code == 201
        entry = {"signal_type": "md5", "value": md5}
        assert api.post(f"/v1/banks/{bank}/entries", json=entry).status_code == 201
    assert lookup(server, BLOCKED, content_id="c-1", uploader_id="u-1") == "block"
    assert lookup(server, FOR_REVIEW, content_id="c-2") == "review"
    allow_lookups(server, 2)
    upload = {"file": ("photo.png", png_bytes(synthetic_photo(3)))}
    assert api.post("/v1/screen", files=upload).json()["decision"] == "allow"
    joined = report(server, "content", "c-1", "csam")
    report(server, "user", "u-9", "underage_user")
    account(server, "kid", 15, "facial_age_estimation", "under-13")
    account(server, "grown", 30, "photo_id_matching", "18+")
    items = open_items(server)
    assert joined["review_item_id"] == items["block"]
    db = Database(server.cli.env["SAFEGUARD_DATABASE_URL"])
    try:  # made here with quick password hashes (quick_passwords): no CLI start, quick logins
        for name in ("mo", "max"):
            people.create_user(db, name, PASSWORD, "moderator", "tests")
        people.create_user(db, "ada", PASSWORD, "admin", "tests")
    finally:
        db.dispose()
    with signed_in(server, "mo") as mo:
        decide(mo, items["block"], "confirmed")
        decide(mo, items["review"], "false_positive")
        decide(mo, items["underage_user"], "confirmed")
        decide(mo, items["account"], "confirmed")
    decision_id = api.get(f"/v1/reports/{joined['id']}").json()["decision_id"]
    body = {"decision_id": decision_id, "appellant_id": "u-1", "reason": "mine"}
    appeal = created(api.post("/v1/appeals", json=body))
    with signed_in(server, "max") as max_:
        decide(max_, appeal["review_item_id"], "granted")


def second_period(server: Server) -> None:
    """Thirteen screenings (the known upload again, twelve allowed), a report found
    wrong, a teenager who turns location sharing on, the review bank's entry disabled."""
    api = server.client
    assert lookup(server, BLOCKED, content_id="c-3") == "block"
    allow_lookups(server, 12)
    report(server, "content", "x-2", "grooming")
    account(server, "teen", 19, "facial_age_estimation", "13-15")
    setting = {"enabled": True, "changed_by": "teen"}
    assert api.put("/v1/accounts/teen/settings/location_sharing", json=setting).is_success
    [entry] = api.get("/v1/banks/check/entries").json()["entries"]
    patched = api.patch(f"/v1/banks/check/entries/{entry['id']}", json={"enabled": False})
    assert patched.status_code == 200, patched.text
    items = open_items(server)
    with signed_in(server, "mo") as mo:
        decide(mo, items["block"], "confirmed")
        decide(mo, items["grooming"], "false_positive")
    other = headers_of(server, "other", "platform-b", "screen", "admin")
    assert api.post("/v1/lookup", json={"signals": {"md5": BLOCKED}}, headers=other).is_success
    body = {"reporter_id": "r-2", "category": "other", "target": {"kind": "user", "value": "v"}}
    created(api.post("/v1/reports", json=body, headers=other))


def durations(seconds: list[float]) -> dict[str, Any]:
    if not seconds:
        return {"n": 0, "median_seconds": None, "p90_seconds": None}
    ordered = sorted(seconds)
    p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]
    return {
        "n": len(seconds),
        "median_seconds": round(statistics.median(seconds), 3),
        "p90_seconds": round(p90, 3),
    }


def measured_times(database_url: str, start: datetime, end: datetime) -> dict[str, Any]:
    """The times to decision of the period, measured here from the log and the rows: an
    item's from its opening, a report's from its receipt, an appeal's likewise."""
    db = Database(database_url)
    try:
        with db.read_session() as session:
            logged = read_events(session, limit=10_000)
            items = {i.id: (i.kind, i.created_at) for i in session.scalars(select(ReviewItem))}
            reports = [
                (r.review_item_id, r.created_at) for r in session.scalars(select(UserReport))
            ]
            appeals = {a.id: a.created_at for a in session.scalars(select(Appeal))}
    finally:
        db.dispose()
    decided = [e for e in logged if e.kind == "review.decided"]
    in_period = [e for e in decided if start <= e.at < end]
    by_kind: dict[str, list[float]] = {}
    for event in in_period:
        kind, opened = items[event.subject]
        by_kind.setdefault(kind, []).append((event.at - opened).total_seconds())
    settled = []
    for item_id, received in reports:
        first = min(
            (e.at for e in decided if e.subject == item_id and e.at >= received), default=None
        )
        if first is not None and start <= first < end:
            settled.append((first - received).total_seconds())
    appealed = [
        (e.at - appeals[e.subject]).total_seconds()
        for e in logged
        if e.kind == "appeal.decided" and start <= e.at < end
    ]
    every = [t for kind in sorted(by_kind) for t in by_kind[kind]]
    return {
        "review": durations(every)
        | {"by_kind": {k: durations(v) for k, v in sorted(by_kind.items())}},
        "user_reports": durations(settled),
        "appeals": durations(appealed),
    }


def zeros(*names: str) -> dict[str, int]:
    return dict.fromkeys(names, 0)


def assert_figures(figures: Report, expected: dict[str, Any], times: dict[str, Any]) -> None:
    """Every section of an exact report against what the test made happen."""
    screenings = expected["screenings"]
    assert figures["screenings"] == {
        "total": sum(screenings["by_decision"].values()),
        "by_decision": screenings["by_decision"],
        "by_source": screenings["by_source"],
        "by_signal_type": {"md5": screenings["hash_match"]},
        "by_detection_method": {
            "hash_match": screenings["hash_match"],
            "classifier": None,
            "conversation_model": 0,
            "user_report": expected["user_reports"]["received"],
        },
    }
    review = figures["review"]
    opened = zeros("account", "appeal", "conversation", "report", "screening") | expected["opened"]
    assert review["opened"] == {"total": sum(opened.values()), "by_kind": opened}
    outcomes = zeros("confirmed", "denied", "escalated", "false_positive", "granted")
    outcomes |= expected["outcomes"]
    assert review["decided"] == {"total": sum(outcomes.values()), "by_outcome": outcomes}
    assert review["reversed"] == expected["reversed"]
    assert review["time_to_decision"] == times["review"]
    precision = {
        name: {
            "n": confirmed + wrong,
            "confirmed": confirmed,
            "false_positive": wrong,
            "precision": round(confirmed / (confirmed + wrong), 4) if confirmed + wrong else None,
        }
        for name in ("age_assurance", "conversation_model", "hash_match", "user_report")
        for confirmed, wrong in [expected["precision"].get(name, (0, 0))]
    }
    assert review["precision_by_detector"] == precision
    reports = expected["user_reports"]
    assert figures["user_reports"] == {
        "received": reports["received"],
        "by_category": zeros("csam", "grooming", "other", "underage_user") | reports["category"],
        "by_target_kind": zeros("content", "conversation", "hash", "screening", "user")
        | reports["target"],
        "decided": reports["upheld"] + reports["rejected"],
        "upheld": reports["upheld"],
        "rejected": reports["rejected"],
        "time_to_decision": times["user_reports"],
    }
    assert figures["appeals"] == expected["appeals"] | {"time_to_decision": times["appeals"]}
    assert figures["reports_to_authorities"] == {"by_authority": {}}
    assert figures["accounts"] == expected["accounts"]
    assert figures["banks"] == expected["banks"]
    volumes = figures["volumes"]
    [day] = volumes["series"]["screenings"]
    assert volumes["bucket"] == "day"
    assert volumes["series"] == {
        "screenings": {day: sum(screenings["by_decision"].values())},
        "detections": {day: 0},
        "user_reports": {day: reports["received"]},
        "review_decisions": {day: sum(outcomes.values())},
        "appeals": {day: expected["appeals"]["received"]},
    }
    assert figures["child_safety"] == {
        "processes_and_systems": {
            "detection_precision": {
                name: {"n": precision[name]["n"], "precision": precision[name]["precision"]}
                for name in ("hash_match", "conversation_model")
            },
            "time_to_decision": {k: v for k, v in times["review"].items() if k != "by_kind"},
        },
        "outcomes": {
            "detections": {
                "proactive": screenings["hash_match"],
                "user_reported": reports["received"],
                "proactive_share": round(
                    screenings["hash_match"] / (screenings["hash_match"] + reports["received"]), 4
                ),
            },
            "known_material_matched": screenings["hash_match"],
            "grooming_risk_flags": 0,
            "content_confirmed": precision["hash_match"]["confirmed"],
            "reports_to_authorities_sent": {},
            "accounts_actioned": expected["accounts"]["actioned"],
            "under_minimum_age_accounts_confirmed": expected["accounts"]["under_minimum_age"][
                "confirmed"
            ],
            "appeals_reversed": expected["appeals"]["reversed"],
        },
    }


def assurance(total: int, by_method: dict[str, dict[str, int]]) -> dict[str, Any]:
    return {
        "total": total,
        "by_method": {
            method: {
                "total": sum(bands.values()),
                "highly_effective": sum(bands.values()),
                "by_band": bands,
            }
            for method, bands in by_method.items()
        },
        "by_channel": {"api": total},
    }


def banks(at_end: int, added: int, disabled: int) -> dict[str, Any]:
    """The bank figures of MD5 entries only."""
    return {
        "entries_at_end": {"total": at_end, "by_signal_type": {"md5": at_end}},
        "added": {"total": added, "by_signal_type": {"md5": added} if added else {}},
        "disabled": {"entries": disabled, "content_items": 0},
        "enabled_again": {"entries": 0, "content_items": 0},
        "entries_deleted": 0,
    }


FIRST = {
    "screenings": {
        "by_decision": {"allow": 3, "block": 1, "review": 1},
        "by_source": {"lookup": 4, "upload": 1},
        "hash_match": 2,
    },
    "opened": {"screening": 2, "report": 1, "account": 1, "appeal": 1},
    "outcomes": {"confirmed": 3, "false_positive": 1, "granted": 1},
    "reversed": 1,
    # The upload's confirmation was reversed on appeal: only the false positive stands.
    "precision": {"age_assurance": (1, 0), "hash_match": (0, 1), "user_report": (1, 0)},
    "user_reports": {
        "received": 2,
        "category": {"csam": 1, "underage_user": 1},
        "target": {"content": 1, "user": 1},
        "upheld": 2,
        "rejected": 0,
    },
    "appeals": {"received": 1, "decided": 1, "upheld": 0, "reversed": 1},
    "accounts": {
        "actioned": 2,
        "age_assurance": assurance(
            2, {"facial_age_estimation": {"under-13": 1}, "photo_id_matching": {"18+": 1}}
        ),
        "under_minimum_age": {"flagged": 1, "confirmed": 1, "not_confirmed": 0},
        "settings_changed": {"turned_on": {}, "turned_off": {}, "by_who": {}},
    },
    "banks": banks(at_end=2, added=2, disabled=0),
}
SECOND = {
    "screenings": {
        "by_decision": {"allow": 12, "block": 1, "review": 0},
        "by_source": {"lookup": 13},
        "hash_match": 1,
    },
    "opened": {"screening": 1, "report": 1},
    "outcomes": {"confirmed": 1, "false_positive": 1},
    "reversed": 0,
    "precision": {"hash_match": (1, 0), "user_report": (0, 1)},
    "user_reports": {
        "received": 1,
        "category": {"grooming": 1},
        "target": {"content": 1},
        "upheld": 0,
        "rejected": 1,
    },
    "appeals": {"received": 0, "decided": 0, "upheld": 0, "reversed": 0},
    "accounts": {
        "actioned": 0,
        "age_assurance": assurance(1, {"facial_age_estimation": {"13-15": 1}}),
        "under_minimum_age": {"flagged": 0, "confirmed": 0, "not_confirmed": 0},
        "settings_changed": {
            "turned_on": {"location_sharing": 1},
            "turned_off": {},
            "by_who": {"self": 1},
        },
    },
    "banks": banks(at_end=1, added=0, disabled=1),
}


def api_report(
    server: Server, start: str, end: str, headers: dict[str, str] | None = None, **params: str
) -> httpx.Response:
    query = {"from": start, "to": end} | params
    return server.client.get("/v1/transparency/report", params=query, headers=headers)


@pytest.mark.usefixtures("quick_passwords")
def test_reports_of_two_periods_hold_every_figure(server: Server, database_url: str) -> None:
    start = datetime.now(UTC)
    first_period(server)
    split = datetime.now(UTC)
    second_period(server)
    end = datetime.now(UTC)
    periods = ((start, split, FIRST), (split, end, SECOND))
    for begins, ends, expected in periods:
        times = measured_times(database_url, begins, ends)
        a, b = begins.isoformat(), ends.isoformat()
        exact = api_report(server, a, b, min_count="0")
        assert exact.status_code == 200 and exact.headers["content-type"] == "application/json"
        figures = exact.json()
        assert_figures(figures, expected, times)
        assert figures["suppressed"] == []
        assert figures["period"] == {"from": a, "to": b}
        assert api_report(server, a, b, min_count="0").text == exact.text  # reproducible
        assert figures["query"]["client"] == "tests"

    # Another client's report holds only its own records, and the deployment's banks.
    a, b = split.isoformat(), end.isoformat()
    other = headers_of(server, "other-admin", "platform-b", "admin")
    theirs = api_report(server, a, b, min_count="0", headers=other).json()
    assert theirs["query"]["client"] == "platform-b"
    assert theirs["screenings"]["by_decision"] == {"allow": 0, "block": 1, "review": 0}
    assert theirs["review"]["opened"]["by_kind"]["screening"] == 1
    assert theirs["review"]["opened"]["by_kind"]["report"] == 1
    assert theirs["review"]["decided"]["total"] == 0
    assert theirs["user_reports"]["by_category"]["other"] == 1
    assert theirs["accounts"]["age_assurance"]["total"] == 0
    assert theirs["banks"] == SECOND["banks"]

    # The CLI reports every client's records (in the first period only the key's
    # client has any) to a file.
    a, b = start.isoformat(), split.isoformat()
    written = Path(server.cli.env["SAFEGUARD_DATA_DIR"]) / "report.json"
    args = ("--from", a, "--to", b, "--min-count", "0", "--out", str(written))
    assert server.cli.ok("transparency", "report", *args) == ""
    from_cli = json.loads(written.read_text(encoding="utf-8"))
    from_api = api_report(server, a, b, min_count="0").json()
    assert from_cli["query"]["client"] is None
    assert from_cli["query"]["events"] == from_api["query"]["events"]
    assert {k: v for k, v in from_cli.items() if k != "query"} == {
        k: v for k, v in from_api.items() if k != "query"
    }

    # Counts under the default k (10) suppressed, and the report says where.
    a, b = split.isoformat(), end.isoformat()
    shown = api_report(server, a, b).json()
    assert shown["query"]["min_count"] == 10
    assert shown["screenings"]["total"] == 13
    assert shown["screenings"]["by_decision"] == {"allow": 12, "block": None, "review": 0}
    assert shown["review"]["time_to_decision"]["median_seconds"] is None
    hidden = shown["suppressed"]
    assert "screenings.by_decision.block" in hidden
    assert "review.time_to_decision.median_seconds" in hidden
    assert "review.precision_by_detector.hash_match.precision" in hidden
    assert "screenings.by_decision.allow" not in hidden and "screenings.total" not in hidden
    for path in hidden:
        value: Any = shown
        for part in path.split("."):
            value = value[part]
        assert value is None, path
    kept = api_report(server, a, b, min_count="3").json()
    assert kept["screenings"]["by_decision"]["block"] is None
    assert kept["banks"]["entries_at_end"]["total"] is None
    assert kept["screenings"]["by_source"] == {"lookup": 13}

    # The DSA template's CSV holds every field of the template, in its order.
    answer = api_report(server, a, b, format="csv", min_count="0")
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [key(r) for r in rows] == [c.key for c in cells()]
    assert list(rows[0]) == list(COLUMNS)
    values = {key(r): r["value"] for r in rows}
    ones = (NOTICES, GROOMING, MINORS_NOTICES, BLOCKED_CSAM, AUTOMATED)
    assert [values[k] for k in ones] == ["1"] * len(ones)
    assert (values[UNSPECIFIED], values[PRECISION]) == ("0", "100.0")
    for row in rows:
        assert row["filled_by"] in {"platform", "safeguard", "suppressed"}
        if row["filled_by"] == "platform":
            assert row["value"] == "", row
        elif row["unit"] == "count":
            assert row["value"].isdigit(), row

    # HTML: one file, its three charts inside it, no script.
    page = api_report(server, a, b, format="html").text
    assert page.count('<img src="data:image/svg+xml;base64,') == 3
    assert "<script" not in page and "suppressed" in page
    check_bad_input(server)

    # The UI's report page and downloads are the admins'.
    with signed_in(server, "mo") as mo:
        assert mo.get("/ui/transparency").status_code == 403
    with signed_in(server, "ada") as ada:
        shown = ada.get("/ui/transparency", params={"from": a, "to": b, "min_count": "0"})
        assert shown.status_code == 200 and shown.text.count('src="data:image/svg+xml') == 3
        assert ada.get("/ui/transparency", params={"from": b, "to": a}).status_code == 400
        csv_file = ada.get(
            "/ui/transparency/download",
            params={"from": a, "to": b, "format": "csv", "min_count": "0"},
        )
        every_client = {key(r): r["value"] for r in csv.DictReader(io.StringIO(csv_file.text))}
        others = {NOTICES: "2", UNSPECIFIED: "1", BLOCKED_CSAM: "2", AUTOMATED: "2"}
        assert every_client == values | others
        assert csv_file.headers["content-disposition"].startswith("attachment;")


def check_bad_input(server: Server) -> None:
    """Bad periods, formats and counts get problem+json (the CLI's one line and exit 2
    are in tests/unit/test_transparency.py); a key without the admin scope is refused."""
    ok = ("2026-01-01", "2026-02-01")
    for params, status, slug in (
        ({"from": "2026-02-01", "to": "2026-01-01"}, 400, "bad-request"),
        ({"from": "2026-01-01", "to": "2026-01-01"}, 400, "bad-request"),
        ({"from": "yesterday", "to": ok[1]}, 400, "bad-request"),
        ({"from": ok[0], "to": ok[1], "format": "xml"}, 422, "validation-error"),
        ({"from": ok[0], "to": ok[1], "min_count": "-1"}, 422, "validation-error"),
        ({"from": ok[0]}, 422, "validation-error"),
    ):
        assert_problem(server.client.get("/v1/transparency/report", params=params), status, slug)
    screen_only = headers_of(server, "screener", "tests", "screen")
    refused = server.client.get(
        "/v1/transparency/report", params={"from": ok[0], "to": ok[1]}, headers=screen_only
    )
    assert_problem(refused, 403, "forbidden")
