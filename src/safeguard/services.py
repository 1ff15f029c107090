"""The services behind every face (API, CLI), built in one place from ``Settings``."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property

from safeguard.accounts.guidance import Guidance
from safeguard.accounts.service import AccountService, AgeRules
from safeguard.communication_safety.service import CommunicationSafety
from safeguard.config import Settings
from safeguard.conversations.model import RiskModel
from safeguard.conversations.service import ConversationService
from safeguard.evidence.keys import Keyring, load_keyring
from safeguard.media.decode import DecodeLimits
from safeguard.scale.factory import open_sharded
from safeguard.screening.matcher import ExternalIndex, Matcher
from safeguard.screening.policy import SequenceRule
from safeguard.screening.service import EvidenceKeeping, Screener
from safeguard.screening.snapshots import SnapshotStore
from safeguard.store.db import Database
from safeguard.store.migrate import upgrade


class Services:
    """The database and the services over it; each service is built on first use."""

    def __init__(self, settings: Settings) -> None:
        """Open the configured database, migrated first unless SAFEGUARD_AUTO_MIGRATE is
        off."""
        if settings.auto_migrate:
            upgrade(settings.database_url)
        self.settings = settings
        self.db = Database(settings.database_url)

    @property
    def limits(self) -> DecodeLimits:
        """The caps that decoding uploads and files applies."""
        return DecodeLimits.from_settings(self.settings)

    @property
    def message_retention(self) -> timedelta:
        return timedelta(hours=self.settings.message_retention_hours)

    @cached_property
    def keyring(self) -> Keyring | None:
        """The evidence vault's keys (None: no vault, no content is kept)."""
        return load_keyring(self.settings)

    @property
    def snapshots(self) -> SnapshotStore:
        """Where the index snapshots that speed up a worker's start are kept."""
        return SnapshotStore(self.settings.snapshot_dir or self.settings.data_dir / "snapshots")

    @cached_property
    def screener(self) -> Screener:
        retention = timedelta(days=self.settings.evidence_retention_days)
        return Screener(
            self.db,
            self.settings.pdq_min_quality,
            matcher=Matcher(snapshots=self.snapshots, external=self._external_indexes()),
            pdq_view_allowance=self.settings.pdq_view_allowance,
            evidence=EvidenceKeeping(self.keyring, retention) if self.keyring else None,
            sequence_rule=SequenceRule(
                self.settings.vpdq_query_match_percent,
                self.settings.vpdq_compared_match_percent,
                self.settings.vpdq_min_clip_seconds,
            ),
        )

    def _external_indexes(self) -> dict[str, ExternalIndex]:
        """The PDQ index in shards when SAFEGUARD_INDEX_SHARDS > 1 (docs/scaling.md)."""
        shards = self.settings.index_shards
        if shards == 1:
            return {}
        replicas, address = self.settings.index_replicas, self.settings.ray_address
        folder = self.snapshots.folder
        return {"pdq": open_sharded(self.db, shards, replicas, address, folder)}

    @cached_property
    def conversations(self) -> ConversationService:
        model = RiskModel.chosen(
            self.settings.conversation_model, self.settings.conversation_threshold
        )
        return ConversationService(self.db, model, self.message_retention)

    @cached_property
    def guidance(self) -> Guidance:
        """The supportive prompts and help resources, per locale."""
        return Guidance.load(self.settings.guidance_file, self.settings.guidance_locale)

    @cached_property
    def accounts(self) -> AccountService:
        rules = AgeRules(
            self.settings.minimum_age,
            self.settings.unknown_age_as_child,
            self.settings.age_assurance_min_confidence,
            self.settings.child_may_turn_on,
        )
        return AccountService(self.db, rules, self.guidance)

    @cached_property
    def communication_safety(self) -> CommunicationSafety:
        """The nudity classifier's checks for children's images (loaded on first use)."""
        return CommunicationSafety.from_settings(self.settings, self.guidance)

    def close(self) -> None:
        self.db.dispose()
