"""Configuration from ``SAFEGUARD_*`` environment variables (see docs/configuration.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from safeguard.accounts.policy import MAY_TURN_ON, MayTurnOn, parse_may_turn_on
from safeguard.errors import ConfigError

DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_IMAGE_PIXELS = 50_000_000
DEFAULT_MAX_IMAGE_SIDE = 32_768  # a long vertical comic or a panorama, not a 1-pixel sliver
DEFAULT_MAX_IMAGE_ASPECT_RATIO = 100  # long side over short side
DEFAULT_MAX_VIDEO_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_VIDEO_SECONDS = 3 * 3600
DEFAULT_MAX_VIDEO_PIXELS = 3840 * 2160  # 4K UHD
DEFAULT_MAX_VIDEO_FRAMES = 650_000  # three hours at 60 frames a second
DEFAULT_PDQ_VIEW_ALLOWANCE = 13  # extra bits for views that undo an edit (screening/views.py)
DEFAULT_EVIDENCE_KEY_ENV = "SAFEGUARD_EVIDENCE_KEYS"
MIN_EVIDENCE_HOLD_DAYS = 365  # the law asks that reported content be kept a year
MIN_WEBHOOK_RETRY_HOURS = 24  # a receiver down for a day still gets every event
JURISDICTIONS = ("us", "uk")  # where reports go: us -> NCMEC, uk -> the NCA
ENVIRONMENTS = ("test", "production")  # an authority's environment


class Role(StrEnum):
    """What a process serves (SAFEGUARD_ROLES); one process may take several."""

    API = "api"  # the /v1 API: screening with the in-memory index, banks, reviews, ...
    UI = "ui"  # the moderator UI under /ui
    WORKER = "worker"  # background work: webhooks, reports, exchanges, jobs, text erasure


def _roles(env: dict[str, str]) -> frozenset[Role]:
    """SAFEGUARD_ROLES: a comma list of roles (default all of them)."""
    raw = [p.strip().lower() for p in env.get("SAFEGUARD_ROLES", "").split(",") if p.strip()]
    known = {role.value: role for role in Role}
    unknown = [name for name in raw if name not in known]
    if unknown:
        raise ConfigError(f"SAFEGUARD_ROLES: unknown {', '.join(unknown)}; use {', '.join(known)}")
    return frozenset(known[name] for name in raw) if raw else frozenset(Role)


def _jurisdictions(env: dict[str, str]) -> tuple[str, ...]:
    """SAFEGUARD_REPORT_JURISDICTIONS: a comma list from JURISDICTIONS (default none)."""
    raw = env.get("SAFEGUARD_REPORT_JURISDICTIONS", "")
    chosen = tuple(dict.fromkeys(p.strip().lower() for p in raw.split(",") if p.strip()))
    unknown = [j for j in chosen if j not in JURISDICTIONS]
    if unknown:
        raise ConfigError(
            f"SAFEGUARD_REPORT_JURISDICTIONS: unknown {', '.join(unknown)}; "
            f"use {', '.join(JURISDICTIONS)}"
        )
    return chosen


def _provider_given(env: dict[str, str]) -> None:
    """Reports name the provider: once a jurisdiction is set, its details are required."""
    if not _jurisdictions(env):
        return
    for name in ("NAME", "CONTACT_NAME", "CONTACT_EMAIL"):
        if not env.get(f"SAFEGUARD_PROVIDER_{name}", "").strip():
            raise ConfigError(f"SAFEGUARD_PROVIDER_{name} is required to report to authorities")


def _environment(env: dict[str, str], name: str) -> str:
    raw = env.get(name, "").strip().lower() or "test"
    if raw not in ENVIRONMENTS:
        raise ConfigError(f"{name} must be test or production, got {raw!r}")
    return raw


def _int(env: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _path(env: dict[str, str], name: str) -> Path | None:
    """A path (``~`` expanded), or None when the variable is unset or empty."""
    raw = env.get(name, "").strip()
    return Path(raw).expanduser() if raw else None


def _number(
    env: dict[str, str], name: str, what: str, low: float, high: float, *, open_range: bool = False
) -> float | None:
    """A number from ``low`` to ``high`` (strictly between them with ``open_range``), or
    None when unset; ``what`` names it in the error."""
    raw = env.get(name, "").strip()
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be {what}, got {raw!r}") from None
    inside = low < value < high if open_range else low <= value <= high
    if not inside:
        bounds = "(exclusive)" if open_range else "(inclusive)"
        raise ConfigError(f"{name} must be between {low:g} and {high:g} {bounds}, got {value}")
    return value


def _fraction(env: dict[str, str], name: str) -> float | None:
    """An optional number strictly between 0 and 1."""
    return _number(env, name, "a number between 0 and 1", 0.0, 1.0, open_range=True)


def _share(env: dict[str, str], name: str, default: float) -> float:
    """A number from 0 to 1."""
    value = _number(env, name, "a number from 0 to 1", 0.0, 1.0)
    return default if value is None else value


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    """A number of seconds from 0 to 60 (0: every frame)."""
    value = _number(env, name, "a number of seconds", 0.0, 60.0)
    return default if value is None else value


def _percent(env: dict[str, str], name: str, default: float) -> float:
    value = _number(env, name, "a percentage", 0.0, 100.0)
    return default if value is None else value


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _choice(env: dict[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first when unset)."""
    raw = env.get(name, "").strip().lower() or choices[0]
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _http_url(env: dict[str, str], name: str) -> str | None:
    """An http(s) base URL without a trailing slash, or None when unset."""
    raw = env.get(name, "").strip().rstrip("/")
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigError(f"{name} must be an http(s) URL with a host, got {raw!r}")
    return raw


