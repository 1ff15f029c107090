"""How urgent a review item is: by its source and the severity the source reports.

The queue shows higher priorities first, and within one priority the oldest first. The
order puts harm that may be ongoing or that the law asks to report first: known abuse
material that was blocked, reports of it, then flagged conversations and grooming
reports, then uploads held for review, then the rest.
"""

from __future__ import annotations

from enum import IntEnum


class Priority(IntEnum):
    """The priorities of the queue's sources, highest first."""

    BLOCKED_UPLOAD = 80
    REPORTED_ABUSE_MATERIAL = 80
    AGE_CUE_WITH_ADULT = 75  # a child's age stated in a conversation with an adult
    FLAGGED_CONVERSATION = 70
    REPORTED_GROOMING = 70
    UPLOAD_FOR_REVIEW = 50
    REPORTED_UNDERAGE_USER = 40
    ASSURED_UNDERAGE_USER = 40
    APPEAL = 30
    OTHER_REPORT = 20
