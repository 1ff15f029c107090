"""The review queue, and the user reports and appeals a platform sends for its users."""

from __future__ import annotations

from typing import Literal

from safeguard.client.calls import Call, items, model, operation, present
from safeguard.client.models import Appeal, Report, ReportTarget, ReviewItem

Category = Literal["csam", "grooming", "underage_user", "other"]


class ModerationEndpoints:
    @operation("GET", "/v1/review-items")
    def list_review_items(
        self, *, status: Literal["open"] = "open", limit: int = 100
    ) -> Call[list[ReviewItem]]:
        """The caller's review items, most urgent first, then oldest first."""
        return Call(items(ReviewItem, "items"), params={"status": status, "limit": limit})

    @operation("POST", "/v1/reports")
    def create_report(
        self, reporter_id: str, category: Category, target: ReportTarget, *, text: str | None = None
    ) -> Call[Report]:
        """Queue a user's report of content, a user, a conversation, a screening or a
        hash; it joins the open review item of its target, if any."""
        body = present(
            reporter_id=reporter_id,
            category=category,
            target=target.model_dump(exclude_none=True),
            text=text,
        )
        return Call(model(Report), json=body)

    @operation("GET", "/v1/reports/{report_id}")
    def get_report(self, report_id: str) -> Call[Report]:
        return Call(model(Report), path={"report_id": report_id})

    @operation("POST", "/v1/appeals")
    def create_appeal(self, decision_id: int, appellant_id: str, reason: str) -> Call[Appeal]:
        """Queue the affected user's appeal against a confirmed decision."""
        body = {"decision_id": decision_id, "appellant_id": appellant_id, "reason": reason}
        return Call(model(Appeal), json=body)

    @operation("GET", "/v1/appeals/{appeal_id}")
    def get_appeal(self, appeal_id: str) -> Call[Appeal]:
        return Call(model(Appeal), path={"appeal_id": appeal_id})
