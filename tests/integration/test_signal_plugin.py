"""A signal type from a separate package, found through the ``safeguard.signal_types``
entry point, screens uploads and lookups in a real server. No Safeguard module names it."""

from __future__ import annotations

import os
from pathlib import Path

from safeguard.media.content import decode_content
from safeguard.media.decode import DecodeLimits
from tests.conftest import jpeg_bytes, png_bytes, synthetic_photo
from tests.integration.server import environment, start_server
from tests.plugin_path import PLUGINS, toy_plugin_installed

LIMITS = DecodeLimits(max_bytes=8 * 1024 * 1024, max_pixels=4_000_000)


def _ahash(data: bytes) -> str:
    """The toy plug-in's value for an image, computed in this process."""
    with toy_plugin_installed():
        from safeguard_toy_signal import AHASH

        return AHASH.hash_content(decode_content(data, LIMITS))[0].value


def test_a_plugin_signal_type_screens_content(database_url: str, tmp_path: Path) -> None:
    paths = [str(PLUGINS), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = environment(tmp_path / "data", database_url, PYTHONPATH=os.pathsep.join(paths))
    server = start_server(env)
    photo, other = synthetic_photo(11), synthetic_photo(12)
    value = _ahash(png_bytes(photo))
    try:
        api = server.client
        assert api.get("/v1/health").json()["index"] == {"pdq": 0, "vpdq": 0, "ahash": 0}
        unknown = server.screen(png_bytes(photo)).json()
        assert unknown["decision"] == "allow" and unknown["signals"]["ahash"] == value

        bank = api.post("/v1/banks", json={"name": "toys", "thresholds": {"ahash": 6}})
        assert bank.status_code == 201, bank.text
        assert bank.json()["thresholds"] == {"pdq": 31, "vpdq": 31, "ahash": 6}
        entry = api.post("/v1/banks/toys/entries", json={"signal_type": "ahash", "value": value})
        assert entry.status_code == 201, entry.text

        # A JPEG of the same picture: other bytes, the same (or a near) average hash.
        again = server.screen(jpeg_bytes(photo, 70)).json()
        assert again["decision"] == "block"
        assert [(m["signal_type"], m["entry_id"]) for m in again["matches"]] == [
            ("ahash", entry.json()["id"])
        ]
        assert server.screen(png_bytes(other)).json()["decision"] == "allow"
        lookup = api.post("/v1/lookup", json={"signals": {"ahash": value.upper()}}).json()
        assert lookup["decision"] == "block" and lookup["signals"]["ahash"] == value
        assert api.get("/v1/health").json()["index"] == {"pdq": 0, "vpdq": 0, "ahash": 1}

        too_wide = api.post("/v1/banks", json={"name": "wide", "thresholds": {"ahash": 11}})
        assert too_wide.status_code == 422
    finally:
        server.stop()