def _mastodon(env: dict[str, str]) -> dict[str, Any]:
    """The Mastodon webhook consumer's settings: the URL needs the secret and the token."""
    url = _http_url(env, "SAFEGUARD_MASTODON_URL")
    secret = env.get("SAFEGUARD_MASTODON_WEBHOOK_SECRET") or None
    token = env.get("SAFEGUARD_MASTODON_TOKEN", "").strip() or None
    if url is not None and (secret is None or token is None):
        raise ConfigError(
            "SAFEGUARD_MASTODON_URL needs SAFEGUARD_MASTODON_WEBHOOK_SECRET and "
            "SAFEGUARD_MASTODON_TOKEN"
        )
    hosts = env.get("SAFEGUARD_MASTODON_MEDIA_HOSTS", "")
    return {
        "mastodon_url": url,
        "mastodon_webhook_secret": secret,
        "mastodon_token": token,
        "mastodon_client": env.get("SAFEGUARD_MASTODON_CLIENT", "").strip() or "mastodon",
        "mastodon_media_hosts": tuple(h.strip().lower() for h in hosts.split(",") if h.strip()),
        "mastodon_report_category": _choice(
            env, "SAFEGUARD_MASTODON_REPORT_CATEGORY", ("legal", "violation", "other", "spam")
        ),
    }


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True)
class Settings:
    """Everything the service, the CLI and the library read from the environment."""

    data_dir: Path
    database_url: str
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    max_image_side: int = DEFAULT_MAX_IMAGE_SIDE
    max_image_aspect_ratio: int = DEFAULT_MAX_IMAGE_ASPECT_RATIO
    max_video_bytes: int = DEFAULT_MAX_VIDEO_BYTES
    max_video_seconds: int = DEFAULT_MAX_VIDEO_SECONDS
    max_video_pixels: int = DEFAULT_MAX_VIDEO_PIXELS
    max_video_frames: int = DEFAULT_MAX_VIDEO_FRAMES  # decoded frames, hashed or not
    video_seconds_per_hash: float = 1.0  # an upload's frames are hashed this far apart
    vpdq_bank_seconds_per_hash: float = 0.0  # a banked video: every frame (signals/vpdq.py)
    vpdq_query_match_percent: float = 80.0  # of the upload's frames found in the bank video
    vpdq_compared_match_percent: float = 0.0  # of the bank video's frames found in the upload
    vpdq_min_clip_seconds: float = 5.0  # an excerpt this long matches whatever the shares
    screen_budget_seconds: float = 5.0  # uploads expected to take longer become jobs (202)
    job_interval_seconds: int = 2  # how often each API worker looks for queued jobs
    job_lease_seconds: int = 60  # a job's worker silent this long is gone: the job restarts
    job_retention_days: int = 7  # an ended job (its answer) is forgotten this long after
    pdq_min_quality: int = 50
    pdq_view_allowance: int = DEFAULT_PDQ_VIEW_ALLOWANCE
    message_retention_hours: int = 168
    conversation_model: Path | None = None
    conversation_threshold: float | None = None  # the model's own when None
    auto_migrate: bool = True
    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: int = 8  # a UI session ends this long after login
    login_max_failures: int = 5  # failed logins per name (x4 per address) in the window
    login_window_minutes: int = 15
    secure_cookies: bool = False  # set behind TLS: the UI's cookies are then HTTPS-only
    break_after_items: int = 20  # the UI suggests a break after a moderator viewed this many
    evidence_key_file: Path | None = None  # the evidence vault's keys (safeguard.evidence.keys)
    evidence_key_env: str = DEFAULT_EVIDENCE_KEY_ENV  # or the variable of this name holds them
    evidence_retention_days: int = 90  # kept content not confirmed as a violation
    evidence_hold_days: int = MIN_EVIDENCE_HOLD_DAYS  # legal hold of confirmed violations
    webhook_interval_seconds: int = 5  # how often each API worker dispatches and sends
    webhook_retry_hours: int = 48  # a delivery is retried this long, then it has failed
    webhook_backoff_seconds: int = 30  # the first retry's delay, doubling up to 1 h
    report_jurisdictions: tuple[str, ...] = ()  # where confirmed items are reported
    report_interval_seconds: int = 30  # how often the worker retries due report steps
    exchange_interval_seconds: int = 3600  # how often each API worker fetches exchanges
    exchange_feedback_interval_seconds: int = 60  # how often it sends exchange feedback
    provider_name: str | None = None  # who reports: the platform, as authorities know it
    roles: frozenset[Role] = frozenset(Role)  # what this process serves
    snapshot_interval_seconds: int = 600  # how often index snapshots are written; 0: never
    snapshot_dir: Path | None = None  # default <data dir>/snapshots
    provider_contact_name: str | None = None
    provider_contact_email: str | None = None
    provider_contact_phone: str | None = None
    provider_country: str | None = None  # ISO 3166-1 alpha-2, e.g. GB
    nca_environment: str = "test"  # the UK National Crime Agency: test or production
    nca_url: str | None = None  # its reporting endpoint (default: a test placeholder)
    nca_token: str | None = field(default=None, repr=False)  # its bearer token
    ncmec_environment: str = "test"  # NCMEC CyberTipline: production only when set so
    ncmec_url: str | None = None  # overrides the environment's base URL (e.g. a fake)
    ncmec_username: str | None = None  # from NCMEC's ESP registration
    ncmec_password: str | None = field(default=None, repr=False)
    nudity_classifier: str = "nudenet"  # communication safety: blur or show images
    nudity_threshold: float | None = None  # the score that blurs; the classifier's own when None
    minimum_age: int = 13  # the service's minimum age: younger assured users are reviewed
    unknown_age_as_child: bool = True  # no age evidence: a child's defaults apply
    child_may_turn_on: MayTurnOn = field(default_factory=lambda: dict(MAY_TURN_ON))
    age_assurance_min_confidence: float = 0.8  # outcomes below it are listed, not counted
    guidance_file: Path | None = None  # supportive prompts per locale (accounts/guidance.py)
    guidance_locale: str = "en-GB"  # prompts for requests that name no locale
    transparency_min_count: int = 10  # transparency reports suppress smaller counts (0: none)
    platform_review: str = "reject"  # what a review decision tells pict-rs and Matrix
    platform_fetch_seconds: int = 10  # time cap of each media fetch from Matrix or Mastodon
    pictrs_enabled: bool = False  # serve pict-rs external validation
    matrix_homeserver_url: str | None = None  # serve the Matrix content scanner API from it
    matrix_client: str = "matrix"  # the client Matrix screenings are recorded for
    mastodon_url: str | None = None  # consume the admin webhooks of this Mastodon server
    mastodon_webhook_secret: str | None = field(default=None, repr=False)
    mastodon_token: str | None = field(default=None, repr=False)  # scope write:reports
    mastodon_client: str = "mastodon"  # the client Mastodon screenings are recorded for
    mastodon_media_hosts: tuple[str, ...] = ()  # hosts besides the server's serving its media
    mastodon_report_category: str = "legal"  # the category of the reports filed
    key_requests_per_second: int = 200  # each API key's rate in each worker; 0: no limit
    key_burst: int = 400  # requests a key may send at once before its rate applies
    request_time_limit_seconds: int = 120  # no answer started by then: 503; 0: no limit
    index_shards: int = 1  # PDQ index shards by entry id; >1: on Ray if installed (scale/)
    index_replicas: int = 1  # replicas of each shard (Ray actors), for throughput and failover
    ray_address: str | None = None  # the Ray cluster to join; None: a local one on demand
    video_keyframe_fast_path: bool = True  # uploads: hash keyframes alone when close enough
    video_keyframe_max_gap_seconds: float | None = None  # None: 1.05 x seconds per hash

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        _provider_given(env)
        data_dir = Path(env.get("SAFEGUARD_DATA_DIR") or "./safeguard-data").expanduser()
        url = (
            env.get("SAFEGUARD_DATABASE_URL") or f"sqlite:///{data_dir.resolve() / 'safeguard.db'}"
        )
        return cls(
            data_dir=data_dir,
            database_url=normalise_database_url(url),
            max_upload_bytes=_int(env, "SAFEGUARD_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES),
            max_image_pixels=_int(env, "SAFEGUARD_MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS),
            max_image_side=_int(env, "SAFEGUARD_MAX_IMAGE_SIDE", DEFAULT_MAX_IMAGE_SIDE),
            max_image_aspect_ratio=_int(
                env, "SAFEGUARD_MAX_IMAGE_ASPECT_RATIO", DEFAULT_MAX_IMAGE_ASPECT_RATIO
            ),
            max_video_bytes=_int(env, "SAFEGUARD_MAX_VIDEO_BYTES", DEFAULT_MAX_VIDEO_BYTES),
            max_video_seconds=_int(env, "SAFEGUARD_MAX_VIDEO_SECONDS", DEFAULT_MAX_VIDEO_SECONDS),
            max_video_pixels=_int(env, "SAFEGUARD_MAX_VIDEO_PIXELS", DEFAULT_MAX_VIDEO_PIXELS),
            max_video_frames=_int(env, "SAFEGUARD_MAX_VIDEO_FRAMES", DEFAULT_MAX_VIDEO_FRAMES),
            video_seconds_per_hash=_seconds(env, "SAFEGUARD_VIDEO_SECONDS_PER_HASH", 1.0),
            vpdq_bank_seconds_per_hash=_seconds(env, "SAFEGUARD_VPDQ_BANK_SECONDS_PER_HASH", 0.0),
            vpdq_query_match_percent=_percent(env, "SAFEGUARD_VPDQ_QUERY_MATCH_PERCENT", 80.0),
            vpdq_compared_match_percent=_percent(env, "SAFEGUARD_VPDQ_COMPARED_MATCH_PERCENT", 0.0),
            vpdq_min_clip_seconds=_seconds(env, "SAFEGUARD_VPDQ_MIN_CLIP_SECONDS", 5.0),
            screen_budget_seconds=_seconds(env, "SAFEGUARD_SCREEN_BUDGET_SECONDS", 5.0),
            job_interval_seconds=_int(env, "SAFEGUARD_JOB_INTERVAL_SECONDS", 2),
            job_lease_seconds=_int(env, "SAFEGUARD_JOB_LEASE_SECONDS", 60),
            job_retention_days=_int(env, "SAFEGUARD_JOB_RETENTION_DAYS", 7),
            pdq_min_quality=_int(env, "SAFEGUARD_PDQ_MIN_QUALITY", 50, minimum=0),
            pdq_view_allowance=_int(
                env, "SAFEGUARD_PDQ_VIEW_ALLOWANCE", DEFAULT_PDQ_VIEW_ALLOWANCE, minimum=0
            ),
            message_retention_hours=_int(env, "SAFEGUARD_MESSAGE_RETENTION_HOURS", 168, minimum=0),
            conversation_model=_path(env, "SAFEGUARD_CONVERSATION_MODEL"),
            conversation_threshold=_fraction(env, "SAFEGUARD_CONVERSATION_THRESHOLD"),
            auto_migrate=_bool(env, "SAFEGUARD_AUTO_MIGRATE", True),
            host=env.get("SAFEGUARD_HOST") or "127.0.0.1",
            port=_int(env, "SAFEGUARD_PORT", 8000),
            session_hours=_int(env, "SAFEGUARD_SESSION_HOURS", 8),
            login_max_failures=_int(env, "SAFEGUARD_LOGIN_MAX_FAILURES", 5),
            login_window_minutes=_int(env, "SAFEGUARD_LOGIN_WINDOW_MINUTES", 15),
            secure_cookies=_bool(env, "SAFEGUARD_SECURE_COOKIES", False),
            break_after_items=_int(env, "SAFEGUARD_BREAK_AFTER_ITEMS", 20),
            evidence_key_file=_path(env, "SAFEGUARD_EVIDENCE_KEY_FILE"),
            evidence_key_env=env.get("SAFEGUARD_EVIDENCE_KEY_ENV") or DEFAULT_EVIDENCE_KEY_ENV,
            evidence_retention_days=_int(env, "SAFEGUARD_EVIDENCE_RETENTION_DAYS", 90),
            evidence_hold_days=_int(
                env,
                "SAFEGUARD_EVIDENCE_HOLD_DAYS",
                MIN_EVIDENCE_HOLD_DAYS,
                minimum=MIN_EVIDENCE_HOLD_DAYS,
            ),
            webhook_interval_seconds=_int(env, "SAFEGUARD_WEBHOOK_INTERVAL_SECONDS", 5),
            webhook_retry_hours=_int(
                env, "SAFEGUARD_WEBHOOK_RETRY_HOURS", 48, minimum=MIN_WEBHOOK_RETRY_HOURS
            ),
            webhook_backoff_seconds=_int(env, "SAFEGUARD_WEBHOOK_BACKOFF_SECONDS", 30),
            report_jurisdictions=_jurisdictions(env),
            report_interval_seconds=_int(env, "SAFEGUARD_REPORT_INTERVAL_SECONDS", 30),
            exchange_interval_seconds=_int(env, "SAFEGUARD_EXCHANGE_INTERVAL_SECONDS", 3600),
            exchange_feedback_interval_seconds=_int(
                env, "SAFEGUARD_EXCHANGE_FEEDBACK_INTERVAL_SECONDS", 60
            ),
            provider_name=env.get("SAFEGUARD_PROVIDER_NAME", "").strip() or None,
            roles=_roles(env),
            snapshot_interval_seconds=_int(
                env, "SAFEGUARD_SNAPSHOT_INTERVAL_SECONDS", 600, minimum=0
            ),
            snapshot_dir=_path(env, "SAFEGUARD_SNAPSHOT_DIR"),
            provider_contact_name=env.get("SAFEGUARD_PROVIDER_CONTACT_NAME", "").strip() or None,
            provider_contact_email=env.get("SAFEGUARD_PROVIDER_CONTACT_EMAIL", "").strip() or None,
            provider_contact_phone=env.get("SAFEGUARD_PROVIDER_CONTACT_PHONE", "").strip() or None,
            provider_country=env.get("SAFEGUARD_PROVIDER_COUNTRY", "").strip().upper() or None,
            nca_environment=_environment(env, "SAFEGUARD_NCA_ENVIRONMENT"),
            nca_url=env.get("SAFEGUARD_NCA_URL", "").strip() or None,
            nca_token=env.get("SAFEGUARD_NCA_TOKEN", "").strip() or None,
            ncmec_environment=_environment(env, "SAFEGUARD_NCMEC_ENVIRONMENT"),
            ncmec_url=env.get("SAFEGUARD_NCMEC_URL", "").strip() or None,
            ncmec_username=env.get("SAFEGUARD_NCMEC_USERNAME", "").strip() or None,
            ncmec_password=env.get("SAFEGUARD_NCMEC_PASSWORD") or None,
            nudity_classifier=env.get("SAFEGUARD_NUDITY_CLASSIFIER", "").strip() or "nudenet",
            nudity_threshold=_fraction(env, "SAFEGUARD_NUDITY_THRESHOLD"),
            minimum_age=_int(env, "SAFEGUARD_MINIMUM_AGE", 13, minimum=0),
            unknown_age_as_child=_bool(env, "SAFEGUARD_UNKNOWN_AGE_AS_CHILD", True),
            child_may_turn_on=parse_may_turn_on(env.get("SAFEGUARD_CHILD_MAY_TURN_ON", "")),
            age_assurance_min_confidence=_share(env, "SAFEGUARD_AGE_ASSURANCE_MIN_CONFIDENCE", 0.8),
            guidance_file=_path(env, "SAFEGUARD_GUIDANCE_FILE"),
            guidance_locale=env.get("SAFEGUARD_GUIDANCE_LOCALE", "").strip() or "en-GB",
            transparency_min_count=_int(env, "SAFEGUARD_TRANSPARENCY_MIN_COUNT", 10, minimum=0),
            platform_review=_choice(env, "SAFEGUARD_PLATFORM_REVIEW", ("reject", "allow")),
            platform_fetch_seconds=_int(env, "SAFEGUARD_PLATFORM_FETCH_SECONDS", 10),
            pictrs_enabled=_bool(env, "SAFEGUARD_PICTRS_ENABLED", False),
            matrix_homeserver_url=_http_url(env, "SAFEGUARD_MATRIX_HOMESERVER_URL"),
            matrix_client=env.get("SAFEGUARD_MATRIX_CLIENT", "").strip() or "matrix",
            **_mastodon(env),
            key_requests_per_second=_int(env, "SAFEGUARD_KEY_REQUESTS_PER_SECOND", 200, minimum=0),
            key_burst=_int(env, "SAFEGUARD_KEY_BURST", 400),
            request_time_limit_seconds=_int(
                env, "SAFEGUARD_REQUEST_TIME_LIMIT_SECONDS", 120, minimum=0
            ),
            index_shards=_int(env, "SAFEGUARD_INDEX_SHARDS", 1),
            index_replicas=_int(env, "SAFEGUARD_INDEX_REPLICAS", 1),
            ray_address=env.get("SAFEGUARD_RAY_ADDRESS", "").strip() or None,
            video_keyframe_fast_path=_bool(env, "SAFEGUARD_VIDEO_KEYFRAME_FAST_PATH", True),
            video_keyframe_max_gap_seconds=_number(
                env, "SAFEGUARD_VIDEO_KEYFRAME_MAX_GAP_SECONDS", "a number of seconds", 0.0, 60.0
            ),
        )
