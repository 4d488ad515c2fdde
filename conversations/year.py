"""Values for the second half of the year (issue #12): the team's action plan, the cooperation
committee, and the anonymous evaluation. Frozen, like `conversations.domain`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from conversations.lifecycles.action_item import ActionState


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamAction:
    """One agreement of the team's action plan (Skema 5): what, when, who, how followed up."""

    id: int
    round_id: int
    what: str
    due_on: date
    follow_up: str
    owner_ids: tuple[int, ...]
    state: ActionState
    created_by: int | None
    created_at: datetime
    updated_by: int | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EvaluationResponse:
    """A filled evaluation slot: scores per question and an optional comment. It carries the
    round (results are per round) and nothing about who wrote it or when."""

    round_id: int
    scores: dict[str, int]
    comment: str | None
