"""The Python client (``safeguard.client``) against a real server, on SQLite and
PostgreSQL: the blocking client from a bank to a moderator's decision and an appeal, the
asyncio client through lists, conversations, accounts, webhooks and reports; error
answers raised as typed exceptions carrying the problem."""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from safeguard.client import (
    AsyncClient,
    Client,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    ReportTarget,
    Screening,
    Unauthorized,
)
from safeguard.errors import PROBLEM_BASE
from safeguard.moderation import people
from safeguard.store.db import Database
from tests.conftest import png_bytes, synthetic_photo
from tests.integration.server import Server, create_api_key
from tests.integration.test_ui_decisions import post, signed_in
from tests.integration.ui import PASSWORD


def photo(seed: int) -> tuple[bytes, str]:
    """A PNG made here, and its MD5."""
    data = png_bytes(synthetic_photo(seed))
    return data, hashlib.md5(data).hexdigest()


def decide(server: Server, item_id: str) -> None:
    """A moderator (made in this process: quicker than the CLI) confirms the review item
    in the UI."""
    db = Database(server.cli.env["SAFEGUARD_DATABASE_URL"])
    try:
        people.create_user(db, "client-mod", PASSWORD, "moderator", "tests")
    finally:
        db.dispose()
    page = f"/ui/items/{item_id}"
    with signed_in(server, "client-mod") as ui:
        assert post(ui, f"{page}/decide", outcome="confirmed", reason="seen").status_code == 303


@pytest.mark.usefixtures("quick_passwords")
def test_the_client_from_a_bank_to_a_decision_and_an_appeal(shared_server: Server) -> None:
    image, md5 = photo(31)
    with Client(shared_server.base_url, shared_server.key) as api:
        assert api.health().status == "ok" and api.ready().status == "ready"
        bank = api.create_bank("client-sync", action="review")
        assert (bank.name, bank.action, bank.kind) == ("client-sync", "review", "list")
        entry = api.add_entry("client-sync", "md5", md5, external_id="ext-1", labels=["test"])
        assert entry.enabled and entry.labels == ["test"]

        screened = api.screen(image, content_id="post-1", uploader_id="u-1", file_name="a.png")
        assert isinstance(screened, Screening) and screened.decision == "review"
        [match] = screened.matches
        assert (match.bank, match.entry_id, match.signal_type) == ("client-sync", entry.id, "md5")
        assert screened.signals.md5 == md5 and screened.signals.pdq is not None
        record = api.get_screening(screened.screening_id)
        assert (record.decision, record.content_id, record.source) == ("review", "post-1", "upload")
        assert api.lookup({"md5": md5}).decision == "review"
        [item] = [i for i in api.list_review_items() if i.screening_id == screened.screening_id]
        assert item.kind == "screening" and item.occurrences >= 1

        target = ReportTarget(kind="screening", value=screened.screening_id)
        report = api.create_report("r-1", "csam", target, text="seen in a group")
        assert (report.status, report.review_item_id) == ("received", item.id)
        decide(shared_server, item.id)
        decided = api.get_report(report.id)
        assert decided.status == "actioned" and decided.decision_id is not None
        appeal = api.create_appeal(decided.decision_id, "u-1", "a holiday photo")
        assert api.get_appeal(appeal.id).status == "pending"
        with pytest.raises(Conflict):
            api.create_appeal(decided.decision_id, "u-1", "again")

        with pytest.raises(NotFound) as missing:
            api.get_bank("no-such-bank")
        error = missing.value
        assert (error.status, error.type) == (404, PROBLEM_BASE + "not-found")
        assert error.title and "no-such-bank" in error.detail and error.problem["status"] == 404
        with pytest.raises(InvalidRequest) as invalid:
            api.add_entry("client-sync", "md5", "not hex")
        assert invalid.value.status == 422 and invalid.value.type == PROBLEM_BASE + "invalid-signal"

        assert api.set_entry_enabled("client-sync", entry.id, False).enabled is False
        assert api.lookup({"md5": md5}).decision == "allow"
        api.delete_entry("client-sync", entry.id)
        assert api.list_entries("client-sync").entries == []

    with Client(shared_server.base_url, "sg_not-a-key") as stranger:
        with pytest.raises(Unauthorized) as refused:
            stranger.list_banks()
        assert refused.value.type == PROBLEM_BASE + "unauthorized"


