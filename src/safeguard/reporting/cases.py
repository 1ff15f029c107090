"""The case a report to an authority is built from: a confirmed item's evidence, read
from the vault (each read recorded), with the facts reports name: the files' MD5, SHA-1
and SHA-256 computed from the decrypted content, every hash the screening computed,
EXIF where the image has it, and who uploaded it from where and when."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from datetime import UTC, datetime

from safeguard.evidence import vault
from safeguard.evidence.keys import Keyring
from safeguard.moderation.people import UserView
from safeguard.reporting.adapter import Case, CaseFile, IpEvent, Provider
from safeguard.store.db import Database

_MAX_EXIF = 30


def aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _parse_time(raw: object, default: datetime) -> datetime:
    if isinstance(raw, str):
        try:
            return aware(datetime.fromisoformat(raw))
        except ValueError:
            return default
    return default


def _text(raw: object, longest: int = 256) -> str | None:
    if raw is None or raw == "":
        return None
    return str(raw)[:longest]


def _exif(content: bytes) -> dict[str, str]:
    """The EXIF tags of an image, as short text (none for other content); the image's
    pixels are never decoded."""
    try:
        from PIL import ExifTags, Image

        with Image.open(io.BytesIO(content)) as image:
            tags = image.getexif()
    except Exception:  # not an image, or unreadable EXIF: none is sent
        return {}
    found: dict[str, str] = {}
    for tag, value in tags.items():
        if len(found) >= _MAX_EXIF:
            break
        if isinstance(value, bytes):
            continue
        name = ExifTags.TAGS.get(tag, f"tag_{tag}")
        text = str(value).replace("\x00", "").strip()
        if text:
            found[name[:64]] = text[:256]
    return found


def case_file(
    read: vault.EvidenceView, classification: str, annotations: tuple[str, ...]
) -> CaseFile:
    """The facts of one evidence object, as reports name them."""
    details = read.details
    received = _parse_time(details.get("received_at"), aware(read.created_at))
    hashes = details.get("hashes")
    address = _text(details.get("uploader_ip"), 45)
    port = details.get("uploader_port")
    uploaded_from = (
        IpEvent(address, port if isinstance(port, int) else None, received)
        if address is not None
        else None
    )
    return CaseFile(
        evidence_id=read.id,
        file_name=_text(details.get("file_name")) or f"{read.id}.bin",
        media_type=read.media_type,
        md5=hashlib.md5(read.content, usedforsecurity=False).hexdigest(),
        sha1=hashlib.sha1(read.content, usedforsecurity=False).hexdigest(),
        sha256=read.sha256,
        uploaded_at=received,
        classification=classification,
        annotations=annotations,
        hashes={str(k): str(v) for k, v in hashes.items()} if isinstance(hashes, dict) else {},
        exif=_exif(read.content),
        url=_text(details.get("url"), 2048),
        ip_event=uploaded_from,
    )


def build_case(
    db: Database,
    keyring: Keyring,
    item_id: str,
    evidence_ids: Sequence[str],
    user: UserView,
    classification: str,
    annotations: tuple[str, ...],
    provider: Provider,
    moderator: str,
    confirmed_at: datetime,
) -> Case:
    """The case of the item from its evidence, each object read (and the read recorded)."""
    files: list[CaseFile] = []
    ips: list[IpEvent] = []
    users: list[str] = []
    content_ids: list[str] = []
    for evidence_id in reversed(evidence_ids):  # oldest first
        read = vault.read(
            db, keyring, evidence_id, actor=user.name, purpose=f"authority report draft {item_id}"
        )
        details = read.details
        facts = case_file(read, classification, annotations)
        if facts.ip_event is not None:
            ips.append(facts.ip_event)
        if (uploader := _text(details.get("uploader_id"))) and uploader not in users:
            users.append(uploader)
        if (content_id := _text(details.get("content_id"))) and content_id not in content_ids:
            content_ids.append(content_id)
        files.append(facts)
    incident_at = min(f.uploaded_at for f in files)
    summary = (
        f"{len(files)} upload(s) of the same content flagged by hash matching against "
        f"known child sexual abuse material and confirmed by a trained moderator on "
        f"{aware(confirmed_at).date().isoformat()}."
    )
    return Case(
        item_id=item_id,
        incident_at=incident_at,
        provider=provider,
        reported_user_id=users[0] if users else None,
        content_id=content_ids[0] if content_ids else None,
        ip_events=tuple(ips),
        files=tuple(files),
        moderator=moderator,
        confirmed_at=aware(confirmed_at),
        summary=summary,
    )
