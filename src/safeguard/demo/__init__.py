"""The demo set-up used by ``make run``: a bank of sample images, an API key and a key
for the evidence vault (so that the moderator UI can show flagged uploads).

The key may only screen (the ``screen`` scope): the README's tour screens images and
scores a conversation, and the demo bank is made here, not over the API.

The sample images are benign test images from Meta's ThreatExchange repository (BSD
licence, ``LICENSE`` beside them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from safeguard import apikeys
from safeguard.banks import service
from safeguard.banks.models import BankSpec, entries_of
from safeguard.config import Settings
from safeguard.events import SYSTEM_ACTOR
from safeguard.evidence.keys import DEMO_KEY_FILE, load_keyring, new_key_line
from safeguard.media.decode import DecodeLimits
from safeguard.screening.signals import content_signals
from safeguard.store.db import Database

BANK = "demo"
KEY_NAME = "demo"
KEY_FILE = "demo-api-key"
KEY_SCOPES = (apikeys.Scope.SCREEN,)
IMAGES = Path(__file__).parent / "images"
_LIMITS = DecodeLimits(max_bytes=10 * 1024 * 1024, max_pixels=10_000_000)


def setup(db: Database, settings: Settings) -> Iterator[str]:
    """Create the demo bank and keys if missing; yield what was done, line by line."""
    data_dir = settings.data_dir
    with db.session() as session:
        names = {s.bank.name for s in service.list_banks(session)}
        if BANK not in names:
            bank = service.create_bank(session, BankSpec(BANK))
            entries = []
            for path in sorted(IMAGES.glob("*.jpg")):
                signals = content_signals(path.read_bytes(), _LIMITS, views=False)
                source = f"demo image {path.name}"
                found, _ = entries_of(signals, source=source, item_key=path.name, min_quality=0)
                entries += found
            result = service.add_entries(session, bank, entries)
            yield f"created bank {BANK!r} with {len(result.added_ids)} entries"
        else:
            yield f"bank {BANK!r} already exists"
        key_path = data_dir / KEY_FILE
        if not apikeys.has_key(session, KEY_NAME):
            key = apikeys.add_key(session, KEY_NAME, SYSTEM_ACTOR, scopes=KEY_SCOPES)
            data_dir.mkdir(parents=True, exist_ok=True)
            key_path.write_text(key + "\n")
            key_path.chmod(0o600)
            scopes = ", ".join(KEY_SCOPES)
            yield f"created API key {KEY_NAME!r} (scopes: {scopes}), saved in {key_path}"
        else:
            yield f"API key {KEY_NAME!r} already exists (saved in {key_path})"
    yield from _evidence_key(settings)


def _evidence_key(settings: Settings) -> Iterator[str]:
    """A key for the evidence vault in the data dir, unless one is configured or there."""
    data_dir = settings.data_dir
    if load_keyring(settings) is not None:
        yield "the evidence vault has a key"
        return
    path = data_dir / DEMO_KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(new_key_line("demo") + "\n")
    yield f"created an evidence vault key in {path} (for a tour only: docs/evidence.md)"