def test_the_async_client_through_every_area(shared_server: Server) -> None:
    image, md5 = photo(32)
    now = datetime.now(UTC)
    database_url = shared_server.cli.env["SAFEGUARD_DATABASE_URL"]
    screen_only = create_api_key(database_url, "screen-only", "tests", ["screen"])

    async def run() -> None:
        async with AsyncClient(shared_server.base_url, shared_server.key) as api:
            await api.create_bank("client-async")
            imported = await api.import_list("client-async", f"md5,{md5},ext-2\n")
            assert (imported.added, imported.already_present) == (1, 0)
            again = await api.import_list("client-async", f"md5,{md5},ext-2\n")
            assert (again.added, again.already_present) == (0, 1)
            assert md5 in await api.export_list("client-async")
            [entry] = (await api.list_entries("client-async")).entries
            item = await api.get_item("client-async", entry.content_item_id)
            assert item.external_id == "ext-2" and [e.value for e in item.entries] == [md5]
            assert (await api.set_item_enabled("client-async", item.id, True)).enabled

            screened = await api.screen(io.BytesIO(image), text="look: https://example.com/a")
            assert isinstance(screened, Screening) and screened.decision == "block"
            text_only = await api.screen(url="https://example.com/page")
            assert isinstance(text_only, Screening) and text_only.decision == "allow"
            with pytest.raises(NotFound):
                await api.get_job("00000000-0000-0000-0000-000000000000")
            assert "safeguard_" in await api.metrics()

            sent = await api.add_message("conv-1", "adult-1", "hi, how old are you?", now)
            assert sent.message_index == 0 and sent.conversation_id == "conv-1"
            transcript = "a: hello\nb: hi there\n"
            scored = await api.add_transcript(
                "conv-2", transcript, now, sender_age_bands={"b": "13-15"}
            )
            assert scored.messages == 2
            assert (await api.get_conversation("conv-1")).messages == 1

            account = await api.declare_account("kid-1", declared_age=12)
            assert account.band == "under-13" and account.treated_as_child
            await api.declare_account("adult-1", declared_age=40)
            await api.connect("kid-1", "adult-1")
            await api.disconnect("kid-1", "adult-1")
            answer = await api.ask_policy("message", "adult-1", "kid-1")
            assert answer.allowed is False and answer.subject_band == "under-13"
            assert (await api.get_account("kid-1")).user_id == "kid-1"
            with pytest.raises(Forbidden):
                await api.change_setting("kid-1", "public_profile", True, "kid-1")
            assured = await api.record_age_assurance(
                "adult-1", "client-provider", "facial_age_estimation", "18+", 0.95, now
            )
            assert assured.band == "18+" and assured.assured
            provider = await api.add_age_assurance_provider("client-provider")
            assert provider.callback_path.endswith(provider.id) and provider.secret

            hook = await api.create_webhook("https://hooks.example/safeguard", ["review.decided"])
            assert hook.secret and hook.events == ["review.decided"]
            assert hook.id in {w.id for w in await api.list_webhooks()}
            assert await api.list_webhook_deliveries(hook.id, limit=5) == []
            assert (await api.disable_webhook(hook.id)).disabled_at is not None
            with pytest.raises(Conflict):
                await api.disable_webhook(hook.id)

            report = await api.transparency_report(date.today(), date.today() + timedelta(days=1))
            assert report.screenings and set(report.period) == {"from", "to"}
            csv = await api.transparency_report_file(now.date(), now + timedelta(days=1), "csv")
            assert csv.strip()

            with pytest.raises(InvalidRequest) as invalid:
                await api.create_bank("not a valid name!")
            assert invalid.value.type == PROBLEM_BASE + "invalid-name"
            await api.delete_bank("client-async")
            with pytest.raises(NotFound):
                await api.get_bank("client-async")

        async with AsyncClient(shared_server.base_url, screen_only) as limited:
            with pytest.raises(Forbidden) as forbidden:
                await limited.list_banks()
            assert forbidden.value.status == 403 and "banks" in forbidden.value.detail

    asyncio.run(run())
