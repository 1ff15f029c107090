"""The HMA-compatible API (``/hma``) answers HMA's request and answer shapes, end to end
against a real server, backed by Safeguard's banks and screener.

The shapes are those of facebook/ThreatExchange ``hasher-matcher-actioner/src/
OpenMediaMatch/``: ``blueprints/curation.py`` (``/c/banks``, ``/c/bank/<name>``,
``.../signal``, ``.../content[/<id>]``), ``blueprints/matching.py`` (``/m/raw_lookup``,
``/m/lookup``, ``/m/compare``), ``blueprints/hashing.py`` (``/h/hash``), the models in
``schemas/{curation,matching,shared}.py`` and the errors of ``utils/flask_utils.py``
(``{"message": ...}``); and the calls roostorg/coop makes in
``server/services/hmaService/index.ts``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from safeguard.events import read_events
from safeguard.exchanges.hma import HmaExchange
from safeguard.store.db import Database
from tests.conftest import png_bytes, synthetic_photo
from tests.integration.server import Server

PDQ = "d8f8f0cec4f4a84f0637022a078f67f0b36e2ee5b6621e1d33e6239c4e9c9b22"
PDQ_NEAR = "d8f8f0cec4f4a84f0637022a078f67f0b36e2ec5b6623e1d33e6239c4e9c9b22"  # 2 bits
PDQ_FAR = "27070f313b0b57b0f9c8fdd5f870980f4c91d11a499de1e2cc19dc63b16364dd"  # every bit
MD5 = hashlib.md5(b"known").hexdigest()
SHA1 = hashlib.sha1(b"known").hexdigest()
BANK = "COOP_ORG1_KNOWN"


def is_error(response: httpx.Response, status: int) -> bool:
    """HMA's error answer: the status, and a JSON object holding a message."""
    body = response.json()
    return response.status_code == status and isinstance(body.get("message"), str)


