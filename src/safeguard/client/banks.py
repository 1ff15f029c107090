"""Banks (hash lists and safelists), their content items and entries, list import and
export."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from safeguard.client.calls import Call, items, model, nothing, operation, present, text
from safeguard.client.models import Bank, Entry, EntryPage, ImportResult, Item

ListFormat = Literal["csv", "threatexchange", "hma-json", "vpdq-text", "vpdq-json", "ncmec-xml"]


class BankEndpoints:
    @operation("GET", "/v1/banks")
    def list_banks(self) -> Call[list[Bank]]:
        """Every bank."""
        return Call(items(Bank, "banks"))

    @operation("POST", "/v1/banks")
    def create_bank(
        self,
        name: str,
        *,
        action: Literal["block", "review"] = "block",
        kind: Literal["list", "safelist"] = "list",
        thresholds: Mapping[str, int] | None = None,
    ) -> Call[Bank]:
        """Create a bank: a list whose matches block or ask for review, or a safelist
        whose matches cancel them. ``thresholds`` by signal type, e.g. ``{"pdq": 31}``."""
        body = {"name": name, "action": action, "kind": kind, "thresholds": dict(thresholds or {})}
        return Call(model(Bank), json=body)

    @operation("GET", "/v1/banks/{name}")
    def get_bank(self, name: str) -> Call[Bank]:
        return Call(model(Bank), path={"name": name})

    @operation("DELETE", "/v1/banks/{name}")
    def delete_bank(self, name: str) -> Call[None]:
        """Delete a bank: it stops matching at once."""
        return Call(nothing, path={"name": name})

    @operation("GET", "/v1/banks/{name}/entries")
    def list_entries(self, bank: str, *, limit: int = 100, after: int = 0) -> Call[EntryPage]:
        """A page of the bank's entries after entry id ``after``."""
        return Call(model(EntryPage), path={"name": bank}, params={"limit": limit, "after": after})

    @operation("POST", "/v1/banks/{name}/entries")
    def add_entry(
        self,
        bank: str,
        signal_type: str,
        value: str,
        *,
        external_id: str | None = None,
        labels: Sequence[str] = (),
        source: str | None = None,
        quality: int | None = None,
    ) -> Call[Entry]:
        """Add a signal value (a hash, a URL, a keyword) to the bank."""
        body = present(
            signal_type=signal_type,
            value=value,
            external_id=external_id,
            labels=list(labels),
            source=source,
            quality=quality,
        )
        return Call(model(Entry), path={"name": bank}, json=body)

    @operation("PATCH", "/v1/banks/{name}/entries/{entry_id}", idempotent=True)
    def set_entry_enabled(self, bank: str, entry_id: int, enabled: bool) -> Call[Entry]:
        """Enable or disable one entry."""
        path: dict[str, str | int] = {"name": bank, "entry_id": entry_id}
        return Call(model(Entry), path=path, json={"enabled": enabled})

    @operation("DELETE", "/v1/banks/{name}/entries/{entry_id}")
    def delete_entry(self, bank: str, entry_id: int) -> Call[None]:
        return Call(nothing, path={"name": bank, "entry_id": entry_id})

    @operation("GET", "/v1/banks/{name}/items/{item_id}")
    def get_item(self, bank: str, item_id: int) -> Call[Item]:
        """One content item of the bank and its entries."""
        return Call(model(Item), path={"name": bank, "item_id": item_id})

    @operation("PATCH", "/v1/banks/{name}/items/{item_id}", idempotent=True)
    def set_item_enabled(self, bank: str, item_id: int, enabled: bool) -> Call[Item]:
        """Enable or disable a content item: while disabled, none of its entries matches."""
        path: dict[str, str | int] = {"name": bank, "item_id": item_id}
        return Call(model(Item), path=path, json={"enabled": enabled})

    # Importing a list again adds only what is missing, so a retry is safe.
    @operation("POST", "/v1/banks/{name}/import", idempotent=True)
    def import_list(
        self, bank: str, data: bytes | str, *, format: ListFormat = "csv"
    ) -> Call[ImportResult]:
        """Import a list (by default CSV ``signal_type,signal_value[,external_id,labels]``):
        a bad line imports nothing."""
        content = data.encode() if isinstance(data, str) else data
        return Call(
            model(ImportResult), path={"name": bank}, params={"format": format}, content=content
        )

    @operation("GET", "/v1/banks/{name}/export")
    def export_list(self, bank: str, *, format: ListFormat = "csv") -> Call[str]:
        """The bank's enabled entries as a list (by default CSV)."""
        return Call(text, path={"name": bank}, params={"format": format})
