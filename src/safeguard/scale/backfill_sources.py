"""Where a backfill reads stored media: a local folder (walked), an S3-compatible bucket
(boto3; credentials from the standard AWS variables), or a text file of http(s) URLs.

A source lists its items in the driver and reads one item's bytes in a Ray worker, so a
source is a small picklable value; each read is capped at the upload size limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from safeguard.errors import BadRequest, ContentTooLarge, SafeguardError
from safeguard.media.decode import DecodeLimits, check_size

_CHUNK = 1024 * 1024
_SCHEMES = ("http", "https")


class Unreadable(SafeguardError):
    """An item could not be read from its source (gone, refused, unreachable)."""

    slug = "unreadable"
    title = "Unreadable item"
    status = 502


@dataclass(frozen=True)
class Listed:
    """One item of a source: where it is, and what changes when its content does (size
    and modification time, ETag and size; nothing for a URL)."""

    location: str
    version: str


class Source(Protocol):
    """Stored media to backfill."""

    @property
    def name(self) -> str:
        """The source, normalised: runs over the same source have the same name."""
        ...

    def listing(self) -> Iterator[Listed]:
        """Every item, in a stable order."""
        ...

    def read(self, location: str, limits: DecodeLimits) -> bytes:
        """One item's bytes; ``ContentTooLarge`` over the cap, ``Unreadable`` if gone."""
        ...


@dataclass(frozen=True)
class Folder:
    """Every file below a local folder."""

    root: Path

    @property
    def name(self) -> str:
        return str(self.root)

    def listing(self) -> Iterator[Listed]:
        for path in sorted(p for p in self.root.rglob("*") if p.is_file()):
            stat = path.stat()
            yield Listed(str(path), f"{stat.st_size}:{stat.st_mtime_ns}")

    def read(self, location: str, limits: DecodeLimits) -> bytes:
        path = Path(location)
        try:
            check_size(path.stat().st_size, limits, cap=limits.largest_bytes)
            with path.open("rb") as handle:
                data = handle.read(limits.largest_bytes + 1)
        except OSError as exc:
            raise Unreadable(f"cannot read {location}: {exc.strerror}") from None
        check_size(len(data), limits, cap=limits.largest_bytes)  # it may have grown
        return data


@dataclass(frozen=True)
class Bucket:
    """Every object under a prefix of an S3 bucket, at AWS or at ``endpoint_url`` (an
    S3-compatible store such as MinIO)."""

    bucket: str
    prefix: str
    endpoint_url: str | None = None

    @property
    def name(self) -> str:
        at = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"s3://{self.bucket}/{self.prefix}{at}"

    def listing(self) -> Iterator[Listed]:
        from botocore.exceptions import BotoCoreError, ClientError

        pages = _s3(self.endpoint_url).get_paginator("list_objects_v2")
        try:
            for page in pages.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for found in page.get("Contents", []):
                    key = found["Key"]
                    if not key.endswith("/"):
                        etag = found.get("ETag", "").strip('"')
                        yield Listed(key, f"{etag}:{found['Size']}")
        except (BotoCoreError, ClientError) as exc:
            raise BadRequest(f"cannot list s3://{self.bucket}/{self.prefix}: {exc}") from None

    def read(self, location: str, limits: DecodeLimits) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = _s3(self.endpoint_url).get_object(Bucket=self.bucket, Key=location)
            with closing(answer["Body"]) as body:
                check_size(answer["ContentLength"], limits, cap=limits.largest_bytes)
                data = bytearray()
                while chunk := body.read(_CHUNK):
                    data += chunk
                    check_size(len(data), limits, cap=limits.largest_bytes)
        except (BotoCoreError, ClientError) as exc:
            raise Unreadable(f"cannot read s3://{self.bucket}/{location}: {exc}") from None
        return bytes(data)


@dataclass(frozen=True)
class UrlList:
    """The http(s) URLs of a text file, one a line (blank lines and ``#`` comments left
    out); each is fetched with one GET within ``seconds``, redirects not followed."""

    path: Path
    seconds: float

    @property
    def name(self) -> str:
        return f"urls:{self.path}"

    def listing(self) -> Iterator[Listed]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise BadRequest(f"{self.path}: not a readable text file of URLs ({exc})") from None
        for number, line in enumerate(lines, start=1):
            url = line.strip()
            if not url or url.startswith("#"):
                continue
            if urlsplit(url).scheme not in _SCHEMES or not urlsplit(url).netloc:
                raise BadRequest(f"{self.path}, line {number}: not an http(s) URL")
            yield Listed(url, "")

    def read(self, location: str, limits: DecodeLimits) -> bytes:
        from safeguard.integrations.fetch import FetchFailed, MediaTooLarge, fetch

        cap = limits.largest_bytes
        try:
            fetched = asyncio.run(fetch(location, max_bytes=cap, seconds=self.seconds))
        except MediaTooLarge:
            raise ContentTooLarge(f"the content is over the limit of {cap} bytes") from None
        except FetchFailed as exc:
            raise Unreadable(f"cannot fetch {location}: {exc}") from None
        if not 200 <= fetched.status < 300:
            raise Unreadable(f"cannot fetch {location}: the server answered {fetched.status}")
        check_size(len(fetched.data), limits, cap=cap)
        return fetched.data


def open_source(text: str, *, endpoint_url: str | None = None, seconds: float = 30.0) -> Source:
    """The source ``text`` names: ``s3://bucket/prefix``, a folder, or a file of URLs."""
    if text.startswith("s3://"):
        bucket, _, prefix = text.removeprefix("s3://").partition("/")
        if not bucket:
            raise BadRequest(f"{text}: name a bucket, as s3://bucket/prefix")
        return Bucket(bucket, prefix, endpoint_url)
    path = Path(text).resolve()
    if path.is_dir():
        return Folder(path)
    if path.is_file():
        return UrlList(path, seconds)
    raise BadRequest(f"{text}: no such folder, file of URLs or s3:// bucket")


@cache
def _s3(endpoint_url: str | None) -> Any:
    """One S3 client per process and endpoint; credentials from the AWS environment."""
    import boto3

    return boto3.client("s3", endpoint_url=endpoint_url)