def test_hma_clients_bank_hash_and_look_up_through_safeguard(
    server: Server, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = httpx.Client(base_url=server.base_url + "/hma", headers=server.client.headers)
    try:
        # Coop creates a bank with enabled_ratio as a string, then checks it exists.
        assert is_error(httpx.get(server.base_url + "/hma/c/banks"), 401)
        created = api.post("/c/banks", json={"name": BANK, "enabled_ratio": "1"})
        assert created.status_code == 201, created.text
        assert created.json() == {"name": BANK, "matching_enabled_ratio": 1.0}
        assert is_error(api.post("/c/banks", json={"name": BANK}), 403)
        assert is_error(api.post("/c/banks", json={"name": "HALF", "enabled_ratio": 0.5}), 400)
        assert is_error(api.post("/c/banks", json={"name": "bad name"}), 400)
        assert {"name": BANK, "matching_enabled_ratio": 1.0} in api.get("/c/banks").json()
        assert api.get(f"/c/bank/{BANK}").json()["name"] == BANK
        assert is_error(api.get("/c/bank/NO_SUCH_BANK"), 404)
        assert is_error(api.put(f"/c/bank/{BANK}", json={"enabled_ratio": 0}), 400)

        # Content from hashes, and from an uploaded photo with its metadata.
        hashes = {"pdq": PDQ.upper(), "md5": MD5, "sha1": SHA1}
        added = api.post(f"/c/bank/{BANK}/signal", json=hashes | {"note": "n"}).json()
        assert added["signals"] == {"pdq": PDQ, "md5": MD5, "sha1": SHA1}
        known = added["id"]
        assert isinstance(known, int)
        assert is_error(api.post(f"/c/bank/{BANK}/signal", json={"md5": MD5}), 403)
        assert is_error(api.post(f"/c/bank/{BANK}/signal", json={"pdq": "zz"}), 400)
        photo = png_bytes(synthetic_photo(7))
        uploaded = api.post(
            f"/c/bank/{BANK}/content",
            files={"photo": ("p.png", photo)},
            data={"metadata": json.dumps({"content_id": "coop-7"})},
        ).json()
        assert {"md5", "sha256", "sha1", "pdq"} <= set(uploaded["signals"])
        assert uploaded["signals"]["sha1"] == hashlib.sha1(photo).hexdigest()
        assert is_error(api.post(f"/c/bank/{BANK}/content", params={"url": "http://x/y"}), 400)
        content = api.get(f"/c/bank/{BANK}/content/{uploaded['id']}").json()
        assert content == {
            "id": uploaded["id"],
            "disable_until_ts": 1,
            "original_media_uri": None,
            "bank": {"name": BANK, "matching_enabled_ratio": 1.0},
            "metadata": {"content_id": "coop-7"},
        }
        with_signals = api.get(f"/c/bank/{BANK}/content/{known}?include_signals=true").json()
        assert with_signals["signals"] == added["signals"] and "metadata" not in with_signals

        # Lookups: PDQ within distance, MD5 and SHA-1 exactly, a bank filter, a miss.
        raw = api.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ_NEAR})
        assert raw.json() == {"matches": [known]}
        near = {"signal_type": "pdq", "signal": PDQ_NEAR, "include_distance": "true"}
        assert api.get("/m/raw_lookup", params=near).json() == {
            "matches": [{"bank_content_id": known, "distance": "2"}]
        }
        for kind, value in (("md5", MD5), ("sha1", SHA1.upper())):
            found = api.get("/m/lookup", params={"signal_type": kind, "signal": value})
            assert found.json() == {BANK: [{"bank_content_id": known, "distance": "-"}]}
        other_bank = {"signal_type": "md5", "signal": MD5, "banks": "SOME_OTHER"}
        assert api.get("/m/raw_lookup", params=other_bank).json() == {"matches": []}
        assert api.get("/m/lookup", params={"signal_type": "pdq", "signal": PDQ_FAR}).json() == {}
        by_type = api.post("/m/lookup", files={"photo": ("p.png", photo)}).json()
        assert by_type["pdq"] == {BANK: [{"bank_content_id": uploaded["id"], "distance": "0"}]}
        assert by_type["sha1"][BANK][0]["distance"] == "-"
        hashed = api.post("/h/hash", files={"photo": ("p.png", photo)}).json()
        assert hashed == uploaded["signals"]
        compared = api.post("/m/compare", json={"pdq": [PDQ, PDQ_NEAR], "md5": [MD5, MD5]})
        assert compared.json() == {"pdq": [True, {"distance": 2}], "md5": [True, {}]}

        # A client that sends no headers (Coop) puts the key in its base URL.
        keyed = f"{server.base_url}/hma/key/{server.key}/m/lookup"
        assert httpx.get(keyed, params={"signal_type": "md5", "signal": MD5}).json() == {
            BANK: [{"bank_content_id": known, "distance": "-"}]
        }
        assert is_error(httpx.get(f"{server.base_url}/hma/key/wrong/c/banks"), 401)

        # Bad input answers HMA's error shape.
        assert is_error(
            api.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": "zz"}), 400
        )
        unknown = api.get("/m/raw_lookup", params={"signal_type": "tmk", "signal": "00"})
        assert is_error(unknown, 400) and "unknown signal type" in unknown.json()["message"]
        assert is_error(api.get("/m/raw_lookup", params={"signal_type": "pdq"}), 422)
        assert is_error(api.get("/m/lookup"), 400)
        assert is_error(api.get("/h/hash", params={"url": "http://x/y"}), 400)
        assert is_error(api.post("/h/hash", files={"audio": ("a", b"x")}), 400)
        assert is_error(api.post("/m/compare", json={"pdq": [PDQ]}), 400)

        # Another Safeguard's hma exchange reads the bank a page at a time.
        monkeypatch.setenv("PEER_KEY", server.key)
        peer = {"base_url": f"{server.base_url}/hma", "bank": BANK, "token_env": "PEER_KEY"}
        exported = exported_values(peer)
        assert exported == {(k, v, str(known)) for k, v in added["signals"].items()} | {
            (k, v, str(uploaded["id"])) for k, v in uploaded["signals"].items()
        }

        # Disabled content stops matching; deleted content and banks are gone.
        disabled = api.put(f"/c/bank/{BANK}/content/{known}", json={"disable_until_ts": 0})
        assert disabled.json()["disable_until_ts"] == 0
        assert exported_values(peer) == {v for v in exported if v[2] == str(uploaded["id"])}
        assert api.get("/m/lookup", params={"signal_type": "md5", "signal": MD5}).json() == {}
        assert is_error(
            api.put(f"/c/bank/{BANK}/content/{known}", json={"disable_until_ts": 9}), 400
        )
        assert api.delete(f"/c/bank/{BANK}/content/{known}").json() == {"deleted": 1}
        assert api.delete(f"/c/bank/{BANK}/content/{known}").json() == {"deleted": 0}
        assert is_error(api.get(f"/c/bank/{BANK}/content/{known}"), 404)
        assert api.delete(f"/c/bank/{BANK}").json() == {"message": "Done"}
        assert is_error(api.get(f"/c/bank/{BANK}"), 404)
    finally:
        api.close()

    # Every lookup was decided and audited as POST /v1/lookup's are, with source "hma".
    decided = audited_decisions(database_url)
    assert len(decided) == 9
    assert decided.count("block") == 7 and set(decided) == {"block", "allow"}


def exported_values(settings: dict[str, str]) -> set[tuple[str, str, str | None]]:
    """What a peer's ``hma`` exchange reads of the bank, one content item per page."""
    pages = HmaExchange(page_size=1).fetch(settings, None)
    return {(a.signal_type, a.value, a.external_id) for page in pages for a in page.additions}


def audited_decisions(database_url: str) -> list[Any]:
    db = Database(database_url)
    try:
        with db.read_session() as session:
            events = read_events(session, kinds=["screening.decided"], limit=1000)
    finally:
        db.dispose()
    assert {event.details["source"] for event in events} == {"hma"}
    return [event.details["decision"] for event in events]
